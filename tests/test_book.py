"""The combined casebook, read back from the PDF: contents, page labels, right-hand starts,
running heads, outline, links, and the page count."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pymupdf
import pytest
from pypdf import PdfReader

import casebook
from casebook.model import Edition

from .conftest import CASE, CONTENT
from .pdfs import MM, outline

TITLE_SIZE = 20  # the coalition's name on a case's first page is set larger than this


@dataclass(frozen=True)
class Page:
    """One page of a book, as a reader sees it."""

    label: str  # the page label, the number a PDF viewer shows
    head: str  # the text in the top margin: the running head
    foot: str  # the text in the bottom margin: the folio
    title: str  # the text set larger than TITLE_SIZE: the cover's, a part's or a case's title
    blank: bool  # nothing on it at all: no text, no drawing, no image, no link


def read_pages(path: Path) -> list[Page]:
    """Each page as MuPDF reads it: label, running head, folio, title, and whether blank."""
    labels = PdfReader(path).page_labels
    pages = []
    with pymupdf.open(path) as pdf:
        for index, page in enumerate(pdf):
            width, height = page.rect.width, page.rect.height
            head = page.get_text(clip=pymupdf.Rect(0, 0, width, 22 * MM))
            foot = page.get_text(clip=pymupdf.Rect(0, height - 24 * MM, width, height))
            spans = [
                span
                for block in page.get_text("dict")["blocks"]
                for line in block.get("lines", ())
                for span in line["spans"]
            ]
            title = "".join(s["text"] for s in spans if s["size"] > TITLE_SIZE).strip()
            blank = not (
                page.get_text().strip()
                or page.get_drawings()
                or page.get_images()
                or page.get_links()
            )
            pages.append(Page(labels[index], " ".join(head.split()), foot.strip(), title, blank))
    return pages


def title_pages(pages: list[Page]) -> dict[str, list[int]]:
    """Title text → indexes of the pages where it is set as a title."""
    found: dict[str, list[int]] = {}
    for index, page in enumerate(pages):
        if page.title:
            found.setdefault(page.title, []).append(index)
    return found


def contents_lines(path) -> dict[str, str]:
    """The contents' entries as printed: entry text → page number text."""
    reader = PdfReader(path)
    front = [i for i, label in enumerate(reader.page_labels) if not label.isdigit()]
    text = "\n".join(reader.pages[i].extract_text() for i in front)
    text = text.split("Contents", 1)[1]
    return {
        m[1].strip(): m[2]
        for m in re.finditer(r"^(\S.*?)\s*(?:\.\s*){3,}(\d+)\s*$", text, flags=re.M)
    }


@dataclass(frozen=True)
class Book:
    path: Path
    pages: list[Page]
    titles: dict[str, list[int]]
    contents: dict[str, str]
    cases: dict[str, casebook.Output]  # the per-case PDFs, by slug
    publication: Edition  # the English edition


@pytest.fixture(scope="module")
def book(shipped) -> Book:
    """The shipped English casebook, read once for the whole module."""
    result, out = shipped
    path = out / "en" / "casebook.pdf"
    pages = read_pages(path)
    cases = {o.case: o for o in result.outputs if o.kind == "case" and o.language == "en"}
    publication = casebook.check(CONTENT).source
    return Book(path, pages, title_pages(pages), contents_lines(path), cases, publication)


def test_contents_page_numbers_are_the_labels_of_the_title_pages(book):
    printed = book.contents
    assert len(printed) == len(book.publication.cases) + 1  # the cases and the index
    for case in book.publication.cases:
        (index,) = _find(book.titles, case.coalition)
        label = book.pages[index].label
        assert printed[case.coalition] == label, case.slug
        assert int(label) % 2 == 1, f"{case.slug} starts on a left-hand page"
        assert index % 2 == 0, f"{case.slug} is not on a right-hand page of the PDF"


def _find(titles: dict[str, list[int]], coalition: str) -> list[int]:
    """The pages where `coalition` is set as a title (text extraction may drop spaces)."""
    squeeze = coalition.replace(" ", "")
    matches = [pages for text, pages in titles.items() if text.replace(" ", "") == squeeze]
    assert len(matches) == 1, f"{coalition} is set as a title {len(matches)} times"
    return matches[0]


def test_page_labels_roman_then_arabic_from_one(book):
    labels = [page.label for page in book.pages]
    roman = [label for label in labels if not label.isdigit()]
    assert roman == ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"][: len(roman)]
    assert len(roman) % 2 == 0, "front matter must end on a left-hand page"
    arabic = labels[len(roman) :]
    assert arabic == [str(n) for n in range(1, len(arabic) + 1)]


