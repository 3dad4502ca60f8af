"""Stage 1, load: YAML files → plain data with the line of every key, or a located `Problem`."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from casebook import load
from casebook.errors import Problem
from casebook.load import Loaded, load_content, load_yaml

from .conftest import BILINGUAL, CASE, PUBLICATION


def line_of(text: str, needle: str, start: int = 1) -> int:
    """The 1-based line of the first line of `text`, from line `start` on, holding `needle`."""
    lines = text.splitlines()
    return next(n for n, line in enumerate(lines, 1) if n >= start and needle in line)


def loaded(tmp_path: Path, text: str) -> Loaded | Problem:
    path = tmp_path / "file.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_yaml(path, "content/file.yaml")


def problem(tmp_path: Path, text: str | bytes) -> Problem:
    path = tmp_path / "file.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    found = load_yaml(path, "content/file.yaml")
    assert isinstance(found, Problem), found
    assert found.path == "content/file.yaml"
    return found


# ---- load_yaml: data and lines ----

NESTED = """\
# A comment first, so that no key is on line 1.
title: A title
meta:
  owner: Someone
  tags:
    - one
    - two
sections:
  - kind: context
    body: |
      First paragraph.

      Second paragraph.
  - kind: outcomes
    heading: Results
    body: Short.
"""


def test_lines_of_every_key_path(tmp_path):
    found = loaded(tmp_path, NESTED)
    assert isinstance(found, Loaded)
    assert found.data["sections"][1]["heading"] == "Results"
    second = line_of(NESTED, "- kind: outcomes")
    expected = {
        (): 2,  # the document starts with its first key
        ("title",): line_of(NESTED, "title:"),
        ("meta",): line_of(NESTED, "meta:"),
        ("meta", "owner"): line_of(NESTED, "owner:"),
        ("meta", "tags"): line_of(NESTED, "tags:"),
        ("meta", "tags", 0): line_of(NESTED, "- one"),
        ("meta", "tags", 1): line_of(NESTED, "- two"),
        ("sections",): line_of(NESTED, "sections:"),
        ("sections", 0): line_of(NESTED, "- kind: context"),
        ("sections", 0, "kind"): line_of(NESTED, "- kind: context"),
        ("sections", 0, "body"): line_of(NESTED, "body: |"),
        ("sections", 1): second,
        ("sections", 1, "kind"): second,
        ("sections", 1, "heading"): line_of(NESTED, "heading:"),
        ("sections", 1, "body"): line_of(NESTED, "body:", start=second),
    }
    assert found.lines == expected


def test_line_of_a_missing_key_is_that_of_its_nearest_parent(tmp_path):
    found = loaded(tmp_path, NESTED)
    assert isinstance(found, Loaded)
    second = line_of(NESTED, "- kind: outcomes")
    assert found.line(("sections", 1, "no-such-key")) == second
    assert found.line(("sections", 7, "kind")) == line_of(NESTED, "sections:")
    assert found.line(("nothing", "here")) == found.lines[()]
    assert Loaded(Path("x.yaml"), "x.yaml", None).line(("title",)) == 1


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_has_no_data(tmp_path, text):
    found = loaded(tmp_path, text)
    assert isinstance(found, Loaded)
    assert found.data is None
    assert found.lines == {}


# ---- load_yaml: what is refused, and where ----


@pytest.mark.parametrize(
    "text",
    [
        "# pad\nbase: &base\n  x: 1\n# pad\nother: *base\n",
        "# pad\nname: &name A name\nkind: k\ncopy: *name\n",
        "# pad\nlaughs:\n  - &lol [lol, lol]\n  - [*lol, *lol]\n",
        "# pad\nbase: &base {x: 1}\nmerged:\n  <<: *base\n  y: 2\n",
    ],
    ids=["mapping", "scalar", "nested-list", "merge-key"],
)
def test_aliases_are_refused_at_their_anchor_or_alias(tmp_path, text):
    found = problem(tmp_path, text)
    assert found.key == "yaml"
    assert "anchors and aliases" in found.message
    anchor = line_of(text, "&")
    alias = line_of(text, "*")
    assert anchor > 1 and alias > anchor  # so that a line of 1 (the default) is not accepted
    assert found.line in (anchor, alias)


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:  # sparse: the limit is checked on the size, not read
        handle.truncate(load.MAX_FILE_BYTES + 1)
    found = load_yaml(path, "content/big.yaml")
    assert isinstance(found, Problem)
    assert (found.line, found.key) == (1, "file")
    assert f"{load.MAX_FILE_BYTES + 1:,} bytes" in found.message
    assert f"the limit is {load.MAX_FILE_BYTES:,}" in found.message


def test_a_file_at_the_size_limit_is_read(tmp_path, monkeypatch):
    text = "title: x\n"
    monkeypatch.setattr(load, "MAX_FILE_BYTES", len(text.encode()))
    assert isinstance(loaded(tmp_path, text), Loaded)
    monkeypatch.setattr(load, "MAX_FILE_BYTES", len(text.encode()) - 1)
    assert isinstance(loaded(tmp_path, text), Problem)


def test_a_file_not_in_utf8_is_named_with_its_byte(tmp_path):
    data = "title: ok\ncoalition: Café\n".encode("latin-1")
    found = problem(tmp_path, data)
    assert (found.line, found.key) == (1, "file")
    assert "is not UTF-8 text" in found.message
    bad = data.index("é".encode("latin-1"))
    assert f"at byte {bad})" in found.message


@pytest.mark.parametrize("character", ["\x07", "\x00", "\x1b"])
def test_a_control_character_is_named_with_its_line(tmp_path, character):
    text = f"title: ok\nsummary: fine\nbody: bad{character}text\nend: ok\n"
    found = problem(tmp_path, text)
    assert (found.line, found.key) == (line_of(text, character), "yaml")
    assert f"U+{ord(character):04X}" in found.message


@pytest.mark.parametrize(
    ("text", "where", "bad"),
    [
        ("title: ok\nbody:\n\tindented: with a tab\n", "\tindented", "\t"),
        ("title: ok\nregion: europe\n  country: Poland\n", "country", ":"),
    ],
    ids=["tab", "mapping-in-scalar"],
)
def test_a_syntax_error_has_its_line_and_column(tmp_path, text, where, bad):
    found = problem(tmp_path, text)
    line = line_of(text, where)
    column = text.splitlines()[line - 1].index(bad) + 1
    assert (found.line, found.key) == (line, "yaml")
    assert found.message.startswith(f"YAML syntax error, column {column}: ")


def test_python_tags_are_refused(tmp_path):
    text = "title: ok\nrun: !!python/object/apply:os.system [echo hello]\n"
    found = problem(tmp_path, text)
    assert (found.line, found.key) == (line_of(text, "!!python"), "yaml")
    assert "python/object/apply" in found.message


def test_a_second_document_is_refused(tmp_path):
    text = "title: one\n---\ntitle: two\n"
    found = problem(tmp_path, text)
    assert (found.line, found.key) == (line_of(text, "---"), "yaml")


def test_a_missing_file_is_a_problem(tmp_path):
    found = load_yaml(tmp_path / "absent.yaml", "content/absent.yaml")
    assert found == Problem("content/absent.yaml", 1, "file", f"cannot be read: {os.strerror(2)}")


# ---- load_content: which files make a project ----


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def content(tmp_path) -> Path:
    """A bilingual project: two cases, one translated, and a translated casebook.yaml."""
    root = tmp_path / "content"
    write(root, "casebook.yaml", BILINGUAL)
    write(root, "casebook.es.yaml", "title: Compendio de prueba\n")
    write(root, "cases/beta/en.yaml", CASE)
    write(root, "cases/alpha/en.yaml", CASE)
    write(root, "cases/alpha/es.yaml", "title: Un caso\n")
    return root


def test_finds_the_publication_its_translations_and_every_case(content):
    raw = load_content(content)
    assert raw.problems == []
    assert raw.content_dir == content
    assert raw.source_language == "en"
    assert raw.languages == ("es",)
    assert raw.publication.display == "content/casebook.yaml"
    assert raw.publication.data["title"] == "Test casebook"
    assert list(raw.publication_translations) == ["es"]
    assert raw.publication_translations["es"].data == {"title": "Compendio de prueba"}
    assert [c.slug for c in raw.cases] == ["alpha", "beta"]  # sorted by folder name
    alpha, beta = raw.cases
    assert alpha.folder == content / "cases" / "alpha"
    assert alpha.source.display == "content/cases/alpha/en.yaml"
    assert alpha.source.data["coalition"] == "Test Coalition"
    assert alpha.source.lines[("coalition",)] == line_of(CASE, "coalition:")
    assert list(alpha.translations) == ["es"]
    assert alpha.translations["es"].display == "content/cases/alpha/es.yaml"
    assert beta.translations == {}


def test_the_source_language_names_the_case_files(tmp_path):
    root = tmp_path / "content"
    write(root, "casebook.yaml", BILINGUAL.replace("source_language: en", "source_language: es"))
    write(root, "cases/uno/es.yaml", CASE)
    write(root, "cases/uno/en.yaml", "title: A case\n")
    raw = load_content(root)
    assert raw.problems == []
    assert (raw.source_language, raw.languages) == ("es", ("en",))
    (case,) = raw.cases
    assert case.source.display == "content/cases/uno/es.yaml"
    assert list(case.translations) == ["en"]


def test_a_case_folder_without_its_source_language_file_is_a_problem(content):
    (content / "cases" / "beta" / "en.yaml").rename(content / "cases" / "beta" / "es.yaml")
    raw = load_content(content)
    assert [c.slug for c in raw.cases] == ["alpha"]
    (found,) = raw.problems
    assert (found.path, found.line, found.key) == ("content/cases/beta", 1, "case")
    assert "en.yaml" in found.message


def test_a_translation_in_a_language_not_listed_is_a_problem(content):
    write(content, "cases/beta/fr.yaml", "title: Un cas\n")
    raw = load_content(content)
    (found,) = raw.problems
    assert (found.path, found.line, found.key) == ("content/cases/beta/fr.yaml", 1, "file")
    assert "'fr' is not one of the publication's languages (es)" in found.message
    beta = raw.cases[1]
    assert beta.slug == "beta"
    assert beta.translations == {}  # the case itself is still loaded


def test_a_translation_in_a_monolingual_project_is_a_problem(tmp_path):
    root = tmp_path / "content"
    write(root, "casebook.yaml", PUBLICATION)
    write(root, "cases/alpha/en.yaml", CASE)
    write(root, "cases/alpha/es.yaml", "title: Un caso\n")
    (found,) = load_content(root).problems
    assert found.path == "content/cases/alpha/es.yaml"
    assert "none besides the source" in found.message


def test_dot_folders_and_stray_files_are_ignored(content):
    write(content, "cases/.git/config.yaml", "not: a case\n")
    (content / "cases" / ".empty").mkdir()  # no en.yaml: would be a problem if it were a case
    write(content, "cases/README.md", "Notes\n")
    raw = load_content(content)
    assert raw.problems == []
    assert [c.slug for c in raw.cases] == ["alpha", "beta"]


def test_a_project_without_cases(tmp_path):
    root = tmp_path / "content"
    write(root, "casebook.yaml", PUBLICATION)
    raw = load_content(root)
    assert (raw.cases, raw.problems, raw.languages) == ([], [], ())


def test_every_unreadable_file_is_reported_and_the_others_loaded(content):
    write(content, "cases/alpha/es.yaml", "title: [unclosed\n")
    write(content, "cases/beta/en.yaml", "title: &a x\nagain: *a\n")
    write(content, "cases/gamma/en.yaml", CASE)
    raw = load_content(content)
    assert sorted(p.path for p in raw.problems) == [
        "content/cases/alpha/es.yaml",
        "content/cases/beta/en.yaml",
    ]
    assert [c.slug for c in raw.cases] == ["alpha", "gamma"]  # beta's source is unreadable
    assert raw.cases[0].translations == {}


def test_a_key_given_twice_is_a_problem_at_its_second_line(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("title: One\nsections:\n  - kind: context\n    body: first\n    body: second\n")
    problem = load_yaml(path, "twice.yaml")
    assert isinstance(problem, Problem)
    assert (problem.line, problem.key) == (5, "yaml")
    assert "'body' is given twice" in problem.message
