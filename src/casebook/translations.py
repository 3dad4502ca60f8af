"""Translations: each translation's status, the stamp of the source text it translates, and the
translators' commands (`new`, `stamp`, `diff`, `export`, `import`).

A translation (`cases/<slug>/<lang>.yaml`, or `casebook.<lang>.yaml` for the publication's own
texts) has its stamp beside it (`<lang>.stamp.yaml`, `casebook.<lang>.stamp.yaml`), written by
casebook: the source text the translation was last confirmed against, unit by unit (units.py).
Comparing the stamp with the current source tells which units changed, and how. No PDF is made
from a stamp: stamping remakes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml

from .errors import CasebookError, ContentError, Problem
from .load import STAMP_SUFFIX, load_yaml
from .model import SLUG, Case, Casebook, Edition
from .publish import write_atomic
from .schema import Mapping, key_name, translatable
from .units import ROLES, Stamped, Unit, assign_ids, pieces
from .validate import CASE, PUBLICATION

STATUSES = ("current", "stale", "incomplete", "missing")
PUBLICATION_NAME = "casebook"  # names the publication's own texts where a case slug goes
MARKDOWN_KEYS = ("summary", "body", "introduction")  # Markdown texts, cut into blocks
INLINE_KEYS = ("heading",)  # one line of inline Markdown
STAMP_HEADER = (
    "# Written by casebook (`translations stamp`, `translations import`): the {source} text\n"
    "# that {translation} translates, unit by unit, for `casebook translations diff`.\n"
    "# Do not edit. No PDF is made from this file.\n"
)


@dataclass(frozen=True)
class TranslationStatus:
    case: str  # a case's slug, or PUBLICATION_NAME for the book's own texts
    language: str
    status: str
    details: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        """The translation file, as warnings name it: `bond-uk/es.yaml`, `casebook.es.yaml`."""
        if self.case == PUBLICATION_NAME:
            return f"{PUBLICATION_NAME}.{self.language}.yaml"
        return f"{self.case}/{self.language}.yaml"


# ---- What a translation translates ----


@dataclass(frozen=True)
class Subject:
    """One translation file and what it translates: a case, or the publication's own texts."""

    name: str  # the case's slug, or PUBLICATION_NAME
    language: str
    source_language: str
    source_name: str  # the source file under content/: cases/<slug>/en.yaml, casebook.yaml
    path: Path  # the translation file
    display: str  # the translation file as messages name it: content/cases/<slug>/es.yaml
    texts: dict  # the source's translatable texts (schema.translatable)
    schema: Mapping
    case: Case | None = None  # the source case
    legacy: Any = None  # an older casebook's `source:` block in the translation, if any

    @property
    def stamp_path(self) -> Path:
        return self.path.with_name(self.path.name.removesuffix(".yaml") + STAMP_SUFFIX)

    @property
    def stamp_display(self) -> str:
        return self.display.removesuffix(".yaml") + STAMP_SUFFIX

    def units(self, stamp: list[Stamped] | None) -> list[Unit]:
        """The source's units, their ids aligned against `stamp`."""
        return assign_ids(pieces(self.texts, MARKDOWN_KEYS, INLINE_KEYS), stamp or [])

    def source_at(self, at: tuple) -> Any:
        value: Any = self.texts
        for part in at:
            value = value[part]
        return value


def case_subject(source: Case, language: str, translated: Case | None = None) -> Subject:
    content = source.folder.parent.parent
    path = source.folder / f"{language}.yaml"
    record = translated.translation if translated is not None else None
    return Subject(
        source.slug,
        language,
        source.language,
        f"cases/{source.slug}/{source.language}.yaml",
        path,
        f"{content.name}/cases/{source.slug}/{language}.yaml",
        translatable(CASE, asdict(source)),
        CASE,
        source,
        record.stamp if record is not None else None,
    )


def content_folder(casebook: Casebook) -> Path:
    """The content folder (every case folder is content/cases/<slug>)."""
    return casebook.source.cases[0].folder.parent.parent


