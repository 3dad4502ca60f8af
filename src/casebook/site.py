"""Stage 9, site: the written PDFs → cover thumbnails, the web edition and `manifest.json`.

The web edition: for each language a collection page (`index.html` for the source language,
`<lang>/index.html` for the others) with every case, its full text behind "Read more" and its
downloads, and a page per case (`<lang>/<slug>/index.html`); their search index (search.py).

Runs at every build, on what the state records, so a partial build still gives complete
pages: the case pages and their index as soon as the build's case PDFs are written (while its
books are still being made), the rest after the books. Thumbnails are made again only when
their PDF changed; pages and the manifest are written only when their text changed.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.units import format_unit
from markupsafe import Markup

from .model import LANGUAGE, REGIONS, SLUG, Casebook, Edition
from .plan import SITE_PAGE, SITE_STYLESHEETS, SITE_TEMPLATES, TEMPORARY, State
from .profiles import SCREEN
from .publish import inside, write_atomic
from .render import Renderer
from .search import Indexing, index_is, pages_digest

THUMBNAIL_WIDTH = 360  # pixels: shown at 120–180 CSS pixels, sharp on high-density screens


@dataclass(frozen=True)
class Download:
    href: str  # relative to the page
    language: str
    label: Markup
    absolute: str | None = None  # with `site_url` in casebook.yaml


def collection_page(casebook: Casebook, language: str) -> str:
    """The collection page of a language, relative to the output folder."""
    return SITE_PAGE if language == casebook.source.language else f"{language}/{SITE_PAGE}"


def case_page(language: str, slug: str) -> str:
    """A case's page in a language, relative to the output folder."""
    return f"{language}/{slug}/{SITE_PAGE}"


def prepare(renderer: Renderer, casebook: Casebook) -> None:
    """Compile the web edition's templates in every language and read the fonts: what the
    site needs whatever the PDFs turn out to be, done while a build's workers start."""
    for edition in casebook.editions:
        environment = renderer.environment(edition.language)
        for name in SITE_TEMPLATES:
            environment.get_template(name)
    renderer.font_faces  # noqa: B018 (read once, kept)


