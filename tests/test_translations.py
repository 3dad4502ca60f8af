"""Spanish (and any other) editions, and the translators' workflow."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from pypdf import PdfReader

import casebook
from casebook.cli import main
from casebook.project import Theme
from casebook.render import Renderer
from casebook.translations import all_statuses

from .conftest import BILINGUAL, CONTENT, ROOT
from .pdfs import missing_words, pdf_text, words

TRANSLATION = """\
title: Un caso para probar
summary: |
  El lede del caso de prueba.
sections:
  - kind: context
    body: |
      Párrafo de contexto.
  - kind: challenges
    heading: Un desafío
    body: |
      Párrafo del desafío.
  - kind: outcomes
    body: |
      - Primer resultado.
      - Segundo resultado.
"""

# Fixed words of the layouts that must never appear on a Spanish page.
ENGLISH_LABELS = (
    "Report date",
    "Region",
    "Country",
    "Authors",
    "Author",
    "Context",
    "Challenges",
    "Lessons",
    "Outcomes",
    "Page",
    "Case study",
    "Coalition response",
    "Americas",
    "Contents",
    "Introduction",
    "Published by",
    "published by",
)


def statuses(scratch) -> dict[str, str]:
    return {s.case: s.status for s in all_statuses(casebook.check(scratch.content))}


def translations_json(scratch, capsys) -> list[dict]:
    assert main(["translations", "--json", "--content", str(scratch.content)]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def bilingual(scratch):
    scratch.write("casebook.yaml", BILINGUAL)
    scratch.case("the-case")
    return scratch


@pytest.mark.expect_warnings(
    r"^WARNING casebook: warning: the-case/es\.yaml is stale: "
    r"sections\[1\] \(A challenge\) changed$"
)
def test_status_lifecycle_new_incomplete_stamp_current_edit_stale(bilingual, capsys):
    content = str(bilingual.content)
    assert translations_json(bilingual, capsys) == [
        {"case": "the-case", "language": "es", "status": "missing"}
    ]

    assert main(["translations", "--content", content, "new", "es", "the-case"]) == 0
    path = bilingual.content / "cases" / "the-case" / "es.yaml"
    assert "Context paragraph." in path.read_text()
    assert translations_json(bilingual, capsys)[0]["status"] == "incomplete"
    assert main(["translations", "--content", content, "--strict"]) == 1
    table = capsys.readouterr().out
    assert "sections[0] (context): body is still the source text" in table

    # The translator translates every text, keeping the stamp `new` wrote.
    stamp = path.read_text().split("\ncoalition: Test Coalition\n", 1)[0]
    path.write_text(stamp + "\n" + TRANSLATION)
    assert translations_json(bilingual, capsys)[0]["status"] == "current"

    # The source changes: the translation is stale, and says which section.
    source = bilingual.content / "cases" / "the-case" / "en.yaml"
    source.write_text(source.read_text().replace("Challenge paragraph.", "A new sentence."))
    assert translations_json(bilingual, capsys)[0]["status"] == "stale"
    assert main(["translations", "--content", content]) == 0
    assert "sections[1] (A challenge) changed" in capsys.readouterr().out

    # A stale translation still builds, with a warning naming the case and the section.
    result = bilingual.build()
    assert (bilingual.out / "es" / "the-case.pdf").is_file()
    assert result.warnings == ["the-case/es.yaml is stale: sections[1] (A challenge) changed"]

    # Stamping records that the translation matches the source again; the text is kept.
    assert main(["translations", "--content", content, "stamp", "es", "the-case"]) == 0
    assert translations_json(bilingual, capsys)[0]["status"] == "current"
    assert main(["translations", "--content", content, "--strict"]) == 0
    assert path.read_text().endswith(TRANSLATION)


def test_a_translation_without_a_stamp_is_stale(bilingual, capsys):
    bilingual.case("the-case", TRANSLATION, language="es")
    row = translations_json(bilingual, capsys)[0]
    assert row["status"] == "stale"


def test_missing_translatable_key_is_incomplete(bilingual, capsys):
    bilingual.case("the-case", TRANSLATION.replace("title: Un caso para probar\n", ""), "es")
    assert translations_json(bilingual, capsys)[0]["status"] == "incomplete"


def test_new_refuses_to_overwrite_and_unknown_case(bilingual, capsys):
    bilingual.case("the-case", TRANSLATION, language="es")
    content = str(bilingual.content)
    assert main(["translations", "--content", content, "new", "es", "the-case"]) == 1
    assert "exists already" in capsys.readouterr().err
    assert main(["translations", "--content", content, "new", "es", "no-such-case"]) == 1
    assert "there is no case 'no-such-case'" in capsys.readouterr().err
    assert main(["translations", "--content", content, "new", "fr", "the-case"]) == 1
    assert "'fr' is not a translation language" in capsys.readouterr().err


@pytest.mark.expect_warnings(
    r"^WARNING casebook: warning: the-case/es\.yaml is incomplete: content/cases/the-case/",
    r"^WARNING casebook: warning: other-case/es\.yaml is incomplete: content/cases/other-case/",
)
def test_section_structure_mismatch_names_file_section_and_line_and_still_builds(bilingual):
    wrong_kind = TRANSLATION.replace("kind: challenges", "kind: lessons")
    bilingual.case("the-case", wrong_kind, language="es")
    bilingual.case("other-case")
    bilingual.case("other-case", TRANSLATION.split("  - kind: outcomes")[0], language="es")
    book = casebook.check(bilingual.content)  # not an error: the source may have changed
    line = 1 + wrong_kind.splitlines().index("  - kind: lessons")
    keep = (
        ": the source's sections are printed until the translation follows them again "
        "(casebook translations export, then import)"
    )
    details = {s.case: s.details for s in all_statuses(book)}
    assert details["other-case"][0] == (
        "content/cases/other-case/es.yaml:4: sections: has 2 sections but the source "
        "content/cases/other-case/en.yaml has 3" + keep
    )
    assert details["the-case"][0] == (
        f"content/cases/the-case/es.yaml:{line}: sections[1].kind: is 'lessons' but section 2 "
        "of the source content/cases/the-case/en.yaml is 'challenges'" + keep
    )
    spanish = book.edition("es").case("the-case")
    assert [s.body for s in spanish.sections] == [
        s.body for s in book.source.case("the-case").sections
    ]
    assert spanish.title == "Un caso para probar"  # the rest of the translation stays
    bilingual.build()


def test_source_only_keys_in_a_translation_are_errors(bilingual):
    bilingual.case("the-case", "date: 2020-11\n" + TRANSLATION, language="es")
    with pytest.raises(casebook.ContentError) as info:
        casebook.check(bilingual.content)
    assert [str(p) for p in info.value.problems] == [
        "content/cases/the-case/es.yaml:1: date: comes from the source file "
        "(content/cases/the-case/en.yaml); remove it here"
    ]


# ---- The shipped Spanish edition ----

TRANSLATED = sorted(p.parent.name for p in (CONTENT / "cases").glob("*/es.yaml"))


def test_spanish_outputs_for_translated_cases_and_the_book(shipped):
    _, out = shipped
    assert sorted(p.stem for p in (out / "es").glob("*.pdf")) == sorted([*TRANSLATED, "casebook"])
    assert TRANSLATED == ["articulacion-feminista-nicaragua", "unidosc-mexico"]


@pytest.mark.parametrize("slug", TRANSLATED)
def test_spanish_case_pdf_has_spanish_labels_dates_and_lang(shipped, slug):
    _, out = shipped
    path = out / "es" / f"{slug}.pdf"
    text = pdf_text(path)
    for label in (
        "Fecha del informe",
        "Región",
        "País",
        "Autoría",
        "Contexto",
        "Desafíos",
        "Lecciones aprendidas",
        "Resultados",
        "Página 1 de",
        "Respuesta de coalición".upper(),
        "noviembre de 2020",
        "Sarah Pugh y Deborah Doane",
        "América",
    ):
        assert label.upper() in text.upper(), label
    for label in ENGLISH_LABELS:
        assert f" {label} ".upper() not in f" {text} ".upper(), label
    assert "November" not in text
    reader = PdfReader(path)
    assert reader.trailer["/Root"]["/Lang"] == "es"
    spanish = casebook.check(CONTENT).edition("es").case(slug)
    assert reader.metadata.title == spanish.full_title


def test_spanish_book_holds_every_case_with_english_ones_marked(shipped):
    _, out = shipped
    path = out / "es" / "casebook.pdf"
    text = pdf_text(path)
    book = casebook.check(CONTENT)
    spanish = book.edition("es")
    assert spanish.title in text and "Contenido" in text
    assert "Índice de casos por región y país" in text
    have = words(text)
    for case in spanish.cases:
        assert not missing_words(case.full_title, have), case.slug
    english_only = [c for c in spanish.cases if c.language == "en"]
    assert len(english_only) == len(book.cases) - len(TRANSLATED)
    assert text.upper().count("DISPONIBLE SOLO EN INGLÉS") == 2 * len(
        english_only
    )  # case + contents
    assert PdfReader(path).trailer["/Root"]["/Lang"] == "es"


def test_english_text_in_the_spanish_book_is_marked_english():
    book = casebook.check(CONTENT)
    renderer = Renderer(Theme("layouts", ROOT / "layouts"), Theme("fonts", ROOT / "fonts"))
    spanish = book.edition("es")
    case = spanish.case("hrdc-malawi")
    html = renderer.render(
        "case.html.j2", case.folder, lang="es", case=case, publication=spanish, source_date=None
    ).html
    assert '<html lang="es">' in html
    assert '<div class="lede" lang="en">' in html
    assert re.search(r'<h1 data-bookmark="[^"]*" lang="en">', html)
    passages = re.findall(r'<section class="passage[^"]*"( lang="\w+")?>', html)
    assert passages and all(p == ' lang="en"' for p in passages)
    assert "Disponible solo en inglés" in html
    assert '<span class="fact-label">Región</span>' in html
    assert '<span class="fact-value">marzo de 2021</span>' in html


# ---- A third language needs a catalogue and content files, not code ----


@pytest.mark.expect_warnings(
    r"^WARNING casebook: warning: the-case/fr\.yaml is incomplete: summary is missing; "
    "sections are missing; never stamped"
)
def test_a_third_language_from_a_catalogue_and_content_only(scratch):
    shutil.copytree(ROOT / "layouts", scratch.root / "layouts")
    shutil.copytree(ROOT / "fonts", scratch.root / "fonts")
    catalog = Catalog(locale="fr")
    for english, french in {
        "Context": "Contexte",
        "Challenges": "Défis",
        "Page": "Page",
        "of": "sur",
        "Report date": "Date du rapport",
    }.items():
        catalog.add(english, french)
    with open(scratch.root / "layouts" / "locale" / "fr.po", "wb") as handle:
        write_po(handle, catalog)
    scratch.write("casebook.yaml", BILINGUAL.replace("[en, es]", "[en, fr]"))
    scratch.case("the-case")
    scratch.case("the-case", "title: Un cas à tester\n", language="fr")
    scratch.build()
    text = pdf_text(scratch.out / "fr" / "the-case.pdf")
    assert "Un cas à tester" in text and "DATE DU RAPPORT" in text.upper()
    assert "Contexte".upper() in text.upper() and "novembre 2020" in text
    assert "Page 1 sur 1" in text
