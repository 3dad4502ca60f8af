"""The schema engine on its own: checks of single values, `Checker` with the line of every
problem, and what translations derive from the same declarations. No casebook content here."""

from __future__ import annotations

import datetime
import re
import textwrap
from pathlib import Path

import pytest

from casebook.errors import Problem
from casebook.load import Loaded, load_yaml
from casebook.model import YearMonth
from casebook.schema import (
    Checker,
    Field,
    Invalid,
    ListOf,
    Mapping,
    any_value,
    boolean,
    key_name,
    one_of,
    overlay,
    pattern,
    pattern_list,
    text,
    text_list,
    translatable,
    translation_schema,
    year_month,
)

WORD = re.compile(r"^[a-z]+$")
KINDS = ("intro", "body", "end")

SECTION = Mapping(
    (
        Field("kind", one_of(KINDS), identifies=True),
        Field("heading", text, required=False, translated="expected"),
        Field("body", text, translated="expected"),
    )
)
PICTURE = Mapping((Field("image", text), Field("alt", text, translated="expected")))
DOCUMENT = Mapping(
    (
        Field("title", text, translated="expected"),
        Field("name", text, translated="optional"),
        Field("date", year_month),
        Field("slug", pattern(WORD, "a lowercase word"), required=False),
        Field("authors", text_list),
        Field("tags", pattern_list(WORD, "a lowercase word"), required=False),
        Field("draft", boolean, required=False),
        Field("picture", PICTURE, required=False),
        Field(
            "sections",
            ListOf(SECTION, "must list sections", min=1, wrong_in_translation="must be a list"),
        ),
        Field("notes", any_value, required=False),
    ),
    explain={"subtitle": "belongs in the other file"},
)

VALID = """\
title: A title
name: A name
date: 2020-11
slug: word
authors: [One, Two]
tags: [red, blue]
draft: false
picture:
  image: cover.png
  alt: A picture
sections:
  - kind: intro
    body: Intro text.
  - kind: body
    heading: A heading
    body: Body text.
notes: {anything: [1, 2]}
"""


def line_of(text: str, needle: str, start: int = 1) -> int:
    lines = text.splitlines()
    return next(n for n, line in enumerate(lines, 1) if n >= start and needle in line)


def read(tmp_path: Path, text: str) -> Loaded:
    path = tmp_path / "doc.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    loaded = load_yaml(path, "doc.yaml")
    assert isinstance(loaded, Loaded), loaded
    return loaded


def check(loaded: Loaded, schema: Mapping = DOCUMENT) -> tuple[dict | None, list[Problem]]:
    problems: list[Problem] = []
    return Checker(loaded, problems).check(schema), problems


def invalid(check, value) -> str:
    with pytest.raises(Invalid) as info:
        check(value)
    return str(info.value)


# ---- Checks of single values ----


def test_text():
    assert text("  padded  ") == "padded"
    assert text(12) == "12"
    assert text(1.5) == "1.5"
    assert invalid(text, True) == "must be text, not true/false"
    assert invalid(text, ["a"]) == "must be text, not a list"
    assert invalid(text, {"a": 1}) == "must be text, not a mapping"
    assert invalid(text, None).startswith("must be text, not ")
    assert invalid(text, "  \n ") == "must not be empty"


def test_one_of():
    check = one_of(KINDS)
    assert check(" body ") == "body"
    assert invalid(check, "Body") == f"'Body' is not one of: {', '.join(KINDS)}"
    assert invalid(check, "") == "must not be empty"
    assert invalid(check, False) == "must be text, not true/false"


def test_pattern():
    check = pattern(WORD, "a lowercase word")
    assert check("word") == "word"
    assert invalid(check, "Two words") == "'Two words' is not a lowercase word"
    assert invalid(check, [1]) == "must be text, not a list"


@pytest.mark.parametrize("value", ["2020-11", "1999-01", "2021-3", " 2022-12 "])
def test_year_month(value):
    year, month = value.strip().split("-")
    assert year_month(value) == YearMonth(int(year), int(month))


@pytest.mark.parametrize("day", [datetime.date(2020, 11, 5), datetime.datetime(2020, 11, 5, 9)])
def test_year_month_refuses_a_full_date_and_says_what_to_write(day):
    message = invalid(year_month, day)
    assert "is a full date" in message
    assert f"{day.year:04d}-{day.month:02d}" in message


