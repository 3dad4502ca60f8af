"""The build, stage by stage: load → validate → model → render → paginate → book → publish."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .book import assemble_book
from .load import RawProject, load_content
from .model import Casebook, Publication
from .paginate import Paginator
from .project import Project
from .publish import build_lock, inside, write_atomic
from .render import Renderer
from .translations import all_statuses
from .validate import validate_project

log = logging.getLogger("casebook")


@dataclass(frozen=True)
class Output:
    """One file the build wrote."""

    path: Path
    kind: str
    language: str
    case: str | None
    pages: int
    bytes: int


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def read_project(content: Path | str = "content") -> tuple[Project, RawProject, Casebook]:
    """Find, load and validate a project: `ContentError` with every problem if it is invalid."""
    project = Project.locate(content)
    raw = load_content(project.content)
    casebook = validate_project(raw)
    renderer = Renderer(project.layouts, project.fonts, casebook.source.language)
    for edition in casebook.editions:
        renderer.catalogue(edition.language)  # a ProjectError if a catalogue is missing
    return project, raw, casebook


def check(content: Path | str = "content") -> Casebook:
    """Load and validate a project's content: the model, or `ContentError` with every problem."""
    return read_project(content)[2]


def build(content: Path | str = "content", out: Path | str = "build") -> BuildResult:
    """Build every output of a project into `out`; nothing is written if the content is invalid."""
    started = time.perf_counter()
    # 1-3. Find the project, load every file and validate it into the model (all problems at once).
    project, raw, casebook = read_project(content)
    project = Project(project.content, project.layouts, project.fonts, Path(out).resolve())
    result = BuildResult(warnings=_stale_warnings(casebook, raw))
    for warning in result.warnings:
        log.warning("warning: %s", warning)
    renderer = Renderer(project.layouts, project.fonts, casebook.source.language)
    paginator = Paginator(project.layouts, project.fonts)
    modified = _source_date()
    with build_lock(project.out):
        for edition in casebook.editions:
            for case in edition.own_cases:
                # 4-5. Render the case's HTML, lay it out and write the PDF.
                pdf, pages = _case_pdf(edition, case, renderer, paginator, modified)
                # 7. Publish it atomically.
                target = inside(project.out, edition.language, f"{case.slug}.pdf")
                _publish(
                    result,
                    Output(target, "case", edition.language, case.slug, pages, len(pdf)),
                    pdf,
                )
            # 6. Assemble the edition's book: front matter, every case, index.
            book = assemble_book(edition, renderer, paginator, modified)
            target = inside(project.out, edition.language, "casebook.pdf")
            _publish(
                result,
                Output(target, "casebook", edition.language, None, book.pages, len(book.pdf)),
                book.pdf,
            )
    result.seconds = time.perf_counter() - started
    return result


def _case_pdf(
    edition: Publication, case, renderer: Renderer, paginator: Paginator, modified: str | None
) -> tuple[bytes, int]:
    html = renderer.render(
        "case.html.j2",
        case.folder,
        lang=edition.language,
        case=case,
        publication=edition,
        modified=modified,
    )
    document = paginator.lay_out(html, f"{case.folder.name}/{case.language}.yaml")
    return paginator.write(document), len(document.pages)


def _publish(result: BuildResult, output: Output, data: bytes) -> None:
    write_atomic(output.path, data)
    result.outputs.append(output)
    log.info("wrote %s (%d pages, %d KB)", _shown(output.path), output.pages, output.bytes // 1024)


def _stale_warnings(casebook: Casebook, raw: RawProject) -> list[str]:
    """A warning for every translation that builds although its source changed since."""
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
