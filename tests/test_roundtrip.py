"""Translators' files: XLIFF and PO exported, filled in as a CAT tool would (translate-toolkit's
API), imported into the content, and built; what changed since the stamp."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from translate.storage import factory, pypo, xliff
from translate.storage.placeables import StringElem

import casebook
from casebook.cli import main
from casebook.plan import Selection
from casebook.subjects import subject_of
from casebook.translations import all_statuses
from casebook.units import Piece, Stamped, assign_ids, blocks, escape, rebuild

from .conftest import BILINGUAL, CASE, CONTENT, missing_tool
from .pdfs import pdf_text

RICH_CASE = (
    CASE.split("summary:")[0]
    + """\
summary: |
  The lede of the *test* case.
sections:
  - kind: context
    body: |
      Context paragraph with a [linked source](https://example.org/report "Report") and
      **strong** words.[^1]

      Second context paragraph.

      [^1]: The note names its source.
  - kind: challenges
    heading: A *hard* challenge
    body: |
      Challenge paragraph.

      > “A quoted sentence.”
      >
      > — Quoted Person (2020)
  - kind: outcomes
    body: |
      - Access.
      - Access.
      - A third outcome.
"""
)
PUBLICATION_ES = """\
title: Casebook de prueba
introduction: |
  Una introducción.
"""


@pytest.fixture
def project(scratch):
    scratch.write("casebook.yaml", BILINGUAL + "introduction: |\n  An introduction.\n")
    scratch.case("the-case", RICH_CASE)
    return scratch


def run(*args: str) -> int:
    return main(["translations", "-q", *args])


def export(project, *args: str) -> None:
    out = project.root / "exported"
    assert run("--content", str(project.content), "export", "es", "--out", str(out), *args) == 0
    return out / "es"


def fill_xliff(path, mark: str = "Traducido", skip: set[str] = frozenset()) -> None:
    """What a translator does in a CAT tool: every target written (the source's inline codes
    kept), every unit marked translated."""
    store = factory.getobject(str(path))
    for unit in store.units:
        if unit.xmlelement.get("id") in skip:
            continue
        rich = copy.deepcopy(unit.rich_source)
        rich[0].sub.insert(0, f"{mark} ")
        unit.rich_target = rich
        unit.set_state_n(unit.S_TRANSLATED)
    store.save()


def fill_po(path, mark: str = "Traducido") -> None:
    store = factory.getobject(str(path))
    for unit in store.units:
        if not unit.isheader():
            unit.target = f"{mark} {unit.source}"
            unit.markfuzzy(False)
    store.save()


def state_of(store, uid: str) -> tuple[str | None, str | None]:
    for unit in store.units:
        if unit.xmlelement.get("id") == uid:
            target = unit.getlanguageNode(lang=None, index=1)
            return (target.get("state") if target is not None else None), unit.target or None
    raise KeyError(uid)


def statuses(project) -> list[str]:
    return [s.status for s in all_statuses(casebook.check(project.content))]


def build_spanish(project, book: bool = False) -> casebook.BuildResult:
    """Build the Spanish case PDF (and the Spanish book): all the round trips need to see."""
    selection = Selection(("es",), ("the-case",), book)
    return casebook.build(project.content, project.out, jobs=1, selection=selection)


def built_spanish_text(project, book: bool = False) -> str:
    """Build the Spanish case PDF (and book); the case PDF's text."""
    build_spanish(project, book)
    return pdf_text(project.out / "es" / "the-case.pdf")


def snapshot(project) -> dict:
    """Every content file's bytes, and whether it was written since (a new inode, a new time)."""
    return {
        p: (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(project.content.rglob("*"))
        if p.is_file()
    }


def assert_refused(project, capsys, *files, message: str) -> str:
    """Importing `files` fails with `message`, and changes no content file."""
    before = snapshot(project)
    args = ["translations", "--content", str(project.content), "import", *map(str, files)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err and "nothing was changed" in err, err
    assert snapshot(project) == before
    return err


# ---- The round trips ----


def test_xliff_filled_in_a_cat_tool_comes_back_as_the_spanish_pdf(project):
    folder = export(project)
    assert sorted(p.name for p in folder.iterdir()) == ["casebook.xlf", "the-case.xlf"]
    fill_xliff(folder / "the-case.xlf")
    fill_xliff(folder / "casebook.xlf", mark="Traducida")
    files = [str(folder / "the-case.xlf"), str(folder / "casebook.xlf")]
    assert run("--content", str(project.content), "import", *files) == 0

    translation = (project.content / "cases/the-case/es.yaml").read_text()
    assert "title: Traducida Test casebook\n" in (project.content / "casebook.es.yaml").read_text()
    assert (  # the codes come back as the source wrote them
        "Traducido Context paragraph with a [linked source](https://example.org/report "
        '"Report") and **strong** words.[^1]\n' in translation
    )
    assert "\n      [^1]: Traducido The note names its source.\n" in translation
    assert "> — Traducido Quoted Person (2020)" in translation
    assert "heading: Traducido A *hard* challenge" in translation
    assert statuses(project) == ["current", "current"]  # the case, the book's own texts

    # The book's own texts: stale when the English changes, incomplete without their title.
    publication = project.content / "casebook.yaml"
    publication.write_text(publication.read_text().replace("An introduction.", "An intro."))
    book = all_statuses(casebook.check(project.content))[1]
    assert (book.case, book.status, book.details) == (
        "casebook",
        "stale",
        ("introduction changed",),
    )
    publication.write_text(publication.read_text().replace("An intro.", "An introduction."))
    spanish = project.content / "casebook.es.yaml"
    spanish.write_text(spanish.read_text().replace("title: Traducida Test casebook\n", ""))
    assert all_statuses(casebook.check(project.content))[1].details == ("title is missing",)
    spanish.write_text("title: Traducida Test casebook\n" + spanish.read_text())
    text = built_spanish_text(project, book=True)
    for shown in (
        "Traducido A case for testing",
        "Traducido The lede of the test case.",
        "Traducido Context paragraph with a linked source and strong words.",
        "Traducido The note names its source.",
        "Traducido Quoted Person (2020)",
        "Traducido A hard challenge",
        "Traducido A third outcome.",
    ):
        assert shown in text
    links = [
        a["/A"]["/URI"]
        for page in PdfReader(project.out / "es" / "the-case.pdf").pages
        for a in (x.get_object() for x in page.get("/Annots", ()))
        if "/A" in a and "/URI" in a["/A"]
    ]
    assert "https://example.org/report" in links
    assert "Traducida Una" not in pdf_text(project.out / "es" / "casebook.pdf")
    assert "Traducida Test casebook" in pdf_text(project.out / "es" / "casebook.pdf")


def test_po_filled_in_a_tool_passes_msgfmt_and_comes_back_as_the_spanish_pdf(project):
    if shutil.which("msgfmt") is None:
        missing_tool("msgfmt (Debian's gettext) is not installed")
    folder = export(project, "--format", "po")
    for path in folder.iterdir():
        check = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], text=True,
                               capture_output=True)  # fmt: skip
        assert check.returncode == 0, check.stderr
    text = (folder / "the-case.po").read_text()
    assert 'msgctxt "' in text and text.count("msgctxt") == 2  # "Access." twice
    assert "#, md-text" in text
    fill_po(folder / "the-case.po")
    fill_po(folder / "casebook.po")
    check = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(folder / "the-case.po")],
                           text=True, capture_output=True)  # fmt: skip
    assert check.returncode == 0, check.stderr
    assert run("--content", str(project.content), "import", *map(str, folder.iterdir())) == 0
    text = built_spanish_text(project)
    assert "Traducido Context paragraph with a linked source and strong words." in text
    assert "Traducido The note names its source." in text
    assert text.count("Traducido Access.") == 2


