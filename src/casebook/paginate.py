"""Stage 6, lay out: HTML → laid-out pages → PDF bytes, with WeasyPrint.

One `FontConfiguration` for the whole build, and a URL fetcher that reads only the project's
own files (the case folder, layouts/, fonts/) and never the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mimetypes
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .errors import ProjectError, RenderError
from .project import Theme
from .render import HtmlDocument

MAX_PAGES = 400
MAX_RESOURCE_BYTES = 20 * 1024 * 1024


class ProjectFetcher(URLFetcher):
    """Serves `file:` URLs under the allowed folders and `data:` URLs; refuses everything else.

    Refusals are collected in `refused` so that the build can name them; WeasyPrint itself
    would only log a warning and leave the resource out.
    """

    def __init__(
        self,
        roots: list[Path],
        aliases: dict[Path, Path] | None = None,
        images: Callable[[Path, bytes], bytes] | None = None,
    ):
        """`images`: a conversion every image file goes through (CMYK for the print shop)."""
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
        self.roots = [root.resolve() for root in roots]
        self.aliases = {k.resolve(): v for k, v in (aliases or {}).items()}
        self.images = images
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
                data, url = path.read_bytes(), path.as_uri()
                if self.images is not None and mime.startswith("image/"):
                    # Not a file: URL, or WeasyPrint would embed the file instead of the bytes.
                    data, mime, url = self.images(path, data), "image/jpeg", f"cmyk:{path.name}"
                return URLFetcherResponse(url, data, headers={"Content-Type": mime})
            return self._refuse(url, "is not a file inside the case folder, layouts/ or fonts/")
        return self._refuse(url, "is not a local file (no network access during a build)")

    def _refuse(self, url: str, why: str) -> URLFetcherResponse:
        self.refused.append(f"{url} {why}")
        raise ValueError(f"refused {url}: {why}")


class Paginator:
    """Lays out HTML documents with shared fonts, and writes them as PDF."""

    def __init__(
        self, layouts: Theme, fonts: Theme, font_css: str, aliases: dict[Path, Path] | None = None
    ):
        """`font_css`: the @font-face rules of the fonts (`Renderer.font_css`), which every
        document gets before its own stylesheets."""
        self.font_config = FontConfiguration()
        self.layouts = layouts
        self.fonts = fonts
        self.image_cache: dict = {}  # WeasyPrint's, by URL: one for RGB and one for CMYK images
        self._cmyk_cache: dict = {}
        # Each stylesheet with the colour profiles its @color-profile rules declare: a document
        # gets the profiles of its own stylesheets only (print-shop.css's CMYK intent stays out
        # of the screen and archive PDFs laid out by the same worker).
        self._stylesheets: dict[str, Parsed] = {}
        self.noted: list[str] = []  # layout warnings since the caller last emptied it
        self._converted: dict[tuple, bytes] = {}  # images in CMYK, for the print profile
        self._roots = (*layouts.folders, *fonts.folders)
        self._style_fetcher = ProjectFetcher(list(self._roots), aliases)
        self._fonts = self._parse(
            "fonts.css.j2", string=font_css, base_url=fonts.folders[0].as_uri() + "/"
        )

    def stylesheet(self, name: str) -> Parsed:
        """A stylesheet of layouts/, the colour profiles it declares and WeasyPrint's warnings
        about it, parsed (and its fonts loaded) once per build."""
        if name in self._stylesheets:
            return self._stylesheets[name]
        path = self.layouts.path(name)
        text = path.read_text(encoding="utf-8")
        declares, uses = custom_properties(self.layouts.label(name), text)
        parsed = replace(self._parse(name, filename=path), declares=declares, uses=uses)
        # A stylesheet that declares a colour profile is parsed for each document: LittleCMS
        # writes a profile's bytes differently once its tags have been read (by an earlier
        # document's write), and a print PDF must be the same bytes however it was built.
        if not parsed.profiles:
            self._stylesheets[name] = parsed
        return parsed

    def _parse(self, name: str, **source) -> Parsed:
        self._style_fetcher.refused.clear()
        profiles: dict = {}
        with weasyprint_messages() as records:
            sheet = CSS(
                **source,
                font_config=self.font_config,
                url_fetcher=self._style_fetcher,
                color_profiles=profiles,
            )
        if self._style_fetcher.refused:
            raise RenderError(
                f"{self.layouts.label(name)}: refused to load "
                + "; ".join(self._style_fetcher.refused)
            )
        where = self.layouts.label(name)
        return Parsed(sheet, profiles, tuple(_located(where, r) for r in records))

    def lay_out(self, source: HtmlDocument, what: str, cmyk: Path | None = None) -> Document:
        """Lay out one HTML document with its stylesheets; with `cmyk` (an ICC profile), its
        images converted to that CMYK space first."""
        parsed = [self._fonts, *(self.stylesheet(name) for name in source.stylesheets)]
        missing = undeclared(parsed)
        if missing:
            where, name = missing[0].rsplit(" ", 1)
            raise ProjectError(
                f"{where}: var({name}) names a custom property that no stylesheet declares "
                f"(laying out {what}); the packaged tokens.css declares casebook's own: "
                "`casebook layouts` shows which tokens.css is used"
            )
        profiles = {k: v for sheet in parsed for k, v in sheet.profiles.items()}
        images = partial(self._cmyk_image, cmyk) if cmyk else None
        fetcher = ProjectFetcher([source.base, *self._roots], images=images)
        html = HTML(string=source.html, base_url=source.base.as_uri() + "/", url_fetcher=fetcher)
        with weasyprint_messages() as records:
            document = html.render(
                stylesheets=[sheet.css for sheet in parsed],
                font_config=self.font_config,
                cache=self._cmyk_cache if cmyk else self.image_cache,
                color_profiles=profiles,
            )
        if fetcher.refused:
            raise RenderError(
                f"{what}: refused to load "
                + "; ".join(fetcher.refused)
                + ". Reference only files in the case folder."
            )
        for record in records:
            if record.msg.startswith("Failed to load image"):  # never its alt text instead
                raise RenderError(f"{what}: {record.getMessage()}")
        self.noted += [w for sheet in parsed for w in sheet.warnings]
        self.noted += [_located(what, r) for r in records]
        if cmyk:
            self.noted += _low_resolution(document, what)
        if len(document.pages) > MAX_PAGES:
            raise RenderError(
                f"{what}: runs to {len(document.pages)} pages, more than the limit "
                f"of {MAX_PAGES}; shorten the text or split the case"
            )
        return document

    def _cmyk_image(self, profile: Path, path: Path, data: bytes) -> bytes:
        key = (path, hashlib.sha256(data).hexdigest(), profile)
        if key not in self._converted:
            from .press import cmyk_image

            try:
                self._converted[key] = cmyk_image(data, path.suffix.lower() == ".svg", profile)
            except Exception as exc:  # Pillow's and WeasyPrint's many ways to refuse a file
                raise RenderError(
                    f"{path.name} cannot be converted to CMYK for print: {exc}"
                ) from None
        return self._converted[key]

    def close(self) -> None:
        """Remove the folder where WeasyPrint's font configuration keeps the fonts it loaded
        (it does so only when garbage-collected, which a worker process never is)."""
        folder = getattr(self.font_config, "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    def write(
        self,
        document: Document,
        finisher=None,
        variant: str | None = None,
        what: str = "PDF",
        marks: bool = True,
    ) -> bytes:
        """PDF bytes, in a PDF variant (pdf/ua-1, pdf/a-3a, pdf/x-4) if given; reproducible.
        A PDF/X file gets crop marks unless `marks` is false (a book part: the book gets them)."""
        metadata = document.metadata
        if variant and variant.startswith("pdf/x") and not metadata.modified:
            metadata.modified = metadata.created  # else PDF/X writes the current time
        with weasyprint_messages() as records:
            pdf = document.write_pdf(finisher=finisher, pdf_variant=variant)
        self.noted += [_located(what, r) for r in records]
        if marks and variant and variant.startswith("pdf/x"):
            from .press import add_marks

            pdf = add_marks(pdf)
        return pdf


PRINT_PPI = 300


def _low_resolution(document: Document, what: str) -> list[str]:
    """A warning for each raster image printed at less than PRINT_PPI."""
    found = []
    for page in document.pages:
        for box in _boxes(page._page_box):
            image = getattr(box, "replacement", None)
            if image is None or not getattr(image, "width", None) or not box.width:
                continue
            ppi = image.width / (box.width / 96)  # box sizes are in CSS pixels
            if ppi < PRINT_PPI - 0.5:
                name = Path(unquote(urlsplit(box.element.get("src", "")).path)).name
                wide = box.width / 96 * 25.4
                needed = -(-PRINT_PPI * box.width // 96)
                found.append(
                    f"{what}: {name} prints at {ppi:.0f} ppi ({image.width} pixels across "
                    f"{wide:.0f} mm); print needs {PRINT_PPI} ppi: supply it at least "
                    f"{needed:.0f} pixels wide"
                )
    return found


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child)


@dataclass(frozen=True)
class Parsed:
    """A parsed stylesheet, the colour profiles it declares, WeasyPrint's warnings about it."""

    css: CSS
    profiles: dict
    warnings: tuple[str, ...] = ()
    declares: frozenset[str] = frozenset()  # the custom properties it declares
    uses: tuple[str, ...] = ()  # "<file>:<line>:<column> <name>": each var() with no fallback


