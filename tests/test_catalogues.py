"""Every fixed word of the layouts is in every message catalogue, translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from .conftest import ROOT

CATALOGUES = sorted((ROOT / "layouts" / "locale").glob("*.po"))


def template_messages() -> set:
    method_map = [("layouts/**.j2", "jinja2")]
    options = {"layouts/**.j2": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map=options
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_there_is_a_catalogue_per_translated_language():
    assert [p.stem for p in CATALOGUES] == ["es"]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.stem)
def test_catalogue_translates_every_message_of_the_templates(path: Path):
    with path.open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        (m.id if isinstance(m.id, str) else tuple(m.id))
        for m in catalog
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = template_messages() - translated
    assert not missing, f"{path.name} lacks: {sorted(map(str, missing))}"
