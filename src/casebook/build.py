"""The build: find → load → validate → plan → render → lay out → assemble → publish → site.

`build()` reads as the list of stages, numbered as in docs/architecture.md. Outputs whose
inputs did not change since the last build are not made again; the others are made in worker
processes (`jobs`) and published one by one, atomically, as they are done.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .errors import CasebookError, LayoutWarnings
from .load import load_content
from .model import Casebook
from .plan import (
    BOOK,
    RESERVED_SLUGS,
    STATE,
    TEMPORARY,
    Plan,
    Selection,
    State,
    Target,
    make_plan,
    site_fingerprint,
)
from .profiles import SCREEN, profiles_named
from .progress import Reporter
from .project import Project, catalogue_path
from .publish import build_lock, inside, write_atomic
from .translations import all_statuses
from .validate import validate_project

log = logging.getLogger("casebook")


@dataclass(frozen=True)
class Output:
    """One file the build wrote (or found up to date)."""

    path: Path
    kind: str
    language: str
    case: str | None
    pages: int
    bytes: int


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)  # written by this build
    up_to_date: list[Output] = field(default_factory=list)  # not made again
    parts_laid_out: list[str] = field(default_factory=list)  # "<book path>: <part>", laid out now
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def read_project(
    content: Path | str = "content", out: Path | str = "build"
) -> tuple[Project, Casebook]:
    """Find, load and validate a project: `ContentError` with every problem if it is invalid,
    `ProjectError` if a language has no message catalogue."""
    project = Project.locate(content, out)
    return project, _validated(project)


def _validated(project: Project) -> Casebook:
    casebook = validate_project(load_content(project.content), reserved=RESERVED_SLUGS)
    for language in casebook.languages[1:]:
        catalogue_path(project.layouts, language)
    return casebook


def _early_workers(project: Project, jobs, session, html: bool, source_date: str | None):
    """Worker processes started before validation, if this build will use workers and the
    project looks edited since the last build (a file of content/, layouts/ or fonts/ newer
    than the state file); None otherwise. A build with nothing to do starts none."""
    if session is not None or (jobs or os.cpu_count() or 1) < 2:
        return None
    try:
        since = (project.out / STATE).stat().st_mtime_ns
    except OSError:
        since = -1
    folders = (project.content, *project.layouts.folders, *project.fonts.folders)
    if not any(p.stat().st_mtime_ns > since for f in folders for p in f.rglob("*")):
        return None
    from .schedule import Workers

    return Workers(project, source_date, html, jobs)


def check(content: Path | str = "content") -> Casebook:
    """Load and validate a project's content: the model, or `ContentError` with every problem."""
    return read_project(content)[1]


