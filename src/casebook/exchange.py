"""XLIFF 1.2 and PO files for translators' tools, written and read with translate-toolkit.

One file per case (and one for the publication's own texts): a unit per translatable piece
(see units.py), with a note saying where it is, its translation when there is one, and its
state. Inline Markdown is protected:

- in XLIFF, as inline codes: `<g id="n" ctype="italic|bold|link">…</g>` around text that is
  translated (emphasis, strong, a link's text), `<x id="n" ctype="x-footnote-call|x-code|
  x-autolink" equiv-text="[^1]"/>` for what is kept whole. The Markdown of each code comes back
  from the source when the file is imported, so a tool cannot break it;
- in PO, as the Markdown itself (`*emphasis*`, `[text](https://…)`, `[^1]`), flagged `md-text`
  for Weblate's checks; an import refuses a translation whose footnote calls, link targets or
  code differ from the source's.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from translate.storage import pypo, xliff
from translate.storage.placeables import StringElem
from translate.storage.placeables import xliff as codes_xliff

from .units import Code, Rich, Unit, parse_inline, plain, with_source_codes

FORMATS = {"xliff": ".xlf", "po": ".po"}
READS = {".xlf": "xliff", ".xliff": "xliff", ".po": "po"}
XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
SOURCE_HEADER = "X-Casebook-Source"  # the PO header naming the source file, as XLIFF's original
CTYPES = {
    "em": "italic",
    "strong": "bold",
    "link": "link",
    "note": "x-footnote-call",
    "code": "x-code",
    "autolink": "x-autolink",
}
DONE = ("translated", "final", "signed-off")  # XLIFF target states a translator has confirmed


class _Unit12(xliff.xliffunit):
    namespace = XLIFF_NS


class _Xliff12(xliff.xlifffile):
    """translate-toolkit's XLIFF store, as version 1.2 (it writes 1.1 by default)."""

    UnitClass = _Unit12
    namespace = XLIFF_NS
    XMLskeleton = xliff.xlifffile.XMLskeleton.replace("1.1", "1.2")


@dataclass(frozen=True)
class Row:
    """A unit as exported: its translation (inline Markdown) and state, and the source text it
    was translated from when that changed since (`previous`)."""

    unit: Unit
    target: str | None
    state: str  # "translated", "review" or "new"
    previous: str | None
    note: str


@dataclass(frozen=True)
class Returned:
    """A unit as a translator's file gives it back."""

    id: str | None  # XLIFF's unit id; None in PO, where a unit is its context and source
    context: str | None
    source: Rich | str  # XLIFF: text and codes; PO: the Markdown
    target: Rich | str | None
    state: str  # "translated", "review" or "new"


@dataclass(frozen=True)
class Received:
    """A translator's file: its format, language, the source file it translates, its units."""

    format: str
    language: str
    source: str
    units: tuple[Returned, ...]


def write(format: str, source: str, languages: tuple[str, str], rows: list[Row]) -> bytes:
    """The file of `rows`, translating `source` (a path under content/)."""
    return (_write_xliff if format == "xliff" else _write_po)(source, languages, rows)


def _write_xliff(source: str, languages: tuple[str, str], rows: list[Row]) -> bytes:
    store = _Xliff12(sourcelanguage=languages[0], targetlanguage=languages[1])
    store.setfilename(store.getfilenode("NoName"), source)
    for row in rows:
        unit = store.UnitClass("")
        store.addunit(unit)
        unit.setid(row.unit.id)
        codes = _rich(row.unit)
        unit.rich_source = [_elements(*codes)]
        if row.target is not None:
            rich = (
                with_source_codes(row.target, row.unit.text)[0]
                if row.unit.markdown
                else [row.target]
            )
            unit.rich_target = [_elements(rich)]
            unit.set_state_n(
                unit.S_TRANSLATED if row.state == "translated" else unit.S_NEEDS_REVIEW
            )
        _mark_codes(unit, codes[1])
        unit.addnote(row.note, origin="casebook")
        if row.previous is not None:
            unit.addnote(
                "The source changed since this was translated. It was: " + row.previous,
                origin="casebook",
            )
    return bytes(store)


def _rich(unit: Unit) -> tuple[Rich, dict[str, Code]]:
    return _rich_of(unit.text, unit.markdown)


def _rich_of(text: str, markdown: bool) -> tuple[Rich, dict[str, Code]]:
    return parse_inline(text) if markdown else ([text], {})


def _elements(rich: Rich, codes: dict[str, Code] | None = None) -> StringElem:
    parts = []
    for part in rich:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, tuple):
            parts.append(codes_xliff.G(id=part[0].id, sub=[_elements(part[1])]))
        else:
            parts.append(codes_xliff.X(id=part.id))
    return StringElem(parts)


def _mark_codes(unit: xliff.xliffunit, codes: dict[str, Code]) -> None:
    """Say what each inline code is: `ctype`, and the Markdown a standalone one stands for."""
    for name in ("source", "target"):
        element = unit.xmlelement.find(unit.namespaced(name))
        if element is None:
            continue
        for node in element.iter():
            tag = str(node.tag).rpartition("}")[2]  # translate-toolkit leaves codes un-namespaced
            code = codes.get(node.get("id", "")) if tag in ("g", "x") else None
            if code is not None:
                node.set("ctype", CTYPES[code.kind])
                if tag == "x":
                    node.set("equiv-text", code.opening)


