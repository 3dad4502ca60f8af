"""Unusual but valid content renders: long cases, long words, many footnotes, Latin Extended."""

from __future__ import annotations

import pymupdf

import casebook
from casebook.plan import Selection

from .conftest import CASE
from .pdfs import MM, characters, font_names, normalise, pdf_text

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


PARAGRAPHS = 120  # about 34 pages


def test_a_thirty_page_case_with_footnotes_everywhere_and_long_words(scratch):
    scratch.case("long", long_case(PARAGRAPHS))
    result = casebook.build(  # its PDF only: the book would lay the same pages out again
        scratch.content, scratch.out, jobs=1, selection=Selection(cases=("long",))
    )
    (output,) = [o for o in result.outputs if o.kind == "case"]
    texts = []
    with pymupdf.open(output.path) as pdf:  # MuPDF: pdfplumber took 3.7 s for these pages
        assert len(pdf) >= 30
        for number, page in enumerate(pdf, 1):
            # Nothing passes the text column, and every page but the last holds footnote text
            # (the serif at 8 pt; the folio is in the sans) at its foot, below the body text.
            right = page.rect.width - 70 * MM
            serif = [c for c in characters(page) if "Serif" in c.font]
            over = [c for c in serif if c.x1 > right + 1 and c.size <= 10.5]
            assert not over, f"page {number}: {''.join(c.text for c in over)[:40]}"
            notes = [c for c in serif if abs(c.size - 8) < 0.1]
            body = [c for c in serif if abs(c.size - 10) < 0.1]
            if number < len(pdf):
                assert notes and body, f"page {number} has no footnote or no body text"
                above = min(c.top for c in notes) - max(c.bottom for c in body)
                assert above > 0, f"page {number}: a footnote is not below the body text"
            texts.append(page.get_text())
    text = normalise("\n".join(texts))
    assert "Footnote 1: interview" in text and f"Footnote {PARAGRAPHS}: interview" in text
