"""The books joined from parts are one document each: one structure tree, fonts, links, colour."""

from __future__ import annotations

import hashlib

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

import casebook

from .conftest import CONTENT

BOOKS = ("casebook.pdf", "es/casebook.pdf", "archive/en/casebook.pdf", "print/es/casebook.pdf")


def elements(root: pikepdf.Dictionary):
    """Every structure element below `root`, depth first."""
    todo = list(root.K) if isinstance(root.K, Array) else [root.K]
    while todo:
        node = todo.pop()
        if isinstance(node, Dictionary) and Name.S in node:
            yield node
            kids = node.get(Name.K)
            kids = kids if isinstance(kids, Array) else [kids] if kids is not None else []
            todo.extend(kids)


def book(every_profile, name):
    path = every_profile / (name if "/" in name else f"en/{name}")
    return pikepdf.open(path)


@pytest.mark.parametrize("name", [b for b in BOOKS if not b.startswith("print")])
def test_one_structure_tree_holds_every_page(every_profile, name):
    with book(every_profile, name) as pdf:
        root = pdf.Root.StructTreeRoot
        assert len(root.K) == 1 and Name.Document == root.K[0].S
        nums = root.ParentTree.Nums
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        assert keys == sorted(set(keys)), "a /ParentTree key given twice"
        assert int(root.ParentTreeNextKey) == max(keys) + 1
        values = dict(zip(keys, (nums[i + 1] for i in range(0, len(nums), 2)), strict=True))
        pages = {page.objgen for page in pdf.pages}
        for page in pdf.pages:  # every page is in the tree, with an entry of its own
            assert int(page.obj.StructParents) in values
            for annotation in page.obj.get(Name.Annots, ()):  # its /Link element owns it
                owner = values[int(annotation.StructParent)]
                kids = owner.K if isinstance(owner.K, Array) else [owner.K]
                assert Name.Link == owner.S
                assert any(
                    isinstance(k, Dictionary) and k.get(Name.Obj) == annotation for k in kids
                )
        found = list(elements(root))
        assert len(found) > 1000
        assert all(e.Pg.objgen in pages for e in found if Name.Pg in e)
        ids = [str(e.ID) for e in found if Name.ID in e]
        assert len(ids) == len(set(ids))


def test_the_english_cases_of_the_spanish_book_say_they_are_english(every_profile):
    """Each case's title (its H1) is inside an element marked /Lang en exactly when the case is
    in English; the book itself is Spanish."""
    spanish = casebook.check(CONTENT).edition("es")
    expected = ["", *("en" if c.language == "en" else "" for c in spanish.cases)]  # cover first
    assert "en" in expected and expected.count("") > 1
    with book(every_profile, "es/casebook.pdf") as pdf:
        assert str(pdf.Root.Lang) == "es"
        found = []
        for kid in pdf.Root.StructTreeRoot.K[0].K:
            lang = str(kid.get(Name.Lang, ""))
            below = list(elements(Dictionary(K=kid)))
            found += [lang for element in below if element.S == Name.H1]
        assert found == expected


@pytest.mark.parametrize("name", BOOKS)
def test_each_font_subset_has_a_tag_of_its_own(every_profile, name):
    """Different subsets of a font in one file have different tags (ISO 32000-1, 9.6.4)."""
    with book(every_profile, name) as pdf:
        programs: dict[str, set[str]] = {}
        for page in pdf.pages:
            for font in page.obj.Resources.get(Name.Font, Dictionary()).values():
                described = font.DescendantFonts[0] if Name.DescendantFonts in font else font
                descriptor = described.FontDescriptor
                program = descriptor.get(Name.FontFile2) or descriptor.get(Name.FontFile3)
                digest = hashlib.sha256(program.read_raw_bytes()).hexdigest()
                programs.setdefault(str(font.BaseFont), set()).add(digest)
                assert str(descriptor.FontName) == str(font.BaseFont)
        assert programs and all(len(found) == 1 for found in programs.values()), programs
        assert len(programs) > 6  # one subset of each font per part: many


@pytest.mark.parametrize("name", BOOKS)
def test_links_from_contents_and_index_reach_the_cases(every_profile, name):
    with book(every_profile, name) as pdf:
        names = pdf.Root.Names.Dests.Names
        dests = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
        pages = {page.objgen: number for number, page in enumerate(pdf.pages)}
        links = 0
        for page in pdf.pages:
            for annotation in page.obj.get(Name.Annots, ()):
                if Name.A in annotation:
                    assert str(annotation.A.URI).startswith(("https://", "http://", "mailto:"))
                    continue
                target = dests[str(annotation.Dest)]
                assert target[0].objgen in pages
                links += 1
        assert links >= 2 * 11  # every case and the index, from the contents and the index


def test_the_print_book_carries_one_copy_of_its_cmyk_profile(every_profile):
    with book(every_profile, "print/es/casebook.pdf") as pdf:
        profiles = {
            o.objgen: hashlib.sha256(o.read_bytes()).hexdigest()
            for o in pdf.objects
            if isinstance(o, pikepdf.Stream)
            and Name.N in o
            and o.get(Name.Subtype) is None
            and o.read_bytes()[36:40] == b"acsp"  # an ICC profile's signature
        }
        assert profiles and len(profiles) == len(set(profiles.values()))


HEADED_TABLE = """\
{% extends "!case-body.html.j2" %}
{% block colophon %}
<table><tr><th>Coalition</th></tr><tr><td>{{ case.coalition }}</td></tr></table>
{{ super() }}
{% endblock %}
"""


def test_structure_ids_of_table_headers_are_unique_in_the_book(scratch):
    """WeasyPrint numbers a table's header cells per document, so two parts laid out alone give
    the same IDs: in the book each is made unique, and each data cell's /Headers still names
    its own table's header."""
    scratch.case("alpha")
    scratch.case("beta")
    layouts = scratch.root / "layouts"
    layouts.mkdir()
    (layouts / "case-body.html.j2").write_text(HEADED_TABLE, encoding="utf-8")
    scratch.build()
    with pikepdf.open(scratch.out / "en" / "casebook.pdf") as pdf:
        found = list(elements(pdf.Root.StructTreeRoot))
        headers = {str(e.ID): e for e in found if Name.ID in e}
        ids = [str(e.ID) for e in found if Name.ID in e]
        assert len(ids) == 2 and len(set(ids)) == 2  # one header cell in each case's part
        cells = [e for e in found if isinstance(e.get(Name.A), Dictionary) and Name.Headers in e.A]
        assert len(cells) == 2
        for cell in cells:
            (named,) = [str(h) for h in cell.A.Headers]
            assert table_of(headers[named]).objgen == table_of(cell).objgen


def table_of(element: pikepdf.Dictionary) -> pikepdf.Dictionary:
    while Name.Table != element.S:
        element = element.P
    return element
