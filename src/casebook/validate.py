"""Stage 2, validate: loaded YAML → the model, or every problem at once.

Rules are declared as data (one `Field` per key); each problem names file, line and key, as
``content/cases/x/en.yaml:12: sections[2].kind: 'lesson' is not one of …``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ContentError, Problem
from .load import SLUG_RE, KeyPath, Loaded, RawProject
from .model import (
    REGIONS,
    SECTION_KINDS,
    Case,
    Casebook,
    Cover,
    Publication,
    Section,
    YearMonth,
    order_cases,
)
from .profiles import PROFILE_CHOICES

LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")
TYPE_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
PAGE_SIZES = ("A4", "letter")
MAX_CASE_CHARACTERS = 400_000  # about 130 pages: layout stays within seconds and memory
MAX_IMAGE_BYTES = 20_000_000
MAX_IMAGE_PIXELS = 50_000_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")


class Invalid(Exception):
    """Raised by a check: its message says what is wrong with the value."""


def text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"must be text, not {_kind(value)}")
    value = str(value).strip()
    if not value:
        raise Invalid("must not be empty")
    return value


def one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        value = text(value)
        if value not in choices:
            raise Invalid(f"{value!r} is not one of: {', '.join(choices)}")
        return value

    return check


def pattern(regex: re.Pattern[str], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        value = text(value)
        if not regex.match(value):
            raise Invalid(f"{value!r} is not {what}")
        return value

    return check


def year_month(value: Any) -> YearMonth:
    if hasattr(value, "year") and hasattr(value, "month"):
        raise Invalid(
            f"{value} is a full date: write the month only, as YYYY-MM "
            f"(e.g. {value.year:04d}-{value.month:02d})"
        )
    raw = text(value)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
    if not match:
        raise Invalid(f"{raw!r} is not a month: write YYYY-MM, e.g. 2020-11")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise Invalid(f"{raw!r} has month {month}: months run from 01 to 12")
    return YearMonth(year, month)


def text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list (one '- ' line per item), not {_kind(value)}")
    if not value:
        raise Invalid("must list at least one")
    items = []
    for index, item in enumerate(value):
        try:
            items.append(text(item))
        except Invalid as exc:
            raise Invalid(f"item {index + 1} {exc}") from None
    return tuple(items)


def lang_list(value: Any) -> tuple[str, ...]:
    items = text_list(value)
    for item in items:
        if not LANG_RE.match(item):
            raise Invalid(f"{item!r} is not a language code such as en or es")
    return items


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, not {value!r}")
    return value


def slug_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list of case slugs, not {_kind(value)}")
    return tuple(text(item) for item in value)


def nested(value: Any) -> Any:
    """A key whose items have fields of their own, checked by their own pass."""
    return value


@dataclass(frozen=True)
class Field:
    name: str
    check: Callable[[Any], Any]
    required: bool = True


PUBLICATION_FIELDS = (
    Field("title", text),
    Field("subtitle", text, required=False),
    Field("publisher", text),
    Field("date", year_month),
    Field("authors", text_list),
    Field("source_language", pattern(LANG_RE, "a language code such as en")),
    Field("languages", lang_list),
    Field("introduction", text, required=False),
    Field("order", slug_list, required=False),
    Field("licence", text, required=False),
    Field("contents_by_region", boolean, required=False),
    Field("profile", one_of(PROFILE_CHOICES), required=False),
    Field("page_size", one_of(PAGE_SIZES), required=False),
)

CASE_FIELDS = (
    Field("coalition", text),
    Field("title", text),
    Field("type", pattern(TYPE_RE, "a type key such as coalition-response")),
    Field("date", year_month),
    Field("region", one_of(REGIONS)),
    Field("country", text, required=False),
    Field("authors", text_list),
    Field("summary", text),
    Field("sections", nested),
    Field("cover", nested, required=False),
)

SECTION_FIELDS = (
    Field("kind", one_of(SECTION_KINDS)),
    Field("heading", text, required=False),
    Field("body", text),
)

COVER_FIELDS = (
    Field("image", text),
    Field("alt", text),
)

# A translation (cases/<slug>/<lang>.yaml) carries only the translatable keys; missing ones fall
# back to the source text (and `casebook translations` reports the file as incomplete).
TRANSLATION_FIELDS = (
    Field("source", nested, required=False),
    Field("coalition", text, required=False),
    Field("title", text, required=False),
    Field("summary", text, required=False),
    Field("sections", nested, required=False),
    Field("cover", nested, required=False),
)
TRANSLATED_SECTION_FIELDS = (
    Field("kind", one_of(SECTION_KINDS)),
    Field("heading", text, required=False),
    Field("body", text, required=False),
)
TRANSLATED_COVER_FIELDS = (Field("alt", text, required=False),)
PUBLICATION_TRANSLATION_FIELDS = (
    Field("title", text, required=False),
    Field("subtitle", text, required=False),
    Field("introduction", text, required=False),
    Field("licence", text, required=False),
)
FROM_SOURCE = "comes from the source file ({source}); remove it here"


class Checker:
    """Collects the problems of one loaded file."""

    def __init__(self, loaded: Loaded, problems: list[Problem]):
        self.loaded = loaded
        self.problems = problems

    def report(self, keypath: KeyPath, message: str) -> None:
        self.problems.append(
            Problem(self.loaded.display, self.loaded.line(keypath), _key(keypath), message)
        )

    def fields(
        self,
        data: Any,
        fields: tuple[Field, ...],
        at: KeyPath = (),
        explain: dict[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """Check a mapping against `fields`; the checked values, or None if anything failed."""
        if not isinstance(data, dict):
            what = "empty" if data is None else _kind(data)
            self.report(at, f"must be a mapping of keys to values, but is {what}")
            return None
        known = {f.name for f in fields}
        values: dict[str, Any] = {}
        ok = True
        for field in fields:
            keypath = (*at, field.name)
            if field.name not in data or data[field.name] is None:
                if field.required:
                    self.report(keypath, "is missing")
                    ok = False
                continue
            try:
                values[field.name] = field.check(data[field.name])
            except Invalid as exc:
                self.report(keypath, str(exc))
                ok = False
        for key in data:
            if key not in known:
                self.report(
                    (*at, key),
                    (explain or {}).get(
                        key, f"is not a known key (known: {', '.join(sorted(known))})"
                    ),
                )
                ok = False
        return values if ok else None


def validate_project(raw: RawProject) -> Casebook:
    """Every edition of a loaded project; `ContentError` listing every problem otherwise."""
    problems = list(raw.problems)
    pub = Checker(raw.publication, problems)
    loaded = not any(p.path == raw.publication.display for p in raw.problems)
    settings = pub.fields(raw.publication.data, PUBLICATION_FIELDS) if loaded else None

    cases: list[Case] = []
    translations: dict[str, dict[str, Case]] = {lang: {} for lang in raw.languages}
    for raw_case in raw.cases:
        checker = Checker(raw_case.source, problems)
        if not re.match(SLUG_RE, raw_case.slug):
            checker.report(
                (),
                f"the folder name {raw_case.slug!r} is not a slug: use lower-case "
                "letters, digits and single hyphens (e.g. bond-uk)",
            )
            continue
        language = raw_case.source.path.stem
        case = _check_case(checker, raw_case.slug, raw_case.folder, language)
        if case is None:
            continue
        cases.append(case)
        for lang, loaded_translation in raw_case.translations.items():
            translated = _check_translation(
                Checker(loaded_translation, problems), case, lang, raw_case.source.display
            )
            if translated is not None:
                translations[lang][case.slug] = translated

    texts: dict[str, dict[str, Any]] = {}
    for lang, loaded_text in raw.publication_translations.items():
        texts[lang] = (
            Checker(loaded_text, problems).fields(loaded_text.data, PUBLICATION_TRANSLATION_FIELDS)
            or {}
        )

    if settings is not None:
        slugs = {c.slug for c in raw.cases}
        for index, slug in enumerate(settings.get("order", ())):
            if slug not in slugs:
                pub.report(("order", index), f"{slug!r} is not a case folder in cases/")
        if settings["source_language"] not in settings["languages"]:
            pub.report(
                ("languages",),
                f"must include the source language {settings['source_language']!r}",
            )
    if not raw.cases and not problems:
        pub.report((), "there are no cases: add a folder cases/<slug>/ with an en.yaml")
    if problems or settings is None:
        raise ContentError(problems)

    source = Publication(
        title=settings["title"],
        subtitle=settings.get("subtitle"),
        publisher=settings["publisher"],
        date=settings["date"],
        authors=settings["authors"],
        source_language=settings["source_language"],
        languages=settings["languages"],
        introduction=settings.get("introduction"),
        cases=order_cases(cases, list(settings.get("order", ()))),
        licence=settings.get("licence"),
        contents_by_region=settings.get("contents_by_region", False),
        profile=settings.get("profile", "screen"),
        page_size=settings.get("page_size", "A4"),
        language=settings["source_language"],
        translated=frozenset(c.slug for c in cases),
    )
    editions = [source]
    for lang in raw.languages:
        text = texts.get(lang, {})
        own = translations[lang]
        editions.append(
            replace(
                source,
                title=text.get("title", source.title),
                subtitle=text.get("subtitle", source.subtitle),
                introduction=text.get("introduction", source.introduction),
                licence=text.get("licence", source.licence),
                cases=tuple(own.get(c.slug, c) for c in source.cases),
                language=lang,
                translated=frozenset(own),
            )
        )
    return Casebook(tuple(editions))


def _check_translation(
    checker: Checker, source: Case, language: str, source_display: str
) -> Case | None:
    """The translated case (source values where a key is missing), or None on problems."""
    data = checker.loaded.data
    explain = {key.name: FROM_SOURCE.format(source=source_display) for key in CASE_FIELDS}
    values = checker.fields(data, TRANSLATION_FIELDS, explain=explain)
    if values is None:
        return None
    sections = source.sections
    if "sections" in values:
        sections = _check_translated_sections(checker, values["sections"], source, source_display)
    cover = source.cover
    if "cover" in values:
        if source.cover is None:
            checker.report(("cover",), f"the source {source_display} has no cover: remove it here")
            return None
        cover_values = checker.fields(values["cover"], TRANSLATED_COVER_FIELDS, ("cover",))
        if cover_values is None:
            return None
        cover = replace(source.cover, alt=cover_values.get("alt", source.cover.alt))
    if sections is None:
        return None
    return replace(
        source,
        language=language,
        coalition=values.get("coalition", source.coalition),
        title=values.get("title", source.title),
        summary=values.get("summary", source.summary),
        sections=sections,
        cover=cover,
    )


def _check_translated_sections(
    checker: Checker, data: Any, source: Case, source_display: str
) -> tuple[Section, ...] | None:
    keep = "a translation keeps the source's sections in number, order and kind"
    if not isinstance(data, list):
        checker.report(("sections",), "must be a list of sections, as in the source")
        return None
    if len(data) != len(source.sections):
        checker.report(
            ("sections",),
            f"has {len(data)} sections but the source {source_display} has "
            f"{len(source.sections)}: {keep}",
        )
        return None
    sections, ok = [], True
    for index, (item, original) in enumerate(zip(data, source.sections, strict=True)):
        at = ("sections", index)
        values = checker.fields(item, TRANSLATED_SECTION_FIELDS, at)
        if values is None:
            ok = False
            continue
        if values["kind"] != original.kind:
            checker.report(
                (*at, "kind"),
                f"is {values['kind']!r} but section {index + 1} of the source {source_display} "
                f"is {original.kind!r}: {keep}",
            )
            ok = False
        if "heading" in values and not original.heading:
            checker.report(
                (*at, "heading"),
                f"section {index + 1} of the source {source_display} has no heading: "
                "remove it here",
            )
            ok = False
        sections.append(
            Section(
                original.kind,
                values.get("heading", original.heading),
                values.get("body", original.body),
            )
        )
    return tuple(sections) if ok else None


def _check_case(checker: Checker, slug: str, folder: Path, language: str) -> Case | None:
    data = checker.loaded.data
    values = checker.fields(data, CASE_FIELDS)
    sections = _check_sections(checker, data.get("sections") if isinstance(data, dict) else None)
    if values is not None and sections is not None:
        length = len(values["summary"]) + sum(len(s.body) + len(s.heading or "") for s in sections)
        if length > MAX_CASE_CHARACTERS:
            checker.report(
                ("sections",),
                f"the case's text is {length:,} characters; the limit is "
                f"{MAX_CASE_CHARACTERS:,} (about 130 pages): split it into several cases",
            )
            return None
    cover = None
    if isinstance(data, dict) and data.get("cover") is not None:
        cover = _check_cover(checker, data["cover"], folder)
    if (
        values is None
        or sections is None
        or (cover is None and isinstance(data, dict) and data.get("cover") is not None)
    ):
        return None
    return Case(
        slug=slug,
        folder=folder,
        language=language,
        coalition=values["coalition"],
        title=values["title"],
        type=values["type"],
        date=values["date"],
        region=values["region"],
        country=values.get("country"),
        authors=values["authors"],
        summary=values["summary"],
        sections=sections,
        cover=cover,
    )


def _check_sections(checker: Checker, data: Any) -> tuple[Section, ...] | None:
    if data is None:
        return None  # reported as missing by the field check
    if not isinstance(data, list) or not data:
        checker.report(
            ("sections",), "must be a list of at least one section (each with kind and body)"
        )
        return None
    sections = []
    for index, item in enumerate(data):
        values = checker.fields(item, SECTION_FIELDS, ("sections", index))
        if values is not None:
            sections.append(Section(values["kind"], values.get("heading"), values["body"]))
    return tuple(sections) if len(sections) == len(data) else None


def _check_cover(checker: Checker, data: Any, folder: Path) -> Cover | None:
    values = checker.fields(data, COVER_FIELDS, ("cover",))
    if values is None:
        return None
    name = values["image"]
    target = (folder / name).resolve()
    if not target.is_relative_to(folder.resolve()) or Path(name).is_absolute():
        checker.report(
            ("cover", "image"),
            f"{name!r} is outside the case folder: put the image "
            "in the case folder and give its file name",
        )
        return None
    if not target.is_file():
        checker.report(
            ("cover", "image"), f"{name!r} is not a file in the case folder {folder.name}/"
        )
        return None
    if target.suffix.lower() not in IMAGE_SUFFIXES:
        checker.report(
            ("cover", "image"), f"{name!r} is not an image: use one of {', '.join(IMAGE_SUFFIXES)}"
        )
        return None
    problem = _image_problem(target)
    if problem:
        checker.report(("cover", "image"), f"{name!r} {problem}")
        return None
    return Cover(target, values["alt"])


def _image_problem(path: Path) -> str | None:
    """Why an image is too big (bytes or pixels) or unreadable to print; None if it is fine."""
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        return (
            f"is {size / 1e6:.0f} MB; the limit is {MAX_IMAGE_BYTES / 1e6:.0f} MB: "
            "export it smaller (a cover needs about 2500 pixels across)"
        )
    if path.suffix.lower() == ".svg":
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header only
                width, height = image.size
    except Image.DecompressionBombError:
        width = height = MAX_IMAGE_PIXELS  # far over the limit: Pillow refuses to open it
    except (UnidentifiedImageError, OSError):
        return "cannot be read as an image: save it again as PNG or JPEG"
    if width * height > MAX_IMAGE_PIXELS:
        return (
            f"is {width * height / 1e6:,.0f} megapixels; the limit is "
            f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels: export it smaller (a cover needs about "
            "2500 pixels across)"
        )
    return None


def _key(keypath: KeyPath) -> str:
    out = ""
    for part in keypath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), "a value")
