"""Translation units: a case's (or the publication's) translatable texts cut into the pieces a
translator's tool shows one at a time, each with an id that survives edits of the source.

A plain text (a title, a coalition's name, a cover's alt text) is one unit. A Markdown text
(a summary, a section's body, the introduction) is one unit per block: each paragraph, list
item, paragraph of a quotation, quotation's source (`> — Source`) and footnote. A unit's text is
its inline Markdown on one line; the block's structure (`- `, `> `, `[^1]: `) is not part of it
and comes back from the source when a translation is put together (`rebuild`).

Unit ids are aligned against the stamp (the source text the translation was last stamped
against): a unit whose text is unchanged, or edited but still recognisably the same block, keeps
its id; a new block gets a new one, made from its text.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from markdown_it.token import Token

from .markup import ATTRIBUTION_MARKS, markdown_parser
from .model import KeyPath
from .schema import key_name

# What a unit is, as a translator's tool shows it in its note.
ROLES = {
    "text": "text",
    "heading": "heading",
    "paragraph": "paragraph",
    "item": "list item",
    "quotation": "quotation",
    "source": "quotation's source",
    "note": "footnote",
}
SPACES = " \t\n\r\f\v"  # what Markdown and YAML lay out as space; a no-break space is text
_SPACE_RUN = re.compile(f"[{re.escape(SPACES)}]+")


def collapse(text: str) -> str:
    """`text` on one line: each run of ordinary white space one space, none at the ends (a
    no-break space, U+00A0 or U+202F, is kept: it is part of the text)."""
    return _SPACE_RUN.sub(" ", text).strip(" ")


SIMILAR = 0.6  # how alike (difflib's ratio of characters) an edited block stays to keep its id


@dataclass(frozen=True)
class Block:
    """One block of a Markdown text: its role, its inline text on one line, the lines of the
    text it spans, and what stands before it on its first line (`- `, `> `, `[^1]: `)."""

    role: str
    text: str
    start: int
    end: int
    prefix: str


def blocks(markdown: str) -> list[Block]:
    """The translatable blocks of a Markdown text, in reading order (footnotes last)."""
    tokens = markdown_parser().parse(markdown, {})
    lines = markdown.split("\n")
    found: list[Block] = []
    containers: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open":
            continue
        if token.nesting == 1:
            containers.append(token.type)
        elif token.nesting == -1 and token.type != "paragraph_close":
            containers.pop()
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            found.append(_block(tokens, index, containers, lines))
    # In the order they are written: the parser lists footnotes in the order they are called,
    # which a translation may change.
    return sorted(found, key=lambda block: block.start)


def _block(tokens: list[Token], index: int, containers: list[str], lines: list[str]) -> Block:
    inline = tokens[index]
    start, end = tokens[index - 1].map or (0, 1)
    content = inline.content.split("\n")
    line = lines[start].rstrip()
    first = content[0].rstrip()
    prefix = line[: len(line) - len(first)] if line.endswith(first) else line[: line.find(first)]
    # A line break (`\` or two spaces at a line end) is not kept: a unit is one line.
    text = collapse(" ".join(part.strip(SPACES).removesuffix("\\") for part in content))
    role = "paragraph"
    for container in reversed(containers):
        if container == "footnote_open":
            role = "note"
        elif container == "blockquote_open":
            last = tokens[index + 2].type == "blockquote_close"
            mark = next((m for m in ATTRIBUTION_MARKS if text.startswith(m)), None)
            if last and mark:
                role, prefix, text = "source", prefix + mark, text[len(mark) :]
            else:
                role = "quotation"
        elif container == "list_item_open":
            role = "item"
        else:
            continue
        break
    return Block(role, text, start, end, prefix)


def rebuild(markdown: str, texts: Sequence[str]) -> str:
    """`markdown` with the text of each of its blocks replaced by `texts` (one per block, in the
    order of `blocks`): the structure, blank lines and anything not translatable stay."""
    found = blocks(markdown)
    if len(found) != len(texts):
        raise ValueError(f"{len(texts)} texts for {len(found)} blocks")
    lines = markdown.split("\n")
    for block, text in sorted(zip(found, texts, strict=True), key=lambda b: -b[0].start):
        lines[block.start : block.end] = [block.prefix + collapse(text)]
    return "\n".join(lines)


# ---- Units ----


@dataclass(frozen=True)
class Piece:
    """A unit before it has an id: where it is, what it is, its text."""

    at: KeyPath  # the key it is (part of): ("title",), ("sections", 2, "body")
    role: str
    text: str
    markdown: bool  # whether its text is inline Markdown (codes, escapes)

    @property
    def key(self) -> str:
        return key_name(self.at)

    @property
    def fixed(self) -> bool:
        """A unit whose id is its key: one plain text outside the sections."""
        return self.role == "text" and self.at[0] != "sections"


@dataclass(frozen=True)
class Unit(Piece):
    id: str = ""
    block: int = 0  # its position among the blocks of its role in its key (paragraph 2)


def pieces(schema_texts: dict, markdown_keys: Iterable[str], inline_keys: Iterable[str]):
    """The pieces of a case's or the publication's translatable texts (`schema.translatable`'s
    result): plain texts, inline Markdown texts (headings), and Markdown texts cut in blocks."""
    markdown_keys, inline_keys = set(markdown_keys), set(inline_keys)

    def walk(value, at: KeyPath):
        if value is None:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if key != "kind":
                    yield from walk(item, (*at, key))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                yield from walk(item, (*at, index))
        elif at[-1] in markdown_keys:
            for block in blocks(value):
                yield Piece(at, block.role, block.text, True)
        elif at[-1] in inline_keys:
            yield Piece(at, "heading", collapse(value), True)
        else:
            yield Piece(at, "text", collapse(value), False)

    return list(walk(schema_texts, ()))


@dataclass(frozen=True)
class Stamped:
    """A unit as the stamp records it: the source text its translation was confirmed against
    (`confirmed` false: the translation has none for it, or it awaits review)."""

    id: str
    at: str
    role: str
    text: str
    confirmed: bool = True

    @property
    def fixed(self) -> bool:
        return self.role == "text" and not self.at.startswith("sections")


def assign_ids(found: Sequence[Piece], stamp: Sequence[Stamped]) -> list[Unit]:
    """Units with ids: a fixed unit's is its key; the others' are aligned against `stamp`
    (unchanged and edited units keep theirs), and a new unit's is made from its text."""
    flow = [p for p in found if not p.fixed]
    old = [s for s in stamp if not s.fixed]
    inherited = _align(old, flow)
    taken = {s.id for s in stamp} | {p.key for p in found if p.fixed}
    units, counts, position = [], {}, 0
    for piece in found:
        counts[piece.key, piece.role] = counts.get((piece.key, piece.role), -1) + 1
        if piece.fixed:
            uid = piece.key
        else:
            uid = old[inherited[position]].id if position in inherited else _new_id(piece, taken)
            taken.add(uid)
            position += 1
        units.append(
            Unit(
                piece.at, piece.role, piece.text, piece.markdown, uid, counts[piece.key, piece.role]
            )
        )
    return units


