"""The print profile as a print shop's preflight reads it: every colour in CMYK, the boxes, and
crop and registration marks outside the bleed in the registration colour."""

from __future__ import annotations

import pikepdf
import pypdfium2
from pikepdf import Name

from .conftest import CONTENT, PRINT_CASES, written_pdfs
from .pdfs import MM

# Operators that set a colour without naming a colour space, by the space they imply.
IMPLIED = {"rg": "DeviceRGB", "RG": "DeviceRGB", "g": "DeviceGray", "G": "DeviceGray"}
ALLOWED_SPACES = ("/DeviceCMYK", "/Separation", "/ICCBased")


def print_pdfs(out):
    found = written_pdfs(out / "print")
    assert {p.stem for p in found} == {"casebook", *PRINT_CASES}
    return found


def _space(value, resources) -> str:
    """The family of a colour space given by name or array: /DeviceCMYK, /ICCBased…"""
    if isinstance(value, pikepdf.Name) and value not in (Name.DeviceCMYK, Name.DeviceRGB):
        spaces = resources.get(Name.ColorSpace, {})
        value = spaces.get(value, value)
    if isinstance(value, pikepdf.Array):
        if value[0] == Name.ICCBased and int(value[1].get(Name.N, 0)) != 4:
            return f"/ICCBased with {value[1].get(Name.N)} components"
        return str(value[0])
    return str(value)


def colour_problems(stream_owner, resources, where: str) -> list[str]:
    """Every way a content stream (page or form XObject) draws a colour outside CMYK."""
    problems = []
    for operands, operator in pikepdf.parse_content_stream(stream_owner):
        op = str(operator)
        if op in IMPLIED:
            problems.append(f"{where}: {op} ({IMPLIED[op]}) {[float(v) for v in operands]}")
        elif op in ("cs", "CS") and _space(operands[0], resources) not in ALLOWED_SPACES:
            problems.append(f"{where}: {op} {operands[0]} ({_space(operands[0], resources)})")
    for name, xobject in resources.get(Name.XObject, {}).items():
        if xobject.get(Name.Subtype) == Name.Image:
            space = _space(xobject.get(Name.ColorSpace), resources)
            if space not in ALLOWED_SPACES:
                problems.append(f"{where}: image {name} in {space}")
        elif xobject.get(Name.Subtype) == Name.Form:
            inner = xobject.get(Name.Resources, resources)
            problems += colour_problems(xobject, inner, f"{where} form {name}")
    for name, shading in resources.get(Name.Shading, {}).items():
        space = _space(shading.get(Name.ColorSpace), resources)
        if space not in ALLOWED_SPACES:
            problems.append(f"{where}: shading {name} in {space}")
    return problems


def test_print_pdfs_draw_every_colour_in_cmyk(every_profile):
    for path in print_pdfs(every_profile):
        with pikepdf.open(path) as pdf:
            problems = []
            for number, page in enumerate(pdf.pages, 1):
                problems += colour_problems(page, page.obj.Resources, f"page {number}")
            cmyk_drawn = b" scn" in b"".join(
                page.obj.Contents.read_bytes()
                if isinstance(page.obj.Contents, pikepdf.Stream)
                else b"".join(s.read_bytes() for s in page.obj.Contents)
                for page in pdf.pages
            )
        assert not problems, f"{path.name}: {problems[:5]}"
        assert cmyk_drawn, f"{path.name}: draws no colour at all"


def test_print_boxes_and_marks_outside_the_bleed(every_profile):
    for path in print_pdfs(every_profile):
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                trim = [float(v) for v in page.obj.TrimBox]
                bleed = [float(v) for v in page.obj.BleedBox]
                media = [float(v) for v in page.obj.MediaBox]
                assert [round(b - t, 2) for b, t in zip(bleed, trim, strict=True)] == [
                    -8.5,
                    -8.5,
                    8.5,
                    8.5,
                ], f"{path.name}: bleed is not 3 mm"
                assert media[0] < bleed[0] - 5 * MM and media[2] > bleed[2] + 5 * MM
                assert media[1] < bleed[1] - 5 * MM and media[3] > bleed[3] + 5 * MM
                registration = page.obj.Resources.ColorSpace.CasebookAll
                assert registration[0] == Name.Separation and registration[1] == Name.All
        _marks_only_in_the_slug(path)


def _marks_only_in_the_slug(path, scale: float = 3) -> None:
    """On the rendered first pages: ink at the trim lines out in the slug (the crop marks), none
    between the bleed edge and the slug's marks, and none in the bleed's corners on a white
    page (the marks stay out of the bleed)."""
    document = pypdfium2.PdfDocument(path)
    try:
        for index in range(min(3, len(document))):
            page = document[index]
            image = page.render(scale=scale).to_pil().convert("L")
            media = [float(v) for v in page.get_mediabox()]
            trim = [float(v) for v in page.get_trimbox()]

            def px(x_pt, y_pt, media=media, image=image):
                return round((x_pt - media[0]) * scale), round(
                    image.height - (y_pt - media[1]) * scale
                )

            left, bottom, right, top = trim
            # A crop mark along the top trim line, left of the page, 4–8 mm out.
            x, y = px(left - 6 * MM, top)
            row = [image.getpixel((x + dx, y + dy)) for dx in range(-3, 4) for dy in (-1, 0, 1)]
            assert min(row) < 128, f"{path.name} p{index + 1}: no crop mark at the top left"
            # Between the trim and the bleed edge, near the corners, along both edges (where a
            # crop mark drawn inside the bleed would run): no ink on a white page.
            if index > 0:  # the cover's art fills its bleed; inner pages are white there
                for cx, cy in ((left, top), (right, top), (left, bottom), (right, bottom)):
                    sx = -1 if cx == left else 1
                    sy = 1 if cy == top else -1
                    strips = (  # outside the side edge, then outside the top or bottom edge
                        (
                            px(cx + sx * 0.3 * MM, cy - sy * 10 * MM),
                            px(cx + sx * 2.9 * MM, cy + sy * 2.9 * MM),
                        ),
                        (
                            px(cx - sx * 10 * MM, cy + sy * 0.3 * MM),
                            px(cx + sx * 2.9 * MM, cy + sy * 2.9 * MM),
                        ),
                    )
                    for a, b in strips:
                        box = (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))
                        darkest, _ = image.crop(box).getextrema()
                        assert darkest > 230, f"{path.name} p{index + 1}: ink in the bleed"
    finally:
        document.close()


def test_print_pdfs_are_the_same_bytes_at_every_build(every_profile, tmp_path):
    import casebook
    from casebook.plan import Selection

    # Made alongside the other profiles this time, by one worker (whose colour profile has
    # been read by the screen and archive PDFs' writing first).
    again = tmp_path / "build"
    only = Selection(languages=("en",), cases=("bond-uk",))
    casebook.build(CONTENT, again, profile="all", selection=only, jobs=1)
    path = "print/en/bond-uk.pdf"
    assert (again / path).read_bytes() == (every_profile / path).read_bytes(), path
