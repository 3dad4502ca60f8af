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
class Theme:
    """A folder of the default theme (`layouts` or `fonts`) with the project's own folder of the
    same name laid over it, file by file: a project's file replaces the packaged one of the
    same name (its path relative to the folder), and adds to them if there is none. The name
    `!<name>` is always the packaged file, so that a project's template can extend the one it
    replaces (`{% extends "!case.html.j2" %}`, as Sphinx themes do)."""

    name: str  # "layouts" or "fonts", as messages and fingerprints name its files
    packaged: Path
    own: Path | None = None  # the project's folder, if it has one

    @property
    def folders(self) -> tuple[Path, ...]:
        """The project's folder (if any), then the packaged one."""
        return (self.own, self.packaged) if self.own else (self.packaged,)

    def path(self, name: str) -> Path:
        """The file that `name` means: the project's, else the packaged one (which may not
        exist; the caller says who asked for it)."""
        if name.startswith(PACKAGED):
            return self.packaged / name.removeprefix(PACKAGED)
        if self.own is not None and (self.own / name).is_file():
            return self.own / name
        return self.packaged / name

    def origin(self, name: str) -> str:
        """ "project" or "packaged": where the file that `name` means comes from."""
        path = self.path(name)
        return "project" if self.own is not None and path.is_relative_to(self.own) else "packaged"

    def files(self) -> dict[str, Path]:
        """Every file, by name (POSIX, relative to the folder), the project's over the packaged
        ones; sorted by name."""
        found: dict[str, Path] = {}
        for folder in reversed(self.folders):
            for path in folder.rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                    found[path.relative_to(folder).as_posix()] = path
        return dict(sorted(found.items()))

    def label(self, name: str) -> str:
        """How a message names the file that `name` means: layouts/<name> for the project's,
        its full path for the packaged one."""
        path = self.path(name)
        return f"{self.name}/{name}" if self.origin(name) == "project" else str(path)


PACKAGED = "!"  # a layout name's prefix that means the packaged file, not the project's


@dataclass(frozen=True)
class Project:
    content: Path
    layouts: Theme
    fonts: Theme
    out: Path

    @property
    def root(self) -> Path:
        """The project folder: the one that holds content/ (and its own layouts/ and fonts/)."""
        return self.content.parent

    @classmethod
    def locate(cls, content: Path | str = "content", out: Path | str = "build") -> Project:
        """The project for a content folder: the default theme with the project's own layouts/
        and fonts/ (beside content/), if it has them, laid over it."""
        content = Path(content).resolve()
        if not (content / "casebook.yaml").is_file():
            raise ProjectError(
                f"{content} has no casebook.yaml: run casebook in the project folder "
                "(the one that holds content/) or point to the content with --content DIR"
            )
        root = content.parent
        layouts, fonts = (_theme(name, root / name) for name in ("layouts", "fonts"))
        if not (layouts.packaged / "case.html.j2").is_file():
            raise ProjectError(
                f"{layouts.packaged} holds no case.html.j2: casebook's default theme is missing "
                "(reinstall casebook)"
            )
        return cls(content, layouts, fonts, Path(out).resolve())


def _theme(name: str, own: Path) -> Theme:
    """The packaged folder `name` with the project's `own` over it, if there is one (in
    casebook's own checkout they are the same folder)."""
    default = packaged(name)
    return Theme(name, default, own if own.is_dir() and own != default else None)


def catalogue_path(layouts: Theme, lang: str) -> Path:
    """layouts/locale/<lang>.po (the project's, else the packaged one); `ProjectError` if there
    is none."""
    path = layouts.path(f"locale/{lang}.po")
    if not path.is_file():
        raise ProjectError(
            f"layouts/locale/{lang}.po is missing: every language in casebook.yaml needs a "
            "message catalogue for the layouts' fixed words (see docs/translations.md)"
        )
    return path
