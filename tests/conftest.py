"""Fixtures: the shipped project built once per session, scratch projects from strings, and a
check that no test logs a warning or emits a Python warning it did not declare."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import pickle
import re
import shutil
import tempfile
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import casebook
from casebook.plan import Selection

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"

PUBLICATION = """\
title: Test casebook
subtitle: Fixtures
publisher: Test Publisher
date: 2021-03
authors: [A. Author]
source_language: en
languages: [en]
"""

BILINGUAL = """\
title: Test casebook
publisher: Test Publisher
date: 2021-03
authors: [A. Author]
source_language: en
languages: [en, es]
"""

CASE = """\
coalition: Test Coalition
title: A case for testing
type: coalition-response
date: 2020-11
region: europe
country: Poland
authors:
  - A. Author
summary: |
  The lede of the test case.
sections:
  - kind: context
    body: |
      Context paragraph.
  - kind: challenges
    heading: A challenge
    body: |
      Challenge paragraph.
  - kind: outcomes
    body: |
      - First outcome.
      - Second outcome.
"""


def written_pdfs(out: Path) -> list[Path]:
    """The PDFs a build wrote for its readers, in order (not the books' parts kept in
    `<out>/.casebook/`)."""
    return sorted(p for p in out.rglob("*.pdf") if ".casebook" not in p.relative_to(out).parts)


def missing_tool(message: str) -> None:
    """A checker or browser the test needs is not installed: in CI a failure, else a skip."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class Scratch:
    """A project in a temporary folder, written from dedented strings."""

    def __init__(self, root: Path):
        self.root = root
        self.content = root / "content"
        self.out = root / "build"
        self.write("casebook.yaml", PUBLICATION)

    def write(self, relative: str, text: str) -> Path:
        path = self.content / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def case(self, slug: str, text: str = CASE, language: str = "en") -> Path:
        return self.write(f"cases/{slug}/{language}.yaml", text)

    def build(self, jobs: int = 1) -> casebook.BuildResult:
        """Built in this process unless asked: starting workers costs more than a scratch
        project's few pages."""
        return casebook.build(self.content, self.out, jobs=jobs)


@pytest.fixture
def scratch(tmp_path: Path) -> Scratch:
    return Scratch(tmp_path)


