"""Stage 7, assemble: the book's parts, each laid out on its own, joined into one PDF (pikepdf).

The front matter is the base document: its catalogue, metadata and language are the book's. The
other parts' pages are appended in book order, with a blank page after every part that ends on
a right-hand page, and the folio sheets (book-folios.html.j2) laid over the pages of the cases
and the index, each over the book page of its number. What a join must make whole again:

- **one structure tree**: each part's top-level structure elements are grafted under the base's
  /Document element; each part's /StructParents and /StructParent keys are shifted past the
  keys already used, its /ParentTree entries appended with the same shift; /ParentTreeNextKey
  follows. A part in another language than the book's (an English case in the Spanish book)
  gets /Lang on its elements; structure IDs (table headers) get the part's number in front;
- **fonts**: WeasyPrint tags a font's subset with the font's hash, so every part's subset of a
  font has the same tag. Different subsets in one file must have different tags (ISO 32000-1,
  9.6.4): each subset is renamed with a tag made from its own bytes;
- **colour profiles**: every ICC profile is kept once, however many parts carry it;
- **links and named destinations**: every part's destinations are merged; the links that the
  front matter and the index make into other parts (`PART_LINK` + anchor, which WeasyPrint
  cannot resolve in a part laid out alone) become links to those destinations;
- **the outline** is rebuilt from every part's bookmarks, nested as WeasyPrint nests them in one
  document; **page labels**: roman for the front matter, then 1, 2, 3….

The result depends only on the parts' bytes, so a book joined from parts kept between builds is
the same file as one joined from parts laid out now.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .book import FOLIO_CHUNK, PART_LINK

_SCALE = 0.75  # PDF points per CSS pixel


@dataclass(frozen=True)
class Piece:
    """One laid-out part of the book, as it is kept between builds."""

    pdf: Path
    lang: str  # the language of its text
    numbered: bool  # folio sheets are laid over its pages (the cases and the index)
    pad: bool  # followed by a blank page if its page count is odd
    bookmarks: list  # per page: WeasyPrint's [level, label, [x, y], state], in CSS pixels
    heights: list  # per page: its height in CSS pixels
    ids: bool = True  # it may have structure IDs (table header cells: a walk of its tree)


class JoinError(Exception):
    """The parts do not make a book (a link to an anchor no part has)."""


def join(pieces: list[Piece], blank: Piece, folios: list[Path]) -> tuple[bytes, int]:
    """The book from its pieces (the front matter first) → (PDF bytes, pages)."""
    with ExitStack() as stack:
        book = stack.enter_context(pikepdf.open(pieces[0].pdf))
        tree = _StructTree(book)
        sheets = [stack.enter_context(pikepdf.open(path)) for path in folios]
        dests: dict[str, Array] = {}
        outline: list[tuple[list, float]] = []  # per book page: bookmarks, height
        front_pages = number = 0  # number: the book page number of the last body page
        for index, (piece, front) in enumerate(_sequence(pieces, blank)):
            if index == 0:
                source, first = book, 0
            else:
                source = stack.enter_context(pikepdf.open(piece.pdf))
                first = len(book.pages)
                tree.graft(source, piece.lang, index, piece.ids)
            _merge_dests(book, source, dests)
            for offset in range(len(source.pages)):
                page = book.pages[first + offset]
                tree.renumber(page)
                if front:
                    front_pages += 1
                else:
                    number += 1
                    if piece.numbered:
                        _lay_folio(book, page, sheets, number)
                outline.append((piece.bookmarks[offset], piece.heights[offset]))
        tree.close()
        _resolve_links(book, dests)
        _write_dests(book, dests)
        _write_outline(book, outline)
        _write_page_labels(book, front_pages)
        _rename_subsets(book)
        _share_profiles(book)
        out = io.BytesIO()
        book.save(
            out,
            deterministic_id=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
        return out.getvalue(), len(book.pages)


def _sequence(pieces: list[Piece], blank: Piece) -> Iterator[tuple[Piece, bool]]:
    """The pieces in book order, a blank page after each padded one whose page count is odd,
    and whether each is front matter (the first piece and its blank page)."""
    for index, piece in enumerate(pieces):
        yield piece, index == 0
        if piece.pad and len(piece.heights) % 2:
            yield blank, index == 0


class _StructTree:
    """The base document's structure tree, which other parts are grafted into."""

    def __init__(self, book: pikepdf.Pdf):
        self.book = book
        root = book.Root.get(Name.StructTreeRoot)
        self.root = root
        self.shift = 0
        if root is None:  # an untagged variant (PDF/X): nothing to merge
            return
        self.document = root.K[0]
        self.nums = root.ParentTree.Nums
        keys = [int(self.nums[i]) for i in range(0, len(self.nums), 2)]
        self.next_key = max(keys, default=-1) + 1

    def graft(self, source: pikepdf.Pdf, lang: str, part: int, ids: bool = True) -> None:
        """Append `source`'s pages to the book, its top-level elements under the book's
        /Document and its /ParentTree entries shifted (then `renumber` each page)."""
        if self.root is None:
            for page in source.pages:
                self.book.pages.append(page)
            return
        self.shift = self.next_key
        theirs = source.Root.StructTreeRoot
        kids = list(theirs.K[0].K)
        for kid in kids:
            del kid.P  # or the copy would bring their /Document and its root along
        for page in source.pages:
            self.book.pages.append(page)
        # One copy of their /ParentTree brings every element it maps (pikepdf maps the pages and
        # links already copied to their copies); its entries are appended with shifted keys.
        nums = self.book.copy_foreign(theirs.ParentTree).Nums
        for i in range(0, len(nums), 2):
            key = int(nums[i]) + self.shift
            self.nums.append(key)
            self.nums.append(nums[i + 1])
            self.next_key = max(self.next_key, key + 1)
        for kid in kids:
            element = self.book.copy_foreign(kid)
            element.P = self.document
            if lang != str(self.book.Root.Lang):
                element.Lang = String(lang)
            if ids:  # the walk is a fifth of a join: only for parts that have table headers
                _prefix_ids(element, f"{part}-")
            self.document.K.append(element)

    def renumber(self, page: pikepdf.Page) -> None:
        if self.root is None:
            return
        if Name.StructParents in page.obj:
            page.obj.StructParents = int(page.obj.StructParents) + self.shift
        for annotation in page.obj.get(Name.Annots, ()):
            if Name.StructParent in annotation:
                annotation.StructParent = int(annotation.StructParent) + self.shift

    def close(self) -> None:
        if self.root is not None:
            self.root.ParentTreeNextKey = self.next_key


