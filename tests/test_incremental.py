"""Incremental, parallel and reproducible builds: what is rebuilt after which edit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

import casebook
from casebook.plan import Selection

from .conftest import BILINGUAL, CASE, ROOT, Scratch, written_pdfs

# The project's Spanish translation is incomplete on purpose (a title only): every build that
# runs in this process warns about it.
pytestmark = pytest.mark.expect_warnings(
    r"^WARNING casebook: warning: alpha/es\.yaml is incomplete: summary is missing"
)


def built(result) -> set[str]:
    return {f"{o.language}/{o.path.name}" for o in result.outputs}


def _write_project(scratch: Scratch) -> Scratch:
    """Three cases, one translated into Spanish, with their own copy of the layouts."""
    shutil.copytree(ROOT / "layouts", scratch.root / "layouts")
    shutil.copytree(ROOT / "fonts", scratch.root / "fonts")
    scratch.write("casebook.yaml", BILINGUAL)
    for slug in ("alpha", "beta", "gamma"):
        scratch.case(slug, CASE.replace("Test Coalition", f"Coalition {slug.title()}"))
    scratch.case("alpha", "title: Un caso\n", language="es")
    return scratch


@pytest.fixture
def project(scratch):
    """The project, never built."""
    return _write_project(scratch)


@pytest.fixture(scope="module")
def _built_once(tmp_path_factory) -> Path:
    once = _write_project(Scratch(tmp_path_factory.mktemp("built-once")))
    assert built(build(once)) == ALL
    return once.root


@pytest.fixture
def built_project(scratch, _built_once):
    """The project after a cold build: a copy of one built once for the module (its state
    names files relative to the project folder, so the copy is up to date)."""
    shutil.copytree(_built_once, scratch.root, dirs_exist_ok=True)
    return scratch


def build(project, **options):
    return casebook.build(project.content, project.out, jobs=1, **options)


ALL = {
    "en/alpha.pdf",
    "en/beta.pdf",
    "en/gamma.pdf",
    "en/casebook.pdf",
    "es/alpha.pdf",
    "es/casebook.pdf",
}


def test_cold_then_noop(project):
    first = build(project)
    assert built(first) == ALL
    laid = [entry.split(": ")[1] for entry in first.parts_laid_out]
    # Page furniture is the same in both languages: laid out once for the two books.
    assert laid.count("blank") == laid.count("folios-0") == 1 and laid.count("front") == 2
    again = build(project)
    assert built(again) == set()
    assert {f"{o.language}/{o.path.name}" for o in again.up_to_date} == ALL


def test_editing_one_case_rebuilds_its_pdfs_and_the_books(built_project):
    project = built_project
    path = project.content / "cases" / "beta" / "en.yaml"
    path.write_text(path.read_text().replace("Context paragraph.", "A new context."))
    assert built(build(project)) == {"en/beta.pdf", "en/casebook.pdf", "es/casebook.pdf"}


def test_editing_a_translation_rebuilds_only_that_language(built_project):
    project = built_project
    (project.content / "cases" / "alpha" / "es.yaml").write_text("title: Otro caso\n")
    assert built(build(project)) == {"es/alpha.pdf", "es/casebook.pdf"}


def test_layouts_fonts_catalogues_and_settings(built_project):
    project = built_project
    css = project.root / "layouts" / "case.css"
    css.write_text(css.read_text() + "\n/* edited */\n")
    assert built(build(project)) == ALL

    book_css = project.root / "layouts" / "book.css"
    book_css.write_text(book_css.read_text() + "\n/* edited */\n")
    assert built(build(project)) == {"en/casebook.pdf", "es/casebook.pdf"}

    po = project.root / "layouts" / "locale" / "es.po"
    po.write_text(po.read_text() + "\n")
    assert built(build(project)) == {"es/alpha.pdf", "es/casebook.pdf"}

    # The downloads page's and the watch preview's layouts are no PDF's input.
    for name in ("site.css", "index.html.j2", "preview.html.j2", "download-label.j2"):
        path = project.root / "layouts" / name
        path.write_text(path.read_text() + "\n")
        assert built(build(project)) == set(), name
    assert (project.out / "site.css").read_text().endswith("\n\n")  # the site took it

    # A template included by the case pages (and so by the book) remakes what uses it.
    meta = project.root / "layouts" / "meta.j2"
    meta.write_text(meta.read_text() + "\n")
    assert built(build(project)) == ALL

    font = project.root / "fonts" / "SourceSerif4-Regular.ttf"
    font.write_bytes(font.read_bytes())  # same bytes: nothing to do
    assert built(build(project)) == set()

    settings = project.content / "casebook.yaml"
    settings.write_text(settings.read_text().replace("Test Publisher", "Another Publisher"))
    assert built(build(project)) == ALL


def test_adding_a_case_rebuilds_the_books_and_makes_its_pdf(built_project):
    project = built_project
    project.case("delta", CASE.replace("Test Coalition", "Coalition Delta"))
    assert built(build(project)) == {"en/delta.pdf", "en/casebook.pdf", "es/casebook.pdf"}


def test_a_deleted_or_altered_output_is_made_again(built_project):
    project = built_project
    (project.out / "en" / "beta.pdf").unlink()
    (project.out / "es" / "alpha.pdf").write_bytes(b"%PDF-1.7 not ours")
    assert built(build(project)) == {"en/beta.pdf", "es/alpha.pdf"}


def test_subsets_by_language_and_case(project):
    assert built(build(project, selection=Selection(languages=("es",)))) == {
        "es/alpha.pdf",
        "es/casebook.pdf",
    }
    assert built(build(project, selection=Selection(cases=("beta",)))) == {"en/beta.pdf"}
    assert built(build(project, selection=Selection(cases=("alpha",), books=True))) == {
        "en/alpha.pdf",
        "en/casebook.pdf",
    }  # es/alpha.pdf and es/casebook.pdf are up to date already
    assert built(build(project)) == {"en/gamma.pdf"}


@pytest.mark.expect_warnings()  # refused before the build starts: no warning
def test_unknown_subset_is_a_clear_error(project):
    with pytest.raises(casebook.CasebookError, match="--case nope: there is no such case"):
        build(project, selection=Selection(cases=("nope",)))
    with pytest.raises(casebook.CasebookError, match="--lang fr: not a language"):
        build(project, selection=Selection(languages=("fr",)))


def test_parallel_and_repeated_builds_are_byte_identical(project, tmp_path):
    first = casebook.build(project.content, tmp_path / "one", jobs=2)
    second = casebook.build(project.content, tmp_path / "two", jobs=1)
    assert built(first) == built(second) == ALL
    for output in first.outputs:
        twin = tmp_path / "two" / output.path.relative_to(tmp_path / "one")
        assert output.path.read_bytes() == twin.read_bytes(), output.path.name


@pytest.mark.expect_warnings()  # the builds warn on their own stderr
def test_builds_in_separate_processes_are_byte_identical(project, tmp_path):
    for name in ("one", "two"):
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "casebook",
                "build",
                "-q",
                "--content",
                str(project.content),
                "--out",
                str(tmp_path / name),
                "--jobs",
                "1",  # parallel builds: test_parallel_and_repeated_builds_are_byte_identical
            ],
            capture_output=True,
            text=True,
            env={"SOURCE_DATE_EPOCH": "1700000000", "PATH": ""},
        )
        assert run.returncode == 0, run.stderr
    for path in written_pdfs(tmp_path / "one"):
        twin = tmp_path / "two" / path.relative_to(tmp_path / "one")
        assert path.read_bytes() == twin.read_bytes(), path.name
        assert PdfReader(path).metadata["/ModDate"].startswith("D:20231114221320")


def test_html_next_to_every_pdf_renders_on_its_own(project, tmp_path):
    result = build(project, html=True)
    assert built(result) == ALL
    for output in result.outputs:
        html = output.path.with_suffix(".html")
        assert html.is_file()
        text = html.read_text()
        assert '<link rel="stylesheet" href="file://' in text
    # Plain WeasyPrint (no casebook) renders the HTML with its fonts and styles.
    from pypdf import PdfReader
    from weasyprint import HTML

    pdf = tmp_path / "plain.pdf"
    HTML(filename=project.out / "en" / "beta.html").write_pdf(pdf)
    reader = PdfReader(pdf)
    fonts = {str(f) for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert "Coalition Beta" in reader.pages[0].extract_text()
    assert fonts
    book = project.out / "es" / "casebook.html"
    assert "Un caso" in book.read_text() and "Coalition Gamma" in book.read_text()


def test_a_build_with_nothing_to_do_writes_nothing_and_imports_no_layout_engine(built_project):
    """A no-op build (the same content again) rewrites no file, the downloads pages included,
    and loads neither WeasyPrint nor Jinja2, Babel, rich, PDFium or fontTools."""
    project = built_project
    assert built(build(project)) == set()  # the copy of the module's build is up to date
    written = {p: p.stat().st_mtime_ns for p in project.out.rglob("*") if p.is_file()}
    code = (
        "import sys, casebook; casebook.build(sys.argv[1], sys.argv[2]); "
        "print([m for m in ('weasyprint', 'jinja2', 'babel', 'rich', 'pypdfium2', 'fontTools')"
        " if m in sys.modules])"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(project.content), str(project.out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "[]", run.stdout
    after = {p: p.stat().st_mtime_ns for p in project.out.rglob("*") if p.is_file()}
    changed = [p.name for p in after if after[p] != written.get(p)]
    assert changed == [], changed


def _same_as_a_cold_build(project, folder):
    """Every PDF of the project's output folder, and its thumbnail, is byte-identical to a
    cold build's."""
    cold = casebook.build(project.content, folder, jobs=1)
    assert cold.outputs
    ours = [p.relative_to(project.out) for p in written_pdfs(project.out)]
    assert ours == [p.relative_to(folder) for p in written_pdfs(folder)]
    for path in ours:
        assert (project.out / path).read_bytes() == (folder / path).read_bytes(), path
        thumbnail = path.with_suffix(".webp")
        if (folder / thumbnail).exists():
            assert (project.out / thumbnail).read_bytes() == (folder / thumbnail).read_bytes()