def test_the_shipped_content_exports_po_that_msgfmt_accepts(tmp_path):
    if shutil.which("msgfmt") is None:
        missing_tool("msgfmt (Debian's gettext) is not installed")
    out = tmp_path / "po"
    assert run("--content", str(CONTENT), "export", "es", "--format", "po", "--out", str(out)) == 0
    files = sorted((out / "es").iterdir())
    assert len(files) == 11  # ten cases and the book's own texts
    for path in files:
        check = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], text=True,
                               capture_output=True)  # fmt: skip
        assert check.returncode == 0, f"{path.name}: {check.stderr}"


def test_exported_xliff_reads_back_with_the_same_units(project, tmp_path):
    folder = export(project)
    store = xliff.xlifffile.parsestring((folder / "the-case.xlf").read_bytes())
    assert store.getsourcelanguage() == "en" and store.gettargetlanguage() == "es"
    assert store.getfilenames() == ["cases/the-case/en.yaml"]
    subject = subject_of(casebook.check(project.content), "es", "the-case")
    units = subject.units(None)
    assert [u.xmlelement.get("id") for u in store.units] == [u.id for u in units]
    sources = [u.source for u in store.units]
    assert sources[3] == "Context paragraph with a linked source and strong words."
    assert '<g id="1" ctype="link">linked source</g>' in (folder / "the-case.xlf").read_text()
    assert 'ctype="x-footnote-call" equiv-text="[^1]"' in (folder / "the-case.xlf").read_text()
    notes = [u.getnotes() for u in store.units]
    assert (
        "the-case: section 2 of 3 (challenges: “A *hard* challenge”), quotation's source 1" in notes
    )
    assert not any(u.target for u in store.units)  # nothing translated yet

    # Translated, exported again, read again: the same units with their targets and states.
    fill_xliff(folder / "the-case.xlf")
    assert run("--content", str(project.content), "import", str(folder / "the-case.xlf")) == 0
    again = export(project)
    store2 = xliff.xlifffile.parsestring((again / "the-case.xlf").read_bytes())
    assert [u.xmlelement.get("id") for u in store2.units] == [u.id for u in units]
    assert [u.source for u in store2.units] == sources
    assert all(state_of(store2, u.id)[0] == "translated" for u in units)
    assert [u.target for u in store2.units] == [
        u.target for u in factory.getobject(str(folder / "the-case.xlf")).units
    ]


