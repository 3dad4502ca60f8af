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
    """A project with its own copy of the layouts, one property misspelt in case.css."""
    layouts = scratch.root / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    sheet = layouts / "case.css"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(text + MISTAKE, encoding="utf-8")
    scratch.case("the-case")
    return scratch, len(text.splitlines()) + 1


SAID = (
    r"^WARNING casebook: warning: layouts/case\.css:\d+:6: `colr: red` ignored: unknown property$"
)


@pytest.mark.expect_warnings(SAID)
def test_a_stylesheet_mistake_is_a_warning_at_every_build(own_layouts, warnings_logged):
    scratch, line = own_layouts
    said = f"layouts/case.css:{line}:6: `colr: red` ignored: unknown property"
    for _ in range(2):  # the second build makes nothing, and says it again
        assert casebook.build(scratch.content, scratch.out, jobs=1).warnings == [said]
    assert warnings_logged.read() == [f"WARNING casebook: warning: {said}"] * 2


@pytest.mark.expect_warnings(SAID)
def test_strict_makes_a_layout_warning_an_error(own_layouts, capsys):
    scratch, line = own_layouts
    args = ["build", "--strict", "-j", "1", "--content", str(scratch.content)]
    args += ["--out", str(scratch.out)]
    assert main(args) == 3
    err = capsys.readouterr().err
    assert "1 warning about the layouts, errors with --strict:" in err
    assert f"layouts/case.css:{line}:6: `colr: red` ignored: unknown property" in err
    assert "Traceback" not in err
    assert main(args[:1] + args[2:]) == 0  # without --strict, a warning and exit 0


def test_the_shipped_layouts_draw_no_warning(every_profile):
    """Every output of the shipped content in every profile was built without one (the
    fixture fails on any warning); its state records none for any output."""
    from casebook.plan import State

    records = State(every_profile).outputs
    assert records and all(r["warnings"] == [] for r in records.values())


@pytest.fixture
def layouts_copy(scratch):
    """A bilingual project with its own copy of the layouts, to break."""
    from .conftest import BILINGUAL

    shutil.copytree(ROOT / "layouts", scratch.root / "layouts")
    scratch.write("casebook.yaml", BILINGUAL)
    scratch.case("the-case")
    return scratch


def build_fails(scratch, capsys) -> str:
    """The command's message for a build that stops on a mistake in the layouts (exit 4)."""
    args = ["build", "--content", str(scratch.content), "--out", str(scratch.out), "--jobs", "1"]
    assert main(args) == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    return err


def test_a_template_that_does_not_parse_names_its_file_and_line(layouts_copy, capsys):
    template = layouts_copy.root / "layouts" / "case-body.html.j2"
    lines = template.read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("<article")) + 1
    lines.insert(at, "{% if %}")
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = build_fails(layouts_copy, capsys)
    said = f"casebook: layouts/case-body.html.j2:{at + 1}: the template does not parse: "
    assert said in err


def test_a_template_asked_for_and_missing_names_who_asks(layouts_copy, capsys):
    template = layouts_copy.root / "layouts" / "case-body.html.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text('{% include "side-note.j2" %}\n' + text, encoding="utf-8")
    err = build_fails(layouts_copy, capsys)
    said = "layouts/case-body.html.j2 asks for 'side-note.j2' (extends, include or import)"
    assert said in err


def test_a_catalogue_that_does_not_load_names_its_line(layouts_copy, capsys):
    catalogue = layouts_copy.root / "layouts" / "locale" / "es.po"
    lines = catalogue.read_text(encoding="utf-8").splitlines()
    catalogue.write_text("\n".join([*lines, "", 'msgid "Broken']) + "\n", encoding="utf-8")
    err = build_fails(layouts_copy, capsys)
    assert f"casebook: layouts/locale/es.po:{len(lines) + 1}: the catalogue does not load" in err
