"""The per-case PDFs of the shipped content, read back from the files."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pdfplumber
import pymupdf
import pytest
import yaml
from pypdf import PdfReader

import casebook

from .conftest import CASE, CONTENT, ROOT
from .pdfs import (
    MM,
    Character,
    characters,
    font_names,
    missing_words,
    normalise,
    outline,
    pdf_text,
    text_of,
    words,
)

SLUGS = sorted(p.name for p in (CONTENT / "cases").iterdir() if (p / "en.yaml").is_file())
FAMILIES = ("Source-Serif-4", "Source-Sans-3")


def source(slug: str) -> dict:
    return yaml.safe_load((CONTENT / "cases" / slug / "en.yaml").read_text(encoding="utf-8"))


def test_one_pdf_per_case(shipped):
    result, out = shipped
    assert sorted(p.stem for p in (out / "en").glob("*.pdf")) == sorted([*SLUGS, "casebook"])
    assert {o.case for o in result.outputs if o.kind == "case" and o.language == "en"} == set(SLUGS)


@pytest.mark.parametrize("slug", SLUGS)
def test_pdf_holds_every_heading_and_paragraph(shipped, slug):
    _, out = shipped
    data = source(slug)
    text = pdf_text(out / "en" / f"{slug}.pdf")
    have = words(text)
    for heading in [data["coalition"], data["title"]] + [
        s["heading"] for s in data["sections"] if s.get("heading")
    ]:
        assert normalise(heading) in text, heading
    for passage in [data["summary"]] + [s["body"] for s in data["sections"]]:
        missing = missing_words(passage, have)
        assert not missing, f"{slug}: missing words {sorted(missing.elements())[:10]}"
    for label in ("Report date", "Region", "Authors"):
        assert label.upper() in text.upper()


@pytest.mark.parametrize("slug", SLUGS)
def test_fonts_embedded_and_only_the_publication_families(shipped, slug):
    _, out = shipped
    fonts = font_names(out / "en" / f"{slug}.pdf")
    assert fonts, "no fonts found"
    assert all(fonts.values()), f"not embedded: {[n for n, e in fonts.items() if not e]}"
    strays = [name for name in fonts if not name.startswith(FAMILIES)]
    assert not strays, f"fallback fonts: {strays}"


@pytest.mark.parametrize("slug", SLUGS)
def test_metadata_language_and_page_size(shipped, slug):
    _, out = shipped
    data = source(slug)
    reader = PdfReader(out / "en" / f"{slug}.pdf")
    meta = reader.metadata
    assert meta.title == f"{data['coalition']}: {data['title']}"
    assert all(author in meta.author for author in data["authors"])
    assert normalise(meta.subject) == normalise(data["summary"])
    assert data["coalition"] in meta["/Keywords"]
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert meta["/CreationDate"].startswith("D:" + data["date"].replace("-", ""))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / MM), round(height / MM)) == (210, 297)


@pytest.mark.parametrize("slug", SLUGS)
def test_outline_has_the_case_and_its_sections(shipped, slug):
    _, out = shipped
    data = source(slug)
    [(title, groups)] = outline(out / "en" / f"{slug}.pdf")
    assert title == f"{data['coalition']}: {data['title']}"
    kinds = []
    for section in data["sections"]:
        label = section["kind"].capitalize()
        if not kinds or kinds[-1] != label:
            kinds.append(label)
    assert [g[0].capitalize() for g in groups] == kinds
    headings = [h for _, children in groups for h, _ in children]
    assert headings == [s["heading"] for s in data["sections"] if s.get("heading")]


@pytest.mark.parametrize("slug", ["hrdc-malawi", "bond-uk"])
def test_running_head_folio_and_footnote_at_page_foot(shipped, slug):
    _, out = shipped
    data = source(slug)
    with pdfplumber.open(out / "en" / f"{slug}.pdf") as pdf:
        count = len(pdf.pages)
        assert count >= 2
        for number, page in enumerate(pdf.pages, 1):
            head = page.crop((0, 0, page.width, 22 * MM)).extract_text() or ""
            foot = page.crop((0, page.height - 24 * MM, page.width, page.height)).extract_text()
            assert f"Page {number} of {count}" in (foot or "")
            if number == 1:
                assert head.strip() == ""
            else:
                assert data["coalition"].upper() in head.upper()
        # The footnote's text is set small at the foot of the page that calls it.
        notes = [
            (n, c)
            for n, page in enumerate(pdf.pages)
            for c in page.chars
            if c["size"] < 8.5 and c["top"] > page.height * 0.6 and "Serif" in c["fontname"]
        ]
        assert notes, "no footnote text found near a page foot"
        foot_text = "".join(c["text"] for _, c in notes)
        assert "CIVICUS" in foot_text or "Bond" in foot_text


def is_body(char: Character) -> bool:
    """A character of the body text: the serif at 10 pt (headings are sans, notes smaller)."""
    return "Serif" in char.font and 9.5 <= char.size <= 10.5


def prose(markdown: str) -> str:
    """A section body's paragraphs and lists: without its pull quotes and footnotes, which are
    set in other sizes."""
    text = re.sub(r"(?m)^\s*>.*$", "", markdown)
    text = re.sub(r"(?m)^\[\^[^\]]+\]:.*$", "", text)
    return re.sub(r"\[\^[^\]]+\]", "", text)


@pytest.mark.parametrize("slug", SLUGS)
def test_body_text_stays_inside_the_text_column(shipped, slug):
    """No overfull line: every body character ends left of the text column's right edge.

    The characters checked are the body text: every page but the last holds some, the
    justified lines of those pages reach the column's edge (so the edge measured is the real
    one), and every word of every section's paragraphs and lists is among them."""
    _, out = shipped
    texts = []
    with pymupdf.open(out / "en" / f"{slug}.pdf") as pdf:
        for number, page in enumerate(pdf, 1):
            right = page.rect.width - 70 * MM
            body = [c for c in characters(page) if is_body(c)]
            over = [c.text for c in body if c.x1 > right + 1]
            assert not over, f"page {number}: text past the column: {''.join(over)}"
            if number < len(pdf):
                assert body, f"page {number} holds no body text"
                short = right - max(c.x1 for c in body if c.text != " ")
                assert short < 2, f"page {number}: no line reaches the column's edge ({short:.1f})"
            texts.append(text_of(body))
    have = words("\n".join(texts))
    for index, section in enumerate(source(slug)["sections"]):
        missing = missing_words(prose(section["body"]), have)
        assert not missing, f"sections[{index}]: not in the body text: {sorted(missing)[:10]}"


