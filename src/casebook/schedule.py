"""Stages 5–7, make: a build's targets and their books' parts → tasks, each handed to a
worker as soon as what it needs is done; results yielded in the order they finish.

A case PDF is one task. A book is a small graph of tasks (book.py, make.py):

    its case parts, its blank page ─┐ (each case part whose inputs did not change since it was
                                    │  kept is not even looked at: its key and pages are in
                                    │  the state file)
        → its contents and index (they need every case's first page)
        → its folio sheets (they need the book's page count; kept from build to build, and,
          like the blank page, laid out once for all the books of a profile: `_Furniture`)
        → the join (every part kept) → the book

Tasks wait in a queue ordered by how close they are to finishing an output: joins first, then
front matter, index and folio sheets, then case PDFs, then case parts. Case PDFs come before
case parts because the site's case pages and their search index wait for the last of them (and
then run in the main process while the books are joined: site.py), and because in an edit the
case's PDF then starts at once beside its part, not after the other books' cheap lookups. No
more tasks are handed out than there are workers, so a book's last steps never wait behind the
whole queue. The workers are a `concurrent.futures` process pool; with one job, or in
`casebook watch`, the same tasks run in this process.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

from .book import BLANK, FRONT, INDEX, folio_sheets, is_furniture, number_cases
from .made import Layout
from .model import Casebook
from .plan import BOOK, TEMPORARY, Plan, State, Target
from .project import Project

# Task priorities: lower runs first.
_JOIN, _MATTER, _CASE, _PART = range(4)


class _Book:
    """One book's tasks, released as what they need is done."""

    def __init__(self, target: Target, casebook: Casebook, plan: Plan, state: State):
        self.target = target
        self.slugs = [case.slug for case in casebook.edition(target.language).cases]
        self.pages: dict[str, int] = {}  # part → pages, once known
        self.keys: dict[str, str] = {}  # part → key
        for slug, part in plan.parts_of(target).items():
            kept = state.kept_part(part)
            if kept is not None:
                self.keys[slug], self.pages[slug] = kept
        record = state.records.get(str(target.path), {})
        self.previous = tuple(record.get("parts", ())) if state.intact(target) else ()
        self.step = 0
        self.entries: tuple[tuple[str, int], ...] = ()
        self.index_page = 0
        self.sheets: list[str] = []

    def start(self) -> list[tuple[int, tuple]]:
        todo = [s for s in self.slugs if s not in self.keys] + [BLANK]
        return [(_PART, ("part", self.target, part)) for part in todo] + self._advance()

    def done(self, part: str, key: str, pages: int) -> list[tuple[int, tuple]]:
        self.keys[part], self.pages[part] = key, pages
        return self._advance()

    def _advance(self) -> list[tuple[int, tuple]]:
        if self.step == 0 and all(s in self.pages for s in self.slugs):
            self.step = 1
            entries, self.index_page = number_cases(
                tuple(self.slugs), [self.pages[s] for s in self.slugs]
            )
            self.entries = tuple((slug, page) for slug, page in entries)
            numbered = (self.entries, self.index_page)
            return [
                (_MATTER, ("part", self.target, FRONT, *numbered)),
                (_MATTER, ("part", self.target, INDEX, *numbered)),
            ]
        if self.step == 1 and INDEX in self.pages:
            self.step = 2
            self.sheets = folio_sheets(self.index_page - 1 + self.pages[INDEX])
            return [(_MATTER, ("part", self.target, sheet)) for sheet in self.sheets]
        needed = (FRONT, BLANK, *self.sheets)
        if self.step == 2 and all(p in self.keys for p in needed):
            self.step = 3
            layout = Layout(
                front=self.keys[FRONT],
                cases=tuple(self.keys[s] for s in self.slugs),
                index=self.keys[INDEX],
                blank=self.keys[BLANK],
                folios=tuple(self.keys[s] for s in self.sheets),
                entries=self.entries,
                index_page=self.index_page,
            )
            return [(_JOIN, ("join", self.target, layout, self.previous))]
        return []