def _prefix_ids(element: pikepdf.Dictionary, prefix: str) -> None:
    """Structure IDs (WeasyPrint gives table header cells one, numbered per document) made
    unique in the book, and the /Headers that refer to them."""
    todo = [element]
    while todo:
        node = todo.pop()
        if Name.ID in node:
            node.ID = String(prefix + str(node.ID))
        attributes = node.get(Name.A)
        if isinstance(attributes, Dictionary) and Name.Headers in attributes:
            attributes.Headers = Array([String(prefix + str(h)) for h in attributes.Headers])
        kids = node.get(Name.K)
        kids = kids if isinstance(kids, Array) else [kids] if kids is not None else []
        todo += [k for k in kids if isinstance(k, Dictionary) and Name.S in k]


def _merge_dests(book: pikepdf.Pdf, source: pikepdf.Pdf, dests: dict[str, Array]) -> None:
    """`source`'s named destinations, pointing at its pages as copied into `book`."""
    names = source.Root.get(Name.Names, Dictionary()).get(Name.Dests)
    if names is None:
        return
    flat = names.Names
    for i in range(0, len(flat), 2):
        name = str(flat[i])
        if name in dests:
            raise JoinError(f"two parts of the book have an anchor named #{name}")
        target = flat[i + 1]
        if source is not book:
            target = Array([_copied(book, v) for v in target])
        dests[name] = target


def _resolve_links(book: pikepdf.Pdf, dests: dict[str, Array]) -> None:
    """Links into other parts (`PART_LINK` + anchor) made links to the named destination."""
    for page in book.pages:
        for annotation in page.obj.get(Name.Annots, ()):
            action = annotation.get(Name.A)
            if action is None or action.get(Name.S) != Name.URI:
                continue
            uri = str(action.URI)
            if not uri.startswith(PART_LINK):
                continue
            anchor = uri[len(PART_LINK) :]
            if anchor not in dests:
                raise JoinError(f"a link in the book points to #{anchor}, which no part has")
            del annotation.A
            annotation.Dest = String(anchor)
            if Name.Contents in annotation:
                annotation.Contents = String(anchor)


def _write_dests(book: pikepdf.Pdf, dests: dict[str, Array]) -> None:
    if not dests:
        return
    flat = Array()
    for name in sorted(dests):
        flat.append(String(name))
        flat.append(dests[name])
    if Name.Names not in book.Root:
        book.Root.Names = Dictionary()
    book.Root.Names.Dests = Dictionary(Names=flat)


def _lay_folio(
    book: pikepdf.Pdf, page: pikepdf.Page, sheets: list[pikepdf.Pdf], number: int
) -> None:
    """Draw the folio sheet of page `number` over `page` (the same page box: no transform), as
    page furniture (an /Artifact), after the page's own content, whose graphics state it
    keeps to itself."""
    sheet = sheets[(number - 1) // FOLIO_CHUNK].pages[(number - 1) % FOLIO_CHUNK]
    form = book.copy_foreign(sheet.as_form_xobject())
    name = Name(f"/Folio{number}")  # pages of a part may share one resource dictionary
    page.add_resource(form, Name.XObject, name)
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"\nQ\n/Artifact BMC q " + bytes(name) + b" Do Q EMC\n")