def publication_subject(casebook: Casebook, language: str, content: Path) -> Subject:
    source = casebook.source
    values = {f.name: getattr(source, f.name, None) for f in PUBLICATION.fields}
    return Subject(
        PUBLICATION_NAME,
        language,
        source.language,
        "casebook.yaml",
        content / f"casebook.{language}.yaml",
        f"{content.name}/casebook.{language}.yaml",
        translatable(PUBLICATION, values),
        PUBLICATION,
    )


def subject_of(casebook: Casebook, language: str, name: str) -> Subject:
    """The subject a command names: a case slug, or `casebook` for the publication's texts."""
    _check_language(casebook, language)
    if name == PUBLICATION_NAME:
        return publication_subject(casebook, language, content_folder(casebook))
    source = _source_case(casebook, language, name)
    return case_subject(source, language, casebook.edition(language).case(name))


# ---- Stamps ----


def stamp_of(subject: Subject) -> list[Stamped] | None:
    """What the translation was last stamped against, unit by unit; None if never stamped.

    An older casebook kept a fingerprint in the translation's `source:` block instead, without
    the text: when it matches the current source, the stamp is the current source text."""
    if subject.stamp_path.is_file():
        return _read_stamp(subject)
    legacy = subject.legacy
    if (
        isinstance(legacy, dict)
        and subject.case is not None
        and legacy.get("fingerprint") == _legacy_fingerprint(subject.case)
    ):
        return [stamped(u, u.text) for u in subject.units(None)]
    return None


def stamped(unit: Unit, text: str, confirmed: bool = True) -> Stamped:
    return Stamped(unit.id, unit.key, unit.role, text, confirmed)


def _read_stamp(subject: Subject) -> list[Stamped]:
    loaded = load_yaml(subject.stamp_path, subject.stamp_display)
    if isinstance(loaded, Problem):
        raise ContentError([loaded])
    again = "it is written by casebook: delete it and run `casebook translations stamp` again"
    data = loaded.data
    if not isinstance(data, dict) or not isinstance(data.get("units"), list):
        raise ContentError([Problem(subject.stamp_display, 1, "units", f"is missing; {again}")])
    entries, problems = [], []
    for index, item in enumerate(data["units"]):
        at = ("units", index)
        fields = ("id", "at", "role", "text")
        if (
            not isinstance(item, dict)
            or not all(isinstance(item.get(k), str) for k in fields)
            or item["role"] not in ROLES
            or not isinstance(item.get("confirmed", True), bool)
        ):
            problems.append(
                Problem(
                    subject.stamp_display,
                    loaded.line(at),
                    key_name(at),
                    f"must have id, at, role and text (and confirmed: true/false); {again}",
                )
            )
            continue
        entries.append(Stamped(*(item[k] for k in fields), item.get("confirmed", True)))
    if problems:
        raise ContentError(problems)
    return entries


def stamp_text(subject: Subject, entries: list[Stamped]) -> str:
    header = STAMP_HEADER.format(source=subject.source_name, translation=subject.path.name)
    units = []
    for entry in entries:
        item = {"id": entry.id, "at": entry.at, "role": entry.role, "text": entry.text}
        if not entry.confirmed:
            item["confirmed"] = False
        units.append(item)
    return header + _dump({"language": subject.language, "units": units})


def _legacy_fingerprint(case: Case) -> str:
    """The fingerprint an older casebook kept in a translation's `source:` block."""
    parts: dict[str, Any] = {}
    for key, value in translatable(CASE, asdict(case)).items():
        if isinstance(value, list):
            parts[key] = [_digest(list(item.values())) for item in value]
        elif isinstance(value, dict):
            parts[key] = _digest(next(iter(value.values())) if len(value) == 1 else value)
        elif value is not None:
            parts[key] = _digest(value)
    return _digest(parts)


def _digest(value: Any) -> str:
    canonical = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


# ---- Status ----


def status_of(source: Case, edition: Edition) -> TranslationStatus:
    """The status of one case's translation in `edition`."""
    case = edition.case(source.slug)
    if case.translation is None:
        return TranslationStatus(
            source.slug, edition.language, "missing", (f"no {edition.language}.yaml",)
        )
    gaps = _gaps(source, case)
    try:
        changes = _changes(case_subject(source, edition.language, case))
    except ContentError as exc:  # a stamp that cannot be read (a merge conflict in it…)
        changes = [f"{p}" for p in exc.problems]
    status = "incomplete" if gaps else "stale" if changes else "current"
    return TranslationStatus(source.slug, edition.language, status, (*gaps, *changes))


