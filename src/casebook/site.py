"""Stage 9, site: the written PDFs → cover thumbnails, the downloads pages
(`index.html` for the source language, `<lang>/index.html` for the others) and `manifest.json`.

Runs after every build, on what the state records, so a partial build still gives complete
pages. Thumbnails are made again only when their PDF changed; pages and the manifest are written
only when their text changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.units import format_unit
from markupsafe import Markup

from .model import REGIONS, Casebook, Edition
from .plan import SITE_PAGE, SITE_STYLESHEETS, State
from .profiles import SCREEN
from .publish import inside, write_atomic
from .render import Renderer

THUMBNAIL_WIDTH = 360  # pixels: shown at 120–180 CSS pixels, sharp on high-density screens


@dataclass(frozen=True)
class Download:
    href: str
    language: str
    label: Markup


def publish_site(out: Path, casebook: Casebook, state: State, renderer: Renderer) -> None:
    """Thumbnails, the downloads page of every edition, the manifest, the page's assets."""
    pdfs = {
        path: record
        for path, record in state.outputs.items()
        if record["profile"] == SCREEN.name and (out / path).is_file()
    }
    for path, record in pdfs.items():
        _thumbnail(out, path, record)
    _write_if_changed(out / "manifest.json", _manifest(casebook, pdfs).encode("utf-8"))
    for edition in casebook.editions:
        root = "" if edition.language == casebook.source.language else "../"
        page = _page(edition, casebook, pdfs, renderer, root)
        target = SITE_PAGE if not root else f"{edition.language}/{SITE_PAGE}"
        _write_if_changed(inside(out, target), page.encode("utf-8"))
    for sheet in SITE_STYLESHEETS:
        _write_if_changed(out / sheet, renderer.layouts.path(sheet).read_bytes())
    _write_if_changed(out / "fonts.css", renderer.web_font_css("fonts/").encode("utf-8"))
    for face in renderer.font_faces:  # every font present; a browser loads those it uses
        _write_if_changed(out / "fonts" / face.path.name, face.path.read_bytes())


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
    image.save(buffer, format="WEBP", quality=82, method=4)  # 6: 4 times slower, 1 % smaller
    return buffer.getvalue(), image.width, image.height


def write_thumbnail(
    out: Path, path: str, record: dict, image: bytes, width: int, height: int
) -> None:
    """Write the thumbnail of the PDF at `path` and record what it was made from."""
    write_atomic(out / Path(path).with_suffix(".webp"), image)
    record["thumbnail"] = {"of": record["sha256"], "width": width, "height": height}


def _manifest(casebook: Casebook, pdfs: dict[str, dict]) -> str:
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
    return json.dumps({"outputs": outputs}, ensure_ascii=False, indent=2) + "\n"


def _page(edition: Edition, casebook: Casebook, pdfs: dict, renderer: Renderer, root: str) -> str:
    published = {(r["language"], r["case"]): (path, r) for path, r in pdfs.items()}

    def download(language: str, slug: str | None) -> Download | None:
        """The download of a case (or with `slug` None, the book) in `language`, if made."""
        if (language, slug) not in published:
            return None
        path, record = published[language, slug]
        size = _size(record["bytes"], language)
        label = (
            renderer.environment(language)
            .get_template("download-label.j2")
            .render(kind=record["kind"], pages=record["pages"], size=size)
        )
        return Download(root + path, language, Markup(label.strip()))

    languages = [edition.language] + [
        e.language for e in casebook.editions if e.language != edition.language
    ]
    items = []
    for case in edition.cases:
        downloads = [d for lang in languages if (d := download(lang, case.slug))]
        if not downloads:
            continue
        thumb = _thumb(pdfs, downloads[0], root)
        items.append(
            {
                "case": case,
                "languages": [d.language for d in downloads],
                "downloads": downloads,
                **thumb,
            }
        )
    book_downloads = [d for lang in languages if (d := download(lang, None))]
    book = _thumb(pdfs, book_downloads[0], root) if book_downloads else None
    source = casebook.source.language
    nav = [
        {
            "code": e.language,
            "name": Locale.parse(e.language).get_display_name(e.language).capitalize(),
            "href": root + (SITE_PAGE if e.language == source else f"{e.language}/{SITE_PAGE}"),
        }
        for e in casebook.editions
    ]
    regions = sorted({c.region for c in edition.cases}, key=REGIONS.index)
    return renderer.page(
        "index.html.j2",
        edition,
        items=items,
        book=book,
        book_downloads=book_downloads,
        languages=nav,
        regions=regions,
        root=root,
    )


def _thumb(pdfs: dict, download: Download, root: str) -> dict:
    path = download.href.removeprefix(root)
    record = pdfs[path].get("thumbnail", {})
    return {
        "thumbnail": root + str(Path(path).with_suffix(".webp")),
        "width": record.get("width", THUMBNAIL_WIDTH),
        "height": record.get("height", round(THUMBNAIL_WIDTH * 297 / 210)),
    }


def _size(size: int, language: str) -> str:
    """'310 kB', '1.2 MB' by the language's CLDR rules."""
    if size < 1_000_000:
        return format_unit(max(1, round(size / 1000)), "digital-kilobyte", "short", locale=language)
    return format_unit(round(size / 1_000_000, 1), "digital-megabyte", "short", locale=language)


def _write_if_changed(target: Path, data: bytes) -> None:
    try:
        if target.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomic(target, data)


__all__ = ["publish_site"]
