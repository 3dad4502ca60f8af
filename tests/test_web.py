"""The web edition: the collection pages and a page per case and language, read as their
readers, search engines and checkers read them: word for word against the content and the
source page, their metadata, hostile content, the Nu Html Checker, axe-core in Chromium at a
phone's and a desktop's width, the search, what a build rewrites, and what a web team uploads."""

from __future__ import annotations

import collections
import contextlib
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import casebook
from casebook.cli import main
from casebook.markup import render_markdown

from .browser import DESKTOP, PHONE, axe_violations, chromium, serving, vnu_errors
from .conftest import CASE, CONTENT, ROOT, missing_tool

FIDELITY = ROOT.parent / "shared" / "tools" / "fidelity.py"
BOOK = casebook.check(CONTENT)


def fidelity():
    """The shared fidelity tool (../shared/tools/fidelity.py): its `words` and `source_cases`."""
    spec = importlib.util.spec_from_file_location("fidelity", FIDELITY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Page(HTMLParser):
    """A page's text (not its head, scripts or styles), every element with its attributes, and
    the text of each <script>."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._skip: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag in ("head", "script", "style"):
            self._skip.append(tag)
            if tag == "script":
                self.scripts.append((dict(attrs), ""))

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data):
        if self._skip and self._skip[-1] == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif not self._skip:
            self.text.append(data)

    def words(self) -> collections.Counter:
        return collections.Counter(fidelity().words(" ".join(self.text)))

    def meta(self, key: str) -> str | None:
        for tag, attrs in self.elements:
            if tag == "meta" and key in (attrs.get("property"), attrs.get("name")):
                return attrs.get("content")
        return None

    def links(self, rel: str) -> list[dict]:
        return [a for tag, a in self.elements if tag == "link" and a.get("rel") == rel]

    def report(self) -> dict:
        (found,) = [t for a, t in self.scripts if a.get("type") == "application/ld+json"]
        return json.loads(found)


def page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def content_words(case) -> collections.Counter:
    """Every word a case's content gives, its Markdown read as text: the measure of fidelity."""
    texts = [case.coalition, case.title, case.summary]
    texts += [s.heading or "" for s in case.sections] + [s.body for s in case.sections]
    html = "\n".join(render_markdown(t) for t in texts)
    return Page(f"<body>{html}</body>").words()


def share(need: collections.Counter, have: collections.Counter) -> float:
    return sum((need & have).values()) / sum(need.values())


# ---- Word for word ----


def test_every_case_page_and_collection_page_holds_the_content_word_for_word(shipped):
    _, out = shipped
    for edition in BOOK.editions:
        collection = page(out / ("index.html" if edition.language == "en" else "es/index.html"))
        for case in edition.cases:
            need = content_words(case)
            own = page(out / edition.language / case.slug / "index.html").words()
            assert share(need, own) >= 0.99, (edition.language, case.slug, share(need, own))
            assert share(need, collection.words()) >= 0.99, (edition.language, case.slug)


def test_the_english_pages_hold_the_source_pages_text_of_every_case(shipped):
    _, out = shipped
    tool = fidelity()
    pages = {p: page(p).words() for p in sorted((out / "en").glob("*/index.html"))}
    collection = page(out / "index.html").words()
    cases = list(tool.source_cases())
    assert len(cases) == 10
    for title, need in cases:
        best = max(pages, key=lambda p: share(need, pages[p]))
        assert share(need, pages[best]) >= 0.99, (title, best.parent.name)
        assert share(need, collection) >= 0.99, title


# ---- Metadata ----


def test_a_case_page_links_its_translations_and_describes_itself(shipped):
    """Without `site_url` (the shipped content has none) the tags that need an absolute URL are
    left out; the rest is there: hreflang links to the translations, a schema.org Report."""
    _, out = shipped
    nicaragua = "articulacion-feminista-nicaragua"
    english = page(out / "en" / nicaragua / "index.html")
    alternates = {a["hreflang"]: a["href"] for a in english.links("alternate")}
    assert alternates == {
        "en": f"../../en/{nicaragua}/index.html",
        "es": f"../../es/{nicaragua}/index.html",
    }
    canonical = {"rel": "canonical", "href": f"../../en/{nicaragua}/index.html"}
    assert english.links("canonical") == [canonical]
    assert english.meta("og:title") == BOOK.source.case(nicaragua).full_title
    assert english.meta("og:url") is None and english.meta("og:image") is None
    report = english.report()
    assert report["@type"] == "Report" and report["inLanguage"] == "en"
    assert report["name"] == BOOK.source.case(nicaragua).full_title
    assert [a["name"] for a in report["author"]] == ["Sarah Pugh", "Deborah Doane"]
    assert report["datePublished"] == str(BOOK.source.case(nicaragua).date)
    assert "url" not in report and "encoding" not in report
    spanish = page(out / "es" / nicaragua / "index.html")
    assert spanish.report()["inLanguage"] == "es"
    assert spanish.links("alternate") == english.links("alternate")
    own = {"rel": "canonical", "href": f"../../es/{nicaragua}/index.html"}
    assert spanish.links("canonical") == [own]

    # An English-only case's Spanish page: the English text, marked so, and said so.
    bond = (out / "es" / "bond-uk" / "index.html").read_text(encoding="utf-8")
    parsed = Page(bond)
    assert ("html", {"lang": "es"}) in parsed.elements
    assert ("div", {"class": "case-text", "lang": "en"}) in parsed.elements
    assert '<h1 lang="en">' in bond and "Disponible solo en inglés" in bond
    assert {a["hreflang"] for a in parsed.links("alternate")} == {"en"}
    # the same text as the English page's: that one is canonical
    assert parsed.links("canonical")[0]["href"] == "../../en/bond-uk/index.html"
    assert parsed.report()["inLanguage"] == "en"


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30" viewBox="0 0 40 30">
<script>alert(3)</script><rect width="40" height="30" fill="teal"/></svg>
"""


def test_hostile_content_reaches_no_page_as_markup_and_site_url_gives_absolute_urls(scratch):
    scratch.write("casebook.yaml", scratch.content.joinpath("casebook.yaml").read_text()
                  + "site_url: https://example.org/cases\n")  # fmt: skip
    hostile = (
        CASE.replace("coalition: Test Coalition", f"coalition: '{HOSTILE}'")
        .replace("Context paragraph.", f"{HOSTILE} [x](javascript:alert(4)) [y](data:text/html,z)"
                 " ![i](data:image/png;base64,AA) <a href='javascript:alert(5)'>a</a>[^n]\n\n"
                 f"      [^n]: {HOSTILE}")
        .replace("heading: A challenge", f"heading: '{HOSTILE}'")
    )  # fmt: skip
    hostile += f"cover:\n  image: cover.svg\n  alt: '{HOSTILE}'\n"
    scratch.case("hostile", hostile)
    (scratch.content / "cases" / "hostile" / "cover.svg").write_text(SVG)
    scratch.build()
    pages = sorted(scratch.out.rglob("*.html"))
    assert {p.relative_to(scratch.out).as_posix() for p in pages} == {
        "index.html",
        "en/hostile/index.html",
    }
    for path in pages:
        html = path.read_text(encoding="utf-8")
        parsed = Page(html)
        assert "alert(1)" in " ".join(parsed.text), path  # shown as text
        for tag, attrs in parsed.elements:
            assert tag not in ("iframe", "object", "embed"), path
            assert not [k for k in attrs if k.startswith("on")], (path, tag, attrs)
            for key in ("href", "src", "action", "formaction", "srcset"):
                value = (attrs.get(key) or "").strip().lower()
                assert not value.startswith("javascript:"), (path, tag, attrs)
                assert not value.startswith("data:") or attrs == {"rel": "icon", "href": "data:,"}
            assert not (tag == "img" and attrs.get("src", "").endswith(".svg")), path
        for attrs, text in parsed.scripts:  # only the layouts' own: JSON-LD and the page's
            assert set(attrs) <= {"type"}, path
            if attrs.get("type") == "application/ld+json":  # content as data, no way out
                assert "<" not in text and ">" not in text, path
            else:
                assert "alert(" not in text, path
    case_page = page(scratch.out / "en" / "hostile" / "index.html")
    report = case_page.report()
    assert report["about"]["name"] == HOSTILE  # JSON, escaped for a <script> element
    assert report["url"] == "https://example.org/cases/en/hostile/"
    assert report["encoding"][0]["contentUrl"] == "https://example.org/cases/en/hostile.pdf"
    assert case_page.meta("og:url") == "https://example.org/cases/en/hostile/"
    assert case_page.meta("og:image") == "https://example.org/cases/en/hostile.webp"
    assert case_page.links("canonical")[0]["href"] == "https://example.org/cases/en/hostile/"
    collection = page(scratch.out / "index.html")
    assert collection.links("canonical")[0]["href"] == "https://example.org/cases/"
    assert vnu_errors(pages) == []


@pytest.mark.parametrize("url", ["example.org", "ftp://example.org/", "https://x.org/?a=1"])
def test_a_site_url_that_is_not_an_absolute_http_url_is_refused(scratch, capsys, url):
    scratch.write("casebook.yaml", scratch.content.joinpath("casebook.yaml").read_text()
                  + f"site_url: '{url}'\n")  # fmt: skip
    scratch.case("the-case")
    assert main(["check", "--content", str(scratch.content)]) == 2
    assert re.search(r"casebook\.yaml:\d+: site_url: must be", capsys.readouterr().err)


# ---- Valid, accessible, searchable, in a browser ----


def test_every_page_is_valid_html(shipped):
    _, out = shipped
    pages = [
        out / "index.html",
        *sorted(out.glob("*/index.html")),
        *sorted(out.glob("*/*/index.html")),
    ]
    assert len(pages) == 2 + 2 * 10
    assert vnu_errors(pages) == []


def test_pages_in_chromium_pass_axe_read_more_and_search(shipped):
    """At a phone's width (English) and a desktop's (Spanish): no WCAG 2.1 AA violation that
    axe-core finds on a case page and on the collection page with a case open and search
    results; Read more / Read less work; each language's search finds its own pages."""
    _, out = shipped
    with serving(out) as base, chromium() as browser:
        errors: list[str] = []
        for viewport, lang, case, query in (
            (PHONE, "en", "en/hrdc-malawi/index.html", "corruption"),
            (DESKTOP, "es", "es/bond-uk/index.html", "feministas"),
        ):
            tab = browser.new_page(viewport=viewport)
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.goto(f"{base}/{case}", wait_until="networkidle")
            assert axe_violations(tab) == [], (viewport, case)
            assert tab.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            path = "index.html" if lang == "en" else "es/index.html"
            tab.goto(f"{base}/{path}", wait_until="networkidle")
            summary = tab.locator("details.read-more > summary").first
            assert summary.inner_text() == ("Read more" if lang == "en" else "Leer más")
            assert not tab.locator(".case-text").first.is_visible()
            summary.click()
            assert tab.locator(".case-text").first.is_visible()
            assert summary.inner_text() == ("Read less" if lang == "en" else "Leer menos")
            box = tab.locator("#search-box")
            assert box.is_visible()
            box.fill(query)
            tab.locator(".search-results li").first.wait_for(timeout=5000)
            hits = tab.eval_on_selector_all(".search-results a", "as => as.map(a => a.href)")
            assert hits and all(f"/{lang}/" in h for h in hits), (lang, hits)
            for hit in hits:
                assert tab.request.get(hit).ok, hit
            assert axe_violations(tab) == [], (viewport, path)
            assert tab.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert errors == []
        # Under file:// and without JavaScript the box stays hidden and every case is there.
        local = browser.new_page()
        local.goto((out / "index.html").as_uri())
        assert not local.locator("#search-box").is_visible()
        plain = browser.new_context(java_script_enabled=False).new_page()
        plain.goto(f"{base}/index.html")
        assert not plain.locator("#search-box").is_visible()
        assert plain.locator(".case-card").count() == 10
        plain.locator("details.read-more > summary").first.click()
        assert plain.locator(".case-text").first.is_visible()


# ---- Incremental, and what to upload ----


def test_an_edit_rewrites_only_that_cases_pages_the_collections_and_the_index(scratch):
    scratch.write("casebook.yaml", scratch.content.joinpath("casebook.yaml").read_text())
    for slug in ("alpha", "beta"):
        scratch.case(slug)
    scratch.build()
    pages = {p: p.stat().st_mtime_ns for p in scratch.out.rglob("*.html")}
    index = scratch.out / "pagefind" / "pagefind-entry.json"
    before = index.stat().st_mtime_ns
    beta = scratch.content / "cases" / "beta" / "en.yaml"
    beta.write_text(beta.read_text().replace("Context paragraph.", "A new paragraph."))
    scratch.build()
    rewritten = {
        p.relative_to(scratch.out).as_posix() for p in pages if p.stat().st_mtime_ns != pages[p]
    }
    assert rewritten == {"index.html", "en/beta/index.html"}
    after = index.stat().st_mtime_ns
    assert after != before
    scratch.build()  # nothing changed: nothing written, the index kept
    assert index.stat().st_mtime_ns == after
    # An index that was not finished (Pagefind failed, or the build stopped) records nothing,
    # and the next build makes it again though no page changed.
    (scratch.out / ".casebook" / "search.sha256").unlink()
    scratch.build()
    assert index.stat().st_mtime_ns != after


def test_the_case_pages_are_written_while_the_books_are_made(scratch, monkeypatch):
    """With workers, the case pages and their search index start as soon as the case PDFs are
    made, while the book is still being laid out and joined; the rest of the site after it."""
    from casebook import site

    stage = importlib.import_module("casebook.build")  # the module, not casebook.build()

    for slug in ("alpha", "beta"):
        scratch.case(slug)
    events = []
    case_pages, publish = site.Publishing._case_pages, stage._publish
    monkeypatch.setattr(
        site.Publishing,
        "_case_pages",
        lambda self, pdfs: events.append(("case pages", sorted(pdfs))) or case_pages(self, pdfs),
    )
    monkeypatch.setattr(
        stage,
        "_publish",
        lambda project, state, made: (
            events.append(("written", str(made.target.path))) or publish(project, state, made)
        ),
    )
    scratch.build(jobs=2)
    order = [what if event == "written" else event for event, what in events]
    assert sorted(order) == ["case pages", "en/alpha.pdf", "en/beta.pdf", "en/casebook.pdf"]
    assert order[-1] == "en/casebook.pdf", order  # after the case PDFs and their pages
    assert ("case pages", ["en/alpha.pdf", "en/beta.pdf"]) in events  # the book is not in them
    for page in ("index.html", "en/alpha/index.html", "en/beta/index.html"):
        assert (scratch.out / page).is_file(), page
    assert (scratch.out / "pagefind" / "pagefind-entry.json").is_file()


def test_a_book_that_fails_after_the_case_pages_started_leaves_no_indexing_behind(
    scratch, monkeypatch
):
    """The join fails while Pagefind may be indexing the case pages: the build stops with the
    error, stops Pagefind and removes its files; the next build publishes the whole site."""
    from casebook import errors, join, make

    for slug in ("alpha", "beta"):
        scratch.case(slug)

    def failing(*args):
        raise join.JoinError("a link to #nowhere, which no part has")

    monkeypatch.setattr(make, "join", failing)  # the workers are forked with it
    with pytest.raises(errors.RenderError, match=re.escape("en/casebook.pdf: a link to #nowhere")):
        scratch.build(jobs=2)
    assert (scratch.out / "en" / "alpha" / "index.html").is_file()  # the pages had started
    assert not (scratch.out / ".casebook" / "tmp").exists()
    assert not (scratch.out / ".casebook" / "search.sha256").exists()
    children = Path("/proc/self/task").glob("*/children")
    running = [pid for f in children for pid in f.read_text().split()]
    names = []
    for pid in running:
        with contextlib.suppress(OSError):  # a child that ended meanwhile
            names.append(Path(f"/proc/{pid}/comm").read_text().strip())
    assert not [n for n in names if "pagefind" in n], names
    monkeypatch.undo()
    scratch.build(jobs=2)
    assert (scratch.out / "en" / "casebook.pdf").is_file()
    assert (scratch.out / "index.html").is_file()
    assert (scratch.out / "pagefind" / "pagefind-entry.json").is_file()
    assert (scratch.out / ".casebook" / "search.sha256").is_file()


def test_the_pages_of_a_language_no_longer_published_are_removed(scratch):
    from .conftest import BILINGUAL

    scratch.write("casebook.yaml", BILINGUAL)
    scratch.case("alpha")
    scratch.build()
    assert (scratch.out / "es" / "alpha" / "index.html").is_file()
    scratch.write("casebook.yaml", BILINGUAL.replace("languages: [en, es]", "languages: [en]"))
    scratch.build()
    assert not (scratch.out / "es" / "alpha").exists()
    assert not (scratch.out / "es" / "index.html").exists()
    assert (scratch.out / "en" / "alpha" / "index.html").is_file()


def upload_command() -> str:
    """The command docs/site.md gives for uploading the site (after <!-- upload-command -->)."""
    text = (ROOT / "docs" / "site.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- upload-command -->\n```sh\n(.*?)\n```", text, re.S)
    assert found, "docs/site.md gives no upload command"
    return found[1].replace("\\\n", " ")


def test_what_docs_say_to_upload_holds_the_site_and_nothing_internal(shipped, tmp_path):
    if shutil.which("rsync") is None:
        missing_tool("the upload test needs rsync (apt install rsync; .ci/run installs it)")
    _, out = shipped
    work = tmp_path / "build"
    shutil.copytree(out, work)
    (work / "en" / "bond-uk.html").write_text("<p>--html</p>")  # what --html leaves
    (work / "archive" / "en").mkdir(parents=True)
    (work / "archive" / "en" / "bond-uk.pdf").write_bytes(b"%PDF")
    (work / "en" / ".bond-uk.pdf.1234.part").write_bytes(b"%PDF")
    (work / "translations" / "es").mkdir(parents=True)  # `casebook translations export`
    (work / "translations" / "es" / "bond-uk.xlf").write_text("<xliff/>")
    server = tmp_path / "server"
    command = shlex.split(upload_command())
    command = [{"build/": f"{work}/", "server:/var/www/casebook/": f"{server}/"}.get(a, a)
               for a in command]  # fmt: skip
    subprocess.run(command, check=True)
    uploaded = {p.relative_to(server).as_posix() for p in server.rglob("*") if p.is_file()}
    assert not [
        p
        for p in uploaded
        if p.startswith((".", "archive/", "print/", "translations/")) or "/." in p
    ]
    assert "en/bond-uk.html" not in uploaded
    assert {"index.html", "es/index.html", "en/bond-uk/index.html", "manifest.json"} <= uploaded
    assert any(p.startswith("pagefind/") for p in uploaded)
    for name in [p for p in uploaded if p.endswith(".html")]:  # every link target is uploaded
        for _tag, attrs in Page((server / name).read_text(encoding="utf-8")).elements:
            target = attrs.get("href") or attrs.get("src")
            if not target or re.match(r"^(#|https?:|mailto:|data:)", target):
                continue
            resolved = (server / name).parent / target.split("#")[0]
            assert resolved.resolve().is_relative_to(server.resolve()), (name, target)
            assert resolved.exists(), (name, target)
    manifest = json.loads((server / "manifest.json").read_text())
    assert {(p["language"], p["case"]) for p in manifest["pages"]} == {
        (e.language, c.slug) for e in BOOK.editions for c in e.cases
    }
    assert all((server / p["path"]).is_file() for p in manifest["pages"])
