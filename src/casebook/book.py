"""Stage 5, render: the book's parts, each rendered to HTML on its own, and where each lands.

A book is made of parts, each laid out on its own, in any worker, and kept between builds
(make.py): the front matter (cover, imprint, introduction, contents), one part per case, the
index of cases, a blank page, and the folio sheets. A case part is the same whatever page it
lands on: its folios are not in it but on the folio sheets (book-folios.html.j2), laid over the
book's pages when the parts are joined (join.py). So a case part is laid out again only when
what it shows changes; the contents and the index, which show the page numbers, when those do.

Every case starts on a right-hand page: a part with an odd number of pages is followed by a
blank page. The front matter is numbered i, ii, iii… in its own pages (it always starts the
book), and padded to an even number of pages; the book's pages after it are numbered 1, 2, 3….
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from .model import REGIONS, Case, Edition

if TYPE_CHECKING:  # the scheduler imports this module, and needs no Jinja2
    from .render import HtmlDocument, Renderer

PART_LINK = "x-casebook-part:"  # an href to an anchor in another part of the book
FOLIO_CHUNK = 32  # folio sheets per part: book pages 1–32, 33–64, …
FRONT = "front"
INDEX = "index"
BLANK = "blank"
FOLIOS = "folios-"  # + the sheet's number: folios-0 holds pages 1 to FOLIO_CHUNK
NAMED_PARTS = (FRONT, INDEX, BLANK)  # and a case part is named by its case's slug


class Entry(NamedTuple):
    """A case and the book page it starts on."""

    case: Case
    page: int


# The contents: (region or None, entries) pairs; the index: (region, (country, entries) pairs).
Contents = tuple[tuple[str | None, tuple[Entry, ...]], ...]
Index = tuple[tuple[str, tuple[tuple[str | None, tuple[Entry, ...]], ...]], ...]


def is_furniture(part: str) -> bool:
    """Whether a part is page furniture (the blank page, a folio sheet): the same pages in
    every book of a profile and page size, whatever its language."""
    return part == BLANK or part.startswith(FOLIOS)


def number_cases(cases: tuple, pages: list[int]) -> tuple[list[Entry], int]:
    """Each case's (or slug's) first page from the page counts of the case parts, and the
    index's first page."""
    entries, page = [], 1
    for case, count in zip(cases, pages, strict=True):
        entries.append(Entry(case, page))
        page += count + count % 2
    return entries, page


def folio_sheets(body_pages: int) -> list[str]:
    """The folio sheets a book of `body_pages` numbered pages needs."""
    return [f"{FOLIOS}{n}" for n in range(-(-body_pages // FOLIO_CHUNK))]


def part_document(
    renderer: Renderer,
    edition: Edition,
    stylesheets: tuple[str, ...],
    part: str,
    source_date: str | None = None,
    entries: list[Entry] | None = None,
    index_page: int | None = None,
) -> HtmlDocument:
    """The HTML of one part of the book of `edition`: a case (by slug), FRONT and INDEX (which
    need `entries` and `index_page`), BLANK, or a folio sheet."""
    common = {
        "publication": edition,
        "lang": edition.language,
        "source_date": source_date,
        "anchor": PART_LINK,
    }
    layouts = renderer.layouts.folders[0]  # the project's own, if it has one

    def render(template: str, base=layouts, **context):
        return renderer.render(template, base, stylesheets, **common, **context)

    if part == FRONT:
        return render("book-front.html.j2", **_front_context(edition, entries, index_page))
    if part == INDEX:
        return render("book-index.html.j2", index=index_by_region(entries))
    if part == BLANK:
        return render("book-blank.html.j2")
    if part.startswith(FOLIOS):
        first = int(part.removeprefix(FOLIOS)) * FOLIO_CHUNK + 1
        return render("book-folios.html.j2", start=first, count=FOLIO_CHUNK)
    case = edition.case(part)
    return render("book-case.html.j2", case.folder, case=case)


def whole_book_html(
    renderer: Renderer,
    edition: Edition,
    stylesheets: tuple[str, ...],
    entries: list[Entry],
    index_page: int,
    source_date: str | None = None,
) -> str:
    """The whole book as one standalone HTML document (`casebook build --html`)."""
    return renderer.render(
        "book.html.j2",
        renderer.layouts.folders[0],
        stylesheets,
        standalone=True,
        publication=edition,
        lang=edition.language,
        source_date=source_date,
        anchor="#",
        index=index_by_region(entries),
        **_front_context(edition, entries, index_page),
    ).html


def _front_context(edition: Edition, entries: list[Entry], index_page: int) -> dict:
    return {
        "groups": contents_groups(entries, edition.contents_by_region),
        "index_page": index_page,
        "regions": sorted({c.region for c in edition.cases}, key=REGIONS.index),
    }


def contents_groups(entries: list[Entry], by_region: bool) -> Contents:
    """The contents: one list in book order, or one list per region (regions in fixed order)."""
    if not by_region:
        return ((None, tuple(entries)),)
    return tuple(
        (region, tuple(e for e in entries if e.case.region == region))
        for region in REGIONS
        if any(e.case.region == region for e in entries)
    )


def index_by_region(entries: list[Entry]) -> Index:
    """Regions in fixed order; countries alphabetically, regional and global work last."""
    index = []
    for region in REGIONS:
        in_region = [e for e in entries if e.case.region == region]
        if not in_region:
            continue
        countries = sorted({e.case.country for e in in_region}, key=lambda c: (c is None, c or ""))
        places = tuple(
            (country, tuple(e for e in in_region if e.case.country == country))
            for country in countries
        )
        index.append((region, places))
    return tuple(index)
