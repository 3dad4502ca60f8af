"""The default theme and a project's own layouts/ and fonts/ over it, file by file: what a
project overrides, extends, adds and lists, and what an override remakes."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont

import casebook
from casebook.cli import main
from casebook.project import packaged

from .conftest import ROOT

PACKAGED = packaged("layouts")
COLOPHON = """\
{% extends "!case-body.html.j2" %}
{% block colophon %}
<footer class="colophon">
  <p>Licensed CC BY 4.0: {{ case.coalition }}, {{ labels.type_label(case.type) }}.</p>
</footer>
{% endblock %}
"""


def build(scratch):
    return casebook.build(scratch.content, scratch.out, jobs=1)


def made(result) -> set[str]:
    return {f"{o.language}/{o.path.name}" for o in result.outputs}


def own(scratch, name: str, text: str | None = None) -> Path:
    """The project's own layouts/<name>: `text`, or the packaged file with a comment added."""
    path = scratch.root / "layouts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        comment = "{# edited #}" if name.endswith(".j2") else "/* edited */"
        text = (PACKAGED / name).read_text(encoding="utf-8") + comment + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def listing(scratch, capsys) -> dict[str, dict]:
    assert main(["layouts", "--json", "--content", str(scratch.content)]) == 0
    return {row["name"]: row for row in json.loads(capsys.readouterr().out)}


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_project_template_extends_the_packaged_one_it_replaces(scratch, capsys):
    scratch.case("the-case")
    own(scratch, "case-body.html.j2", COLOPHON)
    build(scratch)
    text = " ".join(pdftotext(scratch.out / "en" / "the-case.pdf").split())
    assert "Licensed CC BY 4.0: Test Coalition, Coalition response." in text
    assert "This case study is part of" not in text  # the packaged colophon, replaced
    assert "Context paragraph." in text  # the rest of the packaged template, kept
    rows = listing(scratch, capsys)
    assert rows["case-body.html.j2"]["origin"] == "project"
    assert rows["case-body.html.j2"]["overrides"] is True
    assert {r["origin"] for n, r in rows.items() if n != "case-body.html.j2"} == {"packaged"}


def renamed_font(source: Path, target: Path, family: str, postscript: str) -> None:
    """A copy of `source` that calls itself `family` (regular) and `postscript`."""
    with TTFont(source) as font:
        names = font["name"]
        for record in list(names.names):
            if record.nameID in (1, 4, 6, 16, 17):
                names.removeNames(nameID=record.nameID)
        names.setName(family, 1, 3, 1, 0x409)
        names.setName(family, 16, 3, 1, 0x409)
        names.setName(postscript, 4, 3, 1, 0x409)
        names.setName(postscript, 6, 3, 1, 0x409)
        target.parent.mkdir(parents=True, exist_ok=True)
        font.save(target)


def embedded_fonts(path: Path) -> set[str]:
    """The PostScript names of the font programs embedded in a PDF, read from the programs
    themselves (WeasyPrint names a font in the PDF by its family, not by its file)."""
    names = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in page.obj.Resources.get("/Font", {}).values():
                descendants = font.get("/DescendantFonts")
                program = (descendants[0] if descendants else font).FontDescriptor.FontFile2
                with TTFont(io.BytesIO(program.read_bytes())) as parsed:
                    names.add(parsed["name"].getDebugName(6))
    return names


def test_a_project_font_wins_over_the_packaged_one_of_its_family_and_style(scratch):
    """The project's regular 'Source Serif 4' (another design under that name) is embedded
    instead of the packaged one, and served by the downloads page; the other faces stay."""
    scratch.case("the-case")
    fonts = ROOT / "fonts"
    renamed_font(
        fonts / "SourceSans3-Regular.ttf",
        scratch.root / "fonts" / "HouseSerif-Regular.ttf",
        "Source Serif 4",
        "HouseSerif-Regular",
    )
    build(scratch)
    embedded = embedded_fonts(scratch.out / "en" / "the-case.pdf")
    assert "HouseSerif-Regular" in embedded and "SourceSerif4-Regular" not in embedded
    assert "SourceSans3-Semibold" in embedded  # the labels: a packaged face, still there
    css = (scratch.out / "fonts.css").read_text(encoding="utf-8")
    regular = re.search(r"@font-face \{[^}]*font-weight: 400;\s*font-style: normal;", css)
    faces = re.findall(r'font-family: "Source Serif 4";\s*src: url\("fonts/([^"]+)"\)', css)
    assert regular and "HouseSerif-Regular.ttf" in faces
    assert "SourceSerif4-Regular.ttf" not in faces and "SourceSerif4-Bold.ttf" in faces
    assert (scratch.out / "fonts" / "HouseSerif-Regular.ttf").is_file()


def test_adding_editing_and_removing_an_override_remakes_exactly_what_uses_it(scratch):
    scratch.case("the-case")
    assert made(build(scratch)) == {"en/the-case.pdf", "en/casebook.pdf"}
    book = own(scratch, "book.css")
    assert made(build(scratch)) == {"en/casebook.pdf"}  # added: the book only
    book.write_text(book.read_text(encoding="utf-8") + "/* again */\n", encoding="utf-8")
    assert made(build(scratch)) == {"en/casebook.pdf"}  # edited
    folios = own(scratch, "book-folios.html.j2")
    assert made(build(scratch)) == {"en/casebook.pdf"}  # the folio sheets are the book's too
    book.unlink()
    folios.unlink()
    assert made(build(scratch)) == {"en/casebook.pdf"}  # removed: back to the packaged ones
    own(scratch, "site.css", "body { margin: 0 }\n")
    assert made(build(scratch)) == set()  # the web pages only
    assert (scratch.out / "site.css").read_text(encoding="utf-8") == "body { margin: 0 }\n"
    own(scratch, "case-body.html.j2", COLOPHON)
    assert made(build(scratch)) == {"en/the-case.pdf", "en/casebook.pdf"}


def test_every_packaged_layout_file_is_used_and_documented(scratch, capsys):
    """The layout file names are a public contract: docs/layout.md lists each one, and each
    (but the catalogue template) is used by some output, so that editing it remakes that."""
    scratch.case("the-case")
    rows = listing(scratch, capsys)
    files = {p.relative_to(PACKAGED).as_posix() for p in PACKAGED.rglob("*") if p.is_file()}
    files = {f for f in files if "__pycache__" not in f}
    assert set(rows) == files
    assert {n for n, r in rows.items() if not r["used_by"]} == {"locale/casebook.pot"}
    assert rows["book-folios.html.j2"]["used_by"] == ["books"]
    assert rows["print-shop.css"]["used_by"] == ["print profile's PDFs"]
    documented = re.findall(
        r"^\| `([^`]+)` \|", (ROOT / "docs" / "layout.md").read_text(encoding="utf-8"), re.M
    )
    assert sorted(documented) == sorted(files)


def test_layouts_copy_starts_an_override_and_never_overwrites_one(scratch, capsys):
    scratch.case("the-case")
    args = ["--content", str(scratch.content)]
    assert main(["layouts", *args, "copy", "tokens.css", "locale/es.po"]) == 0
    copied = scratch.root / "layouts" / "tokens.css"
    assert copied.read_bytes() == (PACKAGED / "tokens.css").read_bytes()
    assert (scratch.root / "layouts" / "locale" / "es.po").is_file()
    copied.write_text("/* mine */\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["layouts", *args, "copy", "tokens.css"]) == 4
    assert "already there" in capsys.readouterr().err
    assert copied.read_text(encoding="utf-8") == "/* mine */\n"
    assert main(["layouts", *args, "copy", "no-such.css"]) == 4
    assert "casebook's layouts have no file 'no-such.css'" in capsys.readouterr().err
    assert main(["layouts", *args, "copy", "--force", "tokens.css"]) == 0
    assert copied.read_bytes() == (PACKAGED / "tokens.css").read_bytes()
    assert main(["layouts", *args]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^tokens\.css +project\* +case PDFs, books, web pages$", table, re.M)
    assert re.search(r"^case\.css +packaged +case PDFs, books$", table, re.M)


@pytest.mark.parametrize("name", ["!no-such.html.j2", "no-such.html.j2"])
def test_a_template_extending_one_that_is_not_there_names_both(scratch, capsys, name):
    scratch.case("the-case")
    own(scratch, "case-body.html.j2", f'{{% extends "{name}" %}}\n')
    args = ["build", "-j", "1", "--content", str(scratch.content), "--out", str(scratch.out)]
    assert main(args) == 4
    err = capsys.readouterr().err
    assert f"layouts/case-body.html.j2 asks for '{name}' (extends, include or import)" in err
    assert not (scratch.out / "en" / "the-case.pdf").exists()


def test_a_token_the_layouts_use_and_no_stylesheet_declares_stops_the_build(scratch, capsys):
    """A project's tokens.css without a token the packaged stylesheets use: a message naming
    where it is used (WeasyPrint itself would fail inside a calc(), or drop the property)."""
    scratch.case("the-case")
    tokens = (PACKAGED / "tokens.css").read_text(encoding="utf-8")
    own(scratch, "tokens.css", re.sub(r"\n  --gutter: [^;]*;", "", tokens))
    args = ["build", "--content", str(scratch.content), "--out", str(scratch.out), "-j", "1"]
    assert main(args) == 4
    err = capsys.readouterr().err
    assert re.search(r"case\.css:\d+:\d+: var\(--gutter\) names a custom property that no ", err)
    assert "Traceback" not in err and not (scratch.out / "en" / "the-case.pdf").exists()


def test_fingerprints_do_not_depend_on_where_casebook_is_installed(scratch, tmp_path):
    """The same project planned with the default theme in two places (two venvs, two
    machines) gives the same fingerprints, a packaged template that an override extends
    included: nothing is made again because casebook moved."""
    import shutil
    from dataclasses import replace

    from casebook.build import read_project
    from casebook.plan import make_plan
    from casebook.profiles import SCREEN
    from casebook.project import Theme

    scratch.case("the-case")
    own(scratch, "case-body.html.j2", COLOPHON)
    project, book = read_project(scratch.content, scratch.out)
    prints = []
    for place in ("one", "two"):
        layouts, fonts = tmp_path / place / "layouts", tmp_path / place / "fonts"
        shutil.copytree(PACKAGED, layouts)
        shutil.copytree(ROOT / "fonts", fonts)
        moved = replace(
            project,
            layouts=Theme("layouts", layouts, project.layouts.own),
            fonts=Theme("fonts", fonts),
        )
        plan = make_plan(moved, book, None, (SCREEN,))
        assert any(layouts / "case-body.html.j2" in t.inputs for t in plan.targets)
        prints.append((plan.layouts, [(t.path, t.fingerprint, t.looks) for t in plan.targets]))
    assert prints[0] == prints[1]


def test_layouts_copy_writes_only_into_the_projects_layouts(scratch, capsys):
    scratch.case("the-case")
    for name in ("../fonts/SourceSerif4-Regular.ttf", "locale", "../../etc/passwd"):
        assert main(["layouts", "--content", str(scratch.content), "copy", name]) == 4, name
        assert "casebook's layouts have no file" in capsys.readouterr().err
    assert not (scratch.root / "layouts").exists() and not (scratch.root / "fonts").exists()
