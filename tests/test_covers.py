"""Cover images: checked in full before anything is built, never replaced by their alt text,
converted to the print shop's CMYK, and a print build says when one is too coarse to print."""

from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image, ImageDraw

import casebook
from casebook.cli import main
from casebook.plan import Selection

from .conftest import CASE

COVER = "cover:\n  image: {name}\n  alt: The coalition's members at a meeting\n"
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" viewBox="0 0 400 200">'
    '<rect width="400" height="200" fill="#0b6e69"/><circle cx="100" cy="100" r="60" '
    'fill="#ffc800"/></svg>'
)


def picture(size=(900, 500), mode="RGBA", fmt="PNG") -> bytes:
    image = Image.new(mode, size, (11, 110, 105, 255)[: len(mode)])
    ImageDraw.Draw(image).ellipse((100, 100, 400, 400), fill=(255, 200, 0, 255)[: len(mode)])
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def with_cover(scratch, slug: str, name: str, data: bytes) -> str:
    path = scratch.case(slug, CASE + COVER.format(name=name))
    (path.parent / name).write_bytes(data)
    return f"content/cases/{slug}/en.yaml:{len(CASE.splitlines()) + 2}: cover.image: '{name}'"


def problems(scratch) -> str:
    with pytest.raises(casebook.ContentError) as info:
        casebook.check(scratch.content)
    return str(info.value)


def test_a_truncated_jpeg_is_a_content_error_naming_file_line_and_key(scratch):
    where = with_cover(scratch, "cut", "cover.jpg", picture(mode="RGB", fmt="JPEG")[:3000])
    assert f"{where} cannot be decoded (" in problems(scratch)
    assert "truncated or corrupt; export it again as PNG or JPEG" in problems(scratch)


def test_a_png_named_as_a_jpeg_is_a_content_error(scratch):
    where = with_cover(scratch, "misnamed", "cover.jpg", picture())
    assert f"{where} is a PNG image named as JPEG: rename it to end in .png" in problems(scratch)


@pytest.mark.parametrize(
    ("svg", "said"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY teal "#0b6e69">]>' + SVG,
            "declares a DOCTYPE or entities, which casebook does not draw",
        ),
        (SVG.replace("</svg>", ""), "is not well-formed SVG ("),
        ("<html><body>not an image</body></html>", "is XML but not SVG"),
    ],
)
def test_an_svg_casebook_would_not_draw_is_a_content_error(scratch, svg, said):
    where = with_cover(scratch, "drawing", "cover.svg", svg.encode())
    assert f"{where} {said}" in problems(scratch)


def test_a_cover_that_cannot_be_drawn_at_layout_stops_the_build(scratch, monkeypatch):
    """Never alt text in its place: an image that WeasyPrint fails to load is an error."""
    with_cover(scratch, "vanishing", "cover.png", picture())
    from casebook import validate

    monkeypatch.setattr(validate, "_image_problem", lambda path: None)
    (scratch.content / "cases" / "vanishing" / "cover.png").write_bytes(b"not a picture at all")
    args = ["build", "-q", "-j", "1", "--content", str(scratch.content), "--out", str(scratch.out)]
    code = main(args)
    assert code == 3
    assert not (scratch.out / "en" / "vanishing.pdf").exists()


def _images(path) -> dict[str, str]:
    with pikepdf.open(path) as pdf:
        return {
            str(name): str(xobject.ColorSpace)
            for page in pdf.pages
            for name, xobject in page.obj.Resources.get("/XObject", {}).items()
            if xobject.Subtype == "/Image"
        }


@pytest.mark.expect_warnings(
    r"^WARNING casebook: warning: png-case/en\.yaml: cover\.png prints at 138 ppi \(900 pixels "
    r"across 166 mm\); print needs 300 ppi: supply it at least 1961 pixels wide$",
    # In the book the cover spans the 128 mm text block: 900 pixels there are 179 ppi.
    r"^WARNING casebook: warning: png-case/en\.yaml \(book\): cover\.png prints at 179 ppi "
    r"\(900 pixels across 128 mm\)",
)
def test_print_converts_raster_and_svg_covers_to_cmyk_and_names_coarse_ones(scratch):
    with_cover(scratch, "png-case", "cover.png", picture())  # 900 px across 166 mm: 138 ppi
    with_cover(scratch, "svg-case", "cover.svg", SVG.encode())
    every = Selection(cases=("png-case", "svg-case"), books=True)
    result = casebook.build(scratch.content, scratch.out, profile="all", selection=every, jobs=1)
    assert len(result.warnings) == 2  # each place the coarse cover prints: its PDF, the book
    for slug in ("png-case", "svg-case"):
        assert set(_images(scratch.out / "print" / "en" / f"{slug}.pdf").values()) == {
            "/DeviceCMYK"
        }
        assert set(_images(scratch.out / "en" / f"{slug}.pdf").values()) <= {
            "/DeviceRGB",
            "/DeviceGray",
        }
    assert set(_images(scratch.out / "print" / "en" / "casebook.pdf").values()) == {"/DeviceCMYK"}
    with pikepdf.open(scratch.out / "print" / "en" / "svg-case.pdf") as pdf:
        (image,) = (x for x in pdf.pages[0].obj.Resources.XObject.values() if x.Subtype == "/Image")
        assert int(image.Width) >= 2600  # the SVG rasterised at 300 ppi across a whole page
        rendered = Image.open(io.BytesIO(image.read_raw_bytes()))
        assert rendered.mode == "CMYK"
