"""A book designer's proof rules, checked on laid-out pages (WeasyPrint's boxes, as casebook
lays them out before writing) and on the written PDFs' text.

Each check returns a list of problems, empty when the proof is clean, so that a test can say
every problem of a document at once.
"""

from __future__ import annotations

import re
from collections import defaultdict

MM = 72 / 25.4
BODY = ("p", "li")  # paragraphs, and list items, that keep two lines at a page foot and head
HEADINGS = ("h2", "h3")


def _boxes(box, inside_footnotes=False, quote=None):
    """(box, inside the footnote area, the blockquote element it is in) for every box of a
    page, in document order."""
    footnotes = inside_footnotes or type(box).__name__ == "FootnoteAreaBox"
    element = getattr(box, "element", None)
    if element is not None and element.tag == "blockquote":
        quote = element
    yield box, footnotes, quote
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child, footnotes, quote)


def _lines(box) -> int:
    return sum(1 for child in box.children if type(child).__name__ == "LineBox")


def _flow(document):
    """Per page, the block boxes of the main text (not margin boxes, not footnotes), in order,
    as (element, tag, lines)."""
    pages = []
    for page in document.pages:
        found = []
        for box, in_footnotes, quote in _boxes(page._page_box):
            element = getattr(box, "element", None)
            if in_footnotes or element is None or type(box).__name__ == "MarginBox":
                continue
            if type(box).__name__ in ("BlockBox", "FloatBox") or "Block" in type(box).__name__:
                tag = element.tag
                lines = _lines(box)
                if lines and (tag in BODY or tag in HEADINGS or tag == "footer"):
                    found.append((element, tag, lines, quote))
        pages.append(found)
    return pages


def widows_and_orphans(document) -> list[str]:
    """A paragraph or list item split across pages keeps at least two lines on each."""
    fragments = defaultdict(list)
    for number, found in enumerate(document_flow(document), 1):
        for element, tag, lines, _ in found:
            if tag in BODY:
                fragments[element].append((number, lines))
    problems = []
    for element, parts in fragments.items():
        pages = {n for n, _ in parts}
        if len(pages) > 1:
            per_page = defaultdict(int)
            for number, lines in parts:
                per_page[number] += lines
            if min(per_page.values()) < 2:
                words = " ".join(("".join(element.itertext())).split()[:8])
                problems.append(f"<{element.tag}> '{words}…' split {dict(per_page)}")
    return problems


def headings_at_a_page_foot(document) -> list[str]:
    """A heading (a section's label or heading) is never the last text of a page."""
    problems = []
    for number, found in enumerate(document_flow(document), 1):
        if number == len(document.pages) or not found:
            continue
        element, tag, _, _ = found[-1]
        if tag in HEADINGS:
            problems.append(f"page {number} ends with <{tag}> '{' '.join(element.itertext())}'")
    return problems


def sources_apart_from_quotations(document) -> list[str]:
    """A quotation's source line is on the page of its quotation's last line."""
    last_page = {}
    problems = []
    for number, found in enumerate(document_flow(document), 1):
        for element, tag, _, quote in found:
            if tag == "footer" and quote is not None:
                before = [c for c in quote if c is not element]
                if before and last_page.get(before[-1]) != number:
                    problems.append(
                        f"page {number}: the source '{' '.join(element.itertext())[:40]}' is "
                        f"apart from its quotation (page {last_page.get(before[-1])})"
                    )
            last_page[element] = number
    return problems


def document_flow(document):
    if not hasattr(document, "_casebook_flow"):
        document._casebook_flow = _flow(document)
    return document._casebook_flow


# ---- On the written PDF's text (MuPDF) ----


def mupdf_lines(page) -> list[tuple[float, float, float, str]]:
    """A PyMuPDF page's text lines: (top, x0, x1, text)."""
    found = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", ()):
            text = "".join(span["text"] for span in line["spans"])
            x0, top, x1, _ = line["bbox"]
            found.append((top, x0, x1, text))
    return found


def mupdf_chars(page) -> list[tuple[float, float, str]]:
    """A PyMuPDF page's visible characters: (x0, x1, character)."""
    return [
        (char["bbox"][0], char["bbox"][2], char["c"])
        for block in page.get_text("rawdict")["blocks"]
        for line in block.get("lines", ())
        for span in line["spans"]
        for char in span["chars"]
        if char["c"].strip()
    ]


def broken_ranges(text: str) -> list[str]:
    """Number ranges ("2019–2021") broken at a line end."""
    return re.findall(r"\d+[–-]\n\d+", text)


def names_broken(text: str, names: list[str]) -> list[str]:
    """Names that are in the text but not whole on one line."""
    lines = text.splitlines()
    flat = " ".join(text.split())
    return [
        name
        for name in names
        if name in flat and not any(name in " ".join(line.split()) for line in lines)
    ]