def test_year_month_refuses_a_full_date_as_yaml_gives_it(tmp_path):
    loaded = read(tmp_path, "date: 2020-11-05\n")
    assert isinstance(loaded.data["date"], datetime.date)  # YAML's timestamp, not text
    assert "e.g. 2020-11)" in invalid(year_month, loaded.data["date"])


@pytest.mark.parametrize("month", [0, 13])
def test_year_month_refuses_a_month_out_of_range(month):
    raw = f"2021-{month:02d}"
    assert invalid(year_month, raw) == f"{raw!r} has month {month}: months run from 01 to 12"


@pytest.mark.parametrize("value", ["November 2020", "2020", "2020-11-05", "20-11", "2020/11"])
def test_year_month_refuses_what_is_not_a_month(value):
    assert invalid(year_month, value).startswith(f"{value!r} is not a month")


def test_text_list():
    assert text_list(["a", " b ", 3]) == ("a", "b", "3")
    assert invalid(text_list, []) == "must list at least one"
    assert invalid(text_list, "a").startswith("must be a list (one '- ' line per item), not ")
    assert invalid(text_list, ["a", "", "c"]) == "item 2 must not be empty"
    assert invalid(text_list, ["a", "b", ["c"]]) == "item 3 must be text, not a list"


def test_pattern_list():
    check = pattern_list(WORD, "a lowercase word")
    assert check(["red", "blue"]) == ("red", "blue")
    assert invalid(check, ["red", "Blue Green"]) == "'Blue Green' is not a lowercase word"
    assert invalid(check, []) == "must list at least one"


def test_boolean():
    assert boolean(True) is True
    assert boolean(False) is False
    for value in ("yes", "true", 1, 0, None):
        assert invalid(boolean, value) == f"must be true or false, not {value!r}"


@pytest.mark.parametrize(
    ("keypath", "name"),
    [((), "file"), (("title",), "title"), (("sections", 2, "kind"), "sections[2].kind")],
)
def test_key_name(keypath, name):
    assert key_name(keypath) == name


# ---- Checker ----


def test_valid_data_gives_plain_checked_values(tmp_path):
    values, problems = check(read(tmp_path, VALID))
    assert problems == []
    assert values == {
        "title": "A title",
        "name": "A name",
        "date": YearMonth(2020, 11),
        "slug": "word",
        "authors": ("One", "Two"),
        "tags": ("red", "blue"),
        "draft": False,
        "picture": {"image": "cover.png", "alt": "A picture"},
        "sections": (
            {"kind": "intro", "body": "Intro text."},
            {"kind": "body", "heading": "A heading", "body": "Body text."},
        ),
        "notes": {"anything": [1, 2]},
    }


def test_optional_keys_left_out_or_null_are_absent_from_the_values(tmp_path):
    minimal = "title: T\nname: N\ndate: 2020-11\nauthors: [A]\nsections: [{kind: end, body: B}]\n"
    values, problems = check(read(tmp_path, minimal + "slug:\ndraft: null\n"))
    assert problems == []
    assert set(values) == {"title", "name", "date", "authors", "sections"}


def test_every_problem_is_reported_with_the_line_of_its_key(tmp_path):
    bad = (
        VALID.replace("title: A title\n", "")  # required key missing
        .replace("date: 2020-11", "date: 2020-13")
        .replace("slug: word", "slug: Two Words")
        .replace("draft: false", "draft: maybe")
        .replace("  alt: A picture\n", "  alt: A picture\n  credit: Someone\n")  # unknown nested
        .replace("  - kind: body\n", "  - kind: bogus\n")  # nested list item, bad value
        .replace("    body: Intro text.\n", "")  # nested list item, key missing
        + "subtitle: explained\nextra: unknown\n"
    )
    loaded = read(tmp_path, bad)
    values, problems = check(loaded)
    assert values is None
    known = ", ".join(sorted(f.name for f in DOCUMENT.fields))
    first = line_of(bad, "- kind: intro")

    def at(key: str, needle: str, message: str) -> Problem:
        return Problem("doc.yaml", line_of(bad, needle), key, message)

    assert sorted(problems) == sorted(
        [
            Problem("doc.yaml", 1, "title", "is missing"),
            at("date", "date:", "'2020-13' has month 13: months run from 01 to 12"),
            at("slug", "slug:", "'Two Words' is not a lowercase word"),
            at("draft", "draft:", "must be true or false, not 'maybe'"),
            at("picture.credit", "credit:", "is not a known key (known: alt, image)"),
            Problem("doc.yaml", first, "sections[0].body", "is missing"),
            at("sections[1].kind", "bogus", f"'bogus' is not one of: {', '.join(KINDS)}"),
            at("subtitle", "subtitle:", "belongs in the other file"),
            at("extra", "extra:", f"is not a known key (known: {known})"),
        ]
    )


