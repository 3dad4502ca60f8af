"""Proof rules, as a book designer reads proofs, on every PDF of the shipped content and of a
few generated cases (long titles, long names, long quotations): two lines at least of a
paragraph at a page foot and head, no heading ending a page, a quotation's source on its
quotation's page, contents and index unhyphenated, names and ranges unbroken, and in the book
nothing in the gutter."""

from __future__ import annotations

import pymupdf
import pytest

import casebook
from casebook.build import read_project
from casebook.make import Maker
from casebook.plan import make_plan
from casebook.profiles import SCREEN
from casebook.render import NAME_ON_ONE_LINE, Renderer

from . import proofs
from .conftest import CONTENT, PUBLICATION, written_pdfs
from .readers import poppler

LONG_NAME = "Maria Fernanda Espinosa"  # fits on one line wherever a name shows
QUOTE = (
    "Coalitions last when their members trust each other enough to disagree in private and "
    "speak with one voice in public."
)
PARAGRAPH = (
    "The coalition met every month from 2019–2021 and wrote its decisions down, so that new "
    "members could read them. "
) * 5
KINDS = ["context", "challenges", "lessons", "lessons", "outcomes"] * 2


def _section(number: int, kind: str) -> str:
    body = "\n\n".join(f"Paragraph {number}.{m}: {PARAGRAPH}" for m in range(3))
    quote = f"> {QUOTE} {QUOTE} {QUOTE} {QUOTE}\n>\n> — A member of the coalition, in 2021"
    text = f"{body}\n\n{quote}\n"
    indented = "".join(f"      {line}\n" if line else "\n" for line in text.splitlines())
    return (
        f"  - kind: {kind}\n"
        f"    heading: A heading for section {number} that says what the section is about\n"
        f"    body: |\n{indented}"
    )


def _short_sections() -> str:
    """Thirty sections of one to eight lines, each with a heading: somewhere a heading falls
    at a page foot unless the layout keeps it with its text."""
    sections = []
    for n in range(30):
        body = " ".join(["The members agreed to meet again and share what they learnt."] * n)
        kind = KINDS[n % len(KINDS)]
        sections.append(
            f"  - kind: {kind}\n    heading: Heading {n}\n    body: |\n      Start {n}. {body}\n"
        )
    return (
        "coalition: Short Sections Network\ntitle: Many short sections\n"
        "type: coalition-response\ndate: 2020-05\nregion: europe\n"
        f"authors:\n  - Jo Bo\n  - {LONG_NAME}\n  - Ana Lu\n  - Li Wu\n  - {LONG_NAME}\n"
        "summary: |\n  Sections of every length.\nsections:\n" + "".join(sections)
    )


GENERATED = (
    "coalition: The Very Long Named International Coalition for the Defence of Civic Space\n"
    f"title: {'A title long enough to run over several lines, ' * 3}to test the title block\n"
    "type: coalition-response\ndate: 2021-02\nregion: global\n"
    f"authors:\n  - {LONG_NAME}\n  - Jean-Baptiste Okonkwo-Lindqvist\n  - A. Author\n"
    "summary: |\n  A generated case with long headings and quotations, from 2019–2021.\n"
    "sections:\n" + "".join(_section(n, kind) for n, kind in enumerate(KINDS))
)


def laid_out(content, out):
    """Every screen output of a project, laid out by casebook's own Maker: each case PDF, and
    each part of each book (laid out on its own as the build does)."""
    project, book = read_project(content, out)
    renderer = Renderer(project.layouts, project.fonts, book.source.language)
    maker = Maker(project, None, False, renderer)
    documents = {}
    for target in make_plan(project, book, None, (SCREEN,)).targets:
        documents.update(maker.documents(book, target))
    return documents


@pytest.fixture(scope="module")
def shipped_layout():
    return laid_out(CONTENT, "build")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    (root / "content" / "cases" / "long-case").mkdir(parents=True)
    (root / "content" / "casebook.yaml").write_text(PUBLICATION)
    (root / "content" / "cases" / "long-case" / "en.yaml").write_text(GENERATED)
    (root / "content" / "cases" / "short-sections").mkdir()
    (root / "content" / "cases" / "short-sections" / "en.yaml").write_text(_short_sections())
    out = root / "build"
    casebook.build(root / "content", out, jobs=1)
    return root / "content", out, laid_out(root / "content", out)


RULES = (
    proofs.widows_and_orphans,
    proofs.headings_at_a_page_foot,
    proofs.sources_apart_from_quotations,
)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_proof_rules_on_the_shipped_content(shipped_layout, rule):
    problems = {name: rule(document) for name, document in shipped_layout.items()}
    assert not {k: v for k, v in problems.items() if v}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_proof_rules_on_generated_long_cases(generated, rule):
    _, _, documents = generated
    assert documents["en/long-case.pdf"].pages[3:]  # long enough to cross pages
    problems = {name: rule(document) for name, document in documents.items()}
    assert not {k: v for k, v in problems.items() if v}


def _books(out):
    return sorted(out.glob("*/casebook.pdf"))


def test_contents_and_index_are_never_hyphenated(shipped, generated):
    checked = 0
    for out in (shipped[1], generated[1]):
        for path in _books(out):
            with pymupdf.open(path) as pdf:
                for number, page in enumerate(pdf, 1):
                    lines = proofs.mupdf_lines(page)
                    if sum(text.strip() == "." for *_, text in lines) < 20:
                        continue  # no dot leaders: not a page of the contents or the index
                    checked += 1
                    ends = [text for *_, text in lines if text.rstrip().endswith("-")]
                    assert not ends, f"{path} page {number}: hyphenated: {ends}"
    assert checked >= 6  # the contents and the index of each book


def test_names_and_ranges_are_never_broken(shipped, generated):
    people = set()
    for content in (CONTENT, generated[0]):
        book = casebook.check(content)
        people |= {n for c in book.cases for n in c.authors} | set(book.source.authors)
    assert {LONG_NAME, "Jean-Baptiste Okonkwo-Lindqvist"} <= people
    assert all(len(name) <= NAME_ON_ONE_LINE for name in people)
    checked = 0
    for out in (shipped[1], generated[1]):
        for path in written_pdfs(out):
            pages = poppler(path)
            text = "\n".join(pages)
            assert not proofs.broken_ranges(text), f"{path.name}: {proofs.broken_ranges(text)}"
            broken = proofs.names_broken(text, sorted(people))
            assert not broken, f"{path.name}: names broken across lines: {broken}"
            checked += 1
    assert checked >= 16


def test_nothing_sits_in_the_gutter_of_the_book(shipped, generated):
    """Every character of every page but the cover lies inside the text block, whose wider
    margin is outside: left on a left-hand (even) page, right on a right-hand one."""
    inner, outer = 30 * proofs.MM, 52 * proofs.MM
    for out in (shipped[1], generated[1]):
        for path in _books(out):
            with pymupdf.open(path) as pdf:
                for index, page in enumerate(pdf):
                    if index == 0:
                        continue  # the cover is art to the edges
                    right_hand = index % 2 == 0  # the cover, page 1, is a right-hand page
                    left, right = (inner, outer) if right_hand else (outer, inner)
                    stray = [
                        text
                        for x0, x1, text in proofs.mupdf_chars(page)
                        if x0 < left - 1 or x1 > page.rect.width - right + 1
                    ]
                    assert not stray, (
                        f"{path} page {index + 1}: outside the text block: " + ("".join(stray)[:60])
                    )
