"""Reading the PDFs the build wrote: text, words, fonts, outline."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import pymupdf
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from casebook.markup import render_markdown

MM = 72 / 25.4


# Page furniture between the two halves of a word hyphenated at a page's last line, in the
# order a reader extracts it: the folio, then the next page's running head and labels (lines
# without a lower-case letter).
FURNITURE = r"(?:(?:Page|Página) \d+ (?:of|de) \d+\n|\d+\n|[^\na-z]{1,80}\n)*"


def normalise(text: str) -> str:
    """Undo line-end hyphenation (also across a page turn) and fold whitespace, as a reader's
    copy-paste would."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = re.sub(rf"(\w)[-\u2010\u2011][ \t]*\n{FURNITURE}\s*(\w)", r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip()


def pdf_text(path: Path) -> str:
    return normalise("\n".join(page.extract_text() or "" for page in PdfReader(path).pages))


def words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", normalise(text).lower()))


def markdown_words(source: str) -> Counter:
    """The words a reader sees of a Markdown text (markup and tags removed)."""
    html = render_markdown(source)
    return words(re.sub(r"<[^>]+>", " ", html).replace("&amp;", "&"))


def missing_words(passage: str, have: Counter) -> Counter:
    """Words of a Markdown passage that a PDF's words lack.

    A compound such as "pro-democracy" broken at its own hyphen at a line end reads back as
    "prodemocracy" (text extraction cannot tell it from a soft hyphen): that counts as present.
    """
    missing = markdown_words(passage) - have
    for first, second in re.findall(r"(\w+)-(\w+)", passage.lower()):
        if missing[first] and missing[second] and have[first + second]:
            missing[first] -= 1
            missing[second] -= 1
    return +missing


class Character(NamedTuple):
    """A character as MuPDF reads it (much faster than pdfplumber on long documents)."""

    text: str
    font: str
    size: float
    x1: float
    top: float  # from the top of the page, of the font's box (ascender to descender)
    bottom: float
    line: int  # the number of its line on the page, in MuPDF's reading order


def characters(page: pymupdf.Page) -> list[Character]:
    """Every character MuPDF finds on `page`, with its font, size and box."""
    lines = (
        line for block in page.get_text("rawdict")["blocks"] for line in block.get("lines", ())
    )
    return [
        Character(char["c"], span["font"], span["size"], *itemgetter(2, 1, 3)(char["bbox"]), n)
        for n, line in enumerate(lines)
        for span in line["spans"]
        for char in span["chars"]
    ]


def text_of(found: list[Character]) -> str:
    """The text of these characters, a line break where their line changes."""
    return "".join(
        ("\n" if n and c.line != found[n - 1].line else "") + c.text for n, c in enumerate(found)
    )


def font_names(path: Path) -> dict[str, bool]:
    """Every font used on any page: base name without subset tag → embedded or not."""
    found: dict[str, bool] = {}
    for page in PdfReader(path).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else DictionaryObject()
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            found[name] = embedded
    return found


def outline(path: Path) -> list:
    """The bookmarks as nested (title, [children]) pairs."""
    reader = PdfReader(path)

    def walk(items) -> list:
        tree: list = []
        for item in items:
            if isinstance(item, list):
                tree[-1] = (tree[-1][0], walk(item))
            else:
                tree.append((item.title, []))
        return tree

    return walk(reader.outline)