def test_a_source_edit_turns_exactly_the_edited_units_to_review(project):
    folder = export(project)
    fill_xliff(folder / "the-case.xlf")
    assert run("--content", str(project.content), "import", str(folder / "the-case.xlf")) == 0
    before = xliff.xlifffile.parsestring(export(project).joinpath("the-case.xlf").read_bytes())
    ids = [u.xmlelement.get("id") for u in before.units]

    source = project.content / "cases/the-case/en.yaml"
    text = source.read_text()
    text = text.replace("Second context paragraph.", "Second context paragraph, edited.")
    text = text.replace(
        "      Challenge paragraph.\n",
        "      A new first paragraph.\n\n      Challenge paragraph.\n",
    )
    source.write_text(text)

    after = xliff.xlifffile.parsestring(export(project).joinpath("the-case.xlf").read_bytes())
    states = {u.xmlelement.get("id"): state_of(after, u.xmlelement.get("id")) for u in after.units}
    new = [uid for uid in states if uid not in ids]
    assert len(new) == 1 and states[new[0]] == (None, None)  # the inserted paragraph
    review = [uid for uid, (state, _) in states.items() if state == "needs-review-translation"]
    assert review == [ids[4]]  # the edited paragraph, its id kept
    assert all(states[uid][0] == "translated" for uid in ids if uid != ids[4])
    edited = next(u for u in after.units if u.xmlelement.get("id") == ids[4])
    assert "It was: Second context paragraph." in edited.getnotes()

    po = pypo.pofile.parsestring((export(project, "--format", "po") / "the-case.po").read_bytes())
    fuzzy = [u for u in po.units if u.isfuzzy()]
    assert [u.source for u in fuzzy] == ["Second context paragraph, edited."]
    assert fuzzy[0].prev_source == "Second context paragraph."
    assert [s.details for s in all_statuses(casebook.check(project.content))] == [
        ("sections[0] (context) changed", "sections[1] (A *hard* challenge) changed")
    ]

    # The translator answers the review (and the new paragraph): current again.
    fill_xliff(export(project) / "the-case.xlf", mark="Revisado")
    assert run("--content", str(project.content), "import",
               str(project.root / "exported/es/the-case.xlf")) == 0  # fmt: skip
    assert statuses(project) == ["current"]


