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
import re
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from . import __version__
from .errors import ProjectError
from .model import Case, Casebook, Edition
from .profiles import PRINT, PROFILES, SCREEN, Profile, cmyk_profile
from .project import PACKAGED, Project, Theme
from .publish import write_atomic

STATE = Path(".casebook") / "state.json"
BOOK = "casebook"  # the book's file name, <lang>/casebook.pdf
SITE_PAGE = "index.html"  # a web page: index.html, <lang>/index.html, <lang>/<slug>/index.html
SEARCH = "pagefind"  # the web edition's search index, <out>/pagefind/
INDEXED = Path(".casebook") / "search.sha256"  # what the index in place was made from
SITE_KEY = "site"  # in the state file: the fingerprint of what the site was published from
RESERVED_SLUGS = (BOOK, Path(SITE_PAGE).stem)  # a case folder so named would overwrite them
# What each kind of output is made from in layouts/: its entry templates (and every template
# they extend, include or import) and its stylesheets, in order.
CASE_TEMPLATES = ("case.html.j2",)
BOOK_TEMPLATES = (
    "book-front.html.j2",
    "book-case.html.j2",
    "book-index.html.j2",
    "book-blank.html.j2",
    "book-folios.html.j2",
    "book.html.j2",  # the whole book as one document, with --html
)
CASE_STYLESHEETS = ("tokens.css", "case.css")  # after the @font-face rules of the fonts present
BOOK_STYLESHEETS = (*CASE_STYLESHEETS, "book.css")
PAGE_SIZE_STYLESHEETS = {"A4": (), "letter": ("letter.css",)}
SITE_TEMPLATES = (  # the web edition: the collection pages and the case pages
    "index.html.j2",
    "web-case.html.j2",
    "download-label.j2",
    "fonts.css.j2",
)
SITE_STYLESHEETS = ("tokens.css", "site.css")  # copied from layouts/, linked by index.html.j2
PREVIEW_TEMPLATES = ("preview.html.j2", "watch-reload.html.j2")  # the watch preview
_JINJA_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
_REFERENCE = re.compile(r"""{%-?\s*(?:extends|include|import|from)\s+["']([^"']+)["']""")
TEMPORARY = Path(".casebook") / "tmp"  # the workers' temporary files, removed after them
PARTS = Path(".casebook") / "parts"  # the books' laid-out parts, <key>.pdf and <key>.json
PART = "part"  # the kind of a book's case part in the state file (path: PARTS/profile/lang/slug)


@dataclass(frozen=True)
class Target:
    """One output file to make."""

    kind: str  # "case", "casebook" or PART (a case's part of a book, kept under PARTS)
    profile: str  # screen, archive or print
    language: str
    case: str | None
    path: Path  # relative to the output folder
    templates: tuple[str, ...]  # in layouts/: the entry templates first, then what they use
    stylesheets: tuple[str, ...]  # in layouts/, in the order they apply
    inputs: tuple[Path, ...]  # every file it is made from
    fingerprint: str  # of every input, the versions of casebook and WeasyPrint, the source date
    looks: str = ""  # of the inputs that are not content: layouts, fonts, catalogue, profile
    furniture: str = ""  # a book's: `looks` but the catalogue (its blank page, folio sheets)


@dataclass(frozen=True)
class Plan:
    """Every output of a build, the books' case parts, and the fingerprint of the layouts and
    fonts it was made with."""

    targets: tuple[Target, ...]
    layouts: str
    parts: tuple[Target, ...] = ()

    def parts_of(self, book: Target) -> dict[str, Target]:
        """The case parts of `book`, by case slug."""
        return {
            t.case: t
            for t in self.parts
            if (t.profile, t.language) == (book.profile, book.language)
        }


@dataclass(frozen=True)
class Selection:
    """What to build: languages and cases (empty = all), and the books with a case subset."""

    languages: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()
    books: bool = False

    def wants(self, target: Target) -> bool:
        if self.languages and target.language not in self.languages:
            return False
        if target.kind == BOOK:
            return not self.cases or self.books
        if not self.cases:
            return PROFILES[target.profile].cases_by_default
        return target.case in self.cases


class Fingerprints:
    """SHA-256 of files, each read once per build. A file is named in a fingerprint by its
    path relative to the project folder, or by `names` (the theme's files: layouts/<name> and
    fonts/<name>, wherever casebook is installed and whichever folder they come from)."""

    def __init__(self, names: dict[Path, str] | None = None) -> None:
        self._seen: dict[Path, str] = {}
        self._names = names or {}

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
            name = self._names.get(path) or (
                path.relative_to(root) if path.is_relative_to(root) else path
            )
            digest.update(f"{name}\0{self.file(path)}\n".encode())
        return digest.hexdigest()


