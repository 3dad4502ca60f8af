"""Markdown body text → safe HTML: for print, with footnotes inline for CSS `float: footnote`;
for the web edition, with footnotes as notes linked from their calls and back.

CommonMark through markdown-it-py with the footnote plugin. Raw HTML is shown as text, links
are kept only for http, https and mailto, and body headings are not headings (the layout owns
the document outline). A blockquote's last paragraph that starts with an em dash becomes its
`<footer>`: the source of a pull quote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

ALLOWED_SCHEMES = ("http", "https", "mailto")
ATTRIBUTION_MARKS = ("— ", "― ", "-- ")


def _link_allowed(url: str) -> bool:
    scheme = urlsplit(url.strip()).scheme.lower()
    return scheme in ALLOWED_SCHEMES


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.use(footnote_plugin)
    md.disable(["heading", "lheading", "html_block", "html_inline", "image"])
    md.validateLink = _link_allowed
    return md


def render_markdown(source: str) -> str:
    """Block Markdown → HTML (paragraphs, lists, quotations, footnotes as inline spans)."""
    html, notes = _with_placeholders(source)
    for index, note in notes.items():
        html = html.replace(_placeholder(index), f'<span class="footnote">{note}</span>')
    return html


def _with_placeholders(source: str) -> tuple[str, dict[int, str]]:
    """Block Markdown → HTML with a placeholder where each footnote is called, and the notes'
    HTML by footnote id."""
    md = markdown_parser()
    env: dict = {}
    tokens = md.parse(source, env)
    notes = _take_footnotes(md, tokens, env)
    _mark_attributions(tokens)
    return md.renderer.render(_without_footnote_block(tokens), md.options, env), notes


@dataclass(frozen=True)
class WebText:
    """A case's Markdown texts for a web page: each text's HTML with its footnote calls numbered
    through the case and linked to its notes, and the notes' HTML in that order."""

    summary: str
    groups: tuple[tuple[str, ...], ...]  # each section group's bodies, as `Case.groups`
    notes: tuple[str, ...]  # note n is notes[n - 1]; its id is "<prefix>-note-<n>"


def render_web(summary: str, groups: Sequence[Sequence[str]], prefix: str) -> WebText:
    """`summary` and each group's section bodies → HTML for a web page, footnotes as linked
    notes numbered through them all: the call `<prefix>-call-<n>` links to the note
    `<prefix>-note-<n>`, which the page lists (and links back from)."""
    notes: list[str] = []

    def html_of(source: str) -> str:
        html, found = _with_placeholders(source)

        def call(match: re.Match) -> str:
            notes.append(found[int(match[1])])
            n = len(notes)
            return (
                f'<sup class="note-call"><a href="#{prefix}-note-{n}" id="{prefix}-call-{n}"'
                f' role="doc-noteref">{n}</a></sup>'
            )

        return _PLACEHOLDER.sub(call, html)

    first = html_of(summary)
    bodies = tuple(tuple(html_of(body) for body in group) for group in groups)
    return WebText(first, bodies, tuple(notes))


def render_inline(source: str) -> str:
    """One line of Markdown (emphasis, links) → HTML without a paragraph around it."""
    return markdown_parser().renderInline(source)


def _without_footnote_block(tokens: list[Token]) -> list[Token]:
    body, inside = [], False
    for token in tokens:
        if token.type == "footnote_block_open":
            inside = True
        elif token.type == "footnote_block_close":
            inside = False
        elif not inside:
            body.append(token)
    return body


def _placeholder(index: int) -> str:
    return f"\u0000footnote-{index}\u0000"


_PLACEHOLDER = re.compile("\u0000footnote-(\\d+)\u0000")


def _take_footnotes(md: MarkdownIt, tokens: list[Token], env: dict) -> dict[int, str]:
    """Render each footnote's text; put a placeholder where it is called."""
    notes: dict[int, str] = {}
    current: int | None = None
    collected: list[Token] = []
    for token in tokens:
        if token.type == "footnote_open":
            current, collected = token.meta["id"], []
        elif token.type == "footnote_close" and current is not None:
            inner = [
                t
                for t in collected
                if t.type not in ("paragraph_open", "paragraph_close", "footnote_anchor")
            ]
            notes[current] = md.renderer.render(inner, md.options, env).strip()
            current = None
        elif current is not None:
            collected.append(token)
    for token in tokens:
        for child in token.children or ():
            if child.type == "footnote_ref":
                child.type = "text"
                child.content = _placeholder(child.meta["id"])
    return notes


def _mark_attributions(tokens: list[Token]) -> None:
    """In each blockquote, turn a last paragraph starting with '— ' into a <footer>."""
    for index, token in enumerate(tokens):
        if token.type != "blockquote_close" or index < 3:
            continue
        p_open, inline, p_close = tokens[index - 3 : index]
        if (
            p_open.type == "paragraph_open"
            and inline.type == "inline"
            and inline.content.startswith(ATTRIBUTION_MARKS)
        ):
            p_open.tag = p_close.tag = "footer"
            p_open.attrSet("class", "attribution")


WORD_JOINER = "\u2060"
_TAG = re.compile(r"(<[^>]*>)")
_JOINED = re.compile(r"(?<=\w)-(?=\w)|(?<=\d)\u2013(?=\d)")


def join_compounds(html: str) -> str:
    """A word joiner after each hyphen inside a word ("long-term") and each dash inside a range
    of numbers ("2019–2021") in the text of a document's body, so that a line never breaks
    there: every hyphen at a line end of a PDF is then one that hyphenation added, and the text
    a reader copies keeps its typed hyphens. Tags, attributes and the head are left alone.
    """
    start = html.find("<body")
    start = html.find(">", start) + 1 if start >= 0 else 0
    parts = _TAG.split(html[start:])
    parts[::2] = [_JOINED.sub(lambda m: m[0] + WORD_JOINER, text) for text in parts[::2]]
    return html[:start] + "".join(parts)