@pytest.mark.expect_warnings(r"stays in the source language: sections\[0\]\.body")
def test_a_partly_translated_body_falls_back_to_the_source_whole(project, capsys):
    folder = export(project)
    store = factory.getobject(str(folder / "the-case.xlf"))
    second = store.units[4].xmlelement.get("id")  # the second context paragraph
    fill_xliff(folder / "the-case.xlf", skip={second})
    assert main(["translations", "--content", str(project.content), "import",
                 str(folder / "the-case.xlf")]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "sections[0].body (missing: section 1 of 3 (context), paragraph 2)" in err
    translation = (project.content / "cases/the-case/es.yaml").read_text()
    assert "Traducido Context paragraph" not in translation  # the section's body left out
    assert "Traducido Challenge paragraph." in translation
    status = all_statuses(casebook.check(project.content))[0]
    assert status.status == "incomplete"
    assert "sections[0] (context): body is missing" in status.details


def test_an_import_that_changes_nothing_writes_nothing(project):
    folder = export(project)
    fill_xliff(folder / "the-case.xlf")
    assert run("--content", str(project.content), "import", str(folder / "the-case.xlf")) == 0
    (project.content / "cases/the-case/es.yaml").write_text(
        "# A translator's comment, kept.\n"
        + (project.content / "cases/the-case/es.yaml").read_text()
    )
    before = snapshot(project)
    again = export(project)
    assert run("--content", str(project.content), "import", str(again / "the-case.xlf")) == 0
    assert snapshot(project) == before

    # One unit changed in the tool: only its text changes; the comment stays.
    store = factory.getobject(str(again / "the-case.xlf"))
    store.units[1].rich_target = [StringElem(["Un título nuevo"])]
    store.save()
    assert run("--content", str(project.content), "import", str(again / "the-case.xlf")) == 0
    text = (project.content / "cases/the-case/es.yaml").read_text()
    assert text.startswith("# A translator's comment, kept.\n")
    assert "title: Un título nuevo\n" in text
    old = before[project.content / "cases/the-case/es.yaml"][0].decode()
    assert text == old.replace("title: Traducido A case for testing\n", "title: Un título nuevo\n")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('target-language="es"', 'target-language="fr"'),
         "is a translation into 'fr', which is not a translation language"),
        (lambda t: t.replace("cases/the-case/en.yaml", "cases/no-case/en.yaml"),
         "translates “cases/no-case/en.yaml”, which is not a case of this publication"),
        (lambda t: t.replace('id="title"', 'id="p00000000"'),
         "unit 'p00000000' is not a unit of the current source"),
        (lambda t: re.sub(r'(<target[^>]*>Traducido Context.*?)<x id="3"[^>]*/>', r"\1", t),
         "must keep each footnote call of its source ([^1]) exactly once"),
        (lambda t: re.sub(r'(<target[^>]*>Traducido Context[^<]*)<g id="1"', r'\1<g id="9"', t),
         "has an inline code with id 9, which its source does not have"),
        (lambda t: t.replace("<xliff", "<xlif", 1), "cannot be read as XLIFF"),
    ],
    ids=["language", "case", "unit-id", "footnote-call", "code-id", "not-xml"],
)  # fmt: skip
def test_a_bad_file_is_refused_and_changes_nothing(project, capsys, change, message):
    folder = export(project)
    fill_xliff(folder / "the-case.xlf")
    # A good file beside the bad one: refused together.
    fill_xliff(folder / "casebook.xlf")
    path = folder / "the-case.xlf"
    path.write_text(change(path.read_text()))
    before = snapshot(project)
    assert main(["translations", "--content", str(project.content), "import", str(path),
                 str(folder / "casebook.xlf")]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert message in err and str(path) in err and "nothing was changed" in err
    assert snapshot(project) == before


def test_a_po_translation_must_keep_the_links_and_calls_of_its_source(project, capsys):
    folder = export(project, "--format", "po")
    fill_po(folder / "the-case.po")
    path = folder / "the-case.po"
    store = factory.getobject(str(path))
    unit = next(u for u in store.units if "linked source" in u.source)
    unit.target = unit.target.replace("https://example.org/", "https://evil.example/")
    store.save()
    before = snapshot(project)
    assert main(["translations", "--content", str(project.content), "import", str(path)]) == 1
    assert "https://evil.example/report" in capsys.readouterr().err
    assert snapshot(project) == before


def test_diff_shows_what_changed_in_the_source_word_by_word(project, capsys):
    assert run("--content", str(project.content), "new", "es", "the-case") == 0
    source = project.content / "cases/the-case/en.yaml"
    source.write_text(
        source.read_text().replace("Challenge paragraph.", "A harder challenge paragraph.")
    )
    assert main(["translations", "--content", str(project.content), "diff", "es", "the-case"]) == 0
    out = capsys.readouterr().out
    assert "section 2 of 3 (challenges: “A *hard* challenge”), paragraph 1 [" in out
    assert "  [-Challenge-]{+A harder challenge+} paragraph.\n" in out
    assert out.count("]: changed") == 1


def test_a_restamp_remakes_no_pdf(project):
    folder = export(project)
    fill_xliff(folder / "the-case.xlf")
    assert run("--content", str(project.content), "import", str(folder / "the-case.xlf")) == 0
    project.build()
    stamp = project.content / "cases/the-case/es.stamp.yaml"
    stamp.unlink()
    assert run("--content", str(project.content), "stamp", "es", "the-case") == 0
    assert stamp.is_file()
    result = project.build()
    assert result.outputs == []


@pytest.mark.expect_warnings(r"the-case/es\.yaml is incomplete: .*sections: has 3 sections but")
def test_a_source_that_gains_a_section_still_builds_and_the_round_trip_follows_it(project):
    folder = export(project)
    fill_xliff(folder / "the-case.xlf")
    assert run("--content", str(project.content), "import", str(folder / "the-case.xlf")) == 0
    source = project.content / "cases/the-case/en.yaml"
    source.write_text(source.read_text().replace(
        "  - kind: outcomes\n",
        "  - kind: lessons\n    heading: A new lesson\n    body: |\n      Lesson paragraph.\n"
        "  - kind: outcomes\n",
    ))  # fmt: skip
    status = all_statuses(casebook.check(project.content))[0]  # checks: no error
    assert status.status == "incomplete"
    assert "es.yaml:6: sections: has 3 sections but the source" in status.details[0]
    build_spanish(project)  # the Spanish PDF prints the source's sections meanwhile
    assert "Lesson paragraph." in pdf_text(project.out / "es" / "the-case.pdf")

    # Exported again: every translation is kept on its unit; only the new section's are new.
    store = xliff.xlifffile.parsestring(export(project).joinpath("the-case.xlf").read_bytes())
    new = [u.source for u in store.units if not u.target]
    assert new == ["A new lesson", "Lesson paragraph."]
    fill_xliff(project.root / "exported/es/the-case.xlf", skip=set())
    assert run("--content", str(project.content), "import",
               str(project.root / "exported/es/the-case.xlf")) == 0  # fmt: skip
    assert statuses(project) == ["current"]
    text = (project.content / "cases/the-case/es.yaml").read_text()
    assert "  - kind: lessons\n    heading: Traducido A new lesson\n" in text


# ---- Unit ids ----


def pieces_of(*texts: str) -> list[Piece]:
    return [Piece(("summary",), "paragraph", text, True) for text in texts]


def stamp_of(units) -> list[Stamped]:
    return [Stamped(u.id, u.key, u.role, u.text) for u in units]


def test_unit_ids_survive_an_insert_and_an_edit():
    first = assign_ids(pieces_of("One two three four.", "Five six seven eight.", "Nine."), [])
    assert len({u.id for u in first}) == 3
    later = assign_ids(
        pieces_of("A new one.", "One two three four!", "Five six seven eight.", "Nine."),
        stamp_of(first),
    )
    assert [u.id for u in later[1:]] == [u.id for u in first]
    assert later[0].id not in {u.id for u in first}
    # A text rewritten beyond recognition is a new unit.
    rewritten = pieces_of("Completely different words here.", "Five six seven eight.", "Nine.")
    other = assign_ids(rewritten, stamp_of(first))
    assert other[0].id != first[0].id and [u.id for u in other[1:]] == [u.id for u in first[1:]]
    # Moved: the same ids.
    reordered = pieces_of("Nine.", "One two three four.", "Five six seven eight.")
    moved = assign_ids(reordered, stamp_of(first))
    assert [u.id for u in moved] == [first[2].id, first[0].id, first[1].id]
    # The same text twice: two ids.
    twice = assign_ids(pieces_of("Access.", "Access."), [])
    assert twice[0].id != twice[1].id


def test_blocks_put_together_again_keep_the_markdown_of_every_shipped_case():
    from casebook.markup import render_markdown

    book = casebook.check(CONTENT)
    for case in book.source.cases:
        for text in (case.summary, *(s.body for s in case.sections)):
            found = blocks(text)
            again = rebuild(text, [b.text for b in found])
            assert " ".join(render_markdown(again).split()) == " ".join(
                render_markdown(text).split()
            ), case.slug


# ---- What translators' tools and translators do ----


def set_target(path, uid: str, inner_xml: str, state: str = "translated") -> None:
    """Write a unit's target as XML, as a tool that moved the tags would."""
    text = path.read_text()
    pattern = (
        rf'(<trans-unit[^>]*id="{uid}"[^>]*>\s*<source>.*?</source>)(\s*<target[^>]*>.*?</target>)?'
    )
    replacement = lambda m: f'{m[1]}<target state="{state}">{inner_xml}</target>'  # noqa: E731
    path.write_text(re.sub(pattern, replacement, text, count=1, flags=re.S))


def unit_id(path, source_start: str) -> str:
    store = factory.getobject(str(path))
    return next(u.xmlelement.get("id") for u in store.units if u.source.startswith(source_start))


def test_tags_moved_by_the_translator_stay_on_their_words_through_a_second_round_trip(project):
    folder = export(project)
    fill_xliff(folder / "the-case.xlf")
    path = folder / "the-case.xlf"
    set_target(path, unit_id(path, "Context paragraph"),
               'Palabras <g id="2">fuertes</g> y una <g id="1">fuente</g>.<x id="3"/>')  # fmt: skip
    assert run("--content", str(project.content), "import", str(path)) == 0
    translation = project.content / "cases/the-case/es.yaml"
    expected = 'Palabras **fuertes** y una [fuente](https://example.org/report "Report").[^1]'
    assert expected in translation.read_text()
    before = snapshot(project)
    again = export(project) / "the-case.xlf"
    assert '<g id="2" ctype="bold">fuertes</g>' in again.read_text()
    assert run("--content", str(project.content), "import", str(again)) == 0
    assert snapshot(project) == before


def test_footnotes_called_in_another_order_keep_their_own_texts(scratch):
    scratch.write("casebook.yaml", BILINGUAL)
    case = RICH_CASE.replace(
        "      Second context paragraph.\n",
        "      Two calls.[^2] And more.[^3]\n\n      [^2]: Note two.\n\n      [^3]: Note three.\n",
    )
    scratch.case("the-case", case)
    folder = export(scratch)
    fill_xliff(folder / "the-case.xlf")
    path = folder / "the-case.xlf"
    ids = {name: unit_id(path, name) for name in ("Two calls", "Note two", "Note three")}
    set_target(path, ids["Two calls"], 'Primero.<x id="2"/> Después.<x id="1"/>')
    set_target(path, ids["Note two"], "Nota dos.")
    set_target(path, ids["Note three"], "Nota tres.")
    assert run("--content", str(scratch.content), "import", str(path)) == 0
    text = (scratch.content / "cases/the-case/es.yaml").read_text()
    assert "Primero.[^3] Después.[^2]" in text
    assert "[^2]: Nota dos." in text and "[^3]: Nota tres." in text
    store = factory.getobject(str(export(scratch) / "the-case.xlf"))
    targets = {u.source: u.target for u in store.units}
    assert targets["Note two."] == "Nota dos." and targets["Note three."] == "Nota tres."


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ('<x id="3"/>: la nota al principio.', "starts like a footnote's own text"),
        ('Texto con <g id="3">énfasis</g>.<x id="3"/>', "uses the inline code 3 the wrong way"),
        ('Un <g id="2">¿fuerte?</g>no.<x id="3"/>', "has a tag (<g>) that Markdown cannot show"),
    ],
    ids=["note-definition", "code-kind", "misplaced-emphasis"],
)
def test_a_target_that_would_change_the_markdown_is_refused(project, capsys, target, message):
    folder = export(project)
    fill_xliff(folder / "the-case.xlf")
    path = folder / "the-case.xlf"
    set_target(path, unit_id(path, "Context paragraph"), target)
    assert_refused(project, capsys, path, message=message)


