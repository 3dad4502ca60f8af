"""Stage 6, lay out: HTML → laid-out pages → PDF bytes, with WeasyPrint.

One `FontConfiguration` for the whole build, and a URL fetcher that reads only the project's
own files (the case folder, layouts/, fonts/) and never the network.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .errors import RenderError
from .render import HtmlDocument

MAX_PAGES = 400
MAX_RESOURCE_BYTES = 20 * 1024 * 1024


class ProjectFetcher(URLFetcher):
    """Serves `file:` URLs under the allowed folders and `data:` URLs; refuses everything else.

    Refusals are collected in `refused` so that the build can name them; WeasyPrint itself
    would only log a warning and leave the resource out.
    """

    def __init__(self, roots: list[Path], aliases: dict[Path, Path] | None = None):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
        self.roots = [root.resolve() for root in roots]
        self.aliases = {k.resolve(): v for k, v in (aliases or {}).items()}
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
            path = self.aliases.get(path, path)
            if path in self.aliases.values() or (
                any(path.is_relative_to(root) for root in self.roots) and path.is_file()
            ):
                if path.stat().st_size > MAX_RESOURCE_BYTES:
                    return self._refuse(url, "is larger than 20 MB")
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), headers={"Content-Type": mime}
                )
            return self._refuse(url, "is not a file inside the case folder, layouts/ or fonts/")
        return self._refuse(url, "is not a local file (no network access during a build)")

    def _refuse(self, url: str, why: str) -> URLFetcherResponse:
        self.refused.append(f"{url} {why}")
        raise ValueError(f"refused {url}: {why}")


class Paginator:
    """Lays out HTML documents with shared fonts, and writes them as PDF."""

    def __init__(
        self, layouts: Path, fonts: Path, font_css: str, aliases: dict[Path, Path] | None = None
    ):
        """`font_css`: the @font-face rules of the fonts (`Renderer.font_css`), which every
        document gets before its own stylesheets."""
        self.font_config = FontConfiguration()
        self.layouts = layouts
        self.fonts = fonts
        self.image_cache: dict = {}
        # Each stylesheet with the colour profiles its @color-profile rules declare: a document
        # gets the profiles of its own stylesheets only (print-shop.css's CMYK intent stays out
        # of the screen and archive PDFs laid out by the same worker).
        self._stylesheets: dict[str, tuple[CSS, dict]] = {}
        self._style_fetcher = ProjectFetcher([layouts, fonts], aliases)
        self._fonts = self._parse("fonts.css.j2", string=font_css, base_url=fonts.as_uri() + "/")

    def stylesheet(self, name: str) -> tuple[CSS, dict]:
        """A stylesheet of layouts/ and the colour profiles it declares, parsed (and its fonts
        loaded) once per build."""
        if name in self._stylesheets:
            return self._stylesheets[name]
        parsed = self._parse(name, filename=self.layouts / name)
        # A stylesheet that declares a colour profile is parsed for each document: LittleCMS
        # writes a profile's bytes differently once its tags have been read (by an earlier
        # document's write), and a print PDF must be the same bytes however it was built.
        if not parsed[1]:
            self._stylesheets[name] = parsed
        return parsed

    def _parse(self, name: str, **source) -> tuple[CSS, dict]:
        self._style_fetcher.refused.clear()
        profiles: dict = {}
        with _quiet_weasyprint():
            sheet = CSS(
                **source,
                font_config=self.font_config,
                url_fetcher=self._style_fetcher,
                color_profiles=profiles,
            )
        if self._style_fetcher.refused:
            raise RenderError(
                f"layouts/{name}: refused to load " + "; ".join(self._style_fetcher.refused)
            )
        return sheet, profiles

    def lay_out(self, source: HtmlDocument, what: str) -> Document:
        """Lay out one HTML document with its stylesheets."""
        parsed = [self._fonts, *(self.stylesheet(name) for name in source.stylesheets)]
        profiles = {k: v for _, declared in parsed for k, v in declared.items()}
        fetcher = ProjectFetcher([source.base, self.layouts, self.fonts])
        html = HTML(string=source.html, base_url=source.base.as_uri() + "/", url_fetcher=fetcher)
        with _quiet_weasyprint():
            document = html.render(
                stylesheets=[sheet for sheet, _ in parsed],
                font_config=self.font_config,
                cache=self.image_cache,
                color_profiles=profiles,
            )
        if fetcher.refused:
            raise RenderError(
                f"{what}: refused to load "
                + "; ".join(fetcher.refused)
                + ". Reference only files in the case folder."
            )
        if len(document.pages) > MAX_PAGES:
            raise RenderError(
                f"{what}: runs to {len(document.pages)} pages, more than the limit "
                f"of {MAX_PAGES}; shorten the text or split the case"
            )
        return document

    @staticmethod
    def write(document: Document, finisher=None, variant: str | None = None) -> bytes:
        """PDF bytes, in a PDF variant (pdf/ua-1, pdf/a-3a, pdf/x-4) if given; reproducible."""
        metadata = document.metadata
        if variant and variant.startswith("pdf/x") and not metadata.modified:
            metadata.modified = metadata.created  # else PDF/X writes the current time
        with _quiet_weasyprint():
            pdf = document.write_pdf(finisher=finisher, pdf_variant=variant)
        if variant and variant.startswith("pdf/x"):
            from .printmarks import add_marks

            pdf = add_marks(pdf)
        return pdf


class _quiet_weasyprint:
    """Keep WeasyPrint's warnings off the console, and its errors about the references our
    fetcher refused (the build reports those itself, naming the case)."""

    def __enter__(self):
        self.logger = logging.getLogger("weasyprint")
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)
        self.logger.addFilter(_not_refused)

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)
        self.logger.removeFilter(_not_refused)


def _not_refused(record: logging.LogRecord) -> bool:
    return "refused " not in record.getMessage()
