"""The build, stage by stage: load → validate → model → render → paginate → publish."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .book import assemble_book
from .load import load_content
from .model import Publication
from .paginate import Paginator
from .project import Project
from .publish import build_lock, inside, write_atomic
from .render import Renderer
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
    seconds: float = 0.0


def check(content: Path | str = "content") -> Publication:
    """Load and validate a project's content: the model, or `ContentError` with every problem."""
    project = Project.locate(content)
    return validate_project(load_content(project.content))


def build(content: Path | str = "content", out: Path | str = "build") -> BuildResult:
    """Build every output of a project into `out`; nothing is written if the content is invalid."""
    started = time.perf_counter()
    # 1. Find the project: content/, layouts/, fonts/, the output folder.
    project = Project.locate(content, out)
    # 2-3. Load every file and validate it into the model (all problems at once).
    publication = validate_project(load_content(project.content))
    renderer = Renderer(project.layouts, project.fonts)
    paginator = Paginator(project.layouts, project.fonts)
    modified = _source_date()
    result = BuildResult()
    with build_lock(project.out):
        for case in publication.cases:
            # 4. Render the case's HTML through the layouts.
            html = renderer.render(
                "case.html.j2",
                case.folder,
                case=case,
                publication=publication,
                lang=case.language,
                modified=modified,
            )
            # 5. Lay it out and write the PDF.
            document = paginator.lay_out(html, f"{case.folder.name}/{case.language}")
            pdf = paginator.write(document)
            # 6. Publish it atomically.
            target = inside(project.out, case.language, f"{case.slug}.pdf")
            write_atomic(target, pdf)
            output = Output(target, "case", case.language, case.slug, len(document.pages), len(pdf))
            result.outputs.append(output)
            log.info(
                "wrote %s (%d pages, %d KB)", _shown(target), output.pages, output.bytes // 1024
            )
        # 6. Assemble the book: front matter, every case, index.
        lang = publication.source_language
        book = assemble_book(publication, lang, renderer, paginator, modified)
        target = inside(project.out, lang, "casebook.pdf")
        # 7. Publish it atomically.
        write_atomic(target, book.pdf)
        result.outputs.append(Output(target, "casebook", lang, None, book.pages, len(book.pdf)))
        log.info("wrote %s (%d pages, %d KB)", _shown(target), book.pages, len(book.pdf) // 1024)
    result.seconds = time.perf_counter() - started
    return result


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
