"""Stage 1, find: where a project's parts are: content/, layouts/, fonts/ and the output folder."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from .errors import ProjectError


def packaged(name: str) -> Path:
    """A folder of the default theme that ships with casebook, `layouts` or `fonts`: installed,
    the data-only package casebook.layouts or casebook.fonts (pyproject.toml maps the
    repository's folders to them); in a checkout or an editable install, which cannot import a
    data-only package mapped outside the package's own folder, the repository's folder."""
    try:
        module = importlib.import_module(f"casebook.{name}")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / name
    return Path(next(iter(module.__path__)))


@dataclass(frozen=True)
class Project:
    content: Path
    layouts: Path
    fonts: Path
    out: Path

    @classmethod
    def locate(cls, content: Path | str = "content", out: Path | str = "build") -> Project:
        """The project for a content folder; layouts/ and fonts/ beside it, else casebook's own."""
        content = Path(content).resolve()
        if not (content / "casebook.yaml").is_file():
            raise ProjectError(
                f"{content} has no casebook.yaml: run casebook in the project folder "
                "(the one that holds content/) or point to the content with --content DIR"
            )
        root = content.parent
        layouts = root / "layouts" if (root / "layouts").is_dir() else packaged("layouts")
        fonts = root / "fonts" if (root / "fonts").is_dir() else packaged("fonts")
        if not (layouts / "case.html.j2").is_file():
            raise ProjectError(f"{layouts} holds no case.html.j2: the layouts are missing")
        return cls(content, layouts, fonts, Path(out).resolve())


def catalogue_path(layouts: Path, lang: str) -> Path:
    """layouts/locale/<lang>.po; `ProjectError` if it is missing."""
    path = layouts / "locale" / f"{lang}.po"
    if not path.is_file():
        raise ProjectError(
            f"{path} is missing: every language in casebook.yaml needs a message catalogue "
            "for the layouts' fixed words (see docs/translations.md)"
        )
    return path
