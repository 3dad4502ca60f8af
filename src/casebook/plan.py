"""Stage 4, plan: the model → every output with its inputs and fingerprint; which are up to date.

An output's fingerprint covers exactly what it is made from: its content files (the case's
source file and translation, its cover image; for a book, those of every case it holds), the
publication files, the layouts and fonts it uses, the message catalogue of its language, and the
versions of casebook and WeasyPrint. An output whose fingerprint matches the one recorded when it
was last written (`<out>/.casebook/state.json`), and whose file is still the one written then,
is up to date.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from . import __version__
from .model import Case, Casebook, Edition
from .profiles import PRINT, PROFILES, Profile, cmyk_profile
from .project import Project
from .publish import write_atomic

STATE = Path(".casebook") / "state.json"
TEMPORARY = Path(".casebook") / "tmp"  # the workers' temporary files, removed after them


@dataclass(frozen=True)
class Target:
    """One output file to make."""

    kind: str  # "case" or "casebook"
    profile: str  # screen, archive or print
    language: str
    case: str | None
    path: Path  # relative to the output folder
    inputs: tuple[Path, ...]
    fingerprint: str  # of every input, the versions of casebook and WeasyPrint, the source date


@dataclass(frozen=True)
class Plan:
    """Every output of a build, and the fingerprint of the layouts and fonts it was made with."""

    targets: tuple[Target, ...]
    layouts: str


@dataclass(frozen=True)
class Selection:
    """What to build: languages and cases (empty = all), and the books with a case subset."""

    languages: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()
    books: bool = False

    def wants(self, target: Target) -> bool:
        if self.languages and target.language not in self.languages:
            return False
        if target.kind == "casebook":
            return not self.cases or self.books
        if not self.cases:
            return PROFILES[target.profile].cases_by_default
        return target.case in self.cases


class Fingerprints:
    """SHA-256 of files, each read once per build."""

    def __init__(self) -> None:
        self._seen: dict[Path, str] = {}

    def file(self, path: Path) -> str:
        if path not in self._seen:
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            self._seen[path] = digest.hexdigest()
        return self._seen[path]

    def of(self, inputs: tuple[Path, ...], root: Path, extra: dict) -> str:
        digest = hashlib.sha256(json.dumps(extra, sort_keys=True).encode())
        for path in inputs:
            name = path.relative_to(root) if path.is_relative_to(root) else path
            digest.update(f"{name}\0{self.file(path)}\n".encode())
        return digest.hexdigest()


def make_plan(
    project: Project, casebook: Casebook, source_date: str | None, profiles: tuple[Profile, ...]
) -> Plan:
    """Every output of every edition in every profile, books first (they take longest)."""
    prints = Fingerprints()
    root = _common_root(project)
    layouts = sorted(p for p in project.layouts.rglob("*") if p.is_file() and p.suffix != ".pot")
    fonts = sorted(p for p in project.fonts.rglob("*") if p.is_file())
    extra = {
        "casebook": __version__,
        "weasyprint": version("weasyprint"),
        "source_date": source_date,
    }
    books, cases = [], []
    for profile, edition in ((p, e) for p in profiles for e in casebook.editions):
        lang = edition.language
        own_layouts = tuple(
            p
            for p in layouts
            if _catalogue_language(p) in (None, lang) and _profile_of(p) in (None, profile.name)
        )
        if profile is PRINT:
            own_layouts = (*own_layouts, cmyk_profile())
        case_layouts = tuple(p for p in own_layouts if not p.name.startswith("book"))
        publication = _publication_files(project, edition)
        every_case = tuple(p for case in edition.cases for p in _case_files(case, edition))

        def target(kind, slug, inputs, profile=profile, lang=lang) -> Target:
            path = profile.path(lang, slug or "casebook")
            fingerprint = prints.of(inputs, root, {**extra, "out": str(path)})
            return Target(kind, profile.name, lang, slug, path, inputs, fingerprint)

        books.append(target("casebook", None, (*publication, *every_case, *own_layouts, *fonts)))
        for case in edition.own_cases:
            inputs = (*publication, *_case_files(case, edition), *case_layouts, *fonts)
            cases.append(target("case", case.slug, inputs))
    return Plan((*books, *cases), prints.of((*layouts, *fonts), root, extra))


def _profile_of(path: Path) -> str | None:
    """The profile a layout file belongs to, if only one (print-shop.css: print)."""
    return "print" if path.name == "print-shop.css" else None


def _case_files(case: Case, edition: Edition) -> tuple[Path, ...]:
    files = [case.folder / f"{edition.source_language}.yaml"]
    if case.language != edition.source_language:
        files.append(case.folder / f"{case.language}.yaml")
    if case.cover is not None:
        files.append(case.cover.image)
    return tuple(files)


def _publication_files(project: Project, edition: Edition) -> tuple[Path, ...]:
    files = [project.content / "casebook.yaml"]
    translated = project.content / f"casebook.{edition.language}.yaml"
    if translated.is_file():
        files.append(translated)
    return tuple(files)


def _catalogue_language(path: Path) -> str | None:
    return path.stem if path.parent.name == "locale" and path.suffix == ".po" else None


def _common_root(project: Project) -> Path:
    return Path(os.path.commonpath([project.content, project.layouts, project.fonts]))


def _profile_folder(path: str) -> str:
    first = path.split("/", 1)[0]
    return first if first in ("archive", "print") else ""


class State:
    """What the last builds wrote: output path → fingerprint, file hash, pages, bytes."""

    def __init__(self, out: Path):
        self.path = out / STATE
        self.out = out
        self._prints = Fingerprints()
        try:
            self.records: dict[str, dict] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.records = {}

    def up_to_date(self, target: Target) -> bool:
        record = self.records.get(str(target.path))
        if not record or record.get("fingerprint") != target.fingerprint:
            return False
        path = self.out / target.path
        try:
            if path.stat().st_size != record.get("bytes"):
                return False
        except OSError:
            return False
        return self._prints.file(path) == record.get("sha256")

    def record(
        self, target: Target, data: bytes, pages: int, warnings: tuple[str, ...] = ()
    ) -> None:
        self.records[str(target.path)] = {
            "fingerprint": target.fingerprint,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "pages": pages,
            "warnings": list(warnings),  # shown again while the output stays up to date
        }

    def prune(self, planned: set[str], folders: list[str]) -> None:
        """Forget, and delete, outputs of these profiles' folders that are no longer planned
        (a case folder removed)."""
        mine = {r for r in self.records if _profile_folder(r) in folders}
        for path in sorted(mine - planned):
            for suffix in (".pdf", ".html", ".webp"):
                (self.out / path).with_suffix(suffix).unlink(missing_ok=True)
            del self.records[path]

    def save(self) -> None:
        text = json.dumps(self.records, indent=1, sort_keys=True)
        write_atomic(self.path, text.encode("utf-8"))
