"""What a translation translates (a case, or the publication's own texts), its stamp, and
what it gives for each unit of the source.

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
from pathlib import Path
from typing import Any

import yaml

from .errors import CasebookError, ContentError, Problem
from .load import STAMP_SUFFIX, load_yaml
from .model import SLUG, Case, Casebook
from .publish import write_atomic
from .schema import Mapping, key_name, translatable
from .units import ROLES, Stamped, Unit, assign_ids, pieces
from .validate import CASE, PUBLICATION

EXPORTS = Path("build") / "translations"  # `translations export` writes here by default
PUBLICATION_NAME = "casebook"  # names the publication's own texts where a case slug goes
MARKDOWN_KEYS = ("summary", "body", "introduction")  # Markdown texts, cut into blocks
INLINE_KEYS = ("heading",)  # one line of inline Markdown
STAMP_HEADER = (
    "# Written by casebook (`translations stamp`, `translations import`): the {source} text\n"
    "# that {translation} translates, unit by unit, for `casebook translations diff`.\n"
    "# Do not edit. No PDF is made from this file.\n"
)

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
    check_language(casebook, language)
    if name == PUBLICATION_NAME:
        return publication_subject(casebook, language, content_folder(casebook))
    source = source_case(casebook, language, name)
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
    return header + dump_yaml({"language": subject.language, "units": units})


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


# ---- What the translation has for each unit ----


@dataclass(frozen=True)
class Given:
    """A subject's units with the translation of each (inline Markdown; None if it has none),
    and the parts whose blocks could not be matched with the source's."""

    stamp: list[Stamped] | None
    units: list[Unit]
    targets: dict[str, str]
    unmatched: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # the translation file as read

    def old_key(self, units: list[Unit]) -> str | None:
        """Where the translation holds the text of a part made of `units` (one key's units):
        the key the stamp had them at, if they were all one part there, in the same order,
        with nothing of it gone elsewhere; their own key when there is no stamp."""
        if self.stamp is None:
            return units[0].key
        where = {s.id: s.at for s in self.stamp}
        olds = {where[u.id] for u in units if u.id in where}
        if len(olds) != 1:
            return None if olds else units[0].key
        old = olds.pop()
        alive = {u.id for u in self.units}
        there = [s.id for s in self.stamp if s.at == old and s.id in alive]
        ours = [u.id for u in units if u.id in where]
        return old if there == ours else None

    def text_at(self, key: str) -> str | None:
        """The translation file's text at a key (`sections[2].body`), if it has one."""
        value: object = self.data
        for name, index in re.findall(r"(\w+)|\[(\d+)\]", key):
            if isinstance(value, dict) and name:
                value = value.get(name)
            elif isinstance(value, list) and index and int(index) < len(value):
                value = value[int(index)]
            else:
                return None
        return value if isinstance(value, str) else None


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
    return Given(stamp, units, targets, unmatched, data)


class _BlockDumper(yaml.SafeDumper):
    """YAML for people: long and multi-line texts as `|` blocks, keys in the given order."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def dump_yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=10_000)


def write_stamp(subject: Subject, entries: list[Stamped]) -> bool:
    """Write the stamp if it differs from the one on disk; whether it did."""
    data = stamp_text(subject, entries).encode("utf-8")
    path = subject.stamp_path
    if path.is_file() and path.read_bytes() == data:
        return False
    write_atomic(path, data)
    return True


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


def check_language(casebook: Casebook, language: str) -> None:
    languages = casebook.languages[1:]
    if language not in languages:
        raise CasebookError(
            f"{language!r} is not a translation language of this publication "
            f"(languages in casebook.yaml: {', '.join(languages) or 'none besides the source'})"
        )


def source_case(casebook: Casebook, language: str, slug: str) -> Case:
    check_language(casebook, language)
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
    "EXPORTS",
    "INLINE_KEYS",
    "MARKDOWN_KEYS",
    "PUBLICATION_NAME",
    "Given",
    "Subject",
    "case_subject",
    "content_folder",
    "given",
    "publication_subject",
    "stamp_of",
    "subject_of",
    "where",
]