def test_source_fidelity_of_the_shipped_cases(shipped):
    """Every published case study is in its PDF word for word (the shared fidelity tool)."""
    tool = ROOT.parent / "shared" / "tools" / "fidelity.py"
    if not tool.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing in CI")
        pytest.skip(f"{tool} is not beside this checkout")
    _, out = shipped
    pdfs = sorted(str(out / "en" / f"{slug}.pdf") for slug in SLUGS)
    run = subprocess.run([sys.executable, str(tool), *pdfs], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    shares = [float(line.split()[0]) for line in run.stdout.splitlines() if line[:1].isdigit()]
    assert len(shares) == 10 and min(shares) >= 0.99


def test_build_reports_pages_and_bytes_of_each_file(shipped):
    result, _ = shipped
    for output in result.outputs:
        assert output.bytes == output.path.stat().st_size
        assert output.pages == len(PdfReader(output.path).pages)


def files(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_library_build_and_cli_build_write_the_same_files(scratch, capsys):
    """`casebook build` is a shell over `casebook.build`: byte for byte the same output folder
    (PDFs, thumbnails, pages, manifest, build state) from the same content."""
    scratch.case("only-case")
    scratch.case("other-case", CASE.replace("Test Coalition", "Other Coalition"))
    library, cli = scratch.root / "library", scratch.root / "cli"
    result = casebook.build(scratch.content, library)
    from casebook.cli import main

    assert main(["build", "-q", "--content", str(scratch.content), "--out", str(cli)]) == 0
    assert capsys.readouterr().err == ""  # quiet: nothing but errors
    made, shelled = files(library), files(cli)
    assert sorted(p.path.relative_to(library).as_posix() for p in result.outputs) == [
        "en/casebook.pdf",
        "en/only-case.pdf",
        "en/other-case.pdf",
    ]
    assert {"en/only-case.webp", "index.html", "manifest.json"} <= set(made)
    assert sorted(made) == sorted(shelled)
    different = [name for name in made if made[name] != shelled[name]]
    assert not different, f"the library and the command wrote different {different}"