def make_plan(
    project: Project, casebook: Casebook, source_date: str | None, profiles: tuple[Profile, ...]
) -> Plan:
    """Every output of every edition in every profile, books first (they take longest). Each
    output's fingerprint covers exactly the files it is made from: its content files, the
    templates and stylesheets of its kind, its language's catalogue, the fonts."""
    theme = {
        path: f"{folder.name}/{name}"
        for folder in (project.layouts, project.fonts)
        for name, path in folder.files().items()
        if not name.endswith(".pot")
    }
    for folder in (project.layouts, project.fonts):  # "!<name>": the packaged file, extended
        for name, path in Theme(folder.name, folder.packaged).files().items():
            theme.setdefault(path, f"{folder.name}/{PACKAGED}{name}")
    prints = Fingerprints(theme)
    root = project.root
    layouts = [p for p, name in theme.items() if name.startswith("layouts/")]
    fonts = [p for p, name in theme.items() if name.startswith("fonts/")]
    extra = {
        "casebook": __version__,
        "weasyprint": version("weasyprint"),
        "source_date": source_date,
    }
    kinds = {
        BOOK: (templates_used(project.layouts, BOOK_TEMPLATES), BOOK_STYLESHEETS),
        "case": (templates_used(project.layouts, CASE_TEMPLATES), CASE_STYLESHEETS),
    }
    books, cases, parts = [], [], []
    for profile, edition in ((p, e) for p in profiles for e in casebook.editions):
        catalogue = project.layouts.path(f"locale/{edition.language}.po")
        catalogue = (catalogue,) if catalogue.is_file() else ()
        looks_shared = (*catalogue, *((cmyk_profile(),) if profile is PRINT else ()), *fonts)
        shared = (*_publication_files(project, edition), *looks_shared)
        sheets = (*PAGE_SIZE_STYLESHEETS[edition.page_size], *profile.stylesheets)
        every_case = tuple(p for case in edition.cases for p in _case_files(case, edition))
        outputs = [(BOOK, None, every_case)] + [
            ("case", case.slug, _case_files(case, edition)) for case in edition.own_cases
        ]
        for kind, slug, content in outputs:
            templates, stylesheets = kinds[kind]
            stylesheets = (*stylesheets, *sheets)
            used = tuple(project.layouts.path(name) for name in (*templates, *stylesheets))
            inputs = (*content, *used, *shared)
            path = profile.path(edition.language, slug or BOOK)
            looks = prints.of((*used, *looks_shared), root, {**extra, "profile": profile.name})
            furniture = tuple(p for p in (*used, *looks_shared) if p not in catalogue)
            furniture = prints.of(furniture, root, {**extra, "profile": profile.name})
            fingerprint = prints.of(inputs, root, {**extra, "out": str(path)})
            made = Target(
                kind, profile.name, edition.language, slug, path,
                templates, stylesheets, inputs, fingerprint, looks,
                furniture if kind == BOOK else "",
            )  # fmt: skip
            (books if kind == BOOK else cases).append(made)
            if kind != BOOK:
                continue
            for case in edition.cases:  # the book's case parts
                inputs = (*_case_files(case, edition), *used, *shared)
                path = PARTS / profile.name / edition.language / case.slug
                fingerprint = prints.of(inputs, root, {**extra, "out": str(path)})
                names = (PART, profile.name, edition.language, case.slug, path)
                made = (templates, stylesheets, inputs, fingerprint, looks)
                parts.append(Target(*names, *made))
    return Plan((*books, *cases), prints.of((*layouts, *fonts), root, extra), tuple(parts))


def site_fingerprint(plan: Plan, state: State) -> str:
    """What the web pages and the manifest show: every layout and font, every output's
    inputs (the content), and what the screen PDFs are (bytes, pages, hash)."""
    shown = {
        path: [r["sha256"], r["bytes"], r["pages"]]
        for path, r in state.outputs.items()
        if r["profile"] == SCREEN.name
    }
    inputs = [plan.layouts, sorted(t.fingerprint for t in plan.targets), shown]
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def templates_used(layouts: Theme, entries: tuple[str, ...]) -> tuple[str, ...]:
    """`entries` and every template they extend, include or import, found by reading them (no
    Jinja2 import: a build with nothing to make stays light); a project's template that extends
    the packaged one it replaces brings both."""
    found, todo = [], [(name, None) for name in entries]
    while todo:
        name, user = todo.pop(0)
        if name in found:
            continue
        path = layouts.path(name)
        if not path.is_file():
            who = (
                f"{layouts.label(user)} asks for {name!r} (extends, include or import), which"
                if user
                else f"{name!r}"
            )
            where = " or ".join(str(f) for f in layouts.folders)
            raise ProjectError(f"{who} is not in the layouts ({where})")
        found.append(name)
        text = _JINJA_COMMENT.sub("", path.read_text(encoding="utf-8"))
        todo += [(used, name) for used in _REFERENCE.findall(text)]
    return tuple(found)


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