def _gaps(source: Case, case: Case) -> list[str]:
    """The expected texts the translation leaves out, and bodies left in the source text."""
    fallbacks, mismatch = case.translation.fallbacks, case.translation.mismatch
    gaps = [*mismatch] + [
        _describe(path, source)
        for path, expected in fallbacks
        if expected and not (mismatch and path == ("sections",))
    ]
    fallen = {path for path, _ in fallbacks}
    if ("sections",) in fallen:
        return gaps
    for index, (original, translated) in enumerate(
        zip(source.sections, case.sections, strict=True)
    ):
        if ("sections", index, "body") not in fallen and _same(translated.body, original.body):
            gaps.append(f"{_section_name(index, original)}: body is still the source text")
    return gaps


def _describe(path: tuple, source: Case) -> str:
    if path == ("sections",):
        return "sections are missing"
    if path[0] == "sections":
        return f"{_section_name(path[1], source.sections[path[1]])}: {path[2]} is missing"
    return f"{key_name(path)} is missing"


def _changes(subject: Subject) -> list[str]:
    """What changed in the source since the translation was stamped, part by part."""
    stamp = stamp_of(subject)
    if stamp is None and subject.legacy is not None:
        return [
            "stamped by an older casebook, which kept no source text: check it against "
            "the source, then run `casebook translations stamp`"
        ]
    if stamp is None:
        return ["never stamped: run `casebook translations stamp` once it matches the source"]
    units = subject.units(stamp)
    by_id = {s.id: s for s in stamp}
    changed: list[str] = []
    unconfirmed: list[str] = []
    for unit in units:
        old = by_id.get(unit.id)
        if old is None or old.text != unit.text:
            changed.append(_part_name(subject, unit.key))
        elif not old.confirmed:
            unconfirmed.append(_part_name(subject, unit.key))
    ids = {u.id for u in units}
    changed += [_part_name(subject, s.at) for s in stamp if s.id not in ids]
    return [f"{name} changed" for name in dict.fromkeys(changed)] + [
        f"{name}: not confirmed (to translate or review)"
        for name in dict.fromkeys(unconfirmed)
        if name not in changed
    ]


_SECTION_KEY = re.compile(r"sections\[(\d+)\]")


def _part_name(subject: Subject, key: str) -> str:
    """A unit's part as the status names it: `title`, `sections[2] (Legal threats)`."""
    match = _SECTION_KEY.match(key)
    if match is None:
        return key.split(".")[0]
    index = int(match[1])
    sections = subject.case.sections if subject.case else ()
    return _section_name(index, sections[index]) if index < len(sections) else match[0]


def _section_name(index: int, section) -> str:
    label = f" ({section.heading})" if section.heading else f" ({section.kind})"
    return f"sections[{index}]{label}"


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def all_statuses(casebook: Casebook) -> list[TranslationStatus]:
    """Every case × every translated language, in book order; then, for each language that has
    a `casebook.<lang>.yaml`, the book's own texts (`casebook`)."""
    cases = [
        status_of(case, edition)
        for case in casebook.source.cases
        for edition in casebook.editions[1:]
    ]
    content = content_folder(casebook)
    books = [
        publication_status(publication_subject(casebook, edition.language, content))
        for edition in casebook.editions[1:]
    ]
    return cases + [s for s in books if s is not None]


def publication_status(subject: Subject) -> TranslationStatus | None:
    """The status of the book's own texts in one language; None without a translation file."""
    if not subject.path.is_file():
        return None
    try:
        found = given(subject)
        changes = _changes(subject)
    except ContentError as exc:
        return TranslationStatus(
            subject.name, subject.language, "stale", tuple(str(p) for p in exc.problems)
        )
    keys = dict.fromkeys(u.key for u in found.units)
    gaps = [
        f"{key} is missing"
        for key in keys
        if not any(found.targets.get(u.id) for u in found.units if u.key == key)
    ]
    status = "incomplete" if gaps else "stale" if changes else "current"
    return TranslationStatus(subject.name, subject.language, status, (*gaps, *changes))


