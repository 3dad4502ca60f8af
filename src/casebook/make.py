"""Stages 5–6, make: planned targets → PDF bytes (and, on request, their standalone HTML).

A `Maker` holds what one process needs to make targets: a renderer and a paginator (one font
configuration, stylesheets parsed once) and, in a long-lived process, the laid-out book parts of
the last build. `make_all` makes a list of targets in this process or in a pool of worker
processes; WeasyPrint documents cannot cross a process boundary, so workers return bytes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from weasyprint import Document

from .book import assemble_book, page_labels
from .errors import ProjectError
from .model import Casebook
from .paginate import Paginator
from .plan import BOOK, TEMPORARY, Target
from .profiles import PROFILES, cmyk_profile
from .project import Project
from .render import Renderer


@dataclass(frozen=True)
class Made:
    target: Target
    pdf: bytes
    pages: int
    html: str | None
    seconds: float
    warnings: tuple[str, ...] = ()  # WeasyPrint's, about the layouts this output uses


@dataclass(frozen=True)
class LaidOut:
    """A target's pages before they are written, and how to write them."""

    document: Document
    finisher: Callable | None  # WeasyPrint's write_pdf finisher (the book's page labels)
    html: str | None
    what: str  # for messages: the case file, or "the book"


class Maker:
    """Makes the targets of one project in this process."""

    def __init__(
        self,
        project: Project,
        source_date: str | None,
        html: bool,
        renderer: Renderer,
        *,
        keep_parts: bool = False,
    ):
        self.source_date = source_date
        self.html = html
        self.keep_parts = keep_parts
        self.parts: dict[tuple[str, str], dict] = {}
        self.renderer = renderer
        aliases = {}
        with contextlib.suppress(ProjectError):  # only the print profile needs it
            aliases[project.layouts / "cmyk.icc"] = cmyk_profile()
        self.paginator = Paginator(project.layouts, project.fonts, renderer.font_css, aliases)

    def close(self) -> None:
        self.paginator.close()

    def make(self, casebook: Casebook, target: Target) -> Made:
        """The output of `target`: laid out, written as PDF, with its warnings."""
        started = time.perf_counter()
        self.paginator.noted = []
        laid = self.lay_out(casebook, target)
        variant = PROFILES[target.profile].variant
        pdf = self.paginator.write(laid.document, laid.finisher, variant, laid.what)
        warnings = tuple(dict.fromkeys(self.paginator.noted))
        pages = len(laid.document.pages)
        return Made(target, pdf, pages, laid.html, time.perf_counter() - started, warnings)

    def lay_out(self, casebook: Casebook, target: Target) -> LaidOut:
        """The pages of `target`, laid out and not yet written."""
        edition = casebook.edition(target.language)
        cmyk = cmyk_profile() if PROFILES[target.profile].cmyk else None
        if target.kind == BOOK:
            cache = (target.profile, target.language)
            book = assemble_book(
                edition,
                self.renderer,
                self.paginator,
                self.source_date,
                standalone_html=self.html,
                parts=self.parts.get(cache, {}) if self.keep_parts else None,
                stylesheets=target.stylesheets,
                cmyk=cmyk,
            )
            if self.keep_parts:
                self.parts[cache] = book.parts
            return LaidOut(book.document, page_labels(book.front_pages), book.html, "the book")
        case = edition.case(target.case)
        context = {"case": case, "publication": edition, "source_date": self.source_date}

        def render(standalone: bool):
            return self.renderer.render(
                target.templates[0],
                case.folder,
                target.stylesheets,
                standalone,
                lang=edition.language,
                **context,
            )

        what = f"{case.folder.name}/{case.language}.yaml"
        document = self.paginator.lay_out(render(False), what, cmyk)
        return LaidOut(document, None, render(True).html if self.html else None, what)


def make_all(
    project: Project,
    casebook: Casebook,
    todo: list[Target],
    renderer: Renderer,
    *,
    source_date: str | None,
    html: bool,
    jobs: int | None,
    maker: Maker | None = None,
) -> Iterator[Made]:
    """Made outputs in the order they finish: with `maker` (or one made with `renderer`) in this
    process when given or when there is one job, else in `jobs` worker processes."""
    if not todo:
        return
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    if maker is not None:  # a long-lived process's: it closes it
        for target in todo:
            yield maker.make(casebook, target)
        return
    if jobs == 1:
        maker = Maker(project, source_date, html, renderer)
        try:
            for target in todo:
                yield maker.make(casebook, target)
        finally:
            maker.close()
        return
    # Workers keep their temporary files in a folder of the build's own, removed when they are
    # done (or by the next build, if this one is killed): never another process's files.
    scratch = project.out / TEMPORARY
    try:
        with ProcessPoolExecutor(
            max_workers=jobs,
            initializer=_start_worker,
            initargs=(project, casebook, source_date, html, scratch),
        ) as pool:
            futures = [pool.submit(_make_in_worker, target) for target in todo]
            try:
                for future in as_completed(futures):  # each as soon as it is done
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---- Worker processes: one Maker each, made by the pool's initializer ----

_worker: tuple[Maker, Casebook] | None = None


def _die_with_parent() -> None:
    """Ask Linux to end this worker if the build process is killed (no orphans left working)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _start_worker(
    project: Project, casebook: Casebook, source_date: str | None, html: bool, scratch: Path
) -> None:
    global _worker
    _die_with_parent()
    tempfile.tempdir = str(scratch / f"worker-{os.getpid()}")  # WeasyPrint's font folder
    Path(tempfile.tempdir).mkdir(parents=True, exist_ok=True)
    renderer = Renderer(project.layouts, project.fonts, casebook.source.language)
    _worker = (Maker(project, source_date, html, renderer), casebook)


def _make_in_worker(target: Target) -> Made:
    assert _worker is not None, "_start_worker was not called"
    maker, casebook = _worker
    return maker.make(casebook, target)