@pytest.mark.expect_warnings(
    r"stays in the source language: sections\[2\]\.body \(missing: .*list item 3\)"
)
def test_a_po_link_definition_or_obsolete_or_blank_entry(project, capsys):
    folder = export(project, "--format", "po")
    path = folder / "the-case.po"
    fill_po(path)
    store = factory.getobject(str(path))
    second = next(u for u in store.units if u.source == "Second context paragraph.")
    second.target = "[mal]: https://evil.example"
    store.save()
    before = snapshot(project)
    assert main(["translations", "--content", str(project.content), "import", str(path)]) == 1
    assert "starts like a link definition, which would change" in capsys.readouterr().err
    assert snapshot(project) == before

    # An obsolete entry (as msgmerge and Weblate leave them) is skipped; a blank one is not
    # a translation.
    fill_po(path)
    store = factory.getobject(str(path))
    next(u for u in store.units if u.source == "A third outcome.").target = "   "
    store.save()
    path.write_text(path.read_text() + '\n#~ msgid "An old text."\n#~ msgstr "Un texto viejo."\n')
    assert run("--content", str(project.content), "import", str(path)) == 0
    text = (project.content / "cases/the-case/es.yaml").read_text()
    assert "Traducido A third outcome." not in text and "Traducido Access." not in text
    assert "Traducido Second context paragraph." in text