class State:
    """What the last builds wrote: output path → fingerprint, file hash, pages, bytes."""

    def __init__(self, out: Path):
        self.path = out / STATE
        self.out = out
        self._prints = Fingerprints()
        try:
            records = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            records = {}
        # Records of an older casebook, which did not say what each output is, are forgotten:
        # their outputs are made again.
        records = records if isinstance(records, dict) else {}
        self.site: str | None = records.pop(SITE_KEY, None)  # see site_fingerprint
        self.records: dict[str, dict] = {
            path: record
            for path, record in records.items()
            if isinstance(record, dict) and "kind" in record
        }

    @property
    def outputs(self) -> dict[str, dict]:
        """The records of the files the builds wrote (not of the books' kept parts)."""
        return {path: r for path, r in self.records.items() if r["kind"] != PART}

    def up_to_date(self, target: Target) -> bool:
        record = self.records.get(str(target.path))
        if not record or record.get("fingerprint") != target.fingerprint:
            return False
        return self.intact(target)

    def intact(self, target: Target) -> bool:
        """Whether `target`'s file is still the one the state records (whatever its inputs)."""
        record = self.records.get(str(target.path))
        if not record:
            return False
        path = self.out / target.path
        try:
            if path.stat().st_size != record.get("bytes"):
                return False
        except OSError:
            return False
        return self._prints.file(path) == record.get("sha256")

    def record(
        self,
        target: Target,
        data: bytes,
        pages: int,
        warnings: tuple[str, ...] = (),
        parts: tuple[str, ...] = (),
        key: str = "",
    ) -> None:
        """An output written: `parts`, for a book, are the keys of the parts it was joined from;
        `key`, for a case PDF, the hash of what it shows."""
        self.records[str(target.path)] = {
            **_what(target),
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "pages": pages,
            "warnings": list(warnings),  # shown again while the output stays up to date
            **({"parts": list(parts)} if parts else {}),
            **({"key": key} if key else {}),
        }

    def confirm(self, target: Target) -> None:
        """`target`'s file, made again, would be the same: it is up to date with its inputs."""
        self.records[str(target.path)]["fingerprint"] = target.fingerprint

    def record_part(self, target: Target, key: str, pages: int) -> None:
        """A book's case part kept as PARTS/<key>.pdf: while its inputs do not change, a build
        takes it as it is without even rendering it."""
        self.records[str(target.path)] = {**_what(target), "key": key, "pages": pages}

    def kept_part(self, target: Target) -> tuple[str, int] | None:
        """The key and pages of a case part made from exactly `target`'s inputs and still kept
        (its PDF and what the join reads about it); None if it must be looked at again."""
        record = self.records.get(str(target.path))
        if not record or record.get("fingerprint") != target.fingerprint:
            return None
        kept = self.out / PARTS / record["key"]
        if not (kept.with_suffix(".json").is_file() and kept.with_suffix(".pdf").is_file()):
            return None
        return record["key"], record["pages"]

    def forget_parts(self) -> None:
        """Remove kept parts that no record uses any more (the cache does not grow without
        end: a part stays while its case part or a book joined from it is recorded)."""
        used = {r["key"] for r in self.records.values() if r["kind"] == PART}
        used.update(k for r in self.records.values() for k in r.get("parts", ()))
        folder = self.out / PARTS
        if not folder.is_dir():
            return
        for path in folder.iterdir():
            if path.suffix in (".pdf", ".json", ".webp") and path.stem not in used:
                path.unlink(missing_ok=True)

    def prune(self, planned: set[str], profiles: list[str]) -> None:
        """Forget, and delete, outputs of these profiles that are no longer planned (a case
        folder removed)."""
        mine = {path for path, r in self.records.items() if r["profile"] in profiles}
        for path in sorted(mine - planned):
            if self.records[path]["kind"] != PART:  # a part's file goes with forget_parts
                for suffix in (".pdf", ".html", ".webp"):
                    (self.out / path).with_suffix(suffix).unlink(missing_ok=True)
            del self.records[path]

    def site_is(self, fingerprint: str) -> bool:
        """Whether the site was published from exactly this, and is still there (its page, and
        its search index, whole, when there are screen PDFs, which have pages)."""
        screen = any(r.get("profile") == SCREEN.name for r in self.records.values())
        search = not screen or ((self.out / SEARCH).is_dir() and (self.out / INDEXED).is_file())
        return self.site == fingerprint and (self.out / SITE_PAGE).is_file() and search

    def save(self) -> None:
        """Write the state, unless the file already says the same (a no-op writes nothing)."""
        text = json.dumps({**self.records, SITE_KEY: self.site}, indent=1, sort_keys=True)
        try:
            if self.path.read_text(encoding="utf-8") == text:
                return
        except OSError:
            pass
        write_atomic(self.path, text.encode("utf-8"))


def _what(target: Target) -> dict:
    """What the state records of every output and part: what it is, and what it was made from."""
    return {
        "kind": target.kind,
        "profile": target.profile,
        "language": target.language,
        "case": target.case,
        "fingerprint": target.fingerprint,
    }