def made_once(factory: pytest.TempPathFactory, name: str, make):
    """`make(folder)`, run once for the whole test run and shared by pytest-xdist's workers:
    the first worker to ask makes it under a lock, the others wait and get what it returned
    (pickled). The outputs are laid out once instead of once per worker."""
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, shared by its workers
    folder, made = base / name, base / f"{name}.pickle"
    with (base / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if made.exists():
            return pickle.loads(made.read_bytes())
        shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
        folder.mkdir()
        value = make(folder)
        made.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[casebook.BuildResult, Path]:
    """The shipped content, built once per test run into a temporary folder (with no warning:
    the session fixtures are set up before any test's own check starts). Tests read it only."""

    def make(folder: Path) -> tuple[casebook.BuildResult, Path]:
        out = folder / "build"
        with capture_warnings() as captured:
            result = casebook.build(CONTENT, out)
        fail_on_unexpected_warnings(captured.found)
        return result, out

    return made_once(tmp_path_factory, "shipped", make)


PRINT_CASES = ("bond-uk", "unidosc-mexico")


@pytest.fixture(scope="session")
def every_profile(shipped, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped content in every profile: a copy of the run's screen build to which builds
    add, for the archive and for print, the books (which hold every case) and the PDFs of two
    cases (one in English only, one translated; print makes case PDFs only on request)."""

    def make(folder: Path) -> Path:
        out = folder / "build"
        shutil.copytree(shipped[1], out)
        with capture_warnings() as captured:
            two = Selection(cases=PRINT_CASES, books=True)
            casebook.build(CONTENT, out, profile="archive", selection=two)
            casebook.build(CONTENT, out, profile="print", selection=two)
        fail_on_unexpected_warnings(captured.found)
        return out

    return made_once(tmp_path_factory, "profiles", make)


# ---- No unexpected warnings (in the spirit of WeasyPrint's `assert_no_logs`) ----

EXPECT_WARNINGS = (
    "expect_warnings(*patterns, optional=False): the test logs warnings or emits Python "
    "warnings, each matched by one of these regular expressions, and (unless optional) every "
    "pattern matches at least one of them"
)
# Loggers whose configuration a test may change (`cli.main` replaces casebook's handlers and
# stops it propagating; casebook quietens WeasyPrint's while it lays out): restored after every
# test. Not the root logger, where pytest attaches and removes its own handlers.
RESTORED = ("casebook", "weasyprint")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", EXPECT_WARNINGS)


class Captured:
    """Records of WARNING and above from any logger, and Python warnings, as lines of text.

    Kept in an unlinked file opened for appending, so that worker processes forked during a
    build (`--jobs`) add theirs to the same place.
    """

    def __init__(self) -> None:
        handle, path = tempfile.mkstemp(prefix="casebook-warnings-")
        os.close(handle)
        self.fd = os.open(path, os.O_RDWR | os.O_APPEND)
        os.unlink(path)
        self.found: list[str] = []

    def add(self, text: str) -> None:
        os.write(self.fd, (json.dumps(text) + "\n").encode())

    def read(self) -> list[str]:
        data = os.pread(self.fd, os.fstat(self.fd).st_size, 0).decode()
        return [json.loads(line) for line in data.splitlines()]

    def close(self) -> None:
        self.found = self.read()
        os.close(self.fd)


@contextlib.contextmanager
def capture_warnings() -> Iterator[Captured]:
    """Capture what is logged and warned inside the block; restore the logging setup after.

    `Logger.callHandlers` sees every record that a logger emits, whatever its handlers and
    `propagate` (which `cli.main` changes for casebook's logger).
    """
    captured = Captured()
    call_handlers = logging.Logger.callHandlers

    def recording(logger: logging.Logger, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string is worth reporting too
                message = f"{record.msg!r} % {record.args!r}"
            captured.add(f"{record.levelname} {record.name}: {message}")
        call_handlers(logger, record)

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        captured.add(f"{category.__name__} {filename}:{lineno}: {message}")

    loggers = [logging.getLogger(name) for name in RESTORED]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in loggers]
    logging.Logger.callHandlers = recording
    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            yield captured
    finally:
        logging.Logger.callHandlers = call_handlers
        for logger, handlers, level, propagate, disabled in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled
        captured.close()


def unexpected_warnings(
    found: list[str], patterns: tuple[str, ...] = (), every: bool = True
) -> str:
    """What is wrong with the captured lines: one matching no pattern, and (with `every`) a
    pattern matching none."""
    unexpected = [f for f in found if not any(re.search(p, f) for p in patterns)]
    unmatched = [p for p in patterns if every and not any(re.search(p, f) for f in found)]
    problems = [f"unexpected warning: {f}" for f in unexpected]
    problems += [f"expected warning not seen: {p!r} (seen: {found})" for p in unmatched]
    return "\n".join(problems)


def fail_on_unexpected_warnings(
    found: list[str], patterns: tuple[str, ...] = (), every: bool = True
) -> None:
    problems = unexpected_warnings(found, patterns, every)
    if problems:
        pytest.fail(problems, pytrace=False)


@pytest.fixture(autouse=True)
def warnings_logged(request: pytest.FixtureRequest) -> Iterator[Captured]:
    """Fail a test that logs a WARNING or above (any logger, also in forked workers) or emits a
    Python warning, unless it declares it with `@pytest.mark.expect_warnings(pattern, ...)`.

    A test may ask for this fixture and read `warnings_logged.read()` as it goes.
    """
    marker = request.node.get_closest_marker("expect_warnings")
    patterns = tuple(marker.args) if marker else ()
    every = not (marker and marker.kwargs.get("optional"))
    with capture_warnings() as captured:
        yield captured
    fail_on_unexpected_warnings(captured.found, patterns, every)
