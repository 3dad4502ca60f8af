"""Stage: plan. Every output with its inputs and fingerprint, and which are up to date. No
layout here: milliseconds."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from casebook.build import read_project
from casebook.plan import STATE, Fingerprints, Selection, State, Target, make_plan
from casebook.profiles import ARCHIVE, CMYK_PROFILES, PRINT, PROFILES, SCREEN
from casebook.project import Project

from .conftest import BILINGUAL, CASE

COVER = "cover:\n  image: cover.png\n  alt: A cover\n"


@pytest.fixture
def project(scratch):
    """Bilingual: alpha (translated into Spanish, with a cover), beta and gamma (English only)."""
    scratch.write("casebook.yaml", BILINGUAL)
    scratch.case("alpha", CASE + COVER)
    Image.new("RGB", (4, 3), "red").save(scratch.content / "cases" / "alpha" / "cover.png")
    scratch.case("alpha", "title: Un caso\n", language="es")
    scratch.case("beta")
    scratch.case("gamma")
    return scratch


def plan_of(scratch, profiles=(SCREEN,), source_date=None):
    project, casebook = read_project(scratch.content, scratch.out)
    return make_plan(project, casebook, source_date, profiles)


def by_path(plan) -> dict[Path, Target]:
    return {t.path: t for t in plan.targets}


def needs_cmyk() -> None:
    if not any(p.is_file() for p in CMYK_PROFILES):
        pytest.skip("no CMYK profile installed: the print profile cannot be planned")


# ---- Fingerprints ----


def test_a_file_is_hashed_once_per_fingerprints(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"first")
    prints = Fingerprints()
    assert prints.file(path) == hashlib.sha256(b"first").hexdigest()
    path.write_bytes(b"second")
    assert prints.file(path) == hashlib.sha256(b"first").hexdigest()  # not read again
    assert Fingerprints().file(path) == hashlib.sha256(b"second").hexdigest()


def test_a_fingerprint_follows_content_not_modification_time(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("alpha")
    b.write_text("beta")
    extra = {"version": "1"}
    before = Fingerprints().of((a, b), tmp_path, extra)
    assert Fingerprints().of((a, b), tmp_path, extra) == before

    stat = a.stat()
    os.utime(a, ns=(stat.st_atime_ns + 10**10, stat.st_mtime_ns + 10**10))
    assert Fingerprints().of((a, b), tmp_path, extra) == before

    a.write_text("alpha, edited")
    edited = Fingerprints().of((a, b), tmp_path, extra)
    assert edited != before
    a.write_text("alpha")
    assert Fingerprints().of((a, b), tmp_path, extra) == before

    assert Fingerprints().of((a, b), tmp_path, {"version": "2"}) != before
    assert Fingerprints().of((a,), tmp_path, extra) != before


def test_a_fingerprint_covers_the_names_of_its_inputs(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one, two = tmp_path / "one" / "x.css", tmp_path / "two" / "x.css"
    one.write_text("same")
    two.write_text("same")
    assert Fingerprints().of((one,), tmp_path, {}) != Fingerprints().of((two,), tmp_path, {})
    # Named relative to the root: the same project in another folder has the same fingerprints.
    one_root, two_root = tmp_path / "one", tmp_path / "two"
    assert Fingerprints().of((one,), one_root, {}) == Fingerprints().of((two,), two_root, {})


# ---- make_plan ----


def test_books_first_then_each_editions_own_cases(project):
    plan = plan_of(project)
    kinds = [t.kind for t in plan.targets]
    assert kinds == sorted(kinds, key=lambda kind: kind != "casebook")
    assert {(t.language, t.case) for t in plan.targets} == {
        ("en", None),
        ("es", None),
        ("en", "alpha"),
        ("en", "beta"),
        ("en", "gamma"),
        ("es", "alpha"),  # beta and gamma have no Spanish text: only in the Spanish book
    }
    for target in plan.targets:
        assert target.profile == "screen"
        assert target.path == SCREEN.path(target.language, target.case or "casebook")


def test_inputs_of_a_case_and_of_a_book(project):
    targets = by_path(plan_of(project))
    cases = project.content.resolve() / "cases"
    publication = project.content.resolve() / "casebook.yaml"
    alpha_en = cases / "alpha" / "en.yaml"
    alpha_es = cases / "alpha" / "es.yaml"
    cover = cases / "alpha" / "cover.png"
    beta = cases / "beta" / "en.yaml"

    case = targets[Path("en/alpha.pdf")]
    assert {publication, alpha_en, cover} <= set(case.inputs)
    assert not {alpha_es, beta} & set(case.inputs)
    assert {alpha_en, alpha_es, cover} <= set(targets[Path("es/alpha.pdf")].inputs)
    assert {publication, alpha_en, alpha_es, cover, beta} <= set(
        targets[Path("es/casebook.pdf")].inputs
    )
    assert alpha_es not in targets[Path("en/casebook.pdf")].inputs


def test_a_case_does_not_depend_on_the_book_layouts(project):
    targets = by_path(plan_of(project))
    layouts = {p for p in targets[Path("en/casebook.pdf")].inputs if p.name.endswith(".j2")}
    book_only = {p for p in layouts if p.name.startswith("book")}
    assert book_only, "the shipped layouts have book templates"
    for target in targets.values():
        names = {p.name for p in target.inputs}
        if target.kind == "case":
            assert not {n for n in names if n.startswith("book")}
            assert {"case.html.j2", "case-body.html.j2", "case.css"} <= names
        else:
            assert {p.name for p in book_only} <= names


def test_each_language_depends_on_its_own_catalogue_only(project):
    for target in plan_of(project).targets:
        catalogues = {p.name for p in target.inputs if p.suffix in (".po", ".pot")}
        assert catalogues == ({"es.po"} if target.language == "es" else set())


def test_editing_one_case_changes_the_fingerprints_of_what_uses_it(project):
    before = by_path(plan_of(project))
    beta = project.content / "cases" / "beta" / "en.yaml"
    beta.write_text(beta.read_text() + "# an edit\n")
    after = by_path(plan_of(project))
    assert after.keys() == before.keys()
    changed = {path for path in before if before[path].fingerprint != after[path].fingerprint}
    # beta is English only: its own PDF, and both books (the Spanish one shows it in English).
    assert changed == {Path("en/beta.pdf"), Path("en/casebook.pdf"), Path("es/casebook.pdf")}


def test_editing_a_cover_or_a_translation_changes_that_case(project):
    before = by_path(plan_of(project))
    image = project.content / "cases" / "alpha" / "cover.png"
    Image.new("RGB", (4, 3), "blue").save(image)
    after = by_path(plan_of(project))
    changed = {p for p in before if before[p].fingerprint != after[p].fingerprint}
    assert changed == {
        Path("en/alpha.pdf"),
        Path("es/alpha.pdf"),
        Path("en/casebook.pdf"),
        Path("es/casebook.pdf"),
    }
    (project.content / "cases" / "alpha" / "es.yaml").write_text("title: Otro caso\n")
    again = by_path(plan_of(project))
    changed = {p for p in after if after[p].fingerprint != again[p].fingerprint}
    assert changed == {Path("es/alpha.pdf"), Path("es/casebook.pdf")}


def test_touching_files_changes_no_fingerprint(project):
    before = plan_of(project)
    for path in project.content.rglob("*"):
        if path.is_file():
            stat = path.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**10))
    assert plan_of(project) == before


def test_the_source_date_is_part_of_every_fingerprint(project):
    before = by_path(plan_of(project))
    after = by_path(plan_of(project, source_date="2021-03-01T00:00:00Z"))
    assert all(before[p].fingerprint != after[p].fingerprint for p in before)


def test_outputs_of_two_profiles_have_their_own_paths_and_fingerprints(project):
    plan = plan_of(project, (SCREEN, ARCHIVE))
    paths = [t.path for t in plan.targets]
    assert len(paths) == len(set(paths))
    screen = {t.path: t for t in plan.targets if t.profile == "screen"}
    archive = {t.path: t for t in plan.targets if t.profile == "archive"}
    assert set(archive) == {Path(ARCHIVE.folder) / p for p in screen}
    for path, target in screen.items():
        assert archive[Path(ARCHIVE.folder) / path].inputs == target.inputs
        assert archive[Path(ARCHIVE.folder) / path].fingerprint != target.fingerprint


def test_only_print_outputs_use_the_print_shop_stylesheet(project):
    needs_cmyk()
    plan = plan_of(project, tuple(PROFILES.values()))
    for target in plan.targets:
        names = {p.name for p in target.inputs}
        assert ("print-shop.css" in names) == (target.profile == "print")


# ---- Selection ----


def target(kind: str, profile: str, language: str, case: str | None) -> Target:
    path = PROFILES[profile].path(language, case or "casebook")
    return Target(kind, profile, language, case, path, (), (), (), "")


@pytest.mark.parametrize(
    ("selection", "wanted"),
    [
        (Selection(), {"en/casebook", "en/alpha", "es/casebook", "print/en/casebook"}),
        (Selection(languages=("es",)), {"es/casebook"}),
        (Selection(cases=("alpha",)), {"en/alpha", "print/en/alpha"}),
        (
            Selection(cases=("alpha",), books=True),
            {"en/casebook", "en/alpha", "es/casebook", "print/en/casebook", "print/en/alpha"},
        ),
    ],
    ids=["default", "language", "case", "case-and-books"],
)
def test_selection(selection, wanted):
    targets = [
        target("casebook", "screen", "en", None),
        target("case", "screen", "en", "alpha"),
        target("casebook", "screen", "es", None),
        target("casebook", "print", "en", None),
        target("case", "print", "en", "alpha"),
    ]
    chosen = {str(t.path.with_suffix("")) for t in targets if selection.wants(t)}
    assert chosen == wanted


def test_the_print_profiles_cases_are_planned_but_not_wanted_by_default(project):
    needs_cmyk()
    plan = plan_of(project, (PRINT,))
    cases = [t for t in plan.targets if t.kind == "case"]
    books = [t for t in plan.targets if t.kind == "casebook"]
    assert cases and books
    assert not any(Selection().wants(t) for t in cases)
    assert all(Selection().wants(t) for t in books)
    assert [t.case for t in cases if Selection(cases=("beta",)).wants(t)] == ["beta"]


# ---- State ----


def written(out: Path, target: Target, data: bytes) -> None:
    path = out / target.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_an_output_is_up_to_date_until_its_file_or_fingerprint_changes(tmp_path):
    out = tmp_path / "build"
    made = replace(target("case", "screen", "en", "alpha"), fingerprint="f1")
    data = b"%PDF-1.7 one"
    assert not State(out).up_to_date(made)  # never written
    written(out, made, data)
    state = State(out)
    assert not state.up_to_date(made)  # written, but not recorded
    state.record(made, data, 2)
    state.save()

    def up_to_date(target: Target = made) -> bool:
        return State(out).up_to_date(target)  # as the next build sees it

    assert up_to_date()
    assert not up_to_date(replace(made, fingerprint="f2"))
    written(out, made, data.replace(b"one", b"two"))  # same size, other bytes
    assert not up_to_date()
    written(out, made, data + b" longer")
    assert not up_to_date()
    written(out, made, data)
    assert up_to_date()
    (out / made.path).unlink()
    assert not up_to_date()


def test_state_is_saved_and_read_back(tmp_path):
    out = tmp_path / "build"
    made = replace(target("casebook", "screen", "en", None), fingerprint="f")
    data = b"%PDF-1.7 book"
    written(out, made, data)
    state = State(out)
    state.record(made, data, 12, ("layouts/case.css:3:1: a warning",))
    state.save()
    assert not list((out / STATE).parent.glob("*.part"))
    again = State(out)
    assert again.records == {
        str(made.path): {
            "kind": "casebook",
            "profile": "screen",
            "language": "en",
            "case": None,
            "fingerprint": "f",
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "pages": 12,
            "warnings": ["layouts/case.css:3:1: a warning"],
        }
    }
    assert again.up_to_date(made)


@pytest.mark.parametrize("text", ["", "{not json", "[1, 2"])
def test_an_unreadable_state_is_an_empty_one(tmp_path, text):
    path = tmp_path / STATE
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert State(tmp_path).records == {}


def test_prune_deletes_the_outputs_of_removed_cases(project):
    out = project.out
    state = State(out)
    for made in plan_of(project, (SCREEN, ARCHIVE)).targets:
        data = f"%PDF {made.path}".encode()
        written(out, made, data)
        (out / made.path).with_suffix(".webp").write_bytes(b"thumbnail")
        state.record(made, data, 1)

    for path in (project.content / "cases" / "gamma").iterdir():
        path.unlink()
    (project.content / "cases" / "gamma").rmdir()
    plan = plan_of(project, (SCREEN, ARCHIVE))
    state.prune({str(t.path) for t in plan.targets}, [SCREEN.name])

    assert "en/gamma.pdf" not in state.records
    assert not (out / "en" / "gamma.pdf").exists()
    assert not (out / "en" / "gamma.webp").exists()
    # Another profile's folder is left to a build of that profile.
    assert "archive/en/gamma.pdf" in state.records
    assert (out / "archive" / "en" / "gamma.pdf").exists()
    # What is still planned stays.
    for made in plan.targets:
        assert str(made.path) in state.records
        assert (out / made.path).exists()
    state.save()
    assert set(State(out).records) == set(state.records)


def test_a_state_from_an_older_casebook_is_forgotten(tmp_path):
    """Records that do not say what their output is (kind, profile, language, case) are
    dropped: their outputs are made again, and the site never guesses from a path."""
    path = tmp_path / STATE
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"en/casebook.pdf": {"key": "k", "sha256": "s", "bytes": 1}}))
    assert State(tmp_path).records == {}


def test_each_kind_of_output_is_made_from_exactly_its_layouts(project):
    """A case PDF's inputs are the case templates (with what they include) and the case
    stylesheets; a book's the book's; neither holds the downloads page or the watch preview."""
    plan = plan_of(project, (SCREEN,))
    book = next(t for t in plan.targets if t.kind == "casebook")
    case = next(t for t in plan.targets if t.kind == "case")
    layouts = Project.locate(project.content).layouts
    for made in (book, case):
        names = {p.name for p in made.inputs if p.is_relative_to(layouts.packaged)}
        assert not names & {"site.css", "index.html.j2", "preview.html.j2", "download-label.j2"}
        assert {"base.html.j2", "labels.j2", "meta.j2", "fonts.css.j2", "case.css"} <= names
        assert set(made.templates) | set(made.stylesheets) <= names
    assert "book.css" in book.stylesheets and "book.css" not in case.stylesheets
    assert {"book-case.html.j2", "case-body.html.j2"} <= set(book.templates)
    assert case.templates[0] == "case.html.j2" and "book-front.html.j2" not in case.templates


def test_the_site_is_published_again_only_when_what_it_shows_changed(project):
    """The state keeps the fingerprint of what the downloads pages were made from: the same
    plan and PDFs give the same one; another PDF or another layout, another."""
    from casebook.plan import site_fingerprint

    out = project.out
    state = State(out)
    plan = plan_of(project)
    for made in plan.targets:
        written(out, made, b"%PDF one")
        state.record(made, b"%PDF one", 1)
    first = site_fingerprint(plan, state)
    assert site_fingerprint(plan_of(project), state) == first
    state.site = first
    (out / "index.html").write_text("the page")
    (out / "pagefind").mkdir()
    (out / ".casebook").mkdir(exist_ok=True)
    (out / ".casebook" / "search.sha256").write_text("what it was made from")
    state.save()
    assert State(out).site_is(first)
    (out / "pagefind").rmdir()
    assert not State(out).site_is(first)  # the search index is gone: made again
    (out / "pagefind").mkdir()
    (out / "index.html").unlink()
    assert not State(out).site_is(first)  # the page is gone: made again
    state.record(plan.targets[0], b"%PDF two", 2)
    assert site_fingerprint(plan, state) != first
