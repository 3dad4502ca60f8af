"""Stage 6, lay out: the cases as book parts, front matter and index → one book PDF.

Each case is laid out once for the book, numbered on from the part before it
(`@page :first { counter-reset: page N }`), so that the contents can print real page numbers
without a second layout pass. Parts with an odd number of pages get a blank page, so every case
starts on a right-hand page. The parts are joined with `Document.copy()`, which keeps every
bookmark and the links from the contents into the cases; `/PageLabels` make the viewer show
the printed numbers (i, ii, iii… then 1, 2, 3…).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pydyf
from weasyprint import Document

from .model import REGIONS, Case, Edition
from .paginate import Paginator
from .plan import BOOK_STYLESHEETS
from .render import HtmlDocument, Renderer


class Entry(NamedTuple):
    """A case and the book page it starts on."""

    case: Case
    page: int


# The contents: (region or None, entries) pairs; the index: (region, (country, entries) pairs).
Contents = tuple[tuple[str | None, tuple[Entry, ...]], ...]
Index = tuple[tuple[str, tuple[tuple[str | None, tuple[Entry, ...]], ...]], ...]


@dataclass(frozen=True)
class Book:
    document: Document  # the joined pages
    front_pages: int
    entries: tuple[Entry, ...]
    html: str | None = None  # the whole book as one standalone HTML document, on request
    parts: dict = field(default_factory=dict)  # the laid-out case parts, for the next build


def assemble_book(
    publication: Edition,
    renderer: Renderer,
    paginator: Paginator,
    source_date: str | None = None,
    standalone_html: bool = False,
    parts: dict | None = None,
    stylesheets: tuple[str, ...] = BOOK_STYLESHEETS,
    cmyk: Path | None = None,
) -> Book:
    """Lay out and join the whole book of one edition (`publication.language`), unwritten
    (write it with `page_labels(book.front_pages)` as the finisher).

    `parts`, kept by a long-lived process (`casebook watch`), holds the laid-out case parts of
    the previous build: a part whose HTML and case folder did not change is not laid out again.
    """
    common = {"publication": publication, "lang": publication.language, "source_date": source_date}
    layouts = paginator.layouts

    def render(template: str, base=layouts, **context):
        return renderer.render(template, base, stylesheets, **common, **context)

    blank = paginator.lay_out(render("book-blank.html.j2"), "book blank page").pages[0]

    # 1. The cases, each numbered on from the one before, each starting on a right-hand page.
    body, entries, page, used = [], [], 1, {}
    for case in publication.cases:
        html = render("book-case.html.j2", case.folder, case=case, start=page)
        what = f"{case.folder.name}/{case.language}.yaml (book)"
        part = _lay_out_part(paginator, html, what, parts, used, cmyk)
        entries.append(Entry(case, page))
        body.extend(part.pages)
        page += len(part.pages)
        if len(part.pages) % 2:
            body.append(blank)
            page += 1

    # 2. The index of cases by region and country, after the last case.
    index_html = render("book-index.html.j2", index=index_by_region(entries), start=page)
    index = paginator.lay_out(index_html, "book index")

    # 3. The front matter, now that every case's first page is known; an even number of pages.
    front_html = render(
        "book-front.html.j2",
        groups=contents_groups(entries, publication.contents_by_region),
        index_page=page,
        regions=sorted({c.region for c in publication.cases}, key=REGIONS.index),
    )
    front = paginator.lay_out(front_html, "book front matter")
    front_pages = list(front.pages) + ([blank] if len(front.pages) % 2 else [])

    # 4. Join the parts; the front matter's metadata is the book's.
    book = front.copy([*front_pages, *body, *index.pages])
    html = None
    if standalone_html:
        html = renderer.render(
            "book.html.j2",
            layouts,
            stylesheets,
            standalone=True,
            groups=contents_groups(entries, publication.contents_by_region),
            index_page=page,
            index=index_by_region(entries),
            regions=sorted({c.region for c in publication.cases}, key=REGIONS.index),
            **common,
        ).html
    return Book(
        document=book,
        front_pages=len(front_pages),
        entries=tuple(entries),
        html=html,
        parts=used,
    )


def _lay_out_part(
    paginator: Paginator,
    html: HtmlDocument,
    what: str,
    previous: dict | None,
    used: dict,
    cmyk: Path | None,
):
    """A case part laid out, or the same part from `previous` if its inputs did not change."""
    if previous is None:
        return paginator.lay_out(html, what, cmyk)
    folder = sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in html.base.iterdir())
    key = hashlib.sha256(repr((html.html, html.stylesheets, folder)).encode()).hexdigest()
    used[key] = previous[key] if key in previous else paginator.lay_out(html, what, cmyk)
    return used[key]


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


def page_labels(front_pages: int) -> Callable:
    """A WeasyPrint finisher writing /PageLabels: roman for the front matter, then 1, 2, 3…"""

    def finish(document, pdf: pydyf.PDF) -> None:
        numbers = pydyf.Array([0, pydyf.Dictionary({"S": "/r"})])
        if front_pages:
            numbers.extend([front_pages, pydyf.Dictionary({"S": "/D"})])
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": numbers})

    return finish
