"""The press: what the print profile does to images and PDFs for the print shop.

Images: WeasyPrint writes every RGB raster as /DeviceRGB and drops its ICC profile, so for a
print build every raster image is converted to CMYK with LittleCMS (Pillow's ImageCms), from
its own ICC profile (sRGB if it has none) to the output intent's, before layout; an SVG image
is rasterised at 300 ppi across the full width of an A4 or Letter page (WeasyPrint would draw
its colours in RGB), then converted the same way.

PDFs: crop and registration marks outside the bleed, and a file that is the same bytes at
every build.

WeasyPrint's own `marks` are drawn inside a MediaBox that equals the BleedBox, in RGB. Instead,
after WeasyPrint writes a PDF/X file (bleed, no marks), each page's MediaBox grows by a slug
around the BleedBox and the marks are drawn there in the registration colour (/Separation
/All), which prints on every plate. TrimBox and BleedBox stay as WeasyPrint set them. The XMP
DocumentID that WeasyPrint draws at random, and the trailer /ID, are made from the file's
content, so that a print PDF is byte-identical from one build to the next.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

MM = 72 / 25.4
CROP_GAP = 3.5 * MM  # from the trim edge to a crop mark: the 3 mm bleed and 0.5 mm more
CROP_LENGTH = 5 * MM
SLUG = 7 * MM  # the MediaBox beyond the BleedBox: room for the marks
LINE = 0.25  # points
REGISTRATION = Array(
    [
        Name.Separation,
        Name.All,
        Name.DeviceCMYK,
        Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1),
    ]
)
_DOCUMENT_ID = re.compile(rb"xmp\.did:[0-9a-f-]{36}")


def add_marks(pdf: bytes) -> bytes:
    """`pdf` with crop and registration marks in a slug outside the bleed of every page."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        _fix_document_id(document)
        for page in document.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            page.obj.MediaBox = Array(
                [bleed[0] - SLUG, bleed[1] - SLUG, bleed[2] + SLUG, bleed[3] + SLUG]
            )
            resources = page.obj.Resources
            if Name.ColorSpace not in resources:
                resources.ColorSpace = Dictionary()
            resources.ColorSpace.CasebookAll = REGISTRATION
            page.contents_add(b"q\n", prepend=True)
            page.contents_add(b"Q\n" + _marks(trim).encode("ascii"))
        if Name.ID in document.trailer:  # WeasyPrint's, made from the random DocumentID
            del document.trailer.ID
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def _marks(trim: list[float]) -> str:
    """Content-stream operators for the marks around a trim box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = trim
    near, far = CROP_GAP, CROP_GAP + CROP_LENGTH
    lines = []
    for x, sx in ((x0, -1), (x1, 1)):
        for y, sy in ((y0, -1), (y1, 1)):
            lines.append(((x + sx * near, y), (x + sx * far, y)))  # along the horizontal edge
            lines.append(((x, y + sy * near), (x, y + sy * far)))  # along the vertical edge
    ops = [f"q /CasebookAll CS 1 SCN {LINE} w 0 J"]
    ops += [f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S" for (a, b), (c, d) in lines]
    middle = ((x0 + x1) / 2, (y0 + y1) / 2)
    centre = near + CROP_LENGTH / 2
    for cx, cy in (
        (middle[0], y1 + centre),
        (middle[0], y0 - centre),
        (x0 - centre, middle[1]),
        (x1 + centre, middle[1]),
    ):
        ops.append(_target(cx, cy, CROP_LENGTH / 2))
    ops.append("Q")
    return "\n".join(ops) + "\n"


def _target(x: float, y: float, r: float) -> str:
    """A registration target: a cross through a circle of radius r/2 (four Bézier arcs)."""
    c, k = r / 2, r / 2 * 0.5523
    circle = (
        f"{x + c:.3f} {y:.3f} m "
        f"{x + c:.3f} {y + k:.3f} {x + k:.3f} {y + c:.3f} {x:.3f} {y + c:.3f} c "
        f"{x - k:.3f} {y + c:.3f} {x - c:.3f} {y + k:.3f} {x - c:.3f} {y:.3f} c "
        f"{x - c:.3f} {y - k:.3f} {x - k:.3f} {y - c:.3f} {x:.3f} {y - c:.3f} c "
        f"{x + k:.3f} {y - c:.3f} {x + c:.3f} {y - k:.3f} {x + c:.3f} {y:.3f} c S"
    )
    cross = (
        f"{x - r:.3f} {y:.3f} m {x + r:.3f} {y:.3f} l {x:.3f} {y - r:.3f} m {x:.3f} {y + r:.3f} l S"
    )
    return f"{circle}\n{cross}"


def _fix_document_id(document: pikepdf.Pdf) -> None:
    """Replace WeasyPrint's random XMP DocumentID by one made from the document's metadata and
    the content of its pages."""
    if Name.Metadata not in document.Root:
        return
    xmp = document.Root.Metadata.read_bytes()
    digest = hashlib.sha256(_DOCUMENT_ID.sub(b"", xmp))
    for page in document.pages:
        for stream in (
            page.obj.Contents if isinstance(page.obj.Contents, Array) else [page.obj.Contents]
        ):
            digest.update(stream.read_bytes())
    digest = digest.digest()
    stable = f"xmp.did:{uuid.UUID(bytes=digest[:16], version=4)}".encode()
    document.Root.Metadata.write(_DOCUMENT_ID.sub(stable, xmp))


SVG_RASTER_WIDTH = 2600  # pixels: 300 ppi across 220 mm, a page's width with its bleed
JPEG_QUALITY = 95


def cmyk_image(data: bytes, svg: bool, profile: Path) -> bytes:
    """An image's bytes → a CMYK JPEG in the colour space of the ICC `profile` (relative
    colorimetric, black point compensation); transparency is flattened onto white paper."""
    from PIL import Image, ImageCms

    image = _rasterise_svg(data) if svg else Image.open(io.BytesIO(data))
    image.load()
    if image.mode == "CMYK":
        converted = image
    else:
        embedded = image.info.get("icc_profile")
        source = (
            ImageCms.ImageCmsProfile(io.BytesIO(embedded))
            if embedded
            else ImageCms.createProfile("sRGB")
        )
        if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image.convert("RGBA"), mask=image.convert("RGBA"))
            image = flat
        converted = ImageCms.profileToProfile(
            image.convert("RGB"),
            source,
            ImageCms.ImageCmsProfile(str(profile)),
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            outputMode="CMYK",
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
        )
    out = io.BytesIO()
    dpi = image.info.get("dpi")
    converted.save(out, "JPEG", quality=JPEG_QUALITY, **({"dpi": dpi} if dpi else {}))
    return out.getvalue()


def _rasterise_svg(data: bytes):
    """An SVG drawn by WeasyPrint on a page of its own size, rendered by PDFium."""
    import base64

    import pypdfium2
    from weasyprint import HTML

    uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
    probe = HTML(string=f'<img src="{uri}" style="width:1000px">').render()
    box = _first_replaced(probe.pages[0]._page_box)
    width, height = 1000, box.height * 1000 / box.width
    page = (
        f"<style>@page {{ size: {width}px {height}px; margin: 0 }} body {{ margin: 0 }}"
        f" img {{ display: block; width: {width}px; height: {height}px }}</style>"
        f'<img src="{uri}">'
    )
    pdf = pypdfium2.PdfDocument(HTML(string=page).write_pdf())
    try:
        first = pdf[0]
        return first.render(scale=SVG_RASTER_WIDTH / first.get_width()).to_pil().convert("RGB")
    finally:
        pdf.close()


def _first_replaced(box):
    if hasattr(box, "replacement"):
        return box
    for child in getattr(box, "children", None) or ():
        found = _first_replaced(child)
        if found is not None:
            return found
    return None