def test_text_typed_in_a_tool_prints_as_typed(project):
    source = project.content / "cases/the-case/en.yaml"
    source.write_text(source.read_text().replace(
        "The lede of the *test* case.", "The lede [sic] of the snake_case test, 2 * 3 &amp; more."
    ))  # fmt: skip
    folder = export(project)
    fill_xliff(folder / "the-case.xlf")
    path = folder / "the-case.xlf"
    typed = {
        "Second context": "--- 2019. Año &amp;copy; AT&amp;amp;T *no* _ni_ [x] &lt;b&gt; \\",
        "Challenge paragraph": "1. empieza así",
        "A third outcome": "~~~ bloque",
    }
    for start, xml in typed.items():
        set_target(path, unit_id(path, start), xml)
    assert run("--content", str(project.content), "import", str(path)) == 0
    # The English with Markdown's special characters is stamped as it is: current.
    assert statuses(project) == ["current"]
    text = built_spanish_text(project)
    for shown in (
        "--- 2019. Año &copy; AT&amp;T *no* _ni_ [x] <b> \\",
        "1. empieza así",
        "~~~ bloque",
        "Traducido The lede [sic] of the snake_case test, 2 * 3 & more.",
        "Traducido Access.",  # the list after the fence-like item is still a list
    ):
        assert shown in text


def test_a_unit_kept_in_the_source_language_is_kept_through_a_round_trip(project):
    folder = export(project)
    path = folder / "the-case.xlf"
    fill_xliff(path)
    note = unit_id(path, "The note names")
    set_target(path, note, "The note names its source.")  # an English title, kept
    assert run("--content", str(project.content), "import", str(path)) == 0
    before = snapshot(project)
    again = export(project) / "the-case.xlf"
    assert run("--content", str(project.content), "import", str(again)) == 0
    assert snapshot(project) == before


@pytest.mark.expect_warnings(
    r"the-case/es\.yaml is incomplete: .*content/cases/the-case/es\.stamp\.yaml:5: yaml"
)
def test_a_broken_stamp_makes_a_translation_stale_not_the_build_fail(project, capsys):
    assert run("--content", str(project.content), "new", "es", "the-case") == 0
    stamp = project.content / "cases/the-case/es.stamp.yaml"
    stamp.write_text("<<<<<<< HEAD\n" + stamp.read_text())
    build_spanish(project)  # warns, builds
    out = project.root / "broken"
    assert main(["translations", "--content", str(project.content), "export", "es",
                 "--out", str(out)]) == 2  # fmt: skip
    assert "es.stamp.yaml" in capsys.readouterr().err
    assert not out.exists()  # nothing written


