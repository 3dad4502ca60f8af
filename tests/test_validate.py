"""`casebook check`: every problem in one run, each as path:line: key: message."""

from __future__ import annotations

import pytest

import casebook
from casebook.cli import main

from .conftest import CASE


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of `text` holding `needle`."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def problems(scratch) -> list[str]:
    with pytest.raises(casebook.ContentError) as info:
        casebook.check(scratch.content)
    return [str(p) for p in info.value.problems]


def test_valid_scratch_project_has_no_problems(scratch):
    scratch.case("good-case")
    publication = casebook.check(scratch.content)
    assert [c.slug for c in publication.cases] == ["good-case"]


def test_every_problem_reported_in_one_run_with_file_line_and_key(scratch):
    bad = (
        CASE.replace("title: A case for testing\n", "")
        .replace("date: 2020-11", "date: 2021-13")
        .replace("region: europe", "region: atlantis")
        .replace("kind: challenges", "kind: lesson")
        .replace("authors:\n  - A. Author\n", "authors: []\n")
    )
    scratch.case("bad-case", bad)
    found = problems(scratch)
    path = "content/cases/bad-case/en.yaml"
    assert found == [
        f"{path}:1: title: is missing",
        f"{path}:{line_of(bad, 'date:')}: date: '2021-13' has month 13: months run from 01 to 12",
        f"{path}:{line_of(bad, 'region:')}: region: 'atlantis' is not one of: africa, americas, "
        "asia-pacific, europe, middle-east-north-africa, global",
        f"{path}:{line_of(bad, 'authors:')}: authors: must list at least one",
        f"{path}:{line_of(bad, 'kind: lesson')}: sections[1].kind: 'lesson' is not one of: "
        "context, challenges, lessons, outcomes",
    ]


@pytest.mark.parametrize(
    ("good", "bad", "line", "column", "what"),
    [
        # The flow sequence opened on line 5 is never closed: the parser meets the error at the
        # colon of line 6's key (`country:`), and names that line and column.
        ("region: europe", "region: [europe", 6, 8, "expected ',' or ']', but got ':'"),
        ("region: europe", "region: europe: africa", 5, 15, "mapping values are not allowed here"),
        ("  - kind: challenges", "\t- kind: challenges", 15, 1, "found character '\\t' that "),
    ],
    ids=["unclosed-bracket", "second-colon", "tab"],
)
def test_yaml_syntax_error_names_its_line_and_column(scratch, good, bad, line, column, what):
    scratch.case("broken", CASE.replace(good, bad))
    (found,) = problems(scratch)
    prefix = f"content/cases/broken/en.yaml:{line}: yaml: YAML syntax error, column {column}: "
    assert found.startswith(prefix + what), found


def test_problems_in_several_files_all_listed(scratch):
    scratch.case("one", CASE.replace("region: europe", "region: mars"))
    scratch.case("two", CASE.replace("summary: |\n  The lede of the test case.\n", ""))
    scratch.write(
        "casebook.yaml",
        "title: T\npublisher: P\ndate: 2021\nauthors: [A]\nsource_language: en\nlanguages: [en]\n",
    )
    found = problems(scratch)
    assert found == [
        "content/casebook.yaml:3: date: '2021' is not a month: write YYYY-MM, e.g. 2020-11",
        "content/cases/one/en.yaml:5: region: 'mars' is not one of: africa, americas, "
        "asia-pacific, europe, middle-east-north-africa, global",
        "content/cases/two/en.yaml:1: summary: is missing",
    ]


def test_cover_image_outside_case_folder(scratch, tmp_path):
    (tmp_path / "secret.png").write_bytes(b"\x89PNG")
    outside = CASE + "cover:\n  image: ../../../secret.png\n  alt: A photo\n"
    scratch.case("covered", outside)
    scratch.case("missing", CASE + "cover:\n  image: nowhere.png\n  alt: A photo\n")
    found = problems(scratch)
    line = line_of(outside, "image:")
    assert found == [
        f"content/cases/covered/en.yaml:{line}: cover.image: '../../../secret.png' is outside "
        "the case folder: put the image in the case folder and give its file name",
        f"content/cases/missing/en.yaml:{line}: cover.image: 'nowhere.png' is not a file in the "
        "case folder missing/",
    ]


def test_full_date_and_unknown_key_and_bad_slug(scratch):
    dated = CASE.replace("date: 2020-11", "date: 2020-11-05") + "colour: red\n"
    scratch.case("dated", dated)
    scratch.case("Bad_Slug")
    found = problems(scratch)
    assert (
        "content/cases/Bad_Slug/en.yaml:1: file: the folder name 'Bad_Slug' is not a slug: "
        "use lower-case letters, digits and single hyphens (e.g. bond-uk)" in found
    )
    assert (
        f"content/cases/dated/en.yaml:{line_of(dated, 'date:')}: date: 2020-11-05 is a full "
        "date: write the month only, as YYYY-MM (e.g. 2020-11)" in found
    )
    assert any(
        p.startswith(f"content/cases/dated/en.yaml:{line_of(dated, 'colour')}: colour: is not a")
        for p in found
    )


def test_yaml_aliases_refused(scratch):
    bomb = 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n'
    scratch.case("bomb", CASE + bomb)
    (found,) = problems(scratch)
    assert found.startswith("content/cases/bomb/en.yaml:")
    assert "anchors and aliases" in found


def test_case_folder_without_source_file(scratch):
    scratch.case("only-spanish", language="es")
    assert problems(scratch) == [
        "content/cases/only-spanish:1: case: has no en.yaml: every case folder needs its "
        "source-language file (en.yaml)"
    ]


def test_cli_check_exit_code_and_message_without_traceback(scratch, capsys):
    scratch.case("bad", CASE.replace("region: europe", "region: mars"))
    code = main(["check", "--content", str(scratch.content)])
    err = capsys.readouterr().err
    assert code == 2
    assert "content/cases/bad/en.yaml:5: region: 'mars' is not one of" in err
    assert "1 problem in the content" in err
    assert "Traceback" not in err


def test_build_with_errors_writes_nothing(scratch, capsys):
    scratch.case("good")
    scratch.case("bad", CASE.replace("kind: context", "kind: prologue"))
    code = main(["build", "-j", "1", "--content", str(scratch.content), "--out", str(scratch.out)])
    assert code == 2
    assert not scratch.out.exists()
    assert "sections[0].kind: 'prologue' is not one of" in capsys.readouterr().err


def test_missing_content_folder_is_a_clear_error(tmp_path, capsys):
    code = main(["build", "--content", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == 4
    assert "has no casebook.yaml" in err and "--content DIR" in err


@pytest.mark.parametrize("slug", ["casebook", "index"])
def test_a_case_folder_may_not_take_a_name_the_outputs_use(scratch, slug):
    """A case named `casebook` would overwrite the book, `index` the downloads page."""
    scratch.case(slug)
    scratch.case("other")
    assert problems(scratch) == [
        f"content/cases/{slug}/en.yaml:1: file: the folder name {slug!r} is a name casebook's "
        "own outputs use (casebook, index): rename the case folder"
    ]
