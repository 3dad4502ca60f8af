"""Stage 5, render: model → HTML strings, through the Jinja2 templates in layouts/.

Autoescaping everywhere and StrictUndefined: a template that names a missing value fails
loudly instead of printing nothing. No WeasyPrint here.
"""

from __future__ import annotations

import contextlib
import datetime
import gettext
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations
from markupsafe import Markup

from .errors import ProjectError
from .markup import WebText, join_compounds, render_inline, render_markdown, render_web
from .model import Case, Edition, YearMonth
from .plan import CASE_STYLESHEETS
from .project import Theme, catalogue_path


@dataclass(frozen=True, order=True)
class FontFace:
    """A font file of fonts/, with the family, weight and style it declares itself."""

    family: str
    weight: int
    style: str  # normal or italic
    path: Path

    @property
    def format(self) -> str:
        return "opentype" if self.path.suffix.lower() == ".otf" else "truetype"


def font_faces(fonts: Theme) -> tuple[FontFace, ...]:
    """Every .ttf and .otf font at the top of fonts/ (the project's and the packaged ones), read
    with fontTools: its typographic family (name 16, else 1), weight class and italic bit. A
    project's font wins over a packaged one of the same family, weight and style (and over
    one of the same file name). Sorted by family, weight and style."""
    from fontTools.ttLib import TTFont, TTLibError

    faces: dict[tuple[str, int, str], FontFace] = {}
    for name, path in fonts.files().items():
        if "/" in name or path.suffix.lower() not in (".ttf", ".otf"):
            continue
        try:
            with TTFont(path, lazy=True) as font:
                names = font["name"]
                family = names.getDebugName(16) or names.getDebugName(1)
                os2 = font["OS/2"]
                italic = "italic" if os2.fsSelection & 1 else "normal"
                face = FontFace(family, os2.usWeightClass, italic, path.resolve())
        except (TTLibError, KeyError, OSError) as exc:
            raise ProjectError(f"{fonts.label(name)} cannot be read as a font: {exc}") from None
        key = (face.family, face.weight, face.style)
        if key not in faces or fonts.origin(name) == "project":
            faces[key] = face
    return tuple(sorted(faces.values()))


@dataclass(frozen=True)
class HtmlDocument:
    """An HTML document, the folder its references resolve in, and its stylesheets' names in
    layouts/."""

    html: str
    base: Path
    stylesheets: tuple[str, ...]


