"""What the tasks of stages 5–7 return (make.py) to the process that schedules them
(schedule.py): plain data, so that the main process unpickles them without importing WeasyPrint."""

from __future__ import annotations

from dataclasses import dataclass

from .plan import Target


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
    key: str = ""  # a case PDF's: the hash of what it shows (see `Maker.make`)
    unchanged: bool = False  # it would be the same as the file written before: not made
    thumbnail: tuple[bytes, int, int] | None = None  # a screen PDF's first page (site.py)


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