class _Furniture:
    """The pages that every book of a profile shares whatever its language (the blank page, the
    folio sheets): each laid out once, for whichever book asks first, and given to the others."""

    def __init__(self) -> None:
        self.found: dict[tuple, tuple[str, int]] = {}
        self.waiting: dict[tuple, list[_Book]] = {}

    def ask(self, book: _Book, part: str) -> tuple[bool, list[tuple[int, tuple]]]:
        """Whether `book` is the first to ask for `part` (and lays it out), and the tasks that
        its being there already releases."""
        shared = (book.target.profile, book.target.furniture, part)
        if shared in self.found:
            return False, book.done(part, *self.found[shared])
        first = shared not in self.waiting
        self.waiting.setdefault(shared, []).append(book)
        return first, []

    def done(self, made) -> list[tuple[int, tuple]]:
        shared = (made.book.profile, made.book.furniture, made.part)
        self.found[shared] = (made.key, made.pages)
        return [
            t
            for book in self.waiting.pop(shared)
            for t in book.done(made.part, made.key, made.pages)
        ]


def make_all(
    project: Project,
    casebook: Casebook,
    plan: Plan,
    state: State,
    todo: list[Target],
    renderer,
    *,
    source_date: str | None,
    html: bool,
    jobs: int | None,
    maker=None,
    workers: Workers | None = None,
) -> Iterator:
    """`Made` outputs and `PartMade` book parts, in the order they finish: with `maker` (or one
    made with `renderer()`) in this process when given or when there is one job, else in
    `workers` (started early by the build) or in `jobs` worker processes of its own."""
    if not todo:
        return
    books = {t: _Book(t, casebook, plan, state) for t in todo if t.kind == BOOK}
    furniture = _Furniture()
    queue: list = []
    order = itertools.count()

    def push(tasks):
        for priority, task in tasks:
            if task[0] == "part" and is_furniture(task[2]):
                first, released = furniture.ask(books[task[1]], task[2])
                push(released)
                if not first:
                    continue
            heapq.heappush(queue, (priority, next(order), task))

    def followers(made) -> list:  # the tasks that a finished part releases
        if not hasattr(made, "part"):
            return []
        if is_furniture(made.part):
            return furniture.done(made)
        return books[made.book].done(made.part, made.key, made.pages)

    for book in books.values():
        push(book.start())
    for target in (t for t in todo if t.kind != BOOK):
        record = state.records.get(str(target.path), {})
        previous = record.get("key", "") if state.intact(target) else ""
        push([(_CASE, ("make", target, previous))])
    width = max(1, min(jobs or os.cpu_count() or 1, len(queue)))
    if maker is not None or (workers is None and width == 1):
        here = (project, casebook, queue, push, followers, renderer, maker, source_date, html)
        yield from _run_here(*here)
        return
    own = workers is None
    workers = workers or Workers(project, source_date, html, width)
    try:
        workers.load(casebook)
        running: dict[Future, int] = {}  # → the order it was handed out in
        try:
            while queue or running:
                while queue and len(running) < workers.width:
                    _, number, task = heapq.heappop(queue)
                    running[workers.submit(task)] = number
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=running.__getitem__):
                    del running[future]
                    made = future.result()
                    push(followers(made))
                    yield made
        finally:
            for future in running:
                future.cancel()
    finally:
        if own:
            workers.close()