def build(
    content: Path | str = "content",
    out: Path | str = "build",
    *,
    jobs: int | None = None,
    selection: Selection | None = None,
    html: bool = False,
    reporter: Reporter | None = None,
    session: Session | None = None,
    profile: str | None = None,
    strict: bool = False,
) -> BuildResult:
    """Build the outputs of a project into `out`; nothing is written if the content is invalid.

    A `session` (kept by `casebook watch`) makes the outputs in this process and keeps fonts,
    stylesheets and templates loaded from one build to the next (every build keeps the books'
    laid-out parts in `<out>/.casebook/parts/`). Warnings about the layouts
    are logged (and those of outputs that are up to date, again); with `strict` they make the
    build fail with `LayoutWarnings` once every output is written.
    """
    started = time.perf_counter()
    selection = selection or Selection()
    reporter = reporter or Reporter(bar=False)
    source_date = _source_date()
    # 1. Find the project.
    project = Project.locate(content, out)
    fresh = not project.out.exists()
    with build_lock(project.out), contextlib.ExitStack() as stack:
        _remove_leftovers(project.out)
        # When the project looks edited since the last build, the workers start now: their
        # imports overlap loading and validating.
        workers = _early_workers(project, jobs, session, html, source_date)
        if workers is not None:
            stack.callback(workers.close)
        # 2–3. Load every file, validate it into the model (all problems at once).
        try:
            casebook = _validated(project)
            _check_selection(casebook, selection)
        except BaseException:
            stack.close()
            if fresh:  # nothing is written if the content is invalid
                shutil.rmtree(project.out, ignore_errors=True)
            raise
        result = BuildResult(warnings=_stale_warnings(casebook))
        for warning in result.warnings:
            log.warning("warning: %s", warning)
        # 4. Plan: every output with its inputs; skip those whose inputs did not change.
        state = State(project.out)
        profiles = profiles_named(profile or casebook.source.profile)
        plan = make_plan(project, casebook, source_date, profiles)
        targets = [t for t in plan.targets if selection.wants(t)]
        todo = [t for t in targets if html or not state.up_to_date(t)]
        for target in targets:
            if target not in todo:
                record = state.records[str(target.path)]
                result.up_to_date.append(_output(project, target, record["pages"], record["bytes"]))
        # 5–7. Make each output (render, lay out; assemble books from their parts); 8. publish each
        # as it is done.
        maker = session.maker(project, casebook, plan, source_date, html) if session else None

        @functools.cache
        def renderer():  # made when first needed: a build with nothing to do imports no Jinja2
            if maker:
                return maker.renderer
            from .render import Renderer

            return Renderer(project.layouts, project.fonts, casebook.source.language)

        # The outputs of cases removed from the content go (they are on no page).
        state.prune({str(t.path) for t in (*plan.targets, *plan.parts)}, [p.name for p in profiles])
        publishing = None  # with workers: the site's case pages start once the case PDFs are made
        if workers is not None and todo:  # the site's modules and templates, loaded and
            import pypdfium2  # noqa: F401  # compiled while the workers start

            from . import site

            site.prepare(renderer(), casebook)
            publishing = site.Publishing(project.out, casebook, state, renderer())
            stack.callback(publishing.cancel)
            publishing.expect(
                str(t.path) for t in todo if t.kind != BOOK and t.profile == SCREEN.name
            )
        reporter.start(len(todo))
        parts = {(t.profile, t.language, t.case): t for t in plan.parts}
        try:
            options = {"source_date": source_date, "html": html, "jobs": jobs, "workers": workers}
            for made in _make_all(project, casebook, plan, state, todo, renderer, maker, options):
                if not hasattr(made, "pdf"):  # a book's part, laid out or found kept
                    part = parts.get((made.book.profile, made.book.language, made.part))
                    if part is not None:  # a case part (the others are found by their key)
                        state.record_part(part, made.key, made.pages)
                    if made.laid_out:
                        result.parts_laid_out.append(f"{made.book.path}: {made.part}")
                    continue
                if made.unchanged:  # it shows what it showed: the file stays as it is
                    state.confirm(made.target)
                    record = state.records[str(made.target.path)]
                    output = _output(project, made.target, record["pages"], record["bytes"])
                    result.up_to_date.append(output)
                    reporter.made(_shown(output.path), record["pages"], record["bytes"], 0.0)
                else:
                    _publish(project, state, made)
                    output = _output(project, made.target, made.pages, len(made.pdf))
                    result.outputs.append(output)
                    reporter.made(_shown(output.path), made.pages, len(made.pdf), made.seconds)
                if publishing is not None:
                    publishing.written(str(made.target.path))
        finally:
            reporter.stop()
            state.save()
        # 9. Publish the site: thumbnails, pages, manifest (again only when what they show
        # changed; the case pages may be done already).
        state.forget_parts()
        site = site_fingerprint(plan, state)
        if publishing is not None or not state.site_is(site):
            from .site import Publishing

            publishing = publishing or Publishing(project.out, casebook, state, renderer())
            publishing.finish()
            state.site = site
        state.save()
        if workers is not None and not todo:  # the project was not edited after all
            with contextlib.suppress(OSError):
                os.utime(state.path)
    layout = _layout_warnings(state, targets)
    for warning in layout:
        log.warning("warning: %s", warning)
    result.warnings += layout
    if strict and layout:
        raise LayoutWarnings(layout)
    result.seconds = time.perf_counter() - started
    reporter.summary(len(result.outputs), len(result.up_to_date), result.seconds)
    return result


