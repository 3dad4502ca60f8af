"""Making outputs: a planned target → PDF bytes (and, on request, its standalone HTML).

Runs in worker processes (`--jobs`): WeasyPrint documents cannot cross a process boundary,
so each worker keeps its own renderer and paginator (one font configuration, stylesheets parsed
once) and returns bytes.
"""

from __future__ import annotations

import ctypes
import signal
import time
from dataclasses import dataclass

from .book import assemble_book
from .model import Casebook
from .paginate import Paginator
from .plan import Target
from .project import Project
from .render import Renderer


@dataclass(frozen=True)
class Made:
    target: Target
    pdf: bytes
    pages: int
    html: str | None
    seconds: float


class Maker:
    """Everything a process needs to make targets of one project."""

    def __init__(
        self,
        project: Project,
        casebook: Casebook,
        modified: str | None,
        html: bool,
        keep_parts: bool = False,
    ):
        self.casebook = casebook
        self.keep_parts = keep_parts
        self.parts: dict[str, dict] = {}
        self.modified = modified
        self.html = html
        self.renderer = Renderer(project.layouts, project.fonts, casebook.source.language)
        self.paginator = Paginator(project.layouts, project.fonts)

    def make(self, target: Target) -> Made:
        started = time.perf_counter()
        edition = self.casebook.edition(target.language)
        if target.kind == "casebook":
            book = assemble_book(
                edition,
                self.renderer,
                self.paginator,
                self.modified,
                standalone_html=self.html,
                parts=self.parts.get(target.language, {}) if self.keep_parts else None,
            )
            if self.keep_parts:
                self.parts[target.language] = book.parts
            return Made(target, book.pdf, book.pages, book.html, time.perf_counter() - started)
        case = edition.case(target.case)
        context = {"case": case, "publication": edition, "modified": self.modified}
        source = self.renderer.render("case.html.j2", case.folder, lang=edition.language, **context)
        document = self.paginator.lay_out(source, f"{case.folder.name}/{case.language}.yaml")
        pdf = self.paginator.write(document)
        html = None
        if self.html:
            html = self.renderer.render(
                "case.html.j2", case.folder, standalone=True, lang=edition.language, **context
            ).html
        return Made(target, pdf, len(document.pages), html, time.perf_counter() - started)


_maker: Maker | None = None


def _die_with_parent() -> None:
    """Ask Linux to end this worker if the build process is killed (no orphans left working)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_worker(project: Project, casebook: Casebook, modified: str | None, html: bool) -> None:
    """Process-pool initializer: one `Maker` per worker process, which dies with the build."""
    global _maker
    _die_with_parent()
    _maker = Maker(project, casebook, modified, html)


def make_in_worker(target: Target) -> Made:
    assert _maker is not None, "start_worker was not called"
    return _maker.make(target)