class Workers:
    """Worker processes, each with a `Maker`: started, when a build expects work, before the
    project is even validated, so that WeasyPrint's import (about half a second) and the
    parsing of the stylesheets overlap the main process's own work. The validated model
    reaches them through a file in the build's temporary folder, read once per worker."""

    def __init__(self, project: Project, source_date: str | None, html: bool, jobs: int | None):
        self.width = max(1, jobs or os.cpu_count() or 1)
        self.scratch = project.out / TEMPORARY
        self.pool = ProcessPoolExecutor(
            max_workers=self.width,
            initializer=_start_worker,
            initargs=(project, source_date, html, self.scratch),
        )
        self.pool.submit(int)  # starts every worker now (they fork at the first task)
        self.model: Path | None = None

    def load(self, casebook: Casebook) -> None:
        """Hand the validated model to the workers."""
        import pickle

        from .publish import write_atomic

        data = pickle.dumps(casebook)
        self.model = self.scratch / f"model-{hashlib.sha256(data).hexdigest()[:16]}.pickle"
        write_atomic(self.model, data)

    def submit(self, task: tuple) -> Future:
        assert self.model is not None, "load the model first"
        return self.pool.submit(_run, self.model, task)

    def close(self) -> None:
        """Stop the workers (once they are done starting) and remove their temporary files."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.scratch, ignore_errors=True)


def _run_here(project, casebook, queue, push, followers, renderer, maker, source_date, html):
    from .make import Maker

    own = maker is None
    maker = maker or Maker(project, source_date, html, renderer())
    try:
        while queue:
            method, *args = heapq.heappop(queue)[2]
            made = getattr(maker, method)(casebook, *args)
            push(followers(made))
            yield made
    finally:
        if own:
            maker.close()


# ---- Worker processes: one Maker each, made by the pool's initializer ----

_worker: dict = {}  # this worker's Maker, and the model it was last given


def _die_with_parent() -> None:
    """Ask Linux to end this worker if the build process is killed (no orphans left working)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _start_worker(project: Project, source_date: str | None, html: bool, scratch: Path) -> None:
    _die_with_parent()
    tempfile.tempdir = str(scratch / f"worker-{os.getpid()}")  # WeasyPrint's font folder
    Path(tempfile.tempdir).mkdir(parents=True, exist_ok=True)
    with _libraries_from_the_linker_cache():
        from .make import Maker
    from .plan import BOOK_STYLESHEETS
    from .render import Renderer

    renderer = Renderer(project.layouts, project.fonts)  # its language set by the model
    maker = Maker(project, source_date, html, renderer)
    for name in BOOK_STYLESHEETS:  # parsed now, while the main process validates
        with contextlib.suppress(Exception):  # a broken one is reported when it is used
            maker.paginator.stylesheet(name)
    _worker["maker"] = maker


@contextlib.contextmanager
def _libraries_from_the_linker_cache():
    """While WeasyPrint is imported: `ctypes.util.find_library` answered from one reading of
    the linker's cache. WeasyPrint asks for each C library it loads under several names (22
    lookups); for each, find_library runs `ldconfig -p` and, for a name it does not find there,
    the C compiler: 0.13 s of the 0.32 s import, in every worker of every build. The answers are
    find_library's own first method (a library named lib<name>.so… for this machine's ABI in
    `ldconfig -p`); with LD_LIBRARY_PATH set, which only its other methods read, nothing is
    changed."""
    import ctypes.util
    import re
    import struct
    import subprocess

    original = ctypes.util.find_library
    try:
        listing = subprocess.run(
            ["/sbin/ldconfig", "-p"],
            capture_output=True,
            env={"LC_ALL": "C", "LANG": "C"},
            timeout=5,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        listing = None
    if listing is None or os.environ.get("LD_LIBRARY_PATH"):
        yield
        return
    machine = f"{os.uname().machine}-{8 * struct.calcsize('l')}"
    abi = {"x86_64-64": "libc6,x86-64", "aarch64-64": "libc6,AArch64"}.get(machine, "libc6")

    def find_library(name: str) -> str | None:
        found = re.search(
            rb"\s+(lib%s\.[^\s]+)\s+\(%s" % (re.escape(name.encode()), abi.encode()), listing
        )
        return found[1].decode() if found else None

    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = original


def _run(model: Path, task: tuple):
    maker = _worker["maker"]
    if _worker.get("model") != model:
        import pickle

        _worker["casebook"] = pickle.loads(model.read_bytes())
        _worker["model"] = model
    casebook = _worker["casebook"]
    if maker.renderer.source_language != casebook.source.language:
        from .render import Renderer

        maker.renderer = Renderer(
            maker.renderer.layouts, maker.renderer.fonts, casebook.source.language
        )
    method, *args = task
    return getattr(maker, method)(casebook, *args)
