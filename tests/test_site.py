"""The downloads page and the manifest, checked in a real headless browser and on disk."""

from __future__ import annotations

import hashlib
import json
import shutil
from itertools import pairwise
from pathlib import Path

import pytest
from pypdf import PdfReader

import casebook

from .browser import chromium, serving
from .conftest import CONTENT, written_pdfs


@pytest.fixture(scope="module")
def served(shipped):
    """The shipped build folder on a localhost server."""
    _, out = shipped
    with serving(out) as base:
        yield base, out


def test_manifest_agrees_with_the_files_on_disk(shipped):
    _, out = shipped
    manifest = json.loads((out / "manifest.json").read_text())
    on_disk = sorted(str(p.relative_to(out)) for p in written_pdfs(out))
    assert sorted(o["path"] for o in manifest["outputs"]) == on_disk
    book = casebook.check(CONTENT)
    for output in manifest["outputs"]:
        path = out / output["path"]
        data = path.read_bytes()
        assert output["bytes"] == len(data)
        assert output["sha256"] == hashlib.sha256(data).hexdigest()
        assert output["pages"] == len(PdfReader(path).pages)
        edition = book.edition(output["language"])
        if output["kind"] == "casebook":
            assert output["case"] is None and output["title"] == edition.title
        else:
            assert output["kind"] == "case"
            assert output["title"] == edition.case(output["case"]).full_title
        assert set(output) == {
            "case",
            "language",
            "kind",
            "path",
            "pages",
            "bytes",
            "sha256",
            "title",
        }


def rendering(path: Path, index: int, width: int):
    """Page `index` of a PDF rendered `width` pixels wide, as an RGB image."""
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        page = document[index]
        return page.render(scale=width / page.get_width()).to_pil().convert("RGB")
    finally:
        document.close()


def distance(one, two) -> float:
    """The mean difference of two images of one size, per pixel and channel, from 0 to 255."""
    from PIL import ImageChops, ImageStat

    assert one.size == two.size, (one.size, two.size)
    return sum(ImageStat.Stat(ImageChops.difference(one, two)).mean) / 3


def test_thumbnails_are_the_first_pages(shipped):
    """Each PDF's thumbnail is its first page: close to a rendering of page 1 at its width
    (WebP is lossy), and much further from a rendering of page 2."""
    _, out = shipped
    from PIL import Image

    pdfs = written_pdfs(out)
    assert len(pdfs) == 14
    for pdf in pdfs:
        name = pdf.relative_to(out)
        with Image.open(pdf.with_suffix(".webp")) as image:
            assert image.format == "WEBP" and image.width == 360, name
            assert 1.35 < image.height / image.width < 1.48, name  # A4
            thumbnail = image.convert("RGB")
        first = distance(thumbnail, rendering(pdf, 0, 360))
        second = distance(thumbnail, rendering(pdf, 1, 360))
        assert first < 3, f"{name}: the thumbnail is not its first page ({first:.1f})"
        assert second > 4 * first + 5, f"{name}: the thumbnail is as close to page 2"


@pytest.mark.parametrize(("page", "lang"), [("index.html", "en"), ("es/index.html", "es")])
def test_downloads_page_in_a_real_browser(served, page, lang, tmp_path):
    base, out = served
    with chromium() as browser:
        page_obj = browser.new_page(viewport={"width": 1280, "height": 900})
        errors, failed = [], []
        page_obj.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page_obj.on("pageerror", lambda e: errors.append(str(e)))
        page_obj.on("requestfailed", lambda r: failed.append(r.url))
        page_obj.goto(f"{base}/{page}", wait_until="networkidle")
        assert page_obj.evaluate("document.documentElement.lang") == lang

        # Every image loads (the lazy ones once scrolled to) and has a text alternative.
        page_obj.evaluate(
            "() => Promise.all([...document.images].map(i => (i.loading = 'eager', i.decode())))"
        )
        images = page_obj.eval_on_selector_all(
            "img", "els => els.map(e => [e.currentSrc, e.naturalWidth, e.alt])"
        )
        assert images and all(width > 0 and alt for _, width, alt in images), images
        # Every link resolves.
        hrefs = page_obj.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in {h.split("#")[0] for h in hrefs}:
            response = page_obj.request.get(href)
            assert response.ok, href
        # Headings in order: one h1, then h2s, then h3s, no level skipped.
        levels = page_obj.eval_on_selector_all(
            "h1,h2,h3,h4,h5,h6", "els => els.map(e => Number(e.tagName[1]))"
        )
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b - a <= 1 for a, b in pairwise(levels))

        # The region filter works, and says how many cases it shows.
        cards = page_obj.locator(".case-card")
        total = cards.count()
        assert total == 10
        page_obj.select_option("select[name=region]", "europe")
        visible = page_obj.locator(".case-card:visible")
        assert visible.count() == 3
        regions = visible.evaluate_all("els => els.map(e => e.dataset.region)")
        assert set(regions) == {"europe"}
        page_obj.select_option("select[name=region]", "")
        page_obj.select_option("select[name=language]", "es")
        assert page_obj.locator(".case-card:visible").count() == 2
        # Keyboard: the first control reached with Tab is the skip link.
        page_obj.keyboard.press("Tab")
        assert page_obj.evaluate("document.activeElement.className") == "skip"

        page_obj.select_option("select[name=language]", "")
        page_obj.screenshot(path=str(out / f"screenshot-{lang}-desktop.png"), full_page=False)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(f"{base}/{page}", wait_until="networkidle")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page scrolls sideways on a phone"
        phone.screenshot(path=str(out / f"screenshot-{lang}-phone.png"), full_page=False)
        assert not errors, errors
        assert not failed, failed


def test_page_without_javascript_lists_every_case(shipped):
    _, out = shipped
    html = (out / "index.html").read_text()
    assert '<form class="filters" hidden' in html
    assert html.count('class="case-card"') == 10
    assert 'href="es/articulacion-feminista-nicaragua.pdf"' in html
    assert "Descarga el estudio de caso (PDF, 3 páginas" in html
    assert 'lang="es" type="application/pdf" download>Descarga el estudio de caso' in html
    spanish = (out / "es" / "index.html").read_text()
    assert 'href="../en/hrdc-malawi.pdf"' in spanish
    assert "Disponible solo en inglés" in spanish


def test_removed_case_disappears_from_disk_manifest_and_page(scratch):
    scratch.case("stays")
    scratch.case("goes")
    scratch.build()
    assert (scratch.out / "en" / "goes.pdf").is_file()
    shutil.rmtree(scratch.content / "cases" / "goes")
    scratch.build()
    assert not any(Path(scratch.out).rglob("goes.*"))
    assert not (scratch.out / "en" / "goes").exists()  # its page, and the folder
    manifest = json.loads((scratch.out / "manifest.json").read_text())
    assert [o["case"] for o in manifest["outputs"]] == [None, "stays"]
    assert "goes" not in (scratch.out / "index.html").read_text()