def test_books_from_kept_parts_are_the_cold_build_s_after_any_edits(built_project, tmp_path):
    """A book joined from parts kept between builds is the same file as a cold build's, and
    only the parts whose content changed are laid out again."""
    project = built_project
    beta = project.content / "cases" / "beta" / "en.yaml"
    both = {"en/casebook.pdf", "es/casebook.pdf"}  # beta is in the Spanish book in English

    # An edit that keeps the page count: that case's parts only; contents and index stay.
    beta.write_text(beta.read_text().replace("Context paragraph.", "Context, edited."))
    result = build(project)
    assert sorted(result.parts_laid_out) == sorted(f"{b}: beta" for b in both)
    _same_as_a_cold_build(project, tmp_path / "cold-1")

    # A comment changes nothing shown: no part laid out, no file written again.
    beta.write_text(beta.read_text() + "# a comment\n")
    result = build(project)
    assert result.parts_laid_out == [] and result.outputs == []
    assert {f"{o.language}/{o.path.name}" for o in result.up_to_date} >= both | {"en/beta.pdf"}

    # Beta grows by pages: its parts, the contents and the index; not alpha's or gamma's.
    long = "\n".join(f"      Paragraph {n}. " + "More words on the page. " * 40 for n in range(40))
    beta.write_text(beta.read_text().replace("      Challenge paragraph.", long))
    result = build(project)
    laid = {entry.split(": ")[1] for entry in result.parts_laid_out}
    assert {"beta", "front", "index"} <= laid and not laid & {"alpha", "gamma"}

    # A case removed: the book is joined again, still the cold build's (beta still long).
    shutil.rmtree(project.content / "cases" / "gamma")
    result = build(project)
    assert result.parts_laid_out and not any("alpha" in p for p in result.parts_laid_out)
    _same_as_a_cold_build(project, tmp_path / "cold-3")
    kept = {p.stem for p in (project.out / ".casebook" / "parts").iterdir()}  # .pdf .json .webp
    records = casebook.plan.State(project.out).records.values()
    used = {r["key"] for r in records if r["kind"] == "part"}
    used |= {k for r in records for k in r.get("parts", ())}
    assert kept == used  # parts no book uses any more are not kept
