"""The three profiles, checked by independent tools on the shipped content:
screen (PDF/UA-1), archive (PDF/A-3a), print (PDF/X-4 with bleed and crop marks)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pypdfium2
import pytest
from pypdf import PdfReader

import casebook
from casebook.plan import Selection

from .conftest import missing_tool, written_pdfs

MM = 72 / 25.4
TOOLS = {
    name: shutil.which(name) for name in ("qpdf", "gs", "pdffonts", "pdfinfo", "outloud", "pdfua")
}


def tool(name: str) -> str:
    """The path of a checker; in CI a missing checker is a failure, elsewhere a plain skip."""
    path = TOOLS[name]
    if path is None:
        missing_tool(f"{name} is not installed (.ci/run installs it)")
    return path


@pytest.fixture
def built(every_profile):
    return every_profile


def pdfs(out, folder: str) -> list:
    found = sorted(
        (out / folder).glob("*/*.pdf")
        if folder
        else [*(out / "en").glob("*.pdf"), *(out / "es").glob("*.pdf")]
    )
    assert found, f"no PDFs in {folder or 'the screen folders'}"
    return found


def xmp(path) -> str:
    return subprocess.run(
        [tool("pdfinfo"), "-meta", str(path)], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("folder", ["", "archive", "print"])
def test_structure_and_fonts_pass_qpdf_ghostscript_and_pdffonts(built, folder):
    for path in pdfs(built, folder):
        run = subprocess.run([tool("qpdf"), "--check", str(path)], capture_output=True, text=True)
        assert run.returncode == 0, f"{path}: {run.stdout[-300:]}"
        run = subprocess.run(
            [
                tool("gs"),
                "-q",
                "-dNOPAUSE",
                "-dBATCH",
                "-dPDFSTOPONERROR",
                "-dPDFSTOPONWARNING",
                "-sDEVICE=nullpage",
                str(path),
            ],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, f"{path}: {run.stdout[-300:]}{run.stderr[-300:]}"
        fonts = subprocess.run(
            [tool("pdffonts"), str(path)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), f"{path}: {fonts}"


def json_documents(text: str) -> list:
    """The JSON documents printed one after another (pdfua prints one per file)."""
    decoder, documents, text, at = json.JSONDecoder(), [], text.strip(), 0
    while at < len(text):
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
        at = len(text) - len(text[at:].lstrip())
    return documents


def test_screen_pdfs_are_pdf_ua_and_pass_outloud_and_pdfua(built):
    paths = pdfs(built, "")
    for path in paths:
        reader = PdfReader(path)
        root = reader.trailer["/Root"]
        assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
        assert root["/ViewerPreferences"]["/DisplayDocTitle"]
        assert root["/Lang"] == path.parent.name
        meta = xmp(path)
        assert 'pdfuaid:part="1"' in meta or "<pdfuaid:part>1<" in meta, path

    # Each checker runs once over every file.
    files = [str(path) for path in paths]
    run = subprocess.run(
        [tool("outloud"), "--no-info", "--json", "-", *files], capture_output=True, text=True
    )
    results = {result["path"]: result for result in json.loads(run.stdout)["results"]}
    assert sorted(results) == sorted(files)
    for path, result in results.items():
        errors = [f for f in result["findings"] if f["severity"] == "error"]
        assert not errors, f"{path}: {[(f['rule'], f['message']) for f in errors]}"
        assert result["stats"]["tagged"] and result["stats"]["features"]["lang"], path

    run = subprocess.run(
        [tool("pdfua"), "check", "-f", "json", *files], capture_output=True, text=True
    )
    reports = {report["file"]: report for report in json_documents(run.stdout)}
    assert sorted(reports) == sorted(files), run.stderr
    for path, report in reports.items():
        assert report["summary"]["errors"] == 0, f"{path}: {report['findings']}"
        # Its rule UA-14-001 crashes on tagged WeasyPrint files: it may be skipped, nothing else.
        assert {s["rule_id"] for s in report["skipped"]} <= {"UA-14-001"}, path


def test_archive_pdfs_are_pdf_a_3a_with_an_output_intent(built):
    for path in pdfs(built, "archive"):
        meta = xmp(path)
        assert re.search(r'pdfaid:part(="|>)3', meta) and re.search(
            r'pdfaid:conformance(="|>)A', meta
        ), path
        intents = [i.get_object() for i in PdfReader(path).trailer["/Root"]["/OutputIntents"]]
        assert [i["/S"] for i in intents] == ["/GTS_PDFA1"]
        assert "/DestOutputProfile" in intents[0]
    assert {p.parent.name for p in pdfs(built, "archive")} == {"en", "es"}


def test_print_pdfs_are_pdf_x_4_with_a_cmyk_intent_and_a4_trim(built):
    found = pdfs(built, "print")
    assert {p.stem for p in found} >= {"casebook"}
    for path in found:
        assert "PDF/X-4" in xmp(path)
        reader = PdfReader(path)
        intents = [i.get_object() for i in reader.trailer["/Root"]["/OutputIntents"]]
        assert [i["/S"] for i in intents] == ["/GTS_PDFX"]
        profile = intents[0]["/DestOutputProfile"].get_object()
        assert profile["/N"] == 4  # a CMYK profile
        for page in reader.pages:
            trim = [float(v) for v in page.trimbox]
            assert (round((trim[2] - trim[0]) / MM), round((trim[3] - trim[1]) / MM)) == (210, 297)


def test_print_cover_art_reaches_into_the_bleed(built):
    path = built / "print" / "en" / "casebook.pdf"
    document = pypdfium2.PdfDocument(path)
    try:
        page = document[0]
        scale = 2
        image = page.render(scale=scale).to_pil().convert("RGB")
        media = [float(v) for v in page.get_mediabox()]
        trim = [float(v) for v in page.get_trimbox()]
    finally:
        document.close()
    # 1.5 mm outside the trim (inside the bleed), halfway down the left edge: the cover's teal.
    x = round((trim[0] - 1.5 * MM - media[0]) * scale)
    r, g, b = image.getpixel((x, image.height // 2))
    assert g > r + 40 and b > r + 30, (r, g, b)
    # 5 mm outside the trim, beyond the bleed: the slug, white.
    x = round((trim[0] - 5 * MM - media[0]) * scale)
    assert min(image.getpixel((x, image.height // 3))) > 240


def test_print_case_pdfs_on_request_and_letter_size(scratch):
    scratch.write(
        "casebook.yaml", (scratch.content / "casebook.yaml").read_text() + "page_size: letter\n"
    )
    scratch.case("the-case")
    result = casebook.build(
        scratch.content,
        scratch.out,
        jobs=1,
        profile="print",
        selection=Selection(cases=("the-case",)),
    )
    assert [o.path.relative_to(scratch.out).as_posix() for o in result.outputs] == [
        "print/en/the-case.pdf"
    ]
    page = PdfReader(scratch.out / "print" / "en" / "the-case.pdf").pages[0]
    assert [round(float(v)) for v in page.trimbox] == [0, 0, 612, 792]


def test_profile_setting_and_unknown_profile(scratch):
    scratch.write(
        "casebook.yaml", (scratch.content / "casebook.yaml").read_text() + "profile: poster\n"
    )
    scratch.case("the-case")
    with pytest.raises(casebook.ContentError) as info:
        casebook.check(scratch.content)
    assert "profile: 'poster' is not one of: screen, archive, print, all" in str(info.value)


def test_profile_all_gives_the_screen_and_archive_pdfs_of_each_profile_alone(scratch, tmp_path):
    """One process making every profile (as a worker does) keeps each profile's colour intent
    to its own PDFs: no CMYK profile outside print/, byte-identical screen and archive PDFs."""
    scratch.case("the-case")
    for profile in ("all", "screen", "archive"):
        casebook.build(scratch.content, tmp_path / profile, profile=profile, jobs=1)
    alone = [
        (profile, path.relative_to(tmp_path / profile))
        for profile in ("screen", "archive")
        for path in written_pdfs(tmp_path / profile)
    ]
    assert len(alone) == 4  # the case and the book, in each profile
    for profile, name in alone:
        assert (tmp_path / "all" / name).read_bytes() == (tmp_path / profile / name).read_bytes()
    for path in written_pdfs(tmp_path / "all"):
        intents = PdfReader(path).trailer["/Root"].get("/OutputIntents", [])
        components = [i.get_object()["/DestOutputProfile"].get_object()["/N"] for i in intents]
        assert (4 in components) == (path.relative_to(tmp_path / "all").parts[0] == "print"), path
