"""One source for each design decision: the accent colour, the body typeface and the body size
are changed in the project's own copy of layouts/tokens.css alone (`casebook layouts copy`), and
every PDF (screen and print) and the downloads page follow."""

from __future__ import annotations

import re

import pikepdf
import pymupdf

import casebook
from casebook.cli import main
from casebook.plan import Selection

from .conftest import written_pdfs

ACCENT, ACCENT_CMYK = "#aa0000", "device-cmyk(0 1 1 0)"


def test_the_accent_the_body_typeface_and_size_change_in_one_place(scratch):
    scratch.case("the-case")
    assert main(["layouts", "--content", str(scratch.content), "copy", "tokens.css"]) == 0
    tokens = scratch.root / "layouts" / "tokens.css"
    assert [p.name for p in tokens.parent.iterdir()] == ["tokens.css"]  # the rest: packaged
    text = tokens.read_text(encoding="utf-8")
    text, accents = re.subn(r"(--accent: )#[0-9a-f]{6}", rf"\g<1>{ACCENT}", text)
    text, inks = re.subn(r"(--accent-cmyk: )device-cmyk\([^)]*\)", rf"\g<1>{ACCENT_CMYK}", text)
    text, faces = re.subn(r'(--serif: )"Source Serif 4"', r'\1"Source Sans 3"', text)
    text, sizes = re.subn(r"(--text-size: )10pt", r"\g<1>11pt", text)
    assert accents == inks == faces == sizes == 1
    tokens.write_text(text, encoding="utf-8")
    casebook.build(scratch.content, scratch.out, jobs=1)
    casebook.build(
        scratch.content, scratch.out, jobs=1, profile="print", selection=Selection(books=True)
    )
    pdfs = written_pdfs(scratch.out)
    assert len(pdfs) == 3  # the case and the book on screen, the book for print
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            fonts = {
                str(font.BaseFont)
                for page in pdf.pages
                for font in page.obj.Resources.get("/Font", {}).values()
            }
        assert fonts and not any("Serif" in f for f in fonts), (path, fonts)
    for path in [p for p in pdfs if "print" not in p.parts]:  # the accent, in sRGB
        with pymupdf.open(path) as pdf:
            spans = [
                span
                for page in pdf
                for block in page.get_text("dict")["blocks"]
                for line in block.get("lines", ())
                for span in line["spans"]
            ]
        colours = {span["color"] for span in spans}
        assert 0xAA0000 in colours and 0x0B6E69 not in colours, path
        body = next(s for s in spans if s["text"].startswith("Context paragraph"))
        assert round(body["size"], 1) == 11.0, path  # the body size, from --text-size
    with pikepdf.open(scratch.out / "print" / "en" / "casebook.pdf") as pdf:  # in CMYK
        inks = {
            tuple(float(v) for v in operands)
            for page in pdf.pages
            for operands, operator in pikepdf.parse_content_stream(page)
            if str(operator) in ("scn", "SCN") and len(operands) == 4  # in /DeviceCMYK
        }
    assert (0.0, 1.0, 1.0, 0.0) in inks and (0.95, 0.38, 0.61, 0.22) not in inks
    page = (scratch.out / "index.html").read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="tokens.css">' in page
    assert (scratch.out / "tokens.css").read_text(encoding="utf-8") == text