def test_a_list_that_is_not_one_or_too_short(tmp_path):
    for given in ("sections: []\n", "sections: intro\n", "sections: {kind: intro}\n"):
        text_ = VALID[: VALID.index("sections:")] + given
        values, problems = check(read(tmp_path, text_))
        assert values is None
        assert problems == [
            Problem("doc.yaml", line_of(text_, "sections:"), "sections", "must list sections")
        ]


def test_a_list_item_or_nested_value_that_is_not_a_mapping(tmp_path):
    bad = VALID.replace("  - kind: intro\n    body: Intro text.\n", "  - just text\n").replace(
        "picture:\n  image: cover.png\n  alt: A picture\n", "picture: [cover.png]\n"
    )
    _, problems = check(read(tmp_path, bad))
    assert sorted(problems) == sorted(
        [
            Problem(
                "doc.yaml",
                line_of(bad, "- just text"),
                "sections[0]",
                "must be a mapping of keys to values, but is a value",
            ),
            Problem(
                "doc.yaml",
                line_of(bad, "picture:"),
                "picture",
                "must be a mapping of keys to values, but is a list",
            ),
        ]
    )


@pytest.mark.parametrize(("text_", "what"), [("", "empty"), ("- a\n- b\n", "a list")])
def test_a_file_that_is_not_a_mapping(tmp_path, text_, what):
    values, problems = check(read(tmp_path, text_))
    assert values is None
    assert problems == [
        Problem("doc.yaml", 1, "file", f"must be a mapping of keys to values, but is {what}")
    ]


def test_problems_are_added_to_the_callers_list(tmp_path):
    earlier = Problem("other.yaml", 3, "x", "an earlier problem")
    problems = [earlier]
    Checker(read(tmp_path, "title: T\n"), problems).check(DOCUMENT)
    assert problems[0] == earlier
    assert {p.key for p in problems[1:]} == {"name", "date", "authors", "sections"}


def test_check_a_part_of_the_data_at_its_key_path(tmp_path):
    loaded = read(tmp_path, VALID)
    problems: list[Problem] = []
    checker = Checker(loaded, problems)
    assert checker.check(PICTURE, loaded.data["picture"], ("picture",)) == {
        "image": "cover.png",
        "alt": "A picture",
    }
    given = {"kind": "intro", "body": "B", "note": "not in the file"}
    assert checker.check(SECTION, given, ("sections", 0)) is None
    assert problems == [
        Problem(
            "doc.yaml",
            line_of(VALID, "- kind: intro"),  # the key is not in the file: its item's line
            "sections[0].note",
            "is not a known key (known: body, heading, kind)",
        )
    ]


# ---- Translations ----

TRANSLATION = translation_schema(DOCUMENT, "stays in the source file")


def field(schema: Mapping, name: str) -> Field:
    return next(f for f in schema.fields if f.name == name)


def test_translation_schema_keeps_translated_texts_optional_and_identifying_keys():
    assert [f.name for f in TRANSLATION.fields] == ["title", "name", "picture", "sections"]
    assert not any(f.required for f in TRANSLATION.fields)
    picture = field(TRANSLATION, "picture").check
    assert isinstance(picture, Mapping)
    assert [(f.name, f.required) for f in picture.fields] == [("alt", False)]
    sections = field(TRANSLATION, "sections").check
    assert isinstance(sections, ListOf)
    assert (sections.min, sections.wrong) == (0, "must be a list")
    assert [(f.name, f.required) for f in sections.item.fields] == [
        ("kind", True),  # says which section a translated one is
        ("heading", False),
        ("body", False),
    ]


def test_translation_schema_explains_every_other_key():
    others = {f.name for f in DOCUMENT.fields} - {f.name for f in TRANSLATION.fields}
    assert TRANSLATION.explain == dict.fromkeys(others, "stays in the source file")
    assert translation_schema(DOCUMENT).explain == {}