# ---- What the translation has for each unit ----


@dataclass(frozen=True)
class Given:
    """A subject's units with the translation of each (inline Markdown; None if it has none),
    and the parts whose blocks could not be matched with the source's."""

    stamp: list[Stamped] | None
    units: list[Unit]
    targets: dict[str, str]
    unmatched: list[str] = field(default_factory=list)


def given(subject: Subject) -> Given:
    """What the translation file gives for each unit of the current source. A text is matched
    with the source it translates block by block, through the stamp's units (the source the
    translation followed when it was stamped)."""
    stamp = stamp_of(subject)
    units = subject.units(stamp)
    if not subject.path.is_file():
        return Given(stamp, units, {})
    loaded = load_yaml(subject.path, subject.display)
    if isinstance(loaded, Problem):
        raise ContentError([loaded])
    data = loaded.data if isinstance(loaded.data, dict) else {}
    found = pieces(translatable(subject.schema, data), MARKDOWN_KEYS, INLINE_KEYS)
    followed: dict[str, list] = {}
    for entry in stamp or ():
        followed.setdefault(entry.at, []).append(entry)
    known = set(followed)
    for unit in units:
        if unit.key not in known:  # a part the stamp does not know: the source's now
            followed.setdefault(unit.key, []).append(unit)
    translated: dict[str, list] = {}
    for piece in found:
        translated.setdefault(piece.key, []).append(piece)
    targets, unmatched = {}, []
    for key, texts in translated.items():
        expected = followed.get(key, [])
        if [p.role for p in texts] != [e.role for e in expected]:
            roles = ", ".join(ROLES[p.role] for p in texts) or "none"
            want = ", ".join(ROLES[e.role] for e in expected) or "none"
            unmatched.append(
                f"{key}: the translation's blocks ({roles}) are not those of the source it "
                f"follows ({want})"
            )
            continue
        targets.update({e.id: p.text for e, p in zip(expected, texts, strict=True)})
    return Given(stamp, units, targets, unmatched)


# ---- The translators' commands ----


class _BlockDumper(yaml.SafeDumper):
    """YAML for people: long and multi-line texts as `|` blocks, keys in the given order."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=10_000)


def new_translation(casebook: Casebook, language: str, slug: str) -> Path:
    """Write `cases/<slug>/<language>.yaml` with the source text in place, and its stamp."""
    case = _source_case(casebook, language, slug)
    subject = case_subject(case, language)
    if subject.path.exists():
        raise CasebookError(
            f"{subject.path} exists already: edit it, or delete it first to start again"
        )
    header = (
        f"# {language} translation of {case.folder.name}/{casebook.source.language}.yaml. "
        "Translate the texts below; keep every section's kind.\n"
        "# When it matches the source, run: casebook translations stamp "
        f"{language} {slug}\n"
    )
    body = _without_none(translatable(CASE, asdict(case)))
    write_atomic(subject.path, (header + _dump(body)).encode("utf-8"))
    _write_stamp(subject, [stamped(u, u.text) for u in subject.units(None)])
    return subject.path


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def stamp_translation(casebook: Casebook, language: str, slug: str) -> Path:
    """Record that the translation now matches the current source: its stamp (beside it) is
    written again; the translation itself is not changed, except that the `source:` block an
    older casebook kept in it is taken out."""
    subject = subject_of(casebook, language, slug)
    if not subject.path.is_file():
        raise CasebookError(
            f"{subject.path} does not exist: start it with `casebook translations new "
            f"{language} {slug}`"
        )
    stamp = stamp_of(subject)
    _write_stamp(subject, [stamped(u, u.text) for u in subject.units(stamp)])
    if subject.legacy is not None:
        write_atomic(subject.path, _without_legacy(subject.path.read_text(encoding="utf-8")))
    return subject.stamp_path


_LEGACY_COMMENT = (
    "# Written by `casebook translations stamp`: the source text this file translates."
)


def _without_legacy(text: str) -> bytes:
    """A translation's text without an older casebook's `source:` block (and its comment)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"source\s*:", line)), None)
    if start is not None:
        end = start + 1
        while end < len(lines) and (lines[end][:1] in (" ", "\t", "\n") or not lines[end].strip()):
            end += 1
        if start > 0 and lines[start - 1].rstrip("\n") == _LEGACY_COMMENT:
            start -= 1
        del lines[start:end]
    return "".join(lines).encode("utf-8")


