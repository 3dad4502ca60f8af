"""The theme a project builds with: casebook's packaged layouts and fonts with the project's own
laid over them file by file (`project.Theme`). `casebook layouts` lists what each file is, where
it comes from and what uses it; `casebook layouts copy NAME` starts an override."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ProjectError
from .plan import (
    BOOK_STYLESHEETS,
    BOOK_TEMPLATES,
    CASE_STYLESHEETS,
    CASE_TEMPLATES,
    PAGE_SIZE_STYLESHEETS,
    PREVIEW_TEMPLATES,
    SITE_STYLESHEETS,
    SITE_TEMPLATES,
    templates_used,
)
from .profiles import PROFILES
from .project import PACKAGED, Project, Theme


@dataclass(frozen=True)
class LayoutFile:
    """One file of the layouts as a project sees it."""

    name: str  # relative to layouts/, POSIX: "case.css", "locale/es.po"
    origin: str  # "project" or "packaged"
    overrides: bool  # a project's file that replaces a packaged one of the same name
    path: Path
    used_by: tuple[str, ...]  # what a change to it makes again (empty: nothing casebook names)


def layout_files(project: Project) -> list[LayoutFile]:
    """Every file of the project's layouts, by name: the project's and the packaged ones."""
    layouts = project.layouts
    users = _users(layouts)
    packaged = set(Theme(layouts.name, layouts.packaged).files())
    return [
        LayoutFile(
            name,
            origin := layouts.origin(name),
            origin == "project" and name in packaged,
            path,
            tuple(users.get(name, ())),
        )
        for name, path in layouts.files().items()
    ]


def copy_layout(project: Project, name: str, *, force: bool = False) -> Path:
    """Copy the packaged layout file `name` into the project's layouts/ (made if need be), where
    it replaces the packaged one from the next build on; the path written."""
    layouts = project.layouts
    name = name.removeprefix(PACKAGED).removeprefix("layouts/")
    if name not in Theme(layouts.name, layouts.packaged).files():  # no "..", no folder
        raise ProjectError(
            f"casebook's layouts have no file {name!r}: `casebook layouts` lists them"
        )
    source = layouts.packaged / name
    target = project.root / "layouts" / name
    if target.resolve() == source.resolve():
        raise ProjectError(
            f"{target} is casebook's own packaged layout (this is casebook's checkout): edit it "
            "there, or copy it into a project of its own"
        )
    if target.exists() and not force:
        raise ProjectError(
            f"{target} is already there (the project's own {name}); delete it to start again "
            "from the packaged one, or copy with --force to overwrite it"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def _users(layouts: Theme) -> dict[str, list[str]]:
    """Layout name → what uses it, in words: the case PDFs, the books, a profile, a language's
    outputs, the web pages (the collection and case pages), the watch preview."""
    users: dict[str, list[str]] = {}

    def used(names, by: str) -> None:
        for name in names:
            users.setdefault(name.removeprefix(PACKAGED), []).append(by)

    used((*_closure(layouts, CASE_TEMPLATES), *CASE_STYLESHEETS), "case PDFs")
    used((*_closure(layouts, BOOK_TEMPLATES), *BOOK_STYLESHEETS), "books")
    for size, sheets in PAGE_SIZE_STYLESHEETS.items():
        used(sheets, f"{size} editions' PDFs")
    for profile in PROFILES.values():
        used(profile.stylesheets, f"{profile.name} profile's PDFs")
    used((*_closure(layouts, SITE_TEMPLATES), *SITE_STYLESHEETS), "web pages")
    used(_closure(layouts, PREVIEW_TEMPLATES), "watch preview")
    for name in layouts.files():
        if name.startswith("locale/") and name.endswith(".po"):
            used((name,), f"{Path(name).stem} outputs")
    return {name: list(dict.fromkeys(by)) for name, by in users.items()}


def _closure(layouts: Theme, entries: tuple[str, ...]) -> tuple[str, ...]:
    """The templates `entries` use; none if one is missing (the build says which)."""
    try:
        return templates_used(layouts, entries)
    except ProjectError:
        return entries
