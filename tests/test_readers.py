"""The text of every shipped PDF as poppler, MuPDF and pdf.js read it: typed hyphens come out as
"-" (U+002D), never U+2010; a hyphen that hyphenation adds ends a line or is not there at all;
letter-spaced labels read as words, not as letters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import casebook
from casebook.markup import render_markdown
from casebook.model import Case, Edition
from casebook.project import Theme
from casebook.render import Renderer

from .conftest import CONTENT, ROOT, missing_tool, written_pdfs
from .readers import READERS, PdfJs, ReaderMissing, compounds, copied, pages

BOOK = casebook.check(CONTENT)
RENDERER = Renderer(
    Theme("layouts", ROOT / "layouts"), Theme("fonts", ROOT / "fonts"), BOOK.source.language
)


@pytest.fixture(scope="session")
def pdfjs():
    try:
        reader = PdfJs()
    except ReaderMissing as exc:
        missing_tool(str(exc))
    yield reader
    reader.close()


def _edition_and_cases(path: Path) -> tuple[Edition, tuple[Case, ...]]:
    language, name = path.parent.name, path.stem
    edition = BOOK.edition(language)
    return edition, edition.cases if name == "casebook" else (edition.case(name),)


def _visible_text(edition: Edition, cases: tuple[Case, ...]) -> str:
    """The content's own text that a PDF shows, as words (Markdown rendered, tags removed)."""
    texts = [edition.introduction or ""] if len(cases) > 1 else []
    for case in cases:
        texts += [case.coalition, case.title, case.summary]
        texts += [s.heading or "" for s in case.sections] + [s.body for s in case.sections]
    html = render_markdown("\n\n".join(texts))
    return re.sub(r"<[^>]+>", " ", html).replace("&amp;", "&")


@pytest.mark.parametrize("reader", READERS)
def test_typed_hyphens_copy_as_hyphen_minus_in_every_reader(every_profile, pdfjs, reader):
    checked = 0  # PDFs with hyphenated words
    for path in written_pdfs(every_profile):
        try:
            raw = "\n".join(pages(reader, path, pdfjs))
        except ReaderMissing as exc:
            missing_tool(str(exc))
        name = f"{path.parent.name}/{path.name} ({reader})"
        assert "\u2010" not in raw, f"{name}: U+2010 in {raw[raw.index(chr(0x2010)) - 30 :][:60]!r}"
        assert "\u2060" not in raw, f"{name}: the word joiner is in the text"
        text = copied(raw)
        edition, cases = _edition_and_cases(path)
        wanted = compounds(_visible_text(edition, cases))
        missing = sorted(word for word in wanted if word not in text)
        assert not missing, f"{name}: hyphenated words not found as typed: {missing}"
        checked += bool(wanted)
    assert checked >= 2 * 3  # at least the books of every profile hold hyphenated words


@pytest.mark.parametrize("reader", READERS)
def test_letter_spaced_labels_read_as_words(shipped, pdfjs, reader):
    _, out = shipped
    for path in written_pdfs(out):
        edition, cases = _edition_and_cases(path)
        labels = RENDERER.environment(edition.language).get_template("labels.j2").module
        words = {str(labels.kind_label(s.kind)).upper() for c in cases for s in c.sections}
        words |= {str(labels.type_label(c.type)).upper() for c in cases}
        try:
            text = copied("\n".join(pages(reader, path, pdfjs)))
        except ReaderMissing as exc:
            missing_tool(str(exc))
        for word in words:
            assert re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text), (
                f"{path.parent.name}/{path.name} ({reader}): the label {word!r} does not read "
                "as one word"
            )
