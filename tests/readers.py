"""The PDFs as their readers read them: poppler (`pdftotext -raw`), MuPDF (PyMuPDF, as
`mutool draw -F txt` does) and pdf.js (Firefox's reader, the npm package `pdfjs-dist`, run by
tests/node/read.mjs in one node process for the whole test session).

Each reader gives the text of every page with its line ends, as a person copying it would get
it. `copied` turns that into running text the way a reader's copy does: a hyphen at a line end
joins the two halves of the word, every other line end is a space.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

NODE = Path(__file__).resolve().parent / "node"
READERS = ("poppler", "mupdf", "pdfjs")


class ReaderMissing(Exception):
    """A reader is not installed (see .ci/run)."""


def poppler(path: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        raise ReaderMissing("pdftotext (Debian: poppler-utils) is not installed")
    run = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.split("\f")[:-1]


def mupdf(path: Path) -> list[str]:
    try:
        import pymupdf
    except ImportError:
        raise ReaderMissing("PyMuPDF is not installed (pip install -e '.[test]')") from None
    with pymupdf.open(path) as document:
        return [page.get_text() for page in document]


class PdfJs:
    """One node process running pdf.js, asked for one PDF at a time."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None or not (NODE / "node_modules" / "pdfjs-dist").is_dir():
            raise ReaderMissing(
                "pdf.js is not installed: npm ci --prefix tests/node (needs node 20.19 or newer)"
            )
        self.process = subprocess.Popen(
            [node, str(NODE / "read.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=NODE,
        )
        self._read: dict[Path, dict] = {}

    def read(self, path: Path) -> dict:
        """{"pages": [text…], "labels": [...] or None, "outline": [[title, [children]]…]}"""
        if path not in self._read:
            assert self.process.stdin and self.process.stdout
            self.process.stdin.write(f"{path}\n")
            self.process.stdin.flush()
            answer = json.loads(self.process.stdout.readline())
            if "error" in answer:
                raise RuntimeError(f"pdf.js could not read {path}: {answer['error']}")
            self._read[path] = answer
        return self._read[path]

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=10)


def pages(reader: str, path: Path, pdfjs: PdfJs | None = None) -> list[str]:
    """The text of each page of `path` as `reader` extracts it."""
    if reader == "pdfjs":
        assert pdfjs is not None
        return pdfjs.read(path)["pages"]
    return {"poppler": poppler, "mupdf": mupdf}[reader](path)


def copied(text: str) -> str:
    """Running text as a reader's copy gives it: a line-end hyphen between letters joins the
    word's halves (casebook's PDFs end a line with a hyphen only where hyphenation put one);
    other line ends and runs of spaces become one space."""
    text = re.sub(r"(\w)-[ \t]*\n[ \t]*(\w)", r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip()


@cache
def compounds(text: str) -> frozenset[str]:
    """The hyphenated words of a text ("long-term", "day-to-day")."""
    return frozenset(re.findall(r"\w+(?:-\w+)+", text))
