"""The build, stage by stage: load → validate → model → plan → render → paginate → book → publish.

`build()` reads as the list of stages. Outputs whose inputs did not change since the last build
are not made again; the others are made in worker processes (`jobs`) and published one by one,
atomically, as they are done.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .errors import CasebookError
from .load import RawProject, load_content
from .model import Casebook
from .plan import Fingerprints, Selection, State, Target, make_plan
from .profiles import profiles_named
from .progress import Reporter
from .project import Project
from .publish import build_lock, inside, write_atomic
from .render import Renderer
from .site import publish_site
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
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def read_project(
    content: Path | str = "content", out: Path | str = "build"
) -> tuple[Project, RawProject, Casebook]:
    """Find, load and validate a project: `ContentError` with every problem if it is invalid."""
    project = Project.locate(content, out)
    raw = load_content(project.content)
    casebook = validate_project(raw)
    renderer = Renderer(project.layouts, project.fonts, casebook.source.language)
    for edition in casebook.editions:
        renderer.catalogue(edition.language)  # a ProjectError if a catalogue is missing
    return project, raw, casebook


def check(content: Path | str = "content") -> Casebook:
    """Load and validate a project's content: the model, or `ContentError` with every problem."""
    return read_project(content)[2]


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
) -> BuildResult:
    """Build the outputs of a project into `out`; nothing is written if the content is invalid.

    A `session` (kept by `casebook watch`) makes the outputs in this process and keeps fonts,
    stylesheets and laid-out book parts from one build to the next.
    """
    started = time.perf_counter()
    selection = selection or Selection()
    reporter = reporter or Reporter(bar=False)
    # 1-3. Find the project, load every file, validate it into the model (all problems at once).
    project, raw, casebook = read_project(content, out)
    _check_selection(casebook, selection)
    result = BuildResult(warnings=_stale_warnings(casebook, raw))
    for warning in result.warnings:
        log.warning("warning: %s", warning)
    modified = _source_date()
    with build_lock(project.out):
        _remove_leftovers(project.out)
        # 4. Plan: every output with its inputs; skip those whose inputs did not change.
        state = State(project.out)
        profiles = profiles_named(profile or casebook.source.profile)
        plan = make_plan(project, casebook, modified, profiles)
        targets = [t for t in plan if selection.wants(t)]
        todo = [t for t in targets if html or not state.up_to_date(t)]
        for target in targets:
            if target not in todo:
                record = state.records[str(target.path)]
                result.up_to_date.append(_output(project, target, record["pages"], record["bytes"]))
        # 5-6. Render, lay out and (for books) assemble each output; 7. publish each as it is done.
        reporter.start(len(todo))
        try:
            if session is not None:
                made_all = map(session.maker(project, casebook, modified, html).make, todo)
            else:
                made_all = _make_all(project, casebook, modified, html, todo, jobs)
            for made in made_all:
                _publish(project, state, made)
                output = _output(project, made.target, made.pages, len(made.pdf))
                result.outputs.append(output)
                reporter.made(_shown(output.path), made.pages, len(made.pdf), made.seconds)
        finally:
            reporter.stop()
            state.save()
        # 8. Publish the site: drop outputs of removed cases; thumbnails, pages, manifest.
        state.prune({str(t.path) for t in plan}, [p.folder for p in profiles])
        renderer = Renderer(project.layouts, project.fonts, casebook.source.language)
        publish_site(project.out, casebook, state, renderer)
        state.save()
    result.seconds = time.perf_counter() - started
    reporter.summary(len(result.outputs), len(result.up_to_date), result.seconds)
    return result


class Session:
    """What a long-lived process keeps between builds: one `Maker` while layouts and fonts stay."""

    def __init__(self) -> None:
        self._maker = None
        self._key: tuple | None = None

    def maker(self, project: Project, casebook: Casebook, modified: str | None, html: bool):
        from .work import Maker

        files = sorted(
            p for root in (project.layouts, project.fonts) for p in root.rglob("*") if p.is_file()
        )
        prints = Fingerprints()
        key = (tuple((str(p), prints.file(p)) for p in files), modified, html)
        if self._maker is None or key != self._key:
            self._maker = Maker(project, casebook, modified, html, keep_parts=True)
            self._key = key
        self._maker.casebook = casebook
        return self._maker


def _make_all(project, casebook, modified, html, todo: list[Target], jobs: int | None):
    """Made outputs in the order they finish: in this process, or in `jobs` worker processes."""
    if not todo:
        return
    from .work import Maker, make_in_worker, start_worker  # WeasyPrint: imported only when needed

    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    if jobs == 1:
        maker = Maker(project, casebook, modified, html)
        for target in todo:
            yield maker.make(target)
        return
    with ProcessPoolExecutor(
        max_workers=jobs,
        initializer=start_worker,
        initargs=(project, casebook, modified, html),
    ) as pool:
        pending = {pool.submit(make_in_worker, target) for target in todo}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()


def _publish(project: Project, state: State, made) -> None:
    target = inside(project.out, str(made.target.path))
    if made.html is not None:
        write_atomic(target.with_suffix(".html"), made.html.encode("utf-8"))
    write_atomic(target, made.pdf)
    state.record(made.target, made.pdf, made.pages)


def _remove_leftovers(out: Path) -> None:
    """Temporary files of a build that was killed before it could rename them."""
    for part in out.rglob(".*.part"):
        part.unlink(missing_ok=True)


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


def _stale_warnings(casebook: Casebook, raw: RawProject) -> list[str]:
    """A warning for every translation that builds although it is stale or incomplete."""
    return [
        f"{s.case}/{s.language}.yaml is {s.status}: {'; '.join(s.details)}"
        for s in all_statuses(casebook, raw)
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