def test_a_confirmed_unit_sent_back_for_review_is_no_longer_confirmed(project):
    folder = export(project, "--format", "po")
    fill_po(folder / "the-case.po")
    assert run("--content", str(project.content), "import", str(folder / "the-case.po")) == 0
    assert statuses(project) == ["current"]
    again = export(project, "--format", "po") / "the-case.po"
    store = factory.getobject(str(again))
    unit = next(u for u in store.units if u.source == "Second context paragraph.")
    unit.target = "Una versión dudosa."
    unit.markfuzzy(True)
    store.save()
    assert run("--content", str(project.content), "import", str(again)) == 0
    status = all_statuses(casebook.check(project.content))[0]
    assert status.details == ("sections[0] (context): not confirmed (to translate or review)",)
    store = pypo.pofile.parsestring(
        (export(project, "--format", "po") / "the-case.po").read_bytes()
    )
    assert [u.target for u in store.units if u.isfuzzy()] == ["Una versión dudosa."]


def test_a_coalition_left_as_it_is_and_line_breaks(project):
    source = project.content / "cases/the-case/en.yaml"
    source.write_text(
        source.read_text().replace("Challenge paragraph.", "Challenge\\\n      paragraph.")
    )
    folder = export(project)
    path = folder / "the-case.xlf"
    assert "<source>Challenge paragraph.</source>" in path.read_text()  # the break left out
    fill_xliff(path, skip={"coalition"})
    assert run("--content", str(project.content), "import", str(path)) == 0
    assert statuses(project) == ["current"]  # a name may stay as the source has it
    # A target with neither a state nor approved="yes" is not confirmed (translate-toolkit's
    # fuzzy), nor one approved="no"; approved="yes" alone is.
    cases = (("", "stale"), (' approved="no"', "stale"), (' approved="yes"', "current"))
    for attributes, status in cases:
        text = re.sub(r'<trans-unit [^>]*id="title"[^>]*>', f'<trans-unit id="title"{attributes}>',
                      path.read_text())  # fmt: skip
        text = re.sub(r'(<trans-unit id="title"[^>]*>\s*<source>[^<]*</source>\s*)<target[^>]*>',
                      r"\1<target>", text)  # fmt: skip
        path.write_text(text)
        assert run("--content", str(project.content), "import", str(path)) == 0
        assert statuses(project) == [status], attributes


def test_an_xliff_file_reads_no_other_file_and_no_entity_bomb(project, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENTS")
    folder = export(project)
    fill_xliff(folder / "the-case.xlf")
    path = folder / "the-case.xlf"
    doctype = f'<!DOCTYPE xliff [<!ENTITY s SYSTEM "file://{secret}">]>'
    text = path.read_text().replace("?>", "?>\n" + doctype, 1)
    path.write_text(text.replace(">Traducido A case for testing<", ">Título &s;<", 1))
    before = snapshot(project)
    assert main(["translations", "--content", str(project.content), "import", str(path)]) == 1
    assert "holds a unit casebook cannot read" in capsys.readouterr().err
    assert snapshot(project) == before  # and the file's text was not read

    laughs = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    bomb = path.read_text().replace(doctype, f"<!DOCTYPE xliff [{laughs}]>")
    assert ">Título &s;<" in bomb
    path.write_text(bomb.replace(">Título &s;<", ">&l9;<", 1))
    assert main(["translations", "--content", str(project.content), "import", str(path)]) == 1
    assert "cannot be read as XLIFF: Maximum entity amplification" in capsys.readouterr().err


@settings(max_examples=300, deadline=None)
@example("~~~ a")
@example("--- a")
@example("=== a")
@example("2019. a")
@example("3) a")
@example("[x]: https://example.org")
@example("&copy; &#65; AT&amp;T")
@example("* a *b* _c_ `d` <e> \\")
@example("# a")
@example("> a")
@given(
    st.one_of(
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40
        ),
        st.text(alphabet=st.sampled_from("*_`[]<>#-+=~|&;!():.^\\019 aé"), max_size=12),
    )
)
def test_any_text_typed_in_a_tool_is_one_paragraph_that_reads_as_typed(typed):
    """What escape() writes is one paragraph whose text is exactly what was typed."""
    import html

    from casebook.markup import render_markdown

    typed = " ".join(typed.split())
    if not typed:
        return
    markdown = escape(typed, at_start=True)
    assert [b.role for b in blocks(markdown)] == ["paragraph"]
    shown = html.unescape(re.sub(r"<[^>]+>", "", render_markdown(markdown)))
    assert " ".join(shown.split()) == typed


TWO_CHALLENGES = RICH_CASE.replace(
    "  - kind: outcomes\n",
    "  - kind: challenges\n    heading: Another challenge\n    body: |\n"
    "      Another paragraph, long enough to be told apart.\n\n"
    "      Its second paragraph.\n"
    "  - kind: outcomes\n",
)


def swap_challenges(text: str) -> str:
    first = text[text.index("  - kind: challenges\n    heading: A *hard*") :]
    first = first[: first.index("  - kind: challenges\n    heading: Another")]
    second = text[text.index("  - kind: challenges\n    heading: Another") :]
    second = second[: second.index("  - kind: outcomes")]
    return text.replace(first + second, second + first)