def _make_all(project, casebook, plan, state, todo, renderer, maker, options):
    if not todo:  # nothing to make: WeasyPrint is not even imported
        return iter(())
    from .schedule import make_all

    return make_all(project, casebook, plan, state, todo, renderer, maker=maker, **options)


class Session:
    """What a long-lived process (`casebook watch`) keeps between builds: the model and the
    renderer of the last build, and one `Maker` while the layouts and fonts stay the same."""

    def __init__(self) -> None:
        self.casebook: Casebook | None = None
        self.renderer = None  # the maker's Renderer
        self._maker = None
        self._key: tuple | None = None

    def maker(
        self, project: Project, casebook: Casebook, plan: Plan, source_date: str | None, html: bool
    ):
        from .make import Maker

        key = (plan.layouts, source_date, html, casebook.source.language)
        if self._maker is None or key != self._key:
            from .render import Renderer

            self.close()
            renderer = Renderer(project.layouts, project.fonts, casebook.source.language)
            self._maker = Maker(project, source_date, html, renderer)
            self._key = key
        self.casebook, self.renderer = casebook, self._maker.renderer
        return self._maker

    def close(self) -> None:
        """Remove what the session's maker keeps on disk (WeasyPrint's loaded fonts)."""
        if self._maker is not None:
            self._maker.close()
            self._maker = None


def _publish(project: Project, state: State, made) -> None:
    target = inside(project.out, str(made.target.path))
    if made.html is not None:
        write_atomic(target.with_suffix(".html"), made.html.encode("utf-8"))
    write_atomic(target, made.pdf)
    state.record(made.target, made.pdf, made.pages, made.warnings, made.parts, made.key)
    if made.thumbnail is not None:
        from .site import write_thumbnail

        record = state.records[str(made.target.path)]
        write_thumbnail(project.out, str(made.target.path), record, *made.thumbnail)


def _layout_warnings(state: State, targets: list[Target]) -> list[str]:
    """Every warning about the layouts of these outputs, once each, made now or recorded."""
    found = (w for t in targets for w in state.records.get(str(t.path), {}).get("warnings", ()))
    return list(dict.fromkeys(found))


def _remove_leftovers(out: Path) -> None:
    """Temporary files of a build that was killed before it could rename or remove them: its
    `.part` files and its workers' folder (`<out>/.casebook/tmp`)."""
    for part in out.rglob(".*.part"):
        part.unlink(missing_ok=True)
    shutil.rmtree(out / TEMPORARY, ignore_errors=True)


def _output(project: Project, target: Target, pages: int, size: int) -> Output:
    path = project.out / target.path
    return Output(path, target.kind, target.language, target.case, pages, size)


def _check_selection(casebook: Casebook, selection: Selection) -> None:
    languages = [e.language for e in casebook.editions]
    for lang in selection.languages:
        if lang not in languages:
            raise CasebookError(
                f"--lang {lang}: not a language of this publication ({', '.join(languages)})"
            )
    slugs = [c.slug for c in casebook.cases]
    for slug in selection.cases:
        if slug not in slugs:
            raise CasebookError(f"--case {slug}: there is no such case ({', '.join(slugs)})")


def _stale_warnings(casebook: Casebook) -> list[str]:
    """A warning for every translation that builds although it is stale or incomplete."""
    return [
        f"{s.file} is {s.status}: {'; '.join(s.details)}"
        for s in all_statuses(casebook)
        if s.status in ("stale", "incomplete")
    ]


def _source_date() -> str | None:
    """SOURCE_DATE_EPOCH as a W3C date, for reproducible /ModDate; None when not set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch or not epoch.isdigit():
        return None
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
