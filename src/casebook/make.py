"""Stages 5–7, make: a target or a book part → rendered, laid out, written (or found kept).

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
import re
import time

from weasyprint import Document

from .book import (
    FRONT,
    INDEX,
    NAMED_PARTS,
    Entry,
    is_furniture,
    number_cases,
    part_document,
    whole_book_html,
)
from .errors import ProjectError, RenderError
from .join import JoinError, Piece, join
from .made import Layout, Made, PartMade
from .model import Casebook
from .paginate import Paginator
from .plan import BOOK, PARTS, Target
from .profiles import PROFILES, SCREEN, cmyk_profile
from .project import Project
from .publish import write_atomic
from .render import Renderer


class Maker:
    """Makes targets and book parts of one project in this process."""

    def __init__(self, project: Project, source_date: str | None, html: bool, renderer: Renderer):
        self.source_date = source_date
        self.html = html
        self.renderer = renderer
        self.parts = project.out / PARTS
        aliases = {}
        with contextlib.suppress(ProjectError):  # only the print profile needs it
            aliases = {folder / "cmyk.icc": cmyk_profile() for folder in project.layouts.folders}
        self.paginator = Paginator(project.layouts, project.fonts, renderer.font_css, aliases)

    def close(self) -> None:
        self.paginator.close()

    def make(self, casebook: Casebook, target: Target, previous: str = "") -> Made:
        """A case PDF: laid out, written, with its warnings; or, if it shows exactly what the
        file written before showed (`previous`, its key: a comment in its YAML file, a
        re-stamp), nothing but the news that it is unchanged."""
        started = time.perf_counter()
        self.paginator.noted = []
        case = casebook.edition(target.language).case(target.case)
        profile = PROFILES[target.profile]
        what = f"{case.folder.name}/{case.language}.yaml"
        source = self._case_html(casebook, target)
        key = _key([target.looks, source.html, *_images(case)])
        if key == previous and not self.html:
            return Made(
                target, b"", 0, None, time.perf_counter() - started, key=key, unchanged=True
            )
        cmyk = cmyk_profile() if profile.cmyk else None
        document = self.paginator.lay_out(source, what, cmyk)
        pdf = self.paginator.write(document, None, profile.variant, what)
        warnings = tuple(dict.fromkeys(self.paginator.noted))
        html = self._case_html(casebook, target, standalone=True).html if self.html else None
        seconds = time.perf_counter() - started
        return Made(
            target, pdf, len(document.pages), html, seconds, warnings, key=key,
            thumbnail=_thumbnail(target, pdf),
        )  # fmt: skip

    def _case_html(self, casebook: Casebook, target: Target, standalone: bool = False):
        """A case PDF's HTML (`standalone`: linking its stylesheets, for `--html`)."""
        edition = casebook.edition(target.language)
        case = edition.case(target.case)
        return self.renderer.render(
            target.templates[0], case.folder, target.stylesheets, standalone,
            lang=edition.language, case=case, publication=edition,
            source_date=self.source_date,
        )  # fmt: skip

    def documents(self, casebook: Casebook, target: Target) -> dict[str, Document]:
        """`target`'s laid-out pages, unwritten and not kept, for proofreading: a case PDF's
        document, or each part of a book's (named "<book path>: <part>")."""
        edition = casebook.edition(target.language)
        cmyk = cmyk_profile() if PROFILES[target.profile].cmyk else None
        if target.kind != BOOK:
            source = self._case_html(casebook, target)
            return {str(target.path): self.paginator.lay_out(source, str(target.path), cmyk)}

        def lay_out(part: str, *numbered) -> Document:
            source = part_document(
                self.renderer, edition, target.stylesheets, part, self.source_date, *numbered
            )
            return self.paginator.lay_out(source, f"{target.path}: {part}", cmyk)

        laid = {case.slug: lay_out(case.slug) for case in edition.cases}
        entries, index_page = number_cases(edition.cases, [len(d.pages) for d in laid.values()])
        laid[FRONT] = lay_out(FRONT, entries, index_page)
        laid[INDEX] = lay_out(INDEX, entries, index_page)
        return {f"{target.path}: {part}": document for part, document in laid.items()}

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
        furniture = is_furniture(part)  # the same in every language: made from the source's
        edition = casebook.source if furniture else casebook.edition(book.language)
        numbered = [Entry(edition.case(slug), page) for slug, page in entries]
        source = part_document(
            self.renderer, edition, book.stylesheets, part, self.source_date, numbered, index_page
        )
        case = None
        if part not in NAMED_PARTS and not furniture:
            case = edition.case(part)
        key = _key([book.furniture if furniture else book.looks, part, source.html, *_images(case)])
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
            "ids": bool(_HEADER_CELL.search(source.html)),
        }
        write_atomic(self.parts / f"{key}.pdf", pdf)
        write_atomic(sidecar, json.dumps(about).encode("utf-8"))  # last: the part is kept
        return PartMade(book, part, key, len(document.pages), True, time.perf_counter() - started)

    def join(
        self, casebook: Casebook, book: Target, layout: Layout, previous: tuple[str, ...] = ()
    ) -> Made:
        """The book, joined from its kept parts; or, if the file written before was joined from
        the same parts (`previous`, their keys), nothing but the news that it is unchanged."""
        started = time.perf_counter()
        keys = (layout.front, *layout.cases, layout.index, layout.blank, *layout.folios)
        if keys == tuple(previous) and not self.html:
            return Made(
                book, b"", 0, None, time.perf_counter() - started, parts=keys, unchanged=True
            )
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
                about.get("ids", True),
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
        seconds = time.perf_counter() - started
        return Made(
            book, pdf, pages, html, seconds, warnings, keys,
            thumbnail=self._cover_thumbnail(book, layout.front),
        )  # fmt: skip

    def _cover_thumbnail(self, book: Target, front: str) -> tuple[bytes, int, int] | None:
        """A screen book's thumbnail: its first page, the front matter's, drawn from the front
        matter's kept part (the same page, the same fonts) once per front matter, and kept with
        it (`<key>.webp`), rather than from the whole book at every join."""
        if book.profile != SCREEN.name:
            return None
        from .site import thumbnail, thumbnail_size

        kept = self.parts / f"{front}.webp"
        with contextlib.suppress(OSError):
            image = kept.read_bytes()
            return image, *thumbnail_size(image)
        image, width, height = thumbnail((self.parts / f"{front}.pdf").read_bytes())
        write_atomic(kept, image)
        return image, width, height


# A table's header cell: the only element WeasyPrint gives a structure ID (pdf/tags.py), which
# the join makes unique in the book (join.py, `_prefix_ids`).
_HEADER_CELL = re.compile(r"<th[\s/>]", re.IGNORECASE)


def _thumbnail(target: Target, pdf: bytes) -> tuple[bytes, int, int] | None:
    """The web pages' thumbnail of a screen PDF, drawn here, in parallel with the other
    workers, rather than by the main process after the last PDF."""
    if target.profile != SCREEN.name:
        return None
    from .site import thumbnail

    return thumbnail(pdf)


def _images(case) -> list[str]:
    """The hash of the image a case draws (its HTML only names it)."""
    if case is None or case.cover is None:
        return []
    return [hashlib.sha256(case.cover.image.read_bytes()).hexdigest()]


def _key(shown: list[str]) -> str:
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()