def _write_po(source: str, languages: tuple[str, str], rows: list[Row]) -> bytes:
    store = pypo.pofile()
    stamp = _now()
    store.updateheader(
        add=True,
        Project_Id_Version=f"casebook {source}",
        POT_Creation_Date=stamp,
        PO_Revision_Date=stamp,
        Last_Translator="",
        Language_Team="",
        Language=languages[1],
        Content_Type="text/plain; charset=UTF-8",
        Content_Transfer_Encoding="8bit",
        X_Casebook_Source=source,
    )
    twice = {text for text, n in Counter(r.unit.text for r in rows).items() if n > 1}
    for row in rows:
        unit = store.UnitClass(row.unit.text)
        if row.unit.text in twice:
            unit.setcontext(row.unit.id)
        unit.addnote(row.note, origin="developer")
        if row.unit.markdown:
            unit.settypecomment("md-text")
        if row.target is not None:
            unit.target = row.target
            if row.state != "translated":
                unit.markfuzzy(True)
                if row.previous is not None:
                    unit.prev_source = row.previous
        store.addunit(unit)
    return bytes(store)


def _now() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.strftime("%Y-%m-%d %H:%M+0000")


class Unreadable(ValueError):
    """A file that is not XLIFF or PO, or lacks what says what it translates."""


def read(path: Path) -> Received:
    """A translator's file, its format known from its name (.xlf, .xliff, .po)."""
    format = READS.get(path.suffix.lower())
    if format is None:
        raise Unreadable(
            "is not a translation file casebook reads: name it .xlf or .xliff (XLIFF) or .po"
        )
    data = path.read_bytes()
    if format == "xliff" and re.search(rb"<xliff[^>]*\sversion=[\"']2", data[:2000]):
        raise Unreadable(
            "is XLIFF 2; casebook exchanges XLIFF 1.2: save the file as XLIFF 1.2 in the tool, "
            "or export again"
        )
    try:
        store = (xliff.xlifffile if format == "xliff" else pypo.pofile).parsestring(data)
    except Exception as exc:  # translate-toolkit raises lxml's, ValueError, its own…
        reason = str(exc).strip() or "it is not well-formed"
        raise Unreadable(f"cannot be read as {format.upper()}: {reason}") from None
    language = store.gettargetlanguage() or ""
    if format == "xliff":
        files = store.getfilenames()
        if len(files) != 1:
            raise Unreadable(f"holds {len(files)} <file> elements; casebook writes one per file")
        source = files[0]
        try:
            units = tuple(_returned_xliff(u) for u in store.units)
        except Unreadable:
            raise
        except Exception as exc:  # an entity left unresolved, a comment in a code…
            raise Unreadable(
                f"holds a unit casebook cannot read ({type(exc).__name__}): an entity or "
                "another XML construct a translation tool does not write; save it again "
                "from the tool"
            ) from None
    else:
        source = store.parseheader().get(SOURCE_HEADER, "")
        units = tuple(
            _returned_po(u)
            for u in store.units
            if not u.isheader() and not u.isobsolete() and u.source
        )
    if not language:
        where = "target-language" if format == "xliff" else "the Language header"
        raise Unreadable(f"names no language ({where})")
    if not source:
        where = "<file original>" if format == "xliff" else f"the {SOURCE_HEADER} header"
        raise Unreadable(f"does not say which source it translates ({where})")
    return Received(format, language, source, units)


def _returned_xliff(unit: xliff.xliffunit) -> Returned:
    target = unit.rich_target[0] if unit.rich_target and unit.target else None
    state_node = unit.getlanguageNode(lang=None, index=1)
    state = state_node.get("state") if state_node is not None else None
    if target is None or not plain(_from_elements(target)).strip():
        done, target_rich = "new", None
    else:
        target_rich = _from_elements(target)
        # The target's state says it; without one, the unit's approved="yes" (as in
        # translate-toolkit, for which a target not approved is fuzzy).
        approved = unit.xmlelement.get("approved") == "yes"
        done = "translated" if (state in DONE if state else approved) else "review"
    return Returned(
        unit.xmlelement.get("id"),
        None,
        _from_elements(unit.rich_source[0]),
        target_rich,
        done,
    )


def _from_elements(element: StringElem) -> Rich:
    """translate-toolkit's rich text → text and codes (ids only: their Markdown is the
    source's)."""
    out: Rich = []
    for part in element.sub:
        if isinstance(part, str):
            if out and isinstance(out[-1], str):
                out[-1] += part
            else:
                out.append(part)
        elif isinstance(part, codes_xliff.G):
            out.append((Code(str(part.id), "", ""), _from_elements(part)))
        elif isinstance(part, codes_xliff.X | codes_xliff.Bx | codes_xliff.Ex | codes_xliff.Ph):
            out.append(Code(str(part.id), "", ""))
        elif isinstance(
            part, codes_xliff.Bpt | codes_xliff.Ept | codes_xliff.It | codes_xliff.UnknownXML
        ):
            node = getattr(part, "xml_node", None)
            name = str(node.tag).rpartition("}")[2] if node is not None else type(part).__name__
            raise Unreadable(
                f"uses <{name.lower()}> codes, which casebook does not read: its codes are <g> "
                "around text and <x/> standing alone, as exported; keep them"
            )
        else:
            for item in _from_elements(part):
                if isinstance(item, str) and out and isinstance(out[-1], str):
                    out[-1] += item
                else:
                    out.append(item)
    return out


def _returned_po(unit: pypo.pounit) -> Returned:
    target = unit.target if unit.target and unit.target.strip() else None
    state = "new" if not target else "review" if unit.isfuzzy() else "translated"
    return Returned(None, unit.getcontext() or None, unit.source, target, state)
