"""Making outputs: a planned target → PDF bytes (and, on request, its standalone HTML).

Runs in worker processes (`--jobs`): WeasyPrint documents cannot cross a process boundary,
so each worker keeps its own renderer and paginator (one font configuration, stylesheets parsed
once) and returns bytes.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import time
from dataclasses import dataclass

from .book import assemble_book
from .errors import ProjectError
from .model import Casebook
from .paginate import Paginator
from .plan import Target
from .profiles import PROFILES, cmyk_profile
from .project import Project
from .render import BOOK_STYLESHEETS, CASE_STYLESHEETS, Renderer


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
        aliases = {}
        with contextlib.suppress(ProjectError):  # only the print profile needs it
            aliases[project.layouts / "cmyk.icc"] = cmyk_profile()
        self.paginator = Paginator(project.layouts, project.fonts, aliases)

    def make(self, target: Target) -> Made:
        started = time.perf_counter()
        edition = self.casebook.edition(target.language)
        profile = PROFILES[target.profile]
        size = ("letter.css",) if edition.page_size == "letter" else ()
        if target.kind == "casebook":
            cache_key = (target.profile, target.language)
            book = assemble_book(
                edition,
                self.renderer,
                self.paginator,
                self.modified,
                standalone_html=self.html,
                parts=self.parts.get(cache_key, {}) if self.keep_parts else None,
                stylesheets=(*BOOK_STYLESHEETS, *size, *profile.stylesheets),
                variant=profile.variant,
            )
            if self.keep_parts:
                self.parts[cache_key] = book.parts
            return Made(target, book.pdf, book.pages, book.html, time.perf_counter() - started)
        case = edition.case(target.case)
        context = {"case": case, "publication": edition, "modified": self.modified}
        stylesheets = (*CASE_STYLESHEETS, *size, *profile.stylesheets)
        source = self.renderer.render(
            "case.html.j2", case.folder, stylesheets, lang=edition.language, **context
        )
        document = self.paginator.lay_out(source, f"{case.folder.name}/{case.language}.yaml")
        pdf = self.paginator.write(document, variant=profile.variant)
        html = None
        if self.html:
            html = self.renderer.render(
                "case.html.j2",
                case.folder,
                stylesheets,
                standalone=True,
                lang=edition.language,
                **context,
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