def _write_stamp(subject: Subject, entries: list[Stamped]) -> bool:
    """Write the stamp if it differs from the one on disk; whether it did."""
    data = stamp_text(subject, entries).encode("utf-8")
    path = subject.stamp_path
    if path.is_file() and path.read_bytes() == data:
        return False
    write_atomic(path, data)
    return True


@dataclass(frozen=True)
class UnitChange:
    """A unit whose source changed since the stamp: `old` None for a new unit, `new` None for
    one the source no longer has."""

    unit: str
    where: str
    old: str | None
    new: str | None
    unconfirmed: bool = False  # the translation of this unit awaits the translator


def diff(subject: Subject) -> list[UnitChange]:
    """Unit by unit, the source text at the last stamp against the current source: the units
    that changed, were added or were removed since, and those whose translation the translator
    has not confirmed (left untranslated or for review in an imported file)."""
    stamp = stamp_of(subject)
    if stamp is None:
        raise CasebookError(
            f"{subject.display} has no stamp ({subject.stamp_path.name}): there is no record of "
            "the source it was translated from. Compare it with the source, then run "
            f"`casebook translations stamp {subject.language} {subject.name}`"
        )
    units = subject.units(stamp)
    by_id = {s.id: s for s in stamp}
    changes = []
    for unit in units:
        old = by_id.get(unit.id)
        if old is None or old.text != unit.text or not old.confirmed:
            changes.append(
                UnitChange(
                    unit.id,
                    where(subject, unit),
                    old.text if old else None,
                    unit.text,
                    old is not None and not old.confirmed,
                )
            )
    ids = {u.id for u in units}
    for entry in stamp:
        if entry.id not in ids:
            changes.append(
                UnitChange(entry.id, f"{entry.at}: {ROLES[entry.role]}", entry.text, None)
            )
    return changes


def word_diff(old: str, new: str) -> str:
    """A word-level diff, as `git diff --word-diff=plain` writes it: [-removed-]{+added+}."""
    a, b = old.split(), new.split()
    out: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out += a[i1:i2]
            continue
        if i2 > i1:
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(out)


def where(subject: Subject, unit: Unit) -> str:
    """Where a unit is, for a translator: `section 3 of 7 (challenges: “Threats”), paragraph 2`."""
    role = ROLES[unit.role]
    numbered = unit.role not in ("text", "heading")
    if unit.at[0] == "sections" and subject.case is not None:
        index = unit.at[1]
        section = subject.case.sections[index]
        heading = f": “{section.heading}”" if section.heading else ""
        place = f"section {index + 1} of {len(subject.case.sections)} ({section.kind}{heading})"
    else:
        place = unit.key
        if unit.role == "text":
            return place
    return f"{place}, {role}" + (f" {unit.block + 1}" if numbered else "")


def _check_language(casebook: Casebook, language: str) -> None:
    languages = casebook.languages[1:]
    if language not in languages:
        raise CasebookError(
            f"{language!r} is not a translation language of this publication "
            f"(languages in casebook.yaml: {', '.join(languages) or 'none besides the source'})"
        )


def _source_case(casebook: Casebook, language: str, slug: str) -> Case:
    _check_language(casebook, language)
    if not SLUG.match(slug):
        raise CasebookError(f"{slug!r} is not a case slug (a folder name under cases/)")
    try:
        return casebook.source.case(slug)
    except KeyError:
        raise CasebookError(
            f"there is no case {slug!r}: the cases are "
            + ", ".join(c.slug for c in casebook.source.cases)
        ) from None


__all__ = [
    "PUBLICATION_NAME",
    "STATUSES",
    "Subject",
    "TranslationStatus",
    "all_statuses",
    "diff",
    "given",
    "new_translation",
    "stamp_translation",
    "status_of",
    "subject_of",
    "word_diff",
]
