"""Stage 4, render: model → HTML strings, through the Jinja2 templates in layouts/.

Autoescaping everywhere and StrictUndefined: a template that names a missing value fails
loudly instead of printing nothing. No WeasyPrint here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_skeleton
from babel.lists import format_list
from markupsafe import Markup

from .markup import render_inline, render_markdown
from .model import YearMonth

CASE_STYLESHEETS = ("fonts.css", "print.css")
BOOK_STYLESHEETS = (*CASE_STYLESHEETS, "book.css")


@dataclass(frozen=True)
class HtmlDocument:
    """An HTML document, the folder its references resolve in, and its stylesheets in layouts/."""

    html: str
    base: Path
    stylesheets: tuple[str, ...]


class Renderer:
    """Holds one Jinja2 environment for a layouts folder and renders documents with it."""

    def __init__(self, layouts: Path, fonts: Path):
        self.layouts = layouts
        self.fonts = fonts
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(layouts),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.install_null_translations(newstyle=True)
        self.env.filters["markdown"] = lambda s: Markup(render_markdown(s))
        self.env.filters["inline"] = lambda s: Markup(render_inline(s))
        self.env.filters["plaintext"] = lambda s: Markup(render_inline(s)).striptags()
        self.env.filters["month"] = format_month
        self.env.filters["names"] = lambda names, locale="en": format_list(
            list(names), locale=locale
        )
        self.env.globals["layouts_url"] = layouts.as_uri()

    def render(
        self,
        template: str,
        base: Path,
        stylesheets: tuple[str, ...] = CASE_STYLESHEETS,
        standalone: bool = False,
        **context: Any,
    ) -> HtmlDocument:
        """`template` (a file in layouts/) rendered with `context`.

        `base` is the folder that relative references resolve in. A `standalone` document
        links its stylesheets, for a browser or plain `weasyprint`.
        """
        html = self.env.get_template(template).render(
            stylesheets=stylesheets, standalone=standalone, **context
        )
        return HtmlDocument(html, base, stylesheets)


def format_month(value: YearMonth, locale: str = "en") -> str:
    """'November 2020' / 'noviembre de 2020', by the locale's CLDR rules."""
    return format_skeleton("yMMMM", datetime.date(value.year, value.month, 1), locale=locale)