@pytest.mark.expect_warnings(r"the-case/es\.yaml is stale: sections\[1\]")
def test_sections_the_english_reorders_take_their_translations_with_them(scratch, capsys):
    scratch.write("casebook.yaml", BILINGUAL)
    scratch.case("the-case", TWO_CHALLENGES)
    folder = export(scratch)
    fill_xliff(folder / "the-case.xlf")
    assert run("--content", str(scratch.content), "import", str(folder / "the-case.xlf")) == 0
    source = scratch.content / "cases/the-case/en.yaml"
    source.write_text(swap_challenges(source.read_text()))

    # The move is seen: stale, and diff says where the stamp had the units.
    assert statuses(scratch) == ["stale"]
    assert main(["translations", "--content", str(scratch.content), "diff", "es", "the-case"]) == 0
    assert "heading [h" in capsys.readouterr().out
    build_spanish(scratch)

    # An import that translates only the title still writes every section where it now is.
    store = factory.getobject(str(export(scratch) / "the-case.xlf"))
    pairs = {u.source: u.target for u in store.units}
    assert pairs["Another challenge"] == "Traducido Another challenge"
    assert pairs["A hard challenge"] == "Traducido A hard challenge"
    for unit in store.units:
        if unit.xmlelement.get("id") != "title":
            unit.rich_target = [StringElem([""])]
    store.units[1].rich_target = [StringElem(["Otro título"])]
    store.save()
    path = scratch.root / "exported/es/the-case.xlf"
    assert run("--content", str(scratch.content), "import", str(path)) == 0
    text = (scratch.content / "cases/the-case/es.yaml").read_text()
    assert text.index("Traducido Another challenge") < text.index("Traducido A *hard* challenge")
    assert statuses(scratch) == ["current"]
    store = factory.getobject(str(export(scratch) / "the-case.xlf"))
    assert all(u.target == f"Traducido {u.source}" for u in store.units[2:])


def test_no_break_spaces_are_text(project):
    folder = export(project, "--format", "po")
    fill_po(folder / "the-case.po")
    store = factory.getobject(str(folder / "the-case.po"))
    unit = next(u for u in store.units if u.source == "Second context paragraph.")
    unit.target = "El 20\u00a0% de los casos\u202f»."
    store.save()
    assert run("--content", str(project.content), "import", str(folder / "the-case.po")) == 0
    assert (
        "El 20\u00a0% de los casos\u202f»."
        in (project.content / "cases/the-case/es.yaml").read_text()
    )
    before = snapshot(project)
    again = export(project, "--format", "po") / "the-case.po"
    assert run("--content", str(project.content), "import", str(again)) == 0
    assert snapshot(project) == before


BPT = r'\1<bpt id="1">&lt;i&gt;</bpt>Dos<ept id="1">&lt;/i&gt;</ept>'


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('id="p03d9a75f"', 'id="title"'),
         "unit title (title) is in the file twice"),
        (lambda t: re.sub(r"(<target[^>]*>)Traducido Second", BPT, t),
         "uses <bpt> codes, which casebook does not read"),
    ],
    ids=["twice", "bpt"],
)  # fmt: skip
def test_a_unit_twice_or_with_foreign_codes_is_refused(project, capsys, change, message):
    folder = export(project)
    fill_xliff(folder / "the-case.xlf")
    path = folder / "the-case.xlf"
    assert 'id="p03d9a75f"' in path.read_text()  # "Second context paragraph."
    path.write_text(change(path.read_text()))
    assert_refused(project, capsys, path, message=message)


@pytest.mark.expect_warnings(
    r"sections\[[01]\]\.body: the translation's blocks \(paragraph\) are not those"
)
def test_a_hand_written_body_moves_with_its_section(project):
    translation = project.content / "cases/the-case/es.yaml"
    translation.write_text(
        "title: Un caso\nsections:\n"
        "  - kind: context\n    body: |\n      Un solo párrafo a mano, donde el inglés tiene dos.\n"
        "  - kind: challenges\n    heading: Un desafío\n    body: |\n      Párrafo.\n"
        "  - kind: outcomes\n    body: |\n      - Uno.\n      - Dos.\n      - Tres.\n"
    )
    assert run("--content", str(project.content), "stamp", "es", "the-case") == 0
    source = project.content / "cases/the-case/en.yaml"
    source.write_text(source.read_text().replace(
        "sections:\n", "sections:\n  - kind: context\n    body: |\n      A new first section.\n", 1
    ))  # fmt: skip
    store = factory.getobject(str(export(project) / "the-case.xlf"))
    for unit in store.units:
        if unit.xmlelement.get("id") == "title":
            unit.rich_target = [StringElem(["Un caso nuevo"])]
            unit.set_state_n(unit.S_TRANSLATED)
    store.save()
    path = project.root / "exported/es/the-case.xlf"
    assert run("--content", str(project.content), "import", str(path)) == 0
    data = casebook.check(project.content).edition("es").case("the-case")
    assert data.title == "Un caso nuevo"
    assert data.sections[1].body.startswith("Un solo párrafo a mano")  # moved, not lost
    assert data.sections[2].heading == "Un desafío"