def _align(old_units: Sequence[Stamped], new_units: Sequence[Piece]) -> dict[int, int]:
    """new index → old index for each new unit that continues an old one: the same text (in
    the longest common runs), or, between them, a text of the same role still much alike; then
    the same text anywhere (a block that moved)."""
    old, new = [u.text for u in old_units], [u.text for u in new_units]
    pairs: dict[int, int] = {}
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.update({j1 + k: i1 + k for k in range(j2 - j1)})
        elif tag == "replace":
            last = i1
            for j in range(j1, j2):
                best, score = None, SIMILAR
                for i in range(last, i2):
                    if old_units[i].role != new_units[j].role:
                        continue
                    ratio = SequenceMatcher(None, old[i], new[j], autojunk=False).ratio()
                    if ratio >= score:
                        best, score = i, ratio
                if best is not None:
                    pairs[j] = best
                    last = best + 1
    # A block moved elsewhere (a section moved with its text): the same text and role,
    # unpaired on both sides, is the same unit.
    free: dict[tuple[str, str], list[int]] = {}
    for i in sorted(set(range(len(old))) - set(pairs.values())):
        free.setdefault((old_units[i].role, old[i]), []).append(i)
    for j in range(len(new)):
        waiting = free.get((new_units[j].role, new[j]))
        if j not in pairs and waiting:
            pairs[j] = waiting.pop(0)
    return pairs


