"""The code follows the project's Ruff configuration (pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "src", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_ruff_check_passes():
    run = ruff("check")
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_format_is_applied():
    run = ruff("format", "--check")
    assert run.returncode == 0, run.stdout + run.stderr
