"""Stage 4, render: model → HTML through the shipped templates. No layout: milliseconds."""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import jinja2
import pytest
from babel.messages.pofile import read_po
from markupsafe import escape

from casebook.build import read_project
from casebook.errors import ProjectError
from casebook.model import YearMonth
from casebook.plan import BOOK_STYLESHEETS, CASE_STYLESHEETS
from casebook.project import Theme
from casebook.render import (
    HtmlDocument,
    Renderer,
    catalogue,
    catalogue_path,
    country_name,
    format_month,
)

from .conftest import BILINGUAL, CASE, ROOT

LAYOUTS = ROOT / "layouts"
THEME = Theme("layouts", LAYOUTS)
FONTS = Theme("fonts", ROOT / "fonts")
HOSTILE_TITLE = "<script>alert('title')</script>"
HOSTILE_COALITION = 'Tom & Jerry "<b>bold</b>"'


@pytest.fixture
def edition(scratch):
    """The English edition of a bilingual project with one case whose texts hold HTML."""
    scratch.write("casebook.yaml", BILINGUAL)
    hostile = CASE.replace("title: A case for testing", f'title: "{HOSTILE_TITLE}"').replace(
        "coalition: Test Coalition", f"coalition: '{HOSTILE_COALITION}'"
    )
    scratch.case("hostile", hostile)
    scratch.case("hostile", "title: Un caso\n", language="es")
    _, casebook = read_project(scratch.content, scratch.out)
    return casebook


def render_case(casebook, lang: str, layouts: Theme = THEME, **options) -> HtmlDocument:
    edition = casebook.edition(lang)
    case = edition.case("hostile")
    renderer = Renderer(layouts, FONTS, casebook.source.language)
    context = {"case": case, "publication": edition, "source_date": None, **options}
    return renderer.render("case.html.j2", case.folder, lang=lang, **context)


def messages(po: Path) -> dict[str, str]:
    with po.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id and isinstance(m.id, str)}


# ---- Escaping and strictness ----


def test_content_is_escaped(edition):
    html = render_case(edition, "en").html
    assert "<script" not in html
    assert "<b>" not in html
    assert str(escape(HOSTILE_TITLE)) in html
    assert str(escape(HOSTILE_COALITION)) in html


def test_a_missing_variable_fails_the_render(edition):
    case = edition.source.cases[0]
    renderer = Renderer(THEME, FONTS)
    with pytest.raises(jinja2.UndefinedError, match="publication"):
        renderer.render("case.html.j2", case.folder, lang="en", case=case, source_date=None)


@pytest.mark.parametrize(
    "template",
    ["<p>{{ missing }}</p>", "<p>{{ case.no_such_field }}</p>", "{% if missing %}x{% endif %}"],
)
def test_an_undefined_value_fails_loudly_instead_of_printing_nothing(tmp_path, template):
    (tmp_path / "page.html.j2").write_text(template)
    renderer = Renderer(Theme("layouts", tmp_path), FONTS)
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("page.html.j2", tmp_path, lang="en", case=object())


# ---- The document ----


def test_the_document_carries_its_base_and_stylesheets(edition):
    document = render_case(edition, "en")
    case = edition.source.cases[0]
    assert document.base == case.folder
    assert document.stylesheets == CASE_STYLESHEETS
    assert 'rel="stylesheet"' not in document.html  # passed to WeasyPrint parsed, not linked
    assert '<html lang="en">' in document.html


def test_a_standalone_document_links_its_stylesheets(edition):
    edition_en = edition.source
    case = edition_en.cases[0]
    renderer = Renderer(THEME, FONTS)
    document = renderer.render(
        "case.html.j2",
        case.folder,
        BOOK_STYLESHEETS,
        True,
        lang="en",
        case=case,
        publication=edition_en,
        source_date=None,
    )
    assert document.stylesheets == BOOK_STYLESHEETS
    for sheet in BOOK_STYLESHEETS:
        assert f'href="{(LAYOUTS / sheet).as_uri()}"' in document.html


# ---- Catalogues: the layouts' fixed words ----


def test_catalogue_path():
    assert catalogue_path(THEME, "es") == LAYOUTS / "locale" / "es.po"
    with pytest.raises(ProjectError) as info:
        catalogue_path(THEME, "fr")
    assert "layouts/locale/fr.po is missing" in str(info.value)
    assert info.value.exit_code == 4


def test_the_source_language_needs_no_catalogue(tmp_path):
    assert not (tmp_path / "locale").exists()
    translations = catalogue(Theme("layouts", tmp_path), "en", "en")
    assert isinstance(translations, gettext.NullTranslations)
    assert translations.gettext("Region") == "Region"
    with pytest.raises(ProjectError):
        catalogue(Theme("layouts", tmp_path), "fr", "en")


def test_spanish_labels_come_from_the_catalogue(edition):
    spanish = messages(LAYOUTS / "locale" / "es.po")
    translations = catalogue(THEME, "es", "en")
    for english in ("Region", "Report date", "Context", "Case study"):
        assert spanish[english] and spanish[english] != english
        assert translations.gettext(english) == spanish[english]

    html_es = render_case(edition, "es").html
    html_en = render_case(edition, "en").html
    for english in ("Region", "Report date", "Context"):
        assert escape(spanish[english]) in html_es
        assert f">{english}<" in html_en
        assert f">{english}<" not in html_es


def test_a_projects_catalogue_replaces_the_packaged_one(edition, tmp_path):
    po = tmp_path / "layouts" / "locale" / "es.po"
    po.parent.mkdir(parents=True)
    region = messages(LAYOUTS / "locale" / "es.po")["Region"]
    text = (LAYOUTS / "locale" / "es.po").read_text()
    po.write_text(text.replace(f'msgstr "{region}"', 'msgstr "Zona del mundo"'))
    html = render_case(edition, "es", Theme("layouts", LAYOUTS, tmp_path / "layouts")).html
    assert ">Zona del mundo<" in html
    assert escape(region) not in html


def test_a_language_without_a_catalogue_fails_to_render(edition, tmp_path):
    layouts = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, layouts)
    (layouts / "locale" / "es.po").unlink()
    with pytest.raises(ProjectError, match=r"es\.po"):
        render_case(edition, "es", Theme("layouts", layouts))


# ---- Dates and countries, by CLDR ----


def test_format_month():
    assert format_month(YearMonth(2020, 11)) == "November 2020"
    assert format_month(YearMonth(2020, 11), "en") == "November 2020"
    assert format_month(YearMonth(2020, 11), "es") == "noviembre de 2020"
    assert format_month(YearMonth(1999, 1), "es") == "enero de 1999"


def test_dates_and_countries_in_the_rendered_case(edition):
    html_es = render_case(edition, "es").html
    assert format_month(YearMonth(2020, 11), "es") in html_es  # CASE's date: 2020-11
    assert country_name("Poland", "es") in html_es  # CASE's country
    assert "Polonia" in html_es


@pytest.mark.parametrize(
    ("name", "locale", "shown"),
    [
        ("Mexico", "es", "México"),
        ("mexico", "es", "México"),
        ("Mexico", "en", "Mexico"),
        ("Poland", "es", "Polonia"),
        ("Atlantis", "es", "Atlantis"),
        ("Méjico", "es", "Méjico"),  # not the English name: left as written
    ],
)
def test_country_name(name, locale, shown):
    assert country_name(name, locale) == shown