def _write_outline(book: pikepdf.Pdf, pages: list[tuple[list, float]]) -> None:
    """The outline from every page's bookmarks, nested as WeasyPrint nests one document's."""
    from weasyprint.anchors import make_page_bookmark_tree
    from weasyprint.matrix import Matrix

    class Page:
        def __init__(self, bookmarks, height):
            self.bookmarks = [(lvl, label, tuple(at), state) for lvl, label, at, state in bookmarks]
            self.height = height

    tree: list = []
    skipped: list = []
    last_by_depth = [tree]
    level = 0
    for number, (bookmarks, height) in enumerate(pages):
        matrix = Matrix(a=_SCALE, d=-_SCALE, f=height * _SCALE)
        page = Page(bookmarks, height)
        level = make_page_bookmark_tree(page, skipped, last_by_depth, level, number, matrix)
    if Name.Outlines in book.Root:
        del book.Root.Outlines
    if tree:
        outlines, count = _outline_items(book, tree, None)
        root = book.make_indirect(Dictionary(Count=count, First=outlines[0], Last=outlines[-1]))
        for item in outlines:
            item.Parent = root
        book.Root.Outlines = root


def _outline_items(book: pikepdf.Pdf, bookmarks: list, parent) -> tuple[list, int]:
    """WeasyPrint's outline items (pdf/anchors.py, add_outlines), made with pikepdf."""
    count = len(bookmarks)
    items: list = []
    for title, (number, x, y), children, state in bookmarks:
        destination = Array([book.pages[number].obj, Name.XYZ, x, y, 0])
        item = book.make_indirect(Dictionary(Title=String(title), Dest=destination))
        kids, kids_count = _outline_items(book, children, item)
        item.Count = -kids_count if state == "closed" else kids_count
        if state != "closed":
            count += kids_count
        if items:
            item.Prev = items[-1]
            items[-1].Next = item
        if kids:
            item.First = kids[0]
            item.Last = kids[-1]
        if parent is not None:
            item.Parent = parent
        items.append(item)
    return items, count


def _write_page_labels(book: pikepdf.Pdf, front_pages: int) -> None:
    numbers = Array([0, Dictionary(S=Name.r)])
    if front_pages:
        numbers.extend([front_pages, Dictionary(S=Name.D)])
    book.Root.PageLabels = Dictionary(Nums=numbers)


def _fonts(book: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every font dictionary the pages use, once each, in page order."""
    seen: set = set()
    for resources in _resources(book):
        for font in resources.get(Name.Font, Dictionary()).values():
            if font.objgen not in seen:
                seen.add(font.objgen)
                yield font


def _resources(book: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """The resource dictionaries of every page and of the forms they draw, once each."""
    seen: set = set()
    todo = [page.obj.get(Name.Resources) for page in book.pages]
    while todo:
        resources = todo.pop(0)
        if resources is None or (resources.is_indirect and resources.objgen in seen):
            continue
        if resources.is_indirect:
            seen.add(resources.objgen)
        yield resources
        for xobject in resources.get(Name.XObject, Dictionary()).values():
            if xobject.get(Name.Subtype) == Name.Form and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                todo.append(xobject.get(Name.Resources))


def _rename_subsets(book: pikepdf.Pdf) -> None:
    """Each font subset tagged with six letters drawn from its own bytes."""
    for font in _fonts(book):
        described = font.DescendantFonts[0] if Name.DescendantFonts in font else font
        descriptor = described.get(Name.FontDescriptor)
        if descriptor is None:
            continue
        program = next(
            (
                descriptor[k]
                for k in (Name.FontFile2, Name.FontFile3, Name.FontFile)
                if k in descriptor
            ),
            None,
        )
        if program is None or "+" not in str(font.BaseFont):
            continue
        digest = hashlib.sha256(program.read_raw_bytes()).digest()
        tag = "".join(chr(65 + b % 26) for b in digest[:6])
        for holder, key in (
            (font, Name.BaseFont),
            (described, Name.BaseFont),
            (descriptor, Name.FontName),
        ):
            name = str(holder[key])
            holder[key] = Name("/" + tag + "+" + name.split("+", 1)[1])


def _share_profiles(book: pikepdf.Pdf) -> None:
    """One copy of each ICC profile, however many parts brought one."""
    kept: dict[bytes, pikepdf.Object] = {}

    def shared(stream: pikepdf.Object) -> pikepdf.Object:
        key = hashlib.sha256(
            stream.read_raw_bytes() + repr(sorted(stream.keys())).encode()
        ).digest()
        return kept.setdefault(key, stream)

    for intent in book.Root.get(Name.OutputIntents, ()):
        if Name.DestOutputProfile in intent:
            intent.DestOutputProfile = shared(intent.DestOutputProfile)
    seen: set = set()

    def visit(value) -> None:
        if not isinstance(value, pikepdf.Object):
            return
        if value.is_indirect:
            if value.objgen in seen:
                return
            seen.add(value.objgen)
        if isinstance(value, Array):
            if len(value) == 2 and value[0] == Name.ICCBased:
                value[1] = shared(value[1])
                return
            for item in value:
                visit(item)
        elif isinstance(value, (Dictionary, pikepdf.Stream)):
            for key, item in value.items():
                if key not in ("/Parent", "/P", "/Font"):
                    visit(item)

    for resources in _resources(book):
        visit(resources)


def _copied(book: pikepdf.Pdf, value):
    """`value` from another PDF as `book` has it (indirect objects copied once, by pikepdf)."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return book.copy_foreign(value)
    return value
