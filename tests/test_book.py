"""The combined casebook, read back from the PDF: contents, page labels, right-hand starts,
running heads, outline, links, and the page count."""

from __future__ import annotations

import re

import pdfplumber
import pytest
from pypdf import PdfReader

import casebook

from .conftest import CASE, CONTENT
from .pdfs import MM, outline

TITLE_SIZE = 20  # the coalition's name on a case's first page is set larger than this


def title_pages(path) -> dict[str, list[int]]:
    """Coalition name → indexes of the pages where it is set as a case title."""
    found: dict[str, list[int]] = {}
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages):
            big = "".join(c["text"] for c in page.chars if c["size"] > TITLE_SIZE).strip()
            if big:
                found.setdefault(big, []).append(index)
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


@pytest.fixture(scope="module")
def book(shipped):
    result, out = shipped
    cases = {o.case: o for o in result.outputs if o.kind == "case" and o.language == "en"}
    return out / "en" / "casebook.pdf", cases, casebook.check(CONTENT).source


def test_contents_page_numbers_are_the_labels_of_the_title_pages(book):
    path, _, publication = book
    reader = PdfReader(path)
    labels = reader.page_labels
    printed = contents_lines(path)
    titles = title_pages(path)
    assert len(printed) == len(publication.cases) + 1  # the cases and the index
    for case in publication.cases:
        (index,) = _find(titles, case.coalition)
        assert printed[case.coalition] == labels[index], case.slug
        assert int(labels[index]) % 2 == 1, f"{case.slug} starts on a left-hand page"
        assert index % 2 == 0, f"{case.slug} is not on a right-hand page of the PDF"


def _find(titles: dict[str, list[int]], coalition: str) -> list[int]:
    """The pages where `coalition` is set as a title (text extraction may drop spaces)."""
    squeeze = coalition.replace(" ", "")
    matches = [pages for text, pages in titles.items() if text.replace(" ", "") == squeeze]
    assert len(matches) == 1, f"{coalition} is set as a title {len(matches)} times"
    return matches[0]


def test_page_labels_roman_then_arabic_from_one(book):
    path, _, _ = book
    labels = PdfReader(path).page_labels
    roman = [label for label in labels if not label.isdigit()]
    assert roman == ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"][: len(roman)]
    assert len(roman) % 2 == 0, "front matter must end on a left-hand page"
    arabic = labels[len(roman) :]
    assert arabic == [str(n) for n in range(1, len(arabic) + 1)]


def test_printed_folios_match_the_page_labels(book):
    path, _, _ = book
    labels = PdfReader(path).page_labels
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages):
            foot = page.crop((0, page.height - 24 * MM, page.width, page.height))
            text = (foot.extract_text() or "").strip()
            if text:  # blank pages and the cover carry no folio
                assert text == labels[index], f"page {index + 1}"


def test_page_count_is_front_matter_plus_cases_plus_blanks_plus_index(book):
    path, cases, publication = book
    reader = PdfReader(path)
    labels = reader.page_labels
    front = sum(1 for label in labels if not label.isdigit())
    body = sum(cases[c.slug].pages + cases[c.slug].pages % 2 for c in publication.cases)
    printed = contents_lines(path)
    index_start = front + int(printed["Index of cases by region and country"]) - 1
    assert index_start == front + body
    index_pages = len(reader.pages) - index_start
    assert 1 <= index_pages <= 2
    assert len(reader.pages) == front + body + index_pages


def test_blank_pages_are_empty_and_running_heads_follow_the_book(book):
    path, _, publication = book
    reader = PdfReader(path)
    labels = reader.page_labels
    found = title_pages(path)
    titles = {i: c for c in publication.cases for i in _find(found, c.coalition)}
    current = None
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages):
            if not labels[index].isdigit():
                continue
            current = titles.get(index, current)
            head = (page.crop((0, 0, page.width, 22 * MM)).extract_text() or "").strip()
            if not page.chars:
                continue  # a blank page: nothing at all
            number = int(labels[index])
            if index in titles:
                assert head == "", f"opening page {number} has a running head"
            elif number % 2 == 0:
                assert head.upper() == publication.title.upper(), number
            elif current is not None and index < len(pdf.pages) - 2:
                assert head.upper() in (current.coalition.upper(), "INDEX"), number
    blanks = [i for i, p in enumerate(reader.pages) if not (p.extract_text() or "").strip()]
    assert all(int(labels[i]) % 2 == 0 for i in blanks if labels[i].isdigit())


def test_outline_has_one_entry_per_case_with_its_sections(book):
    path, _, publication = book
    tree = dict(outline(path))
    for case in publication.cases:
        groups = tree[case.full_title]
        assert [g for g, _ in groups] == [g.kind.capitalize() for g in case.groups], case.slug
    assert list(tree)[:2] == ["Introduction", "Contents"]


def test_contents_entries_link_to_the_case_pages(book):
    path, _, publication = book
    reader = PdfReader(path)
    titles = title_pages(path)
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
    for case in publication.cases:
        assert _find(titles, case.coalition)[0] in targets, case.slug


def test_book_metadata(book):
    path, _, publication = book
    reader = PdfReader(path)
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
    (index,) = _find(title_pages(path), "Added Coalition")
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
