"""The translator's round trip: export a translation's units to XLIFF or PO, import the files a
translator's tool gives back into the translation's YAML.

Export writes one file per case (and one for the publication's own texts, `casebook`):
`<out>/<lang>/<slug>.xlf` or `.po`. Import reads each file, matches its units with the current
source's, writes the translation (ruamel.yaml's round trip keeps its comments and the keys it
does not touch) and its stamp, and validates the project: a file with a problem, or a result
that does not validate, changes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from .errors import CasebookError, ContentError
from .exchange import FORMATS, Received, Returned, Row, Unreadable, read, write
from .load import load_content
from .markup import ATTRIBUTION_MARKS, markdown_parser
from .model import Casebook
from .plan import RESERVED_SLUGS
from .publish import write_atomic
from .subjects import (
    MARKDOWN_KEYS,
    PUBLICATION_NAME,
    Given,
    Subject,
    case_subject,
    content_folder,
    given,
    publication_subject,
    stamp_text,
    stamped,
    subject_of,
    where,
)
from .units import (
    Code,
    Rich,
    Stamped,
    Unit,
    blocks,
    collapse,
    markdown_of,
    parse_inline,
    plain,
    rebuild,
    standalone,
    with_source_codes,
)
from .validate import validate_project

OPTIONAL = ("coalition",)  # a unit a translation may leave in the source language


@dataclass(frozen=True)
class Exported:
    path: Path
    units: int
    translated: int
    review: int
    unmatched: list[str]


def export(
    casebook: Casebook, language: str, names: tuple[str, ...], format: str, out: Path
) -> list[Exported]:
    """Write `<out>/<language>/<name>.<xlf|po>` for each case named (every case and the
    publication's texts when none is)."""
    names = names or (*(c.slug for c in casebook.source.cases), PUBLICATION_NAME)
    subjects = [subject_of(casebook, language, name) for name in dict.fromkeys(names)]
    files = []  # every file made before any is written: a problem writes none
    for subject in subjects:
        rows, unmatched = export_rows(subject)
        path = out / language / f"{subject.name}{FORMATS[format]}"
        languages = (subject.source_language, language)
        states = Counter(r.state for r in rows)
        done = Exported(path, len(rows), states["translated"], states["review"], unmatched)
        files.append((done, write(format, subject.source_name, languages, rows)))
    for done, data in files:
        write_atomic(done.path, data)
    return [done for done, _ in files]


def export_rows(subject: Subject) -> tuple[list[Row], list[str]]:
    """Each unit of the current source with its translation and state."""
    found = given(subject)
    by_id = {s.id: s for s in found.stamp or ()}
    owner = "the book's own texts" if subject.case is None else subject.name
    rows = []
    for unit in found.units:
        target = found.targets.get(unit.id)
        if target == unit.text and unit.key != "coalition":
            target = None  # still the source text (as `translations new` writes it)
        stamped = by_id.get(unit.id)
        previous = stamped.text if stamped and stamped.text != unit.text else None
        note = f"{owner}: {where(subject, unit)}"
        if target is not None and unit.markdown and with_source_codes(target, unit.text)[2]:
            note += (
                ". The translation had formatting (emphasis, a link, a footnote call) its "
                "source does not have; it is left out here: check it"
            )
            stamped = None
        if target is None:
            state, previous = "new", None
        elif stamped and stamped.confirmed and previous is None:
            state = "translated"
        else:
            state = "review"
        rows.append(Row(unit, target, state, previous, note))
    return rows, found.unmatched


# ---- Import ----


@dataclass(frozen=True)
class Answer:
    """A unit's translation as a file gives it: inline Markdown (or plain text), whether the
    translator confirmed it, and the source text it translates (as the file has it)."""

    target: str | None
    confirmed: bool
    source: str


@dataclass
class Imported:
    """What importing one file did."""

    file: Path
    subject: Subject
    translation: bool = False  # whether the translation file was written
    stamp: bool = False
    translated: int = 0
    review: int = 0
    missing: list[str] = field(default_factory=list)  # units without a translation
    fallbacks: list[str] = field(default_factory=list)  # parts left to the source text


class ImportProblems(CasebookError):
    """Files that cannot be imported; nothing was changed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = len(problems)
        super().__init__(
            "\n".join(problems)
            + f"\n{count} problem{'s' if count != 1 else ''} in the files; nothing was changed."
        )


def import_files(casebook: Casebook, files: list[Path]) -> list[Imported]:
    """Import translators' files into the content: every file is read and checked first; then
    the translations and their stamps are written and the project validated. Any problem
    changes nothing."""
    problems: list[str] = []
    plans = []
    seen: dict[Path, Path] = {}
    named = {f.resolve(): f for f in reversed(files)}  # a file named twice is read once
    for file in sorted(named.values(), key=files.index):
        try:
            subject, found, answers = _read_answers(casebook, file)
        except _Refused as exc:
            problems += [f"{file}: {p}" for p in exc.problems]
            continue
        if subject.path in seen:
            problems.append(f"{file}: translates the same as {seen[subject.path]}")
            continue
        seen[subject.path] = file
        plans.append((file, subject, found, answers))
    results, writes = [], []
    for file, subject, found, answers in plans:
        try:
            result, translation, stamp = _apply(file, subject, found, answers)
        except _Refused as exc:
            problems += [f"{file}: {p}" for p in exc.problems]
            continue
        results.append(result)
        if translation is not None:
            writes.append((subject.path, translation))
        if stamp is not None:
            writes.append((subject.stamp_path, stamp))
    if problems:
        raise ImportProblems(problems)
    _write_validated(content_folder(casebook), writes)
    return results


class _Refused(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems


def _read_answers(casebook: Casebook, file: Path) -> tuple[Subject, Given, dict[str, Answer]]:
    try:
        received = read(file)
    except Unreadable as exc:
        raise _Refused([str(exc)]) from None
    except OSError as exc:
        raise _Refused([f"cannot be read: {exc.strerror}"]) from None
    subject = _subject(casebook, received)
    found = given(subject)
    units = {u.id: u for u in found.units}
    by_text: dict[str, list[Unit]] = {}
    for unit in found.units:
        by_text.setdefault(unit.text, []).append(unit)
    answers: dict[str, Answer] = {}
    problems = []
    for returned in received.units:
        unit = _unit_of(returned, units, by_text, received.format)
        if isinstance(unit, str):
            problems.append(unit)
            continue
        if unit.id in answers:
            problems.append(f"unit {unit.id} ({where(subject, unit)}) is in the file twice")
            continue
        try:
            answers[unit.id] = _answer(returned, unit, received.format)
        except ValueError as exc:
            problems.append(f"unit {unit.id} ({where(subject, unit)}): {exc}")
    if problems:
        raise _Refused(problems)
    return subject, found, answers


def _subject(casebook: Casebook, received: Received) -> Subject:
    languages = casebook.languages[1:]
    language = received.language.replace("_", "-").lower()
    if language not in languages:
        short = language.split("-")[0]
        if short not in languages:
            raise _Refused(
                [
                    f"is a translation into {received.language!r}, which is not a translation "
                    f"language of this publication ({', '.join(languages) or 'none'})"
                ]
            )
        language = short
    source = received.source
    if source == "casebook.yaml":
        return publication_subject(casebook, language, content_folder(casebook))
    parts = source.split("/")
    slugs = {c.slug: c for c in casebook.source.cases}
    own = f"{casebook.source.language}.yaml"
    if len(parts) != 3 or parts[0] != "cases" or parts[1] not in slugs or parts[2] != own:
        raise _Refused(
            [
                f"translates “{source}”, which is not a case of this publication "
                f"(a file casebook exports names cases/<slug>/{casebook.source.language}.yaml)"
            ]
        )
    case = slugs[parts[1]]
    return case_subject(case, language, casebook.edition(language).case(case.slug))


def _unit_of(returned: Returned, units: dict[str, Unit], by_text, format: str) -> Unit | str:
    """The current source's unit a file's unit answers, or what is wrong."""
    if format == "xliff":
        unit = units.get(returned.id or "")
        if unit is None:
            return (
                f"unit {returned.id!r} is not a unit of the current source (the source changed "
                "since the file was exported?): export the file again, and let the tool's "
                "translation memory fill it in"
            )
        return unit
    if returned.context in units:
        return units[returned.context]
    matches = by_text.get(collapse(str(returned.source)), [])
    if len(matches) == 1 and returned.context is None:
        return matches[0]
    return (
        f"msgid {_short(str(returned.source))!r} is not a text of the current source (the source "
        "changed since the file was exported?): export the file again, and let the tool's "
        "translation memory fill it in"
    )


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "…"


def _answer(returned: Returned, unit: Unit, format: str) -> Answer:
    """A returned unit's translation, checked: its inline codes are the source's."""
    current, codes = parse_inline(unit.text) if unit.markdown else ([unit.text], {})
    if format == "xliff":
        # The source the file translates: the current one, or the text it had at the export.
        source_text = _xliff_text(returned.source, unit, codes, strict=False)
        if source_text is None or source_text == _xliff_text(current, unit, codes, False):
            source_text = unit.text
        target = None
        if returned.target is not None:
            target = _xliff_text(returned.target, unit, codes, strict=True)
    else:
        source_text = collapse(str(returned.source))
        target = None if returned.target is None else collapse(str(returned.target))
        if target is not None and unit.markdown:
            _check_markdown(target, codes)
    if target is not None and unit.role == "source":  # the dash is the layout's
        target = collapse(target.lstrip("—―-")) or None
    confirmed = returned.state == "translated"
    return Answer(target, confirmed, source_text)


def _xliff_text(rich: Rich, unit: Unit, codes: dict[str, Code], strict: bool) -> str | None:
    """XLIFF text and codes → the unit's inline Markdown (plain text for a plain unit)."""
    used = standalone(rich)
    if not unit.markdown:
        if used or any(isinstance(p, tuple) for p in rich):
            if strict:
                raise ValueError("has inline codes, but its source is plain text: remove them")
            return None
        return collapse(plain(rich))
    try:
        text = markdown_of(rich, codes)
    except KeyError as exc:
        if not strict:
            return None
        raise ValueError(
            f"has an inline code with id {exc.args[0]}, which its source does not have"
        ) from None
    except ValueError as exc:
        if not strict:
            return None
        if exc.args[0] == "misplaced":
            raise ValueError(
                "has a tag (<g>) that Markdown cannot show where it is: emphasis or a link "
                "that starts or ends inside a word, next to punctuation, or inside itself; "
                "put the tag around whole words"
            ) from None
        raise ValueError(
            f"uses the inline code {exc.args[0]} the wrong way ({_kind(codes[exc.args[0]])} in "
            "the source): keep it as the source has it"
        ) from None
    if strict:
        _check_calls(used, codes)
    return collapse(text)


def _kind(code: Code) -> str:
    return "<g> around text" if code.paired else "<x/>, standing alone"


def _check_calls(used: list[str], codes: dict[str, Code]) -> None:
    calls = [c.id for c in codes.values() if c.kind == "note"]
    counted = Counter(i for i in used if i in calls)
    if any(counted[i] != 1 for i in calls):
        marks = ", ".join(codes[i].opening for i in calls)
        raise ValueError(f"must keep each footnote call of its source ({marks}) exactly once")


def _check_markdown(target: str, codes: dict[str, Code]) -> None:
    """A PO translation's Markdown keeps its source's footnote calls, links' targets and code."""
    _, found = parse_inline(target)
    want = Counter(c.opening for c in codes.values() if c.kind == "note")
    have = Counter(c.opening for c in found.values() if c.kind == "note")
    if want != have:
        marks = ", ".join(want) or "none"
        raise ValueError(f"must keep the footnote calls of its source ({marks}) exactly once each")
    kept = {(c.kind, c.opening, c.closing) for c in codes.values()}
    for code in found.values():
        if (
            code.kind in ("link", "code", "autolink")
            and (code.kind, code.opening, code.closing) not in kept
        ):
            shown = code.closing.removeprefix("]") if code.kind == "link" else code.opening
            raise ValueError(
                f"has {shown}, which its source does not have: keep the source's links and code"
            )


# ---- Writing the translation ----


def _apply(
    file: Path, subject: Subject, found: Given, answers: dict[str, Answer]
) -> tuple[Imported, bytes | None, bytes | None]:
    """What importing `answers` makes of the translation and its stamp (None: unchanged), from
    what the translation gives now (`found`)."""
    result = Imported(file, subject)
    keys: dict[tuple, list[Unit]] = {}
    for unit in found.units:
        keys.setdefault(unit.at, []).append(unit)
    values: dict[tuple, str | None] = {}  # key → new text; None: leave it to the source
    problems = []
    for at, units in keys.items():
        got = [answers.get(u.id) for u in units]
        answered = any(a is not None and a.target is not None for a in got)
        # A unit the file leaves untranslated keeps the translation it had.
        targets = [
            a.target if a is not None and a.target is not None else found.targets.get(u.id)
            for u, a in zip(units, got, strict=True)
        ]
        lacking = [where(subject, u) for u, t in zip(units, targets, strict=True) if t is None]
        old = found.old_key(units)
        if not answered and old == units[0].key:
            continue  # a part the file translates none of, where it was: it stays as it is
        if not answered and lacking:
            kept = found.text_at(old) if old else None
            values[at] = kept  # moved as it is, or (None) left to the source
            if kept is None:
                result.fallbacks.append(f"{units[0].key} (the English moved it)")
            continue
        if lacking:
            values[at] = None
            result.missing += lacking
            result.fallbacks.append(f"{units[0].key} (missing: {', '.join(lacking)})")
            continue
        # Translated now, or moved by the English with its translation.
        if units[0].role in ("text", "heading"):
            values[at] = targets[0]
        else:
            values[at] = rebuild(subject.source_at(at), targets)
            problems += _structure_problem(subject, at, units, targets) or []
    if problems:
        raise _Refused(problems)
    written = [  # the answers that reach the translation (not those of a part left out)
        answers[u.id]
        for u in found.units
        if u.id in answers and answers[u.id].target is not None
        and not (u.at in values and values[u.at] is None)
    ]  # fmt: skip
    result.translated = sum(1 for a in written if a.confirmed)
    result.review = sum(1 for a in written if not a.confirmed)
    translation = _translation_text(subject, values)
    old = {s.id: s for s in found.stamp or ()}
    entries: list[Stamped] = []
    for unit in found.units:
        answer = answers.get(unit.id)
        if unit.at in values and values[unit.at] is None:
            entries.append(stamped(unit, unit.text, confirmed=False))
        elif answer is not None and answer.target is not None and answer.confirmed:
            entries.append(stamped(unit, answer.source))
        elif answer is not None and answer.target is not None:  # written, to review
            text = old[unit.id].text if unit.id in old else unit.text
            entries.append(stamped(unit, text, confirmed=False))
        elif unit.key in OPTIONAL and found.targets.get(unit.id) is None:
            entries.append(stamped(unit, unit.text))  # a name left as it is: confirmed
        elif unit.id in old:
            kept = old[unit.id]
            entries.append(Stamped(unit.id, unit.key, unit.role, kept.text, kept.confirmed))
        else:
            entries.append(stamped(unit, unit.text, confirmed=False))
    stamp = stamp_text(subject, entries).encode("utf-8")
    if subject.stamp_path.is_file() and subject.stamp_path.read_bytes() == stamp:
        stamp = None
    if translation is None and stamp is not None and not subject.path.is_file():
        stamp = None  # nothing translated: no translation, so no stamp either
    result.translation, result.stamp = translation is not None, stamp is not None
    return result, translation, stamp


_STARTS = (  # what a text that starts so would become in Markdown
    (re.compile(r"\[\^[^\]]+\]:"), "a footnote's own text (a footnote call and a colon)"),
    (re.compile(r"\[[^\]]+\]:"), "a link definition"),
    (re.compile(r"\d+[.)](\s|$)"), "a numbered list item"),
    (re.compile(r"[-+*](\s|$)"), "a list item"),
    (re.compile(r">"), "a quotation"),
    (re.compile(r"#"), "a heading"),
    (re.compile(r"(-\s*){3,}$|(\*\s*){3,}$|(_\s*){3,}$"), "a rule"),
    (re.compile(r"```|~~~"), "code"),
    (re.compile("(" + "|".join(map(re.escape, ATTRIBUTION_MARKS)) + ")"),
     "a quotation's source (a dash and a space, at the end of a quotation)"),
)  # fmt: skip


def _structure_problem(subject: Subject, at: tuple, units: list[Unit], targets: list[str]):
    """What is wrong, unit by unit, when a translated Markdown text put together is not built as
    its source (a unit that starts like a list item, a footnote's text, a link definition…), or
    links where the source does not; None when nothing is."""
    source, translated = subject.source_at(at), rebuild(subject.source_at(at), targets)
    if [b.role for b in blocks(source)] != [b.role for b in blocks(translated)]:
        found = []
        for unit, target in zip(units, targets, strict=True):
            what = next((w for pattern, w in _STARTS if pattern.match(target)), None)
            if what:
                found.append(f"unit {unit.id} ({where(subject, unit)}): starts like {what}, "
                             "which would change the text's blocks: reword its start")  # fmt: skip
        return found or [
            f"{units[0].key}: put together, its blocks would not be the source's "
            f"({', '.join(b.role for b in blocks(source))}): check how each unit starts"
        ]
    extra = sorted(_links(translated) - _links(source))
    if extra:
        return [
            f"{units[0].key}: links to {', '.join(extra)}, which the source does not: keep "
            "the source's links"
        ]
    return None


def _links(markdown: str) -> set[str]:
    tokens = markdown_parser().parse(markdown, {})
    return {
        str(child.attrs.get("href"))
        for token in tokens
        for child in token.children or ()
        if child.type == "link_open"
    }


def _translation_text(subject: Subject, values: dict[tuple, str | None]) -> bytes | None:
    """The translation file with `values` laid in (ruamel.yaml's round trip: comments, key
    order and untouched keys kept); None when nothing in it changes."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100_000
    old = subject.path.read_text(encoding="utf-8") if subject.path.is_file() else None
    indentless = old is not None and "\n- " in old
    yaml.indent(mapping=2, sequence=2 if indentless else 4, offset=0 if indentless else 2)
    doc = yaml.load(old) if old else None
    if not isinstance(doc, CommentedMap):
        doc = CommentedMap()
        doc.yaml_set_start_comment(
            f"{subject.language} translation of {subject.source_name}, imported by "
            "casebook translations import"
        )
    changed = "source" in doc  # an older casebook's stamp block: the stamp file replaces it
    doc.pop("source", None)
    order = [f.name for f in subject.schema.fields]
    for at, value in values.items():
        parent, key = doc, at[-1]
        for part in at[:-1]:
            if part == "sections":
                if not _follows(parent.get(part), subject.texts["sections"]):
                    kinds = [s["kind"] for s in subject.texts["sections"]]
                    items = CommentedSeq(CommentedMap(kind=kind) for kind in kinds)
                    _insert(parent, part, items, order)
                    changed = True
            elif isinstance(part, str) and not isinstance(parent.get(part), dict):
                _insert(parent, part, CommentedMap(), order)
            parent = parent[part]
        if value is None:
            if key in parent:
                del parent[key]
                changed = True
            continue
        if key in MARKDOWN_KEYS:
            value = LiteralScalarString(value.rstrip("\n") + "\n")
        if parent.get(key) != value:
            fields = ["kind", "heading", "body"] if at[0] == "sections" else order
            _insert(parent, key, value, fields)
            changed = True
    if not changed:
        return None
    stream = StringIO()
    yaml.dump(doc, stream)
    text = stream.getvalue().encode("utf-8")
    return None if old is not None and text == old.encode("utf-8") else text


def _follows(items, sections: list[dict]) -> bool:
    """Whether a translation's sections follow the source's in number, kind and headings."""
    return (
        isinstance(items, list)
        and len(items) == len(sections)
        and all(
            isinstance(item, dict)
            and item.get("kind") == section["kind"]
            and ("heading" not in item or section.get("heading"))
            for item, section in zip(items, sections, strict=True)
        )
    )


def _insert(mapping, key, value, order: list[str]) -> None:
    """Set `key`, a new key in its place among `order`."""
    if key in mapping:
        mapping[key] = value
        return
    rank = order.index(key) if key in order else len(order)
    position = sum(1 for k in mapping if k in order and order.index(k) < rank)
    mapping.insert(position, key, value)


def _write_validated(content: Path, writes: list[tuple[Path, bytes]]) -> None:
    """Write the files, then validate the project; on any problem, put every file back."""
    before = {path: path.read_bytes() if path.is_file() else None for path, _ in writes}
    try:
        for path, data in writes:
            write_atomic(path, data)
        validate_project(load_content(content), reserved=RESERVED_SLUGS)
    except BaseException as exc:
        for path, data in before.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                write_atomic(path, data)
        if isinstance(exc, ContentError):
            raise CasebookError(
                "the imported translation does not validate, so nothing was changed:\n"
                + "\n".join(str(p) for p in exc.problems)
            ) from None
        raise


__all__ = ["Exported", "ImportProblems", "Imported", "export", "import_files"]