def _new_id(piece: Piece, taken: set[str]) -> str:
    base = piece.role[0] + hashlib.sha1(piece.text.encode("utf-8")).hexdigest()[:8]
    uid, n = base, 1
    while uid in taken:
        n += 1
        uid = f"{base}-{n}"
    return uid


# ---- Inline Markdown: text and codes ----


@dataclass(frozen=True)
class Code:
    """A piece of inline Markdown that a translator keeps but does not write: emphasis, strong,
    a link (its text is translated, its target kept), a footnote call, code, an autolink."""

    id: str
    kind: str  # em, strong, link, note, code, autolink
    opening: str  # the Markdown before its content, or the whole code when it has none
    closing: str = ""
    paired: bool = False


Rich = list  # of str and (Code, Rich) for a paired code, Code for a standalone one

_NOTE_CALL = re.compile(r"\[\^([^\]\s]+)\]")
_ESCAPE = re.compile(r"([\\`*_\[\]<])")
_ENTITY = re.compile(r"&(?=#?\w+;)")  # `&copy;` typed as text stays `&copy;`
# What would start a block at the start of a line: a list item, a heading, a quotation, a
# thematic break or a fence (`-`, `+`, `=`, `#`, `>`, `~`), or a numbered item (`1.`, `2)`).
_BLOCK_START = re.compile(r"^(\s*)(?:([-+=#>~])|(\d+)([.)]))")


def parse_inline(text: str) -> tuple[Rich, dict[str, Code]]:
    """Inline Markdown → text and codes, numbered in order, with the codes by id."""
    # Every `[^label]` is taken for a footnote call: the definitions are in other blocks.
    refs = {f":{label}": -1 for label in _NOTE_CALL.findall(text)}
    tokens = markdown_parser().parseInline(text, {"footnotes": {"refs": refs}})[0].children or []
    codes: dict[str, Code] = {}
    root: Rich = []
    stack: list[Rich] = [root]

    def add(kind: str, opening: str, closing: str = "", paired: bool = False) -> Code:
        code = Code(str(len(codes) + 1), kind, opening, closing, paired)
        codes[code.id] = code
        return code

    for token in tokens:
        kind = token.type
        if kind in ("text", "text_special"):
            _append(stack[-1], token.content)
        elif kind in ("softbreak", "hardbreak"):
            _append(stack[-1], " ")
        elif kind in ("em_open", "strong_open"):
            code = add(kind[:-5], token.markup, token.markup, True)
            inner: Rich = []
            stack[-1].append((code, inner))
            stack.append(inner)
        elif kind == "link_open" and token.info == "auto":
            stack.append([])  # its text is its target: one standalone code
        elif kind == "link_open":
            href = markdown_parser().normalizeLinkText(str(token.attrs.get("href", "")))
            href = f"<{href}>" if re.search(r"[\s()<>]", href) else href
            title = token.attrs.get("title")
            closing = f"]({href}" + (f' "{title}"' if title else "") + ")"
            code = add("link", "[", closing, True)
            inner = []
            stack[-1].append((code, inner))
            stack.append(inner)
        elif kind == "link_close" and token.info == "auto":
            target = "".join(x for x in stack.pop() if isinstance(x, str))
            stack[-1].append(add("autolink", f"<{target}>"))
        elif kind in ("em_close", "strong_close", "link_close"):
            stack.pop()
        elif kind == "footnote_ref":
            stack[-1].append(add("note", f"[^{token.meta['label']}]"))
        elif kind == "code_inline":
            stack[-1].append(add("code", f"{token.markup}{token.content}{token.markup}"))
        else:  # anything else the parser allows is kept as it was written
            _append(stack[-1], token.content)
    return root, codes


def _append(rich: Rich, text: str) -> None:
    if rich and isinstance(rich[-1], str):
        rich[-1] += text
    else:
        rich.append(text)