_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_DECLARED = re.compile(r"(--[\w-]+)\s*:")
_USED = re.compile(r"var\(\s*(--[\w-]+)\s*\)")


def custom_properties(where: str, text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The custom properties a stylesheet declares, and where it uses one with no fallback."""
    text = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), text)  # lines and columns kept
    uses = []
    for match in _USED.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - text.rfind("\n", 0, match.start())
        uses.append(f"{where}:{line}:{column} {match[1]}")
    return frozenset(_DECLARED.findall(text)), tuple(uses)


def undeclared(sheets: list[Parsed]) -> list[str]:
    """Each var() of `sheets` whose custom property none of them declares (WeasyPrint would
    drop the declaration, or fail inside a calc())."""
    declared = frozenset().union(*(sheet.declares for sheet in sheets))
    return [use for sheet in sheets for use in sheet.uses if use.rsplit(" ", 1)[1] not in declared]


@contextlib.contextmanager
def weasyprint_messages() -> Iterator[list[logging.LogRecord]]:
    """WeasyPrint's warnings and errors inside the block, taken instead of being logged: the
    caller reports them, naming the file (or the document) they are about. Errors about the
    references that casebook's fetcher refused are dropped: the build names those itself."""
    taken: list[logging.LogRecord] = []

    def take(record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        if "refused " not in record.getMessage():
            taken.append(record)
        return False

    logger = logging.getLogger("weasyprint")
    logger.addFilter(take)
    try:
        yield taken
    finally:
        logger.removeFilter(take)


_IGNORED = "Ignored `%s:%s` at %d:%d, %s."


def _located(where: str, record: logging.LogRecord) -> str:
    """'layouts/case.css:12:3: `colr: red` ignored: unknown property' and the like."""
    if record.msg == _IGNORED and len(record.args) == 5:
        name, value, line, column, reason = record.args
        return f"{where}:{line}:{column}: `{name}: {str(value).strip()}` ignored: {reason}"
    message = record.getMessage()
    found = re.search(r" at (\d+):(\d+)", message)
    if found:
        return f"{where}:{found[1]}:{found[2]}: {message}"
    return f"{where}: {message}"
