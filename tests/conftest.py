"""Fixtures: the shipped project built once per session, and scratch projects from strings."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

import casebook

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

    def build(self) -> casebook.BuildResult:
        return casebook.build(self.content, self.out)


@pytest.fixture
def scratch(tmp_path: Path) -> Scratch:
    return Scratch(tmp_path)


@pytest.fixture(scope="session")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[casebook.BuildResult, Path]:
    """The shipped content, built once per test session into a temporary folder."""
    out = tmp_path_factory.mktemp("shipped") / "build"
    return casebook.build(CONTENT, out), out