def escape(text: str, at_start: bool) -> str:
    """A translator's plain text as inline Markdown that shows exactly that text."""
    text = _ENTITY.sub(r"\\&", _ESCAPE.sub(r"\\\1", text))
    found = _BLOCK_START.match(text) if at_start else None
    if found and found[2]:
        text = found[1] + "\\" + text[len(found[1]) :]
    elif found:
        text = text[: found.end(3)] + "\\" + text[found.end(3) :]
    return text


# Emphasis is written with `*` whatever the source used: `_` does not work inside a word.
_MARKS = {"em": "*", "strong": "**"}


def markdown_of(rich: Rich, codes: dict[str, Code], at_start: bool = True) -> str:
    """Text and codes → inline Markdown, each code written as the source wrote it (emphasis
    with `*`); spaces just inside a code go outside it, a code around nothing is left out.
    Raises KeyError for a code the source does not have, ValueError for one used the wrong way
    or that Markdown cannot show where it is."""
    text = _markdown_of(rich, codes, at_start, ())
    wanted = Counter(_paired_kinds(rich, codes))
    _, found = parse_inline(text)
    shown = Counter(c.kind for c in found.values() if c.paired)
    if shown != wanted:
        raise ValueError("misplaced")
    return text


def _paired_kinds(rich: Rich, codes: dict[str, Code]) -> list[str]:
    kinds = []
    for part in rich:
        if isinstance(part, tuple):
            if plain(part[1]).strip():
                kinds.append(codes[part[0].id].kind)
            kinds += _paired_kinds(part[1], codes)
    return kinds


def _markdown_of(rich: Rich, codes: dict[str, Code], at_start: bool, inside: tuple) -> str:
    out: list[str] = []
    for part in rich:
        if isinstance(part, str):
            out.append(escape(part, at_start and not "".join(out).strip()))
            continue
        code, inner = part if isinstance(part, tuple) else (part, None)
        known = codes[code.id]
        if known.paired != (inner is not None) or code.id in inside:
            raise ValueError(code.id)
        if inner is None:
            out.append(known.opening)
            continue
        content = _markdown_of(inner, codes, False, (*inside, code.id))
        if not content.strip():
            out.append(content)  # a code around nothing (or spaces): left out
            continue
        mark = _MARKS.get(known.kind)
        opening, closing = (mark, mark) if mark else (known.opening, known.closing)
        body = content.strip()
        lead, trail = (
            content[: len(content) - len(content.lstrip())],
            content[len(content.rstrip()) :],
        )
        out.append(lead + opening + body + closing + trail)
    return "".join(out)


def with_source_codes(text: str, source: str) -> tuple[Rich, dict[str, Code], bool]:
    """A translation's inline Markdown as text and the codes of its `source`: each code of the
    translation is the source's code of the same kind and Markdown (a footnote call by its
    label, a link by its target; emphasis by kind, in order). A code the source does not have
    is left out (its text kept); the flag says whether any was."""
    rich, _ = parse_inline(text)
    _, source_codes = parse_inline(source)
    free = list(source_codes.values())
    extra = False

    def match(code: Code) -> Code | None:
        for candidate in free:
            same = candidate.kind == code.kind and (
                code.kind in _MARKS
                or (candidate.opening, candidate.closing) == (code.opening, code.closing)
            )
            if same:
                free.remove(candidate)
                return candidate
        return None

    def walk(parts: Rich) -> Rich:
        nonlocal extra
        out: Rich = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            code, inner = part if isinstance(part, tuple) else (part, None)
            known = match(code)
            extra = extra or known is None
            if known is None:
                out += walk(inner) if inner is not None else []
            else:
                out.append((known, walk(inner)) if inner is not None else known)
        return out

    return walk(rich), source_codes, extra


def plain(rich: Rich) -> str:
    """The text a reader sees: codes' text kept, standalone codes left out."""
    return "".join(
        part if isinstance(part, str) else plain(part[1]) if isinstance(part, tuple) else ""
        for part in rich
    )


def standalone(rich: Rich) -> list[str]:
    """The ids of the standalone codes in `rich`, in order (footnote calls among them)."""
    found: list[str] = []
    for part in rich:
        if isinstance(part, tuple):
            found += standalone(part[1])
        elif not isinstance(part, str):
            found.append(part.id)
    return found