class Publishing:
    """Thumbnails, the web edition (the collection page and a page per case of every edition,
    their search index), the manifest, the pages' assets: published in two steps, or at once
    by `finish`. The case pages need only the case PDFs, so a build starts them (`case_pages`:
    the pages written, Pagefind started on them) in a thread of their own as soon as its last
    case PDF is made, while the books are still being laid out and joined; `finish` then
    writes what needs the books too (the collection pages, the manifest) and waits for the
    search index. `cancel` stops what was started."""

    def __init__(self, out: Path, casebook: Casebook, state: State, renderer: Renderer):
        self.out, self.casebook, self.state, self.renderer = out, casebook, state, renderer
        self._waiting: set[str] = set()  # the case PDFs the case pages wait for
        self._started: Future | None = None

    def expect(self, paths: Iterable[str]) -> None:
        """The screen case PDFs (paths in the output folder) the build will write or confirm:
        the case pages start when `written` has been told of each (at once if there is none)."""
        self._waiting = set(paths)
        if not self._waiting:
            self.case_pages()

    def written(self, path: str) -> None:
        """`path` is written, or found unchanged, and recorded in the state."""
        self._waiting.discard(path)
        if not self._waiting:
            self.case_pages()

    def case_pages(self) -> None:
        """Start writing the case pages and indexing them, in a thread: from here on, until
        `finish`, the caller writes no case PDF and uses this renderer for nothing else."""
        if self._started is None:
            pdfs = self._pdfs()  # read here: the thread reads no record the caller writes
            thread = ThreadPoolExecutor(1, thread_name_prefix="case-pages")
            self._started = thread.submit(self._case_pages, pdfs)
            thread.shutdown(wait=False)  # the thread ends with its task

    def finish(self) -> None:
        """The case pages (if not started), the collection pages, the search index in place,
        the manifest and the pages' assets."""
        pdfs = self._pdfs()
        if self._started is not None:
            cases, indexing = self._started.result()
            self._started = None  # finished here, cancelled here if need be
        else:
            cases, indexing = self._case_pages(pdfs)
        web = _Web(self.casebook, pdfs, self.renderer)
        try:  # the collection pages, while Pagefind indexes the case pages
            for edition in self.casebook.editions:
                page = collection_page(self.casebook, edition.language)
                _write_if_changed(inside(self.out, page), web.collection(edition).encode("utf-8"))
        except BaseException:
            if indexing is not None:
                indexing.cancel()
            raise
        if indexing is not None:
            indexing.finish()
        out = self.out
        manifest = _manifest(self.casebook, pdfs, list(cases))
        _write_if_changed(out / "manifest.json", manifest.encode("utf-8"))
        for sheet in SITE_STYLESHEETS:
            _write_if_changed(out / sheet, self.renderer.layouts.path(sheet).read_bytes())
        _write_if_changed(out / "fonts.css", self.renderer.web_font_css("fonts/").encode("utf-8"))
        for face in self.renderer.font_faces:  # every font present; a browser loads those it uses
            _write_if_changed(out / "fonts" / face.path.name, face.path.read_bytes())

    def cancel(self) -> None:
        """Wait for the case pages if they were started, and stop their indexing."""
        if self._started is not None:
            with contextlib.suppress(Exception):
                _, indexing = self._started.result()
                if indexing is not None:
                    indexing.cancel()

    def _pdfs(self) -> dict[str, dict]:
        """The screen PDFs written, each with its thumbnail (drawn now if a worker did not)."""
        pdfs = {
            path: record
            for path, record in self.state.outputs.items()
            if record["profile"] == SCREEN.name and (self.out / path).is_file()
        }
        for path, record in pdfs.items():
            _thumbnail(self.out, path, record)
        return pdfs

    def _case_pages(self, pdfs: dict[str, dict]) -> tuple[dict[str, str], Indexing | None]:
        """The case pages of every edition written (those of cases gone removed), and Pagefind
        started on them unless the index in place was made from exactly these."""
        self.renderer.forget_texts()  # a watch session's renderer: this build's cases only
        web = _Web(self.casebook, pdfs, self.renderer)
        cases = {
            case_page(edition.language, case.slug): web.case(edition, case)
            for edition in self.casebook.editions
            for case in web.published(edition)
        }
        for path, html in cases.items():
            _write_if_changed(inside(self.out, path), html.encode("utf-8"))
        _remove_old_pages(self.out, self.casebook, cases)
        digest = pages_digest(cases)
        if index_is(self.out, digest):
            return cases, None
        return cases, Indexing(self.out, self.out / TEMPORARY, digest)


def _remove_old_pages(out: Path, casebook: Casebook, cases: dict[str, str]) -> None:
    """Remove the pages of cases no longer published, and those of languages no longer
    published (their collection page too)."""
    for old in out.glob(f"*/*/{SITE_PAGE}"):
        path = old.relative_to(out).as_posix()
        language, slug = old.parent.parent.name, old.parent.name
        if LANGUAGE.match(language) and SLUG.match(slug) and path not in cases:
            old.unlink()
            with contextlib.suppress(OSError):
                old.parent.rmdir()
    for old in out.glob(f"*/{SITE_PAGE}"):
        if LANGUAGE.match(old.parent.name) and old.parent.name not in casebook.languages:
            old.unlink()


