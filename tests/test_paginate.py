"""Stage 6, lay out: the fetcher that serves only the project's own files, and one small
document laid out and written as PDF."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from casebook import paginate
from casebook.errors import RenderError
from casebook.paginate import Paginator, ProjectFetcher
from casebook.project import Theme
from casebook.render import HtmlDocument, Renderer

from .conftest import ROOT

LAYOUTS = Theme("layouts", ROOT / "layouts")
FONTS = Theme("fonts", ROOT / "fonts")

TWO_PAGES = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Two pages</title></head>
<body>
<p>The first page.</p>
{extra}
<p style="break-before: page">The second page.</p>
</body>
</html>
"""


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path]:
    """A case folder with a picture in it, and a secret beside it."""
    case = tmp_path / "case"
    case.mkdir()
    Image.new("RGB", (4, 3), "red").save(case / "picture.png")
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the PDF")
    return case, secret


@pytest.fixture(scope="module")
def font_css() -> str:
    return Renderer(LAYOUTS, FONTS).font_css


@pytest.fixture
def paginator(font_css) -> Paginator:
    return Paginator(LAYOUTS, FONTS, font_css)


def document(base: Path, extra: str = "", stylesheets: tuple[str, ...] = ()) -> HtmlDocument:
    return HtmlDocument(TWO_PAGES.format(extra=extra), base, stylesheets)


# ---- ProjectFetcher ----


def refused(fetcher: ProjectFetcher, url: str) -> str:
    before = len(fetcher.refused)
    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch(url)
    assert len(fetcher.refused) == before + 1
    assert fetcher.refused[-1].startswith(url)
    return fetcher.refused[-1]


def test_files_under_the_roots_are_served(folders):
    case, _ = folders
    picture = case / "picture.png"
    fetcher = ProjectFetcher([case])
    response = fetcher.fetch(picture.as_uri())
    assert response.read() == picture.read_bytes()
    assert response.content_type == "image/png"
    assert fetcher.refused == []

    spaced = case / "a picture é.css"
    spaced.write_text("p { color: red }")
    response = fetcher.fetch(spaced.as_uri())  # percent-encoded
    assert response.read() == spaced.read_bytes()
    assert response.content_type == "text/css"


def test_files_outside_the_roots_are_refused_and_recorded(folders):
    case, secret = folders
    fetcher = ProjectFetcher([case])
    assert "is not a file inside" in refused(fetcher, secret.as_uri())
    refused(fetcher, case.as_uri() + "/../secret.txt")
    refused(fetcher, "file:///etc/passwd")
    refused(fetcher, (case / "absent.png").as_uri())
    refused(fetcher, case.as_uri())  # a folder, not a file
    (case / "link.txt").symlink_to(secret)
    refused(fetcher, (case / "link.txt").as_uri())
    refused(fetcher, "file://elsewhere" + secret.as_posix())
    assert len(fetcher.refused) == 7


@pytest.mark.parametrize(
    "url",
    ["http://example.com/a.png", "https://example.com/a.css", "ftp://example.com/a.png"],
)
def test_the_network_is_refused(folders, url):
    fetcher = ProjectFetcher([folders[0]])
    assert "no network access" in refused(fetcher, url)


def test_data_urls_are_served(folders):
    fetcher = ProjectFetcher([folders[0]])
    payload = b"p { color: blue }"
    url = "data:text/css;base64," + base64.b64encode(payload).decode()
    assert fetcher.fetch(url).read() == payload
    assert fetcher.refused == []


def test_an_alias_serves_a_file_from_outside_the_roots(folders):
    case, secret = folders
    fetcher = ProjectFetcher([case], aliases={case / "profile.icc": secret})
    assert fetcher.fetch((case / "profile.icc").as_uri()).read() == secret.read_bytes()
    refused(fetcher, secret.as_uri().replace("secret", "other"))


def test_a_file_over_the_size_limit_is_refused(folders):
    case, _ = folders
    big = case / "big.png"
    with big.open("wb") as handle:  # sparse: only its size is looked at
        handle.truncate(paginate.MAX_RESOURCE_BYTES + 1)
    assert "larger than" in refused(ProjectFetcher([case]), big.as_uri())


# ---- Paginator ----


def test_a_small_document_is_laid_out_and_written(paginator, folders):
    case, _ = folders
    laid_out = paginator.lay_out(
        document(case, '<img src="picture.png" alt="A picture">', ("tokens.css", "case.css")),
        "a case",
    )
    assert len(laid_out.pages) == 2  # one forced page break

    pdf = paginator.write(laid_out)
    assert pdf.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2

    tagged = PdfReader(io.BytesIO(paginator.write(laid_out, variant="pdf/ua-1"))).trailer["/Root"]
    mark = tagged.get("/MarkInfo")
    assert (mark is not None and mark.get_object().get("/Marked")) or "/StructTreeRoot" in tagged


@pytest.mark.parametrize(
    ("reference", "named"),
    [
        ('<img src="../secret.txt" alt="">', "secret.txt"),
        ('<img src="http://example.com/tracker.png" alt="">', "http://example.com/tracker.png"),
        ('<link rel="stylesheet" href="../secret.txt">', "secret.txt"),
    ],
    ids=["outside", "network", "stylesheet"],
)
def test_a_refused_reference_fails_the_layout_naming_it(paginator, folders, reference, named):
    case, _ = folders
    with pytest.raises(RenderError) as info:
        paginator.lay_out(document(case, reference), "cases/x/en.yaml")
    message = str(info.value)
    assert message.startswith("cases/x/en.yaml: refused to load ")
    assert named in message
    assert info.value.exit_code == 3


def test_the_page_limit(paginator, folders, monkeypatch):
    case, _ = folders
    monkeypatch.setattr(paginate, "MAX_PAGES", 2)
    assert len(paginator.lay_out(document(case), "cases/x/en.yaml").pages) == 2
    monkeypatch.setattr(paginate, "MAX_PAGES", 1)
    with pytest.raises(RenderError, match=r"cases/x/en\.yaml: runs to 2 pages.* limit of 1"):
        paginator.lay_out(document(case), "cases/x/en.yaml")


def test_stylesheets_are_parsed_once(paginator):
    sheet = paginator.stylesheet("case.css")
    assert paginator.stylesheet("case.css") is sheet


def test_a_stylesheet_loading_a_file_from_outside_is_refused(tmp_path, font_css):
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    outside = tmp_path / "outside.css"
    outside.write_text("p { color: red }")
    (layouts / "bad.css").write_text(f'@import url("{outside.as_uri()}");\n')
    paginator = Paginator(Theme("layouts", LAYOUTS.packaged, layouts), FONTS, font_css)
    with pytest.raises(RenderError, match=r"layouts/bad\.css: refused to load") as info:
        paginator.stylesheet("bad.css")
    assert outside.as_uri() in str(info.value)


def test_a_refused_stylesheet_does_not_fail_the_next_one(tmp_path, font_css):
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "bad.css").write_text('@import url("file:///etc/passwd");\n')
    (layouts / "good.css").write_text("p { color: red }\n")
    paginator = Paginator(Theme("layouts", LAYOUTS.packaged, layouts), FONTS, font_css)
    with pytest.raises(RenderError):
        paginator.stylesheet("bad.css")
    paginator.stylesheet("good.css")