def test_a_translation_checked_with_its_schema(tmp_path):
    text_ = """\
        title: Un título
        date: 2021-01
        sections:
          - kind: intro
            body: Texto.
          - heading: Sin tipo
        """
    loaded = read(tmp_path, text_)
    values, problems = check(loaded, TRANSLATION)
    assert values is None
    body = textwrap.dedent(text_)
    assert sorted(problems) == [
        Problem("doc.yaml", line_of(body, "date:"), "date", "stays in the source file"),
        Problem("doc.yaml", line_of(body, "- heading:"), "sections[1].kind", "is missing"),
    ]
    assert check(read(tmp_path, "title: Solo el título\n"), TRANSLATION) == (
        {"title": "Solo el título"},
        [],
    )
    assert check(read(tmp_path, "sections: []\n"), TRANSLATION)[1] == []
    (wrong,) = check(read(tmp_path, "sections: texto\n"), TRANSLATION)[1]
    assert (wrong.key, wrong.message) == ("sections", "must be a list")


def test_translation_schema_keeps_texts_nested_two_levels_down():
    inner = Mapping((Field("text", text, translated="expected"), Field("code", text)))
    item = Mapping((Field("id", text, identifies=True), Field("inner", inner)))
    schema = Mapping((Field("items", ListOf(item, "wrong")),))
    source = {"items": ({"id": "a", "inner": {"text": "T", "code": "C"}},)}
    assert translatable(schema, source) == {"items": [{"id": "a", "inner": {"text": "T"}}]}
    assert [f.name for f in translation_schema(schema).fields] == ["items"]


SOURCE = {
    "title": "A title",
    "name": "A name",
    "date": YearMonth(2020, 11),
    "authors": ("One",),
    "picture": {"image": "cover.png", "alt": "A picture"},
    "sections": (
        {"kind": "intro", "body": "Intro text."},
        {"kind": "body", "heading": "A heading", "body": "Body text."},
    ),
}


def test_overlay_lays_translated_texts_over_the_source_and_records_fallbacks():
    translated = {
        "title": "Un título",
        "date": YearMonth(1999, 1),  # not translatable: ignored
        "picture": {"alt": "Una imagen"},
        "sections": ({"kind": "intro", "body": "Texto."}, {"kind": "body", "heading": "Título"}),
    }
    merged, fallbacks = overlay(DOCUMENT, SOURCE, translated)
    assert merged == {
        **SOURCE,
        "title": "Un título",
        "picture": {"image": "cover.png", "alt": "Una imagen"},
        "sections": (
            {"kind": "intro", "body": "Texto."},
            {"kind": "body", "heading": "Título", "body": "Body text."},
        ),
    }
    # name is "optional"; section 0 has no heading in the source, so none is expected of it.
    assert sorted(fallbacks, key=str) == sorted(
        [(("name",), False), (("sections", 1, "body"), True)], key=str
    )


def test_overlay_of_an_empty_translation_falls_back_on_every_translatable_key():
    merged, fallbacks = overlay(DOCUMENT, SOURCE, {})
    assert merged == SOURCE
    assert fallbacks == [
        (("title",), True),
        (("name",), False),
        (("picture",), True),
        (("sections",), True),
    ]


def test_overlay_leaves_its_arguments_alone():
    source = {"title": "A", "name": "B"}
    translated = {"title": "C"}
    merged, _ = overlay(DOCUMENT, source, translated)
    assert merged == {"title": "C", "name": "B"}
    assert (source, translated) == ({"title": "A", "name": "B"}, {"title": "C"})


def test_translatable_gives_the_texts_in_schema_order_with_identifying_keys():
    out = translatable(DOCUMENT, SOURCE)
    assert out == {
        "title": "A title",
        "name": "A name",
        "picture": {"alt": "A picture"},
        "sections": [
            {"kind": "intro", "heading": None, "body": "Intro text."},
            {"kind": "body", "heading": "A heading", "body": "Body text."},
        ],
    }
    assert list(out) == [f.name for f in DOCUMENT.fields if f.name in out]
    assert list(out["sections"][0]) == [f.name for f in SECTION.fields]


def test_translatable_keeps_an_absent_text_as_none_and_leaves_out_an_absent_mapping():
    out = translatable(DOCUMENT, {"title": "T", "sections": ()})
    assert out == {"title": "T", "name": None, "sections": []}