class _Web:
    """The web edition's pages of one build: what each shows, rendered by the layouts."""

    def __init__(self, casebook: Casebook, pdfs: dict[str, dict], renderer: Renderer):
        self.casebook = casebook
        self.pdfs = pdfs
        self.renderer = renderer
        self.site_url = casebook.source.site_url
        self.published_pdfs = {(r["language"], r["case"]): (p, r) for p, r in pdfs.items()}

    def absolute(self, path: str) -> str | None:
        """The URL of `path` (relative to the output folder), with `site_url`; a page's
        index.html left out."""
        if not self.site_url:
            return None
        return self.site_url + path.removesuffix(SITE_PAGE)

    def url(self, path: str, root: str) -> str:
        """How a page links `path` (relative to the output folder) for search engines: its
        absolute URL with `site_url`, else relative to the page."""
        return self.absolute(path) or root + path

    def languages(self, edition: Edition) -> list[str]:
        """The edition's language first, then the others."""
        return [edition.language] + [
            e.language for e in self.casebook.editions if e.language != edition.language
        ]

    def download(self, language: str, slug: str | None, root: str) -> Download | None:
        """The download of a case (or with `slug` None, the book) in `language`, if made."""
        if (language, slug) not in self.published_pdfs:
            return None
        path, _ = self.published_pdfs[language, slug]
        return Download(root + path, language, self.label(path), self.absolute(path))

    @functools.cache  # noqa: B019 (one _Web per step of a publishing)
    def label(self, path: str) -> Markup:
        """A download's words, in its language: "Download case study (PDF, 3 pages, 34 kB)"."""
        record = self.pdfs[path]
        size = _size(record["bytes"], record["language"])
        label = (
            self.renderer.environment(record["language"])
            .get_template("download-label.j2")
            .render(kind=record["kind"], pages=record["pages"], size=size)
        )
        return Markup(label.strip())

    def downloads(self, edition: Edition, slug: str | None, root: str) -> list[Download]:
        return [d for lang in self.languages(edition) if (d := self.download(lang, slug, root))]

    def published(self, edition: Edition) -> list:
        """The cases of `edition` with a PDF in some language: those the pages show."""
        return [c for c in edition.cases if self.downloads(edition, c.slug, "")]

    def nav(self, root: str, page) -> list[dict]:
        """The language switch: each edition's name and `page(language)`."""
        return [
            {
                "code": e.language,
                "name": Locale.parse(e.language).get_display_name(e.language).capitalize(),
                "href": root + page(e.language),
            }
            for e in self.casebook.editions
        ]

    def collection(self, edition: Edition) -> str:
        root = "" if edition.language == self.casebook.source.language else "../"
        items = []
        for case in self.published(edition):
            downloads = self.downloads(edition, case.slug, root)
            items.append(
                {
                    "case": case,
                    "languages": [d.language for d in downloads],
                    "downloads": downloads,
                    "page": root + case_page(edition.language, case.slug),
                    **self.thumb(downloads[0], root),
                }
            )
        book_downloads = self.downloads(edition, None, root)
        book = self.thumb(book_downloads[0], root) if book_downloads else None
        regions = sorted({c.region for c in edition.cases}, key=REGIONS.index)
        return self.renderer.page(
            "index.html.j2",
            edition,
            items=items,
            book=book,
            book_downloads=book_downloads,
            languages=self.nav(root, lambda lang: collection_page(self.casebook, lang)),
            alternates=[
                {
                    "code": e.language,
                    "href": self.url(collection_page(self.casebook, e.language), root),
                }
                for e in self.casebook.editions
            ],
            regions=regions,
            root=root,
            canonical=self.url(collection_page(self.casebook, edition.language), root),
        )

    def case(self, edition: Edition, case) -> str:
        root = "../../"
        page = partial(case_page, slug=case.slug)
        downloads = self.downloads(edition, case.slug, root)
        translations = [  # the pages of this case written in their edition's language
            {"code": e.language, "href": self.url(page(e.language), root)}
            for e in self.casebook.editions
            if e.case(case.slug).language == e.language
        ]
        thumbnail = self.thumb(downloads[0], root)["thumbnail"]
        return self.renderer.page(
            "web-case.html.j2",
            edition,
            case=case,
            root=root,
            downloads=downloads,
            pdfs=[d for d in downloads if d.absolute],
            languages=self.nav(root, page),
            translations=translations,
            back=root + collection_page(self.casebook, edition.language),
            # An untranslated case's page in another language shows the same text as the
            # page in its own language: that one is canonical.
            canonical=self.url(page(case.language), root),
            site_url=self.site_url,
            image=self.absolute(thumbnail.removeprefix(root)),
        )

    def thumb(self, download: Download, root: str) -> dict:
        path = download.href.removeprefix(root)
        record = self.pdfs[path].get("thumbnail", {})
        return {
            "thumbnail": root + str(Path(path).with_suffix(".webp")),
            "width": record.get("width", THUMBNAIL_WIDTH),
            "height": record.get("height", round(THUMBNAIL_WIDTH * 297 / 210)),
        }


