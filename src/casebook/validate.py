"""Stage 3, validate: loaded YAML → the model, or every problem at once.

casebook's content rules, declared as data for the schema engine (schema.py): one `Field` per
key, with which texts a translation carries. Each problem names file, line and key, as
``content/cases/x/en.yaml:12: sections[2].kind: 'lesson' is not one of …``. Raw data goes no
further than this module: the model records what later stages need of it (the keys a
translation left to the source, its stamp).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ContentError, Problem
from .load import RawCase, RawProject
from .model import (
    LANGUAGE,
    REGIONS,
    SECTION_KINDS,
    SLUG,
    Case,
    Casebook,
    Cover,
    Edition,
    Section,
    Translation,
    order_cases,
)
from .profiles import PROFILE_CHOICES
from .schema import (
    Checker,
    Field,
    Invalid,
    ListOf,
    Mapping,
    any_value,
    boolean,
    key_name,
    kind_of,
    one_of,
    overlay,
    pattern,
    pattern_list,
    text,
    text_list,
    translation_schema,
    year_month,
)

TYPE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")  # a case's type key
PAGE_SIZES = ("A4", "letter")
MAX_CASE_CHARACTERS = 400_000  # about 130 pages: layout stays within seconds and memory
MAX_IMAGE_BYTES = 20_000_000
MAX_IMAGE_PIXELS = 50_000_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")


def slug_list(value: Any) -> tuple[str, ...]:
    """`order`: case slugs, checked against the case folders once all are read."""
    if not isinstance(value, list):
        raise Invalid(f"must be a list of case slugs, not {kind_of(value)}")
    return tuple(text(item) for item in value)


def site_url(value: Any) -> str:
    """An absolute http(s) URL with no query or fragment, given a trailing slash."""
    url = text(value).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid(
            f"must be an absolute http or https URL such as https://example.org/cases/, not {url!r}"
        )
    if parts.query or parts.fragment or any(c in url for c in " <>\"'\\"):
        raise Invalid(f"must be a plain URL with no query, fragment, space or quote: {url!r}")
    return url if url.endswith("/") else url + "/"


PUBLICATION = Mapping(
    (
        Field("title", text, translated="expected"),
        Field("subtitle", text, required=False, translated="expected"),
        Field("publisher", text),
        Field("date", year_month),
        Field("authors", text_list),
        Field("source_language", pattern(LANGUAGE, "a language code such as en")),
        Field("languages", pattern_list(LANGUAGE, "a language code such as en or es")),
        Field("introduction", text, required=False, translated="expected"),
        Field("order", slug_list, required=False),
        Field("licence", text, required=False, translated="expected"),
        Field("contents_by_region", boolean, required=False),
        Field("profile", one_of(PROFILE_CHOICES), required=False),
        Field("page_size", one_of(PAGE_SIZES), required=False),
        Field("site_url", site_url, required=False),
    )
)
SECTION = Mapping(
    (
        Field("kind", one_of(SECTION_KINDS), identifies=True),
        Field("heading", text, required=False, translated="expected"),
        Field("body", text, translated="expected"),
    )
)
COVER = Mapping((Field("image", text), Field("alt", text, translated="expected")))
CASE = Mapping(
    (
        Field("coalition", text, translated="optional"),
        Field("title", text, translated="expected"),
        Field("type", pattern(TYPE, "a type key such as coalition-response")),
        Field("date", year_month),
        Field("region", one_of(REGIONS)),
        Field("country", text, required=False),
        Field("authors", text_list),
        Field("summary", text, translated="expected"),
        Field(
            "sections",
            ListOf(
                SECTION,
                "must be a list of at least one section (each with kind and body)",
                min=1,
                wrong_in_translation="must be a list of sections, as in the source",
            ),
        ),
        Field("cover", COVER, required=False),
    )
)
FROM_SOURCE = "comes from the source file ({source}); remove it here"


def translation_of_case(source_display: str) -> Mapping:
    """What a translation (cases/<slug>/<lang>.yaml) may hold: the translatable keys of CASE,
    the section kinds, and the `source:` stamp that `casebook translations stamp` writes."""
    schema = translation_schema(CASE, FROM_SOURCE.format(source=source_display))
    return replace(schema, fields=(Field("source", any_value, required=False), *schema.fields))


PUBLICATION_TRANSLATION = translation_schema(PUBLICATION)


def validate_project(raw: RawProject, reserved: tuple[str, ...] = ()) -> Casebook:
    """Every edition of a loaded project; `ContentError` listing every problem otherwise.

    `reserved`: names the outputs use (the book, the collection page), which no case folder may
    take, or its PDF would overwrite theirs.
    """
    problems = list(raw.problems)
    pub = Checker(raw.publication, problems)
    loaded = not any(p.path == raw.publication.display for p in raw.problems)
    settings = pub.check(PUBLICATION) if loaded else None

    cases: list[tuple[Case, dict]] = []
    translations: dict[str, dict[str, Case]] = {lang: {} for lang in raw.languages}
    for raw_case in raw.cases:
        if raw_case.slug in reserved:
            Checker(raw_case.source, problems).report(
                (),
                f"the folder name {raw_case.slug!r} is a name casebook's own outputs use "
                f"({', '.join(reserved)}): rename the case folder",
            )
            continue
        checked = _check_case(Checker(raw_case.source, problems), raw_case)
        if checked is None:
            continue
        cases.append(checked)
        for lang, loaded_translation in raw_case.translations.items():
            checker = Checker(loaded_translation, problems)
            translated = _check_translation(checker, *checked, lang, raw_case.source.display)
            if translated is not None:
                translations[lang][raw_case.slug] = translated

    texts = {
        lang: Checker(loaded, problems).check(PUBLICATION_TRANSLATION) or {}
        for lang, loaded in raw.publication_translations.items()
    }
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

    source = _edition(settings, [case for case, _ in cases])
    editions = [source]
    for lang in raw.languages:
        merged, _ = overlay(PUBLICATION, settings, texts.get(lang, {}))
        own = translations[lang]
        editions.append(
            replace(
                _edition(merged, []),
                cases=tuple(own.get(c.slug, c) for c in source.cases),
                language=lang,
            )
        )
    return Casebook(tuple(editions))


def _edition(settings: dict, cases: list[Case]) -> Edition:
    values = {k: v for k, v in settings.items() if k != "order"}
    return Edition(
        **values,
        cases=order_cases(cases, list(settings.get("order", ()))),
        language=settings["source_language"],
    )


def _check_case(checker: Checker, raw: RawCase) -> tuple[Case, dict] | None:
    """The source-language case and its checked values, or None on problems."""
    if not SLUG.match(raw.slug):
        checker.report(
            (),
            f"the folder name {raw.slug!r} is not a slug: use lower-case "
            "letters, digits and single hyphens (e.g. bond-uk)",
        )
        return None
    values = checker.check(CASE)
    if values is None:
        return None
    length = len(values["summary"]) + sum(
        len(s["body"]) + len(s.get("heading") or "") for s in values["sections"]
    )
    if length > MAX_CASE_CHARACTERS:
        checker.report(
            ("sections",),
            f"the case's text is {length:,} characters; the limit is "
            f"{MAX_CASE_CHARACTERS:,} (about 130 pages): split it into several cases",
        )
        return None
    if "cover" in values and not _check_cover(checker, values["cover"], raw.folder):
        return None
    language = raw.source.path.stem
    return _case(values, raw.slug, raw.folder, language), values


def _case(values: dict, slug: str, folder: Path, language: str, **more: Any) -> Case:
    cover = values.get("cover")
    return Case(
        **values
        | {
            "sections": tuple(Section(**s) for s in values["sections"]),
            "cover": Cover((folder / cover["image"]).resolve(), cover["alt"]) if cover else None,
        },
        slug=slug,
        folder=folder,
        language=language,
        **more,
    )


def _check_translation(
    checker: Checker, source: Case, values: dict, language: str, source_display: str
) -> Case | None:
    """The translated case (source values where a key is missing), or None on problems."""
    translated = checker.check(translation_of_case(source_display))
    if translated is None:
        return None
    mismatch = _sections_mismatch(checker, translated.get("sections"), source, source_display)
    if mismatch:
        translated = {k: v for k, v in translated.items() if k != "sections"}
    if "cover" in translated and source.cover is None:
        checker.report(("cover",), f"the source {source_display} has no cover: remove it here")
        return None
    merged, fallbacks = overlay(CASE, values, translated)
    record = Translation(tuple(fallbacks), translated.get("source"), tuple(mismatch))
    return _case(merged, source.slug, source.folder, language, translation=record)


def _sections_mismatch(checker: Checker, sections, source: Case, source_display: str) -> list[str]:
    """How a translation's sections no longer follow the source's (in number, order, kind and
    headings), each as `path:line: key: what`; the build then prints the source's sections and
    warns (a source that gains a section must not stop the build of every language)."""
    if sections is None:
        return []
    keep = (
        "the source's sections are printed until the translation follows them again "
        "(casebook translations export, then import)"
    )
    where = checker.loaded
    found = []
    if len(sections) != len(source.sections):
        found.append(
            (("sections",), f"has {len(sections)} sections but the source {source_display} has "
             f"{len(source.sections)}")
        )  # fmt: skip
    for index, (item, original) in enumerate(zip(sections, source.sections, strict=False)):
        at = ("sections", index)
        if item["kind"] != original.kind:
            found.append(
                ((*at, "kind"), f"is {item['kind']!r} but section {index + 1} of the source "
                 f"{source_display} is {original.kind!r}")
            )  # fmt: skip
        if "heading" in item and not original.heading:
            found.append(
                ((*at, "heading"), f"section {index + 1} of the source {source_display} has "
                 "no heading")
            )  # fmt: skip
    return [
        f"{where.display}:{where.line(at)}: {key_name(at)}: {what}: {keep}" for at, what in found
    ]


def _check_cover(checker: Checker, values: dict, folder: Path) -> bool:
    name = values["image"]
    target = (folder / name).resolve()
    at = ("cover", "image")
    if not target.is_relative_to(folder.resolve()) or Path(name).is_absolute():
        checker.report(
            at,
            f"{name!r} is outside the case folder: put the image "
            "in the case folder and give its file name",
        )
        return False
    if not target.is_file():
        checker.report(at, f"{name!r} is not a file in the case folder {folder.name}/")
        return False
    if target.suffix.lower() not in IMAGE_SUFFIXES:
        checker.report(at, f"{name!r} is not an image: use one of {', '.join(IMAGE_SUFFIXES)}")
        return False
    problem = _image_problem(target)
    if problem:
        checker.report(at, f"{name!r} {problem}")
        return False
    return True


RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}


def _image_problem(path: Path) -> str | None:
    """Why an image cannot be printed as given (too big, mislabelled, truncated or corrupt,
    an SVG casebook does not draw); None if it is fine. Every pixel is decoded."""
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        return (
            f"is {size / 1e6:.0f} MB; the limit is {MAX_IMAGE_BYTES / 1e6:.0f} MB: "
            "export it smaller (a cover needs about 2500 pixels across)"
        )
    if path.suffix.lower() == ".svg":
        return _svg_problem(path)
    from PIL import Image, ImageFile, UnidentifiedImageError

    truncated_ok = ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint sets it when imported
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header only
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return (
                        f"is {width * height / 1e6:,.0f} megapixels; the limit is "
                        f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels: export it smaller (a cover "
                        "needs about 2500 pixels across)"
                    )
                named = RASTER_FORMATS[path.suffix.lower()]
                if image.format != named:
                    return (
                        f"is a {image.format} image named as {named}: rename it to end in "
                        f".{image.format.lower()}, or export it again as {named}"
                    )
                image.load()  # every pixel: a truncated or corrupt file fails here
    except Image.DecompressionBombError:
        return (
            f"has far more than {MAX_IMAGE_PIXELS / 1e6:.0f} megapixels: export it smaller "
            "(a cover needs about 2500 pixels across)"
        )
    except UnidentifiedImageError:
        return "cannot be read as an image: save it again as PNG or JPEG"
    except (OSError, SyntaxError, ValueError) as exc:
        return (
            f"cannot be decoded ({exc}): the file is truncated or corrupt; export it again "
            "as PNG or JPEG"
        )
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
    return None


def _svg_problem(path: Path) -> str | None:
    """Why WeasyPrint would not draw an SVG file (it would show the alt text instead)."""
    from xml.etree import ElementTree

    text = path.read_bytes()
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        return (
            "declares a DOCTYPE or entities, which casebook does not draw: export the SVG "
            "again without them (most editors have a plain SVG option)"
        )
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return f"is not well-formed SVG ({exc}): export it again"
    if root.tag.rsplit("}", 1)[-1] != "svg":
        return f"is XML but not SVG (its root element is <{root.tag}>): export it as SVG"
    return None


__all__ = ["CASE", "PUBLICATION", "Problem", "validate_project"]
