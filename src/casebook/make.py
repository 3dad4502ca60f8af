"""Stages 5–7 in one process: a target or a book part → rendered, laid out, written (or found).

A `Maker` holds what one process (a worker, or `casebook watch`) needs: a renderer and a
paginator (one font configuration, stylesheets parsed once). It does three kinds of task, which
schedule.py hands out:

- `make`: a case PDF, laid out and written;
- `part`: one part of a book (book.py), kept in `<out>/.casebook/parts/<key>.pdf` with what the
  join needs to know about it (`<key>.json`: its pages' heights and bookmarks, its warnings).
  The key is a hash of exactly what the part shows: its HTML, the cover image it draws, and
  the book's `looks` (layouts, fonts, catalogue, profile). A part whose key is already kept is
  not laid out again, whatever made the build look at it (a comment in a YAML file, a re-stamp);
- `join`: the book from its kept parts (join.py), with crop marks for print.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from dataclasses import dataclass

from .book import FOLIOS, NAMED_PARTS, Entry, part_document, whole_book_html
from .errors import ProjectError, RenderError
from .join import JoinError, Piece, join
from .model import Casebook
from .paginate import Paginator
from .plan import PARTS, Target
from .profiles import PROFILES, cmyk_profile
from .project import Project
from .publish import write_atomic
from .render import Renderer


@dataclass(frozen=True)
class Made:
    """An output, made: its PDF bytes (and, on request, its standalone HTML)."""

    target: Target
    pdf: bytes
    pages: int
    html: str | None
    seconds: float
    warnings: tuple[str, ...] = ()  # WeasyPrint's, about the layouts this output uses
    parts: tuple[str, ...] = ()  # a book's: the keys of the parts it was joined from


@dataclass(frozen=True)
class PartMade:
    """A book part, laid out now or found kept."""

    book: Target
    part: str  # a case's slug, or book.FRONT, INDEX, BLANK, FOLIOS + n
    key: str
    pages: int
    laid_out: bool
    seconds: float


@dataclass(frozen=True)
class Layout:
    """Where a book's parts land, and which kept parts make it (by key)."""

    front: str
    cases: tuple[str, ...]  # in book order
    index: str
    blank: str
    folios: tuple[str, ...]
    entries: tuple[tuple[str, int], ...]  # (case slug, first page)
    index_page: int


class Maker:
    """Makes targets and book parts of one project in this process."""

    def __init__(self, project: Project, source_date: str | None, html: bool, renderer: Renderer):
        self.source_date = source_date
        self.html = html
        self.renderer = renderer
        self.parts = project.out / PARTS
        aliases = {}
        with contextlib.suppress(ProjectError):  # only the print profile needs it
            aliases[project.layouts / "cmyk.icc"] = cmyk_profile()
        self.paginator = Paginator(project.layouts, project.fonts, renderer.font_css, aliases)

    def close(self) -> None:
        self.paginator.close()

    def make(self, casebook: Casebook, target: Target) -> Made:
        """A case PDF: laid out, written, with its warnings."""
        started = time.perf_counter()
        self.paginator.noted = []
        edition = casebook.edition(target.language)
        case = edition.case(target.case)
        profile = PROFILES[target.profile]
        context = {"case": case, "publication": edition, "source_date": self.source_date}

        def render(standalone: bool):
            return self.renderer.render(
                target.templates[0], case.folder, target.stylesheets, standalone,
                lang=edition.language, **context,
            )  # fmt: skip

        what = f"{case.folder.name}/{case.language}.yaml"
        cmyk = cmyk_profile() if profile.cmyk else None
        document = self.paginator.lay_out(render(False), what, cmyk)
        pdf = self.paginator.write(document, None, profile.variant, what)
        warnings = tuple(dict.fromkeys(self.paginator.noted))
        html = render(True).html if self.html else None
        seconds = time.perf_counter() - started
        return Made(target, pdf, len(document.pages), html, seconds, warnings)

    def part(
        self,
        casebook: Casebook,
        book: Target,
        part: str,
        entries: tuple[tuple[str, int], ...] = (),
        index_page: int = 0,
    ) -> PartMade:
        """One part of `book`, found kept or laid out and kept."""
        started = time.perf_counter()
        edition = casebook.edition(book.language)
        numbered = [Entry(edition.case(slug), page) for slug, page in entries]
        source = part_document(
            self.renderer, edition, book.stylesheets, part, self.source_date, numbered, index_page
        )
        shown = [book.looks, part, source.html]
        case = None
        if part not in NAMED_PARTS and not part.startswith(FOLIOS):
            case = edition.case(part)
            if case.cover is not None:  # the image it draws, which its HTML only names
                shown.append(hashlib.sha256(case.cover.image.read_bytes()).hexdigest())
        key = hashlib.sha256(json.dumps(shown).encode()).hexdigest()
        sidecar = self.parts / f"{key}.json"
        if sidecar.is_file() and (self.parts / f"{key}.pdf").is_file():
            pages = json.loads(sidecar.read_text(encoding="utf-8"))["pages"]
            return PartMade(book, part, key, pages, False, time.perf_counter() - started)
        self.paginator.noted = []
        what = f"{case.folder.name}/{case.language}.yaml (book)" if case else f"book {part}"
        profile = PROFILES[book.profile]
        cmyk = cmyk_profile() if profile.cmyk else None
        document = self.paginator.lay_out(source, what, cmyk)
        pdf = self.paginator.write(document, None, profile.variant, what, marks=False)
        about = {
            "pages": len(document.pages),
            "lang": case.language if case else edition.language,
            "heights": [page.height for page in document.pages],
            "bookmarks": [page.bookmarks for page in document.pages],
            "warnings": list(dict.fromkeys(self.paginator.noted)),
        }
        write_atomic(self.parts / f"{key}.pdf", pdf)
        write_atomic(sidecar, json.dumps(about).encode("utf-8"))  # last: the part is kept
        return PartMade(book, part, key, len(document.pages), True, time.perf_counter() - started)

    def join(self, casebook: Casebook, book: Target, layout: Layout) -> Made:
        """The book, joined from its kept parts."""
        started = time.perf_counter()
        edition = casebook.edition(book.language)

        def piece(key: str, numbered: bool, pad: bool) -> Piece:
            about = json.loads((self.parts / f"{key}.json").read_text(encoding="utf-8"))
            return Piece(
                self.parts / f"{key}.pdf",
                about["lang"],
                numbered,
                pad,
                about["bookmarks"],
                about["heights"],
            ), about["warnings"]

        made = [piece(layout.front, False, True)]
        made += [piece(key, True, True) for key in layout.cases]
        made.append(piece(layout.index, True, False))
        blank, _ = piece(layout.blank, False, False)
        folios = [self.parts / f"{key}.pdf" for key in layout.folios]
        try:
            pdf, pages = join([p for p, _ in made], blank, folios)
        except JoinError as exc:
            raise RenderError(f"{book.path}: {exc}") from None
        if PROFILES[book.profile].variant.startswith("pdf/x"):
            from .press import add_marks

            pdf = add_marks(pdf)
        warnings = tuple(dict.fromkeys(w for _, found in made for w in found))
        html = None
        if self.html:
            entries = [Entry(edition.case(slug), page) for slug, page in layout.entries]
            html = whole_book_html(
                self.renderer, edition, book.stylesheets, entries, layout.index_page,
                self.source_date,
            )  # fmt: skip
        keys = (layout.front, *layout.cases, layout.index, layout.blank, *layout.folios)
        seconds = time.perf_counter() - started
        return Made(book, pdf, pages, html, seconds, warnings, keys)