def _thumbnail(out: Path, path: str, record: dict) -> None:
    """`<lang>/<name>.webp`: the PDF's first page, made again only when the PDF changed (a
    worker usually made it already, with the PDF: see `thumbnail`)."""
    target = out / Path(path).with_suffix(".webp")
    if record.get("thumbnail", {}).get("of") == record["sha256"] and target.is_file():
        return
    image, width, height = thumbnail((out / path).read_bytes())
    write_thumbnail(out, path, record, image, width, height)


def thumbnail(pdf: bytes) -> tuple[bytes, int, int]:
    """The first page of a PDF as a WebP image THUMBNAIL_WIDTH pixels wide, and its size."""
    import pypdfium2  # PDFium is not thread-safe: one thumbnail at a time in each process

    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        image = page.render(scale=THUMBNAIL_WIDTH / page.get_width()).to_pil()
    finally:
        document.close()
    buffer = BytesIO()
    image.save(buffer, format="WEBP", quality=82, method=2)  # 4: twice as slow, 2 % smaller
    return buffer.getvalue(), image.width, image.height


def thumbnail_size(image: bytes) -> tuple[int, int]:
    """The width and height of a thumbnail made by `thumbnail` (read from its header)."""
    from PIL import Image

    with Image.open(BytesIO(image)) as opened:
        return opened.size


def write_thumbnail(
    out: Path, path: str, record: dict, image: bytes, width: int, height: int
) -> None:
    """Write the thumbnail of the PDF at `path` and record what it was made from."""
    write_atomic(out / Path(path).with_suffix(".webp"), image)
    record["thumbnail"] = {"of": record["sha256"], "width": width, "height": height}


def _manifest(casebook: Casebook, pdfs: dict[str, dict], pages: list[str]) -> str:
    outputs = []
    for path, record in sorted(pdfs.items()):
        edition = casebook.edition(record["language"])
        slug = record["case"]
        outputs.append(
            {
                "case": slug,
                "language": record["language"],
                "kind": record["kind"],
                "path": path,
                "pages": record["pages"],
                "bytes": record["bytes"],
                "sha256": record["sha256"],
                "title": edition.title if slug is None else edition.case(slug).full_title,
            }
        )
    web = []
    for path in sorted(pages):
        language, slug, _ = path.split("/")
        case = casebook.edition(language).case(slug)
        web.append(
            {
                "case": slug,
                "language": language,
                "text_language": case.language,
                "path": path,
                "title": case.full_title,
            }
        )
    collections = [
        {"language": e.language, "path": collection_page(casebook, e.language)}
        for e in casebook.editions
    ]
    document = {"outputs": outputs, "pages": web, "collections": collections}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _size(size: int, language: str) -> str:
    """'310 kB', '1.2 MB' by the language's CLDR rules."""
    if size < 1_000_000:
        return format_unit(max(1, round(size / 1000)), "digital-kilobyte", "short", locale=language)
    return format_unit(round(size / 1_000_000, 1), "digital-megabyte", "short", locale=language)


def _write_if_changed(target: Path, data: bytes) -> None:
    """Write `data` unless `target` holds it already."""
    try:
        if target.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomic(target, data)


__all__ = ["Publishing"]
