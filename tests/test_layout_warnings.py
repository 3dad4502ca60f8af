"""A mistake in a stylesheet of layouts/ is reported, naming the file and line, at every build
of an output that uses it; `--strict` makes it an error, as MkDocs' strict mode does."""

from __future__ import annotations

import shutil

import pytest

import casebook
from casebook.cli import main

from .conftest import ROOT

MISTAKE = "h1 { colr: red }\n"


@pytest.fixture
def own_layouts(scratch):
    """A project with its own copy of the layouts, one property misspelt in print.css."""
    layouts = scratch.root / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    sheet = layouts / "print.css"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(text + MISTAKE, encoding="utf-8")
    scratch.case("the-case")
    return scratch, len(text.splitlines()) + 1


SAID = (
    r"^WARNING casebook: warning: layouts/print\.css:\d+:6: `colr: red` ignored: unknown property$"
)


@pytest.mark.expect_warnings(SAID)
def test_a_stylesheet_mistake_is_a_warning_at_every_build(own_layouts, warnings_logged):
    scratch, line = own_layouts
    said = f"layouts/print.css:{line}:6: `colr: red` ignored: unknown property"
    for _ in range(2):  # the second build makes nothing, and says it again
        assert casebook.build(scratch.content, scratch.out, jobs=1).warnings == [said]
    assert warnings_logged.read() == [f"WARNING casebook: warning: {said}"] * 2


@pytest.mark.expect_warnings(SAID)
def test_strict_makes_a_layout_warning_an_error(own_layouts, capsys):
    scratch, line = own_layouts
    args = ["build", "--strict", "--content", str(scratch.content), "--out", str(scratch.out)]
    assert main(args) == 3
    err = capsys.readouterr().err
    assert "1 warning about the layouts, errors with --strict:" in err
    assert f"layouts/print.css:{line}:6: `colr: red` ignored: unknown property" in err
    assert "Traceback" not in err
    assert main(args[:1] + args[2:]) == 0  # without --strict, a warning and exit 0


def test_the_shipped_layouts_draw_no_warning(every_profile):
    """Every output of the shipped content in every profile was built without one (the
    fixture fails on any warning); its state records none for any output."""
    from casebook.plan import State

    records = State(every_profile).outputs
    assert records and all(r["warnings"] == [] for r in records.values())