class _CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once per process, whichever `Renderer` asks: a watch session's
    rebuilds and a test run's many builds compile each template once. Jinja2 keys them by name
    and checks the source's checksum, so an edited template is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class Renderer:
    """Renders the templates of a layouts folder, with one Jinja2 environment per language.

    Fixed words come from the message catalogue `layouts/locale/<lang>.po` (gettext, read with
    Babel); the source language's words are the templates' own.
    """

    def __init__(self, layouts: Theme, fonts: Theme, source_language: str = "en"):
        self.layouts = layouts
        self.fonts = fonts
        self.source_language = source_language
        self._envs: dict[str, jinja2.Environment] = {}
        self._web_texts: dict[int, tuple[Case, WebText]] = {}

    def environment(self, lang: str) -> jinja2.Environment:
        if lang not in self._envs:
            env = jinja2.Environment(
                loader=ThemeLoader(self.layouts),
                bytecode_cache=_COMPILED,
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(
                catalogue(self.layouts, lang, self.source_language), newstyle=True
            )
            env.filters["markdown"] = lambda s: Markup(render_markdown(s))
            env.filters["inline"] = lambda s: Markup(render_inline(s))
            env.filters["plaintext"] = lambda s: Markup(render_inline(s)).striptags()
            env.filters["month"] = format_month
            env.filters["names"] = names
            env.filters["country"] = country_name
            env.filters["css_string"] = css_string
            env.filters["web_text"] = self.web_text
            env.filters["person"] = lambda name: {"@type": "Person", "name": name}
            env.filters["media_object"] = lambda url: {
                "@type": "MediaObject",
                "contentUrl": url,
                "encodingFormat": "application/pdf",
            }
            env.globals["layout_url"] = lambda name: self.layouts.path(name).as_uri()
            env.globals["font_faces"] = lambda: self.font_faces  # read when a template asks
            self._envs[lang] = env
        return self._envs[lang]

    def render(
        self,
        template: str,
        base: Path,
        stylesheets: tuple[str, ...] = CASE_STYLESHEETS,
        standalone: bool = False,
        *,
        lang: str,
        **context: Any,
    ) -> HtmlDocument:
        """`template` (a file in layouts/) rendered in language `lang` with `context`.

        `base` is the folder that relative references resolve in. A `standalone` document
        links its stylesheets, for a browser or plain `weasyprint`.
        """
        with layout_mistakes(self.layouts):
            html = (
                self.environment(lang)
                .get_template(template)
                .render(stylesheets=stylesheets, standalone=standalone, lang=lang, **context)
            )
        return HtmlDocument(join_compounds(html), base, stylesheets)

    def forget_texts(self) -> None:
        """Forget the cases' web texts (kept by `web_text`), before a build's site."""
        self._web_texts.clear()

    def web_text(self, case: Case) -> WebText:
        """`web_text(case)`, once per case (the collection page and the case's page use it)."""
        if id(case) not in self._web_texts:
            self._web_texts[id(case)] = (case, web_text(case))  # the case kept: ids stay unique
        return self._web_texts[id(case)][1]

    @cached_property
    def font_faces(self) -> tuple[FontFace, ...]:
        return font_faces(self.fonts)

    @cached_property
    def font_css(self) -> str:
        """The @font-face rules of the fonts present (layouts/fonts.css.j2), for the PDFs."""
        return self.web_font_css(None)

    def web_font_css(self, fonts_url: str | None) -> str:
        """The same rules with each font at `fonts_url` + its file name (for the web pages)."""
        context = {} if fonts_url is None else {"fonts_url": fonts_url}
        with layout_mistakes(self.layouts):
            template = self.environment(self.source_language).get_template("fonts.css.j2")
            return template.render(**context)

    def page(self, template: str, edition: Edition, **context: Any) -> str:
        """A web page (the collection page, a case page, the watch preview) of `edition`, in its
        language."""
        with layout_mistakes(self.layouts):
            env = self.environment(edition.language)
            return env.get_template(template).render(
                lang=edition.language, publication=edition, **context
            )


class ThemeLoader(jinja2.BaseLoader):
    """Templates by name from the layouts: the project's over the packaged ones, and
    `!<name>` for the packaged one whatever the project has (see `Theme`)."""

    def __init__(self, layouts: Theme):
        self.layouts = layouts

    def get_source(self, environment, template: str):
        path = self.layouts.path(template)
        try:
            source = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise jinja2.TemplateNotFound(template) from None
        mtime = path.stat().st_mtime_ns
        return source, str(path), lambda: path.is_file() and path.stat().st_mtime_ns == mtime

    def list_templates(self) -> list[str]:
        return list(self.layouts.files())


@contextlib.contextmanager
def layout_mistakes(layouts: Theme) -> Iterator[None]:
    """A template of layouts/ that does not parse, or includes one that is not there: a
    `ProjectError` naming the file and the line, not an internal error."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        name = layouts.label(exc.name) if exc.name else (exc.filename or "a template")
        raise ProjectError(
            f"{name}:{exc.lineno}: the template does not parse: {exc.message}"
        ) from None
    except jinja2.TemplateNotFound as exc:
        where = " or ".join(str(f) for f in layouts.folders)
        raise ProjectError(
            f"layouts/ has no template {exc.name!r}, which a template asks for "
            f"(extends, include or import); the layouts are in {where}"
        ) from None


def catalogue(layouts: Theme, lang: str, source_language: str) -> gettext.NullTranslations:
    """The gettext translations for `lang` (none for the source language, whose words are the
    templates' own); a `ProjectError` naming the line if the catalogue does not load."""
    if lang == source_language:
        return gettext.NullTranslations()
    path = catalogue_path(layouts, lang)
    try:
        with path.open("rb") as handle:
            messages = read_po(handle, locale=lang, abort_invalid=True)
    except PoFileError as exc:
        raise ProjectError(
            f"{layouts.label(f'locale/{lang}.po')}:{exc.lineno}: the catalogue does not load: {exc}"
        ) from None
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return Translations(compiled)


def web_text(case: Case) -> WebText:
    """A case's summary and section bodies as HTML for its web page: footnotes as notes
    numbered through the case, with ids prefixed by its slug (see `markup.render_web`)."""
    groups = [[section.body for section in group.sections] for group in case.groups]
    text = render_web(case.summary, groups, case.slug)
    return WebText(
        Markup(text.summary),
        tuple(tuple(Markup(body) for body in group) for group in text.groups),
        tuple(Markup(note) for note in text.notes),
    )


NAME_ON_ONE_LINE = 32  # characters: a name up to this long fits on one line wherever it shows


def names(people: tuple[str, ...], locale: str) -> Markup:
    """'Sarah Pugh and Deborah Doane' by the locale's rules, each name that fits on one line in
    a `<span class="name">` that the layouts keep from breaking."""
    marked = [
        Markup('<span class="name">{}</span>').format(p)
        if len(p) <= NAME_ON_ONE_LINE
        else Markup.escape(p)
        for p in people
    ]
    return Markup(format_list([str(m) for m in marked], locale=locale))


def css_string(value: str) -> Markup:
    """A CSS string literal, quotes included."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return Markup(f'"{escaped}"')


def country_name(name: str, locale: str) -> str:
    """A country's name in `locale` (CLDR), when `name` is its English name; else `name`."""
    code = _english_territories().get(name.casefold())
    if code is None:
        return name
    return Locale.parse(locale).territories.get(code, name)


@lru_cache(maxsize=1)
def _english_territories() -> dict[str, str]:
    return {
        label.casefold(): code
        for code, label in Locale("en").territories.items()
        if code.isalpha() and len(code) == 2
    }


def format_month(value: YearMonth, locale: str = "en") -> str:
    """'November 2020' / 'noviembre de 2020', by the locale's CLDR rules."""
    return format_skeleton("yMMMM", datetime.date(value.year, value.month, 1), locale=locale)