def test_every_page_but_the_cover_and_the_blanks_prints_its_label_as_folio(book):
    """The cover has no folio; a page with nothing at all on it has none; every other page
    prints its label, and nothing else, at its foot. A blank page is a left-hand page before a
    page that opens a part or a case, so that it starts on the right."""
    cover, *pages = book.pages
    squeeze = book.publication.title.replace(" ", "")
    assert cover.title.replace(" ", "").startswith(squeeze), cover.title
    assert cover.foot == "" and cover.head == "", "the cover has a folio or a running head"
    blanks = 0
    for index, page in enumerate(pages, 1):
        where = f"page {index + 1} (label {page.label})"
        if page.blank:
            blanks += 1
            assert index % 2 == 1, f"{where} is blank but not a left-hand page"
            assert book.pages[index + 1].title, f"{where} is blank before a page that opens nothing"
        else:
            assert page.foot == page.label, f"{where}: folio {page.foot!r}"
    assert blanks >= 1  # this book has blank pages, so the branch above was taken


def test_page_count_is_front_matter_plus_cases_plus_blanks_plus_index(book):
    labels = [page.label for page in book.pages]
    front = sum(1 for label in labels if not label.isdigit())
    body = sum(
        book.cases[c.slug].pages + book.cases[c.slug].pages % 2 for c in book.publication.cases
    )
    index_start = front + int(book.contents["Index of cases by region and country"]) - 1
    assert index_start == front + body
    index_pages = len(labels) - index_start
    assert 1 <= index_pages <= 2
    assert len(labels) == front + body + index_pages


def test_blank_pages_are_empty_and_running_heads_follow_the_book(book):
    publication = book.publication
    titles = {i: c for c in publication.cases for i in _find(book.titles, c.coalition)}
    current = None
    for index, page in enumerate(book.pages):
        if not page.label.isdigit():
            continue
        current = titles.get(index, current)
        if page.blank:
            continue  # nothing at all: no running head either
        number = int(page.label)
        if index in titles:
            assert page.head == "", f"opening page {number} has a running head"
        elif number % 2 == 0:
            assert page.head.upper() == publication.title.upper(), number
        elif current is not None and index < len(book.pages) - 2:
            assert page.head.upper() in (current.coalition.upper(), "INDEX"), number
    blanks = [page.label for page in book.pages if page.blank]
    assert blanks and all(int(label) % 2 == 0 for label in blanks if label.isdigit())


def test_outline_has_one_entry_per_case_with_its_sections(book):
    tree = dict(outline(book.path))
    for case in book.publication.cases:
        groups = tree[case.full_title]
        assert [g for g, _ in groups] == [g.kind.capitalize() for g in case.groups], case.slug
    assert list(tree)[:2] == ["Introduction", "Contents"]


def test_contents_entries_link_to_the_case_pages(book):
    reader = PdfReader(book.path)
    targets = set()
    for index, page in enumerate(reader.pages):
        if reader.page_labels[index].isdigit():
            break
        for annotation in page.get("/Annots", []) or []:
            annotation = annotation.get_object()
            dest = annotation.get("/Dest")
            if dest is None and "/A" in annotation:
                dest = annotation["/A"].get("/D")
            if isinstance(dest, str) or hasattr(dest, "original_bytes"):
                dest = reader.named_destinations[str(dest)].page
            elif dest is not None:
                dest = dest[0]
            if dest is not None:
                targets.add(reader.get_page_number(dest.get_object()))
    for case in book.publication.cases:
        assert _find(book.titles, case.coalition)[0] in targets, case.slug


def test_book_metadata(book):
    publication = book.publication
    reader = PdfReader(book.path)
    assert reader.metadata.title == publication.title
    assert all(a in reader.metadata.author for a in publication.authors)
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_adding_a_case_folder_puts_it_in_the_book(scratch):
    scratch.case("first-case")
    scratch.build()
    before = PdfReader(scratch.out / "en" / "casebook.pdf")
    scratch.case(
        "added-case",
        CASE.replace("Test Coalition", "Added Coalition").replace("2020-11", "2021-01"),
    )
    scratch.build()
    path = scratch.out / "en" / "casebook.pdf"
    after = PdfReader(path)
    assert len(after.pages) > len(before.pages)
    printed = contents_lines(path)
    assert list(printed) == [
        "Added Coalition",  # newest first: no `order` in this project
        "Test Coalition",
        "Index of cases by region and country",
    ]
    tree = dict(outline(path))
    assert "Added Coalition: A case for testing" in tree
    labels = after.page_labels
    (index,) = _find(title_pages(read_pages(path)), "Added Coalition")
    assert printed["Added Coalition"] == labels[index]


def test_contents_grouped_by_region(scratch):
    scratch.write(
        "casebook.yaml",
        (scratch.content / "casebook.yaml").read_text() + "contents_by_region: true\n",
    )
    scratch.case("in-europe")
    scratch.case("in-africa", CASE.replace("region: europe", "region: africa"))
    scratch.build()
    reader = PdfReader(scratch.out / "en" / "casebook.pdf")
    text = "\n".join(p.extract_text() for p in reader.pages[:6])
    contents = text.split("Contents", 1)[1]
    assert contents.index("AFRICA") < contents.index("EUROPE")
