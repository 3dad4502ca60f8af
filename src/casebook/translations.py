"""Translations: each translation's status, and the translators' commands `new`, `stamp` and
`diff` (`export` and `import` are in roundtrip.py; what a translation translates and its stamp,
in subjects.py).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from .errors import CasebookError, ContentError
from .model import Case, Casebook, Edition
from .publish import write_atomic
from .schema import key_name, translatable
from .subjects import (
    PUBLICATION_NAME,
    Subject,
    case_subject,
    content_folder,
    dump_yaml,
    given,
    publication_subject,
    source_case,
    stamp_of,
    stamped,
    subject_of,
    where,
    write_stamp,
)
from .units import ROLES, collapse
from .validate import CASE

STATUSES = ("current", "stale", "incomplete", "missing")


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
    changed += [_part_name(subject, key) for key in _reordered(units, stamp)]
    return [f"{name} changed" for name in dict.fromkeys(changed)] + [
        f"{name}: not confirmed (to translate or review)"
        for name in dict.fromkeys(unconfirmed)
        if name not in changed
    ]


def _reordered(units, stamp) -> list[str]:
    """The keys whose units are not those the stamp had there, in its order (the English moved
    a section or a block): the translation holds their texts where the stamp had them. New and
    removed units do not count here (they are changes of their own)."""
    alive, known = {u.id for u in units}, {e.id for e in stamp}
    now: dict[str, list[str]] = {}
    for unit in units:
        if unit.id in known:
            now.setdefault(unit.key, []).append(unit.id)
    then: dict[str, list[str]] = {}
    for entry in stamp:
        if entry.id in alive:
            then.setdefault(entry.at, []).append(entry.id)
    return [key for key in dict.fromkeys([*now, *then]) if now.get(key) != then.get(key)]


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
    return collapse(a) == collapse(b)


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


# ---- The translators' commands ----


def new_translation(casebook: Casebook, language: str, slug: str) -> Path:
    """Write `cases/<slug>/<language>.yaml` with the source text in place, and its stamp."""
    case = source_case(casebook, language, slug)
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
    write_atomic(subject.path, (header + dump_yaml(body)).encode("utf-8"))
    write_stamp(subject, [stamped(u, u.text) for u in subject.units(None)])
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
    write_stamp(subject, [stamped(u, u.text) for u in subject.units(stamp)])
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


@dataclass(frozen=True)
class UnitChange:
    """A unit whose source changed since the stamp: `old` None for a new unit, `new` None for
    one the source no longer has."""

    unit: str
    where: str
    old: str | None
    new: str | None
    unconfirmed: bool = False  # the translation of this unit awaits the translator
    moved_from: str | None = None  # where the stamp had it, when the English moved it


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
    moved = set(_reordered(units, stamp))
    changes = []
    for unit in units:
        old = by_id.get(unit.id)
        came = old.at if old is not None and unit.key in moved else None
        if old is None or old.text != unit.text or not old.confirmed or came:
            changes.append(
                UnitChange(
                    unit.id,
                    where(subject, unit),
                    old.text if old else None,
                    unit.text,
                    old is not None and not old.confirmed,
                    came,
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
        removed = "[-" + " ".join(a[i1:i2]) + "-]" if i2 > i1 else ""
        added = "{+" + " ".join(b[j1:j2]) + "+}" if j2 > j1 else ""
        out.append(removed + added)
    return " ".join(out)


__all__ = [
    "STATUSES",
    "TranslationStatus",
    "UnitChange",
    "all_statuses",
    "diff",
    "new_translation",
    "publication_status",
    "stamp_translation",
    "status_of",
    "word_diff",
]
