"""Unusual but valid content renders: long cases, long words, many footnotes, Latin Extended."""

from __future__ import annotations

import pdfplumber
from pypdf import PdfReader

from .conftest import CASE
from .pdfs import MM, font_names, pdf_text

FAMILIES = ("Source-Serif-4", "Source-Sans-3")


def test_polish_hungarian_and_spanish_letters_use_the_publication_fonts(scratch):
    names = "Łódź, Győr, Kőszegi, Szczęśliwość, ¿Qué pasó? ¡Sí! Ñandú, Åland, Øresund"
    scratch.case(
        "letters",
        CASE.replace("coalition: Test Coalition", "coalition: Koalicja Łódź–Győr")
        .replace("Context paragraph.", f"Context paragraph: {names}.")
        .replace("heading: A challenge", "heading: Kőszegi és Łódź"),
    )
    scratch.build()
    pdf = scratch.out / "en" / "letters.pdf"
    text = pdf_text(pdf)
    for word in ("Łódź", "Győr", "Kőszegi", "Szczęśliwość", "¿Qué", "¡Sí!", "Ñandú", "Øresund"):
        assert word in text
    fonts = font_names(pdf)
    assert all(fonts.values())
    assert all(name.startswith(FAMILIES) for name in fonts), fonts


def long_case(paragraphs: int) -> str:
    sentence = (
        "Coalition members met every week to compare notes on new restrictions, to draft joint "
        "statements and to decide who would speak to which ministry, journalist or funder. "
    )
    word = "Antidisestablishmentarianism" * 6
    url = "https://example.org/" + "very-long-path-segment/" * 8
    body = "\n".join(
        f"      Paragraph {n}. {sentence * 3}{word if n % 7 == 0 else ''} See {url}[^{n}]\n"
        for n in range(1, paragraphs + 1)
    )
    notes = "\n".join(
        f"      [^{n}]: Footnote {n}: interview with a coalition member.\n"
        for n in range(1, paragraphs + 1)
    )
    return CASE.replace("      Context paragraph.\n", body + "\n" + notes)


def test_a_thirty_page_case_with_footnotes_everywhere_and_long_words(scratch):
    scratch.case("long", long_case(180))
    result = scratch.build()
    (output,) = [o for o in result.outputs if o.kind == "case"]
    reader = PdfReader(output.path)
    assert len(reader.pages) >= 30
    text = pdf_text(output.path)
    assert "Footnote 1: interview" in text and "Footnote 180: interview" in text
    with pdfplumber.open(output.path) as pdf:
        for page in pdf.pages:
            # Every page but the last holds footnote text, and nothing passes the text column.
            right = page.width - 70 * MM
            over = [
                c
                for c in page.chars
                if "Serif" in c["fontname"] and c["x1"] > right + 1 and c["size"] <= 10.5
            ]
            assert not over, f"page {page.page_number}: {''.join(c['text'] for c in over)[:40]}"
            notes = [
                c for c in page.chars if abs(c["size"] - 8) < 0.1 and c["top"] > page.height / 2
            ]
            if page.page_number > 1:
                assert notes, f"page {page.page_number} has no footnote"
