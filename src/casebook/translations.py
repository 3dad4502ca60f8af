"""Translations: fingerprints of the source text, each translation's status, and the
translators' commands (`new`, `stamp`).

A translation (`cases/<slug>/<lang>.yaml`) records in its `source:` block the fingerprint of
the source text it was made from, part by part (coalition, title, summary, each section,
cover). Comparing that record with the current source tells which parts changed since.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import CasebookError
from .model import SLUG, Case, Casebook, Edition, KeyPath
from .publish import write_atomic
from .schema import key_name, translatable
from .validate import CASE

STATUSES = ("current", "stale", "incomplete", "missing")
STAMP_COMMENT = "# Written by `casebook translations stamp`: the source text this file translates."


@dataclass(frozen=True)
class TranslationStatus:
    case: str
    language: str
    status: str
    details: tuple[str, ...] = ()


def _digest(value: Any) -> str:
    canonical = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def source_parts(case: Case) -> dict[str, Any]:
    """The fingerprint of each translatable part of a source-language case: each text, each
    list item as [its identifying keys…, its texts…], a mapping of one text as that text."""
    parts: dict[str, Any] = {}
    for key, value in translatable(CASE, asdict(case)).items():
        if isinstance(value, list):
            parts[key] = [_digest(list(item.values())) for item in value]
        elif isinstance(value, dict):
            parts[key] = _digest(next(iter(value.values())) if len(value) == 1 else value)
        elif value is not None:
            parts[key] = _digest(value)
    return parts


def source_stamp(case: Case) -> dict[str, Any]:
    parts = source_parts(case)
    return {"fingerprint": _digest(parts), "parts": parts}


def status_of(source: Case, edition: Edition) -> TranslationStatus:
    """The status of one case's translation in `edition`, from the model alone."""
    case = edition.case(source.slug)
    if case.translation is None:
        return TranslationStatus(
            source.slug, edition.language, "missing", (f"no {edition.language}.yaml",)
        )
    gaps = _gaps(source, case)
    changes = _changes(source, case.translation.stamp)
    status = "incomplete" if gaps else "stale" if changes else "current"
    return TranslationStatus(source.slug, edition.language, status, (*gaps, *changes))


def _gaps(source: Case, case: Case) -> list[str]:
    """The expected texts the translation leaves out, and bodies left in the source text."""
    fallbacks = case.translation.fallbacks
    gaps = [_describe(path, source) for path, expected in fallbacks if expected]
    fallen = {path for path, _ in fallbacks}
    if ("sections",) in fallen:
        return gaps
    for index, (original, translated) in enumerate(
        zip(source.sections, case.sections, strict=True)
    ):
        if ("sections", index, "body") not in fallen and _same(translated.body, original.body):
            gaps.append(f"{_section_name(index, original)}: body is still the source text")
    return gaps


def _describe(path: KeyPath, source: Case) -> str:
    if path == ("sections",):
        return "sections are missing"
    if path[0] == "sections":
        return f"{_section_name(path[1], source.sections[path[1]])}: {path[2]} is missing"
    return f"{key_name(path)} is missing"


def _changes(case: Case, stamp: Any) -> list[str]:
    if not isinstance(stamp, dict) or not isinstance(stamp.get("parts"), dict):
        return ["never stamped: run `casebook translations stamp` once it matches the source"]
    current = source_stamp(case)
    if stamp.get("fingerprint") == current["fingerprint"]:
        return []
    old, new = stamp["parts"], current["parts"]
    changed = [
        f"{key} changed"
        for key in ("coalition", "title", "summary", "cover")
        if old.get(key) != new.get(key) and (key in old or key in new)
    ]
    old_sections = old.get("sections") if isinstance(old.get("sections"), list) else []
    for index, section in enumerate(case.sections):
        if index >= len(old_sections) or old_sections[index] != new["sections"][index]:
            changed.append(f"{_section_name(index, section)} changed")
    return changed or ["the source changed"]


def _section_name(index: int, section) -> str:
    label = f" ({section.heading})" if section.heading else f" ({section.kind})"
    return f"sections[{index}]{label}"


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def all_statuses(casebook: Casebook) -> list[TranslationStatus]:
    """Every case × every translated language, in book order."""
    return [
        status_of(case, edition)
        for case in casebook.source.cases
        for edition in casebook.editions[1:]
    ]


# ---- The translators' commands ----


class _BlockDumper(yaml.SafeDumper):
    """YAML for people: long and multi-line texts as `|` blocks, keys in the given order."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=10_000)


def _stamp_block(case: Case) -> str:
    return f"{STAMP_COMMENT}\n" + _dump({"source": source_stamp(case)}) + "\n"


def new_translation(casebook: Casebook, language: str, slug: str) -> Path:
    """Write `cases/<slug>/<language>.yaml` with the source text in place, stamped."""
    case = _source_case(casebook, language, slug)
    target = case.folder / f"{language}.yaml"
    if target.exists():
        raise CasebookError(f"{target} exists already: edit it, or delete it first to start again")
    header = (
        f"# {language} translation of {case.folder.name}/{casebook.source.language}.yaml. "
        "Translate the texts below; keep every section's kind.\n"
        "# When it matches the source, run: casebook translations stamp "
        f"{language} {slug}\n"
    )
    body = _without_none(translatable(CASE, asdict(case)))
    write_atomic(target, (header + _stamp_block(case) + _dump(body)).encode("utf-8"))
    return target


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def stamp_translation(casebook: Casebook, language: str, slug: str) -> Path:
    """Record in the translation that it now matches the current source (text kept as it is).

    Only the `source:` block (and the comment above it) is rewritten; every other line of the
    file stays as the translator wrote it.
    """
    case = _source_case(casebook, language, slug)
    path = case.folder / f"{language}.yaml"
    if casebook.edition(language).case(slug).translation is None:
        raise CasebookError(
            f"{path} does not exist: start it with `casebook translations new {language} {slug}`"
        )
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"source\s*:", line)), None)
    if start is not None:
        end = start + 1
        while end < len(lines) and (lines[end][:1] in (" ", "\t", "\n") or not lines[end].strip()):
            end += 1
        if start > 0 and lines[start - 1].rstrip("\n") == STAMP_COMMENT:
            start -= 1
        del lines[start:end]
    header = 0
    while (
        header < len(lines)
        and lines[header].startswith("#")
        and lines[header].rstrip("\n") != STAMP_COMMENT
    ):
        header += 1
    lines[header:header] = [_stamp_block(case)]
    write_atomic(path, "".join(lines).encode("utf-8"))
    return path


def _source_case(casebook: Casebook, language: str, slug: str) -> Case:
    languages = casebook.languages[1:]
    if language not in languages:
        raise CasebookError(
            f"{language!r} is not a translation language of this publication "
            f"(languages in casebook.yaml: {', '.join(languages) or 'none besides the source'})"
        )
    if not SLUG.match(slug):
        raise CasebookError(f"{slug!r} is not a case slug (a folder name under cases/)")
    try:
        return casebook.source.case(slug)
    except KeyError:
        raise CasebookError(
            f"there is no case {slug!r}: the cases are "
            + ", ".join(c.slug for c in casebook.source.cases)
        ) from None


__all__ = [
    "STATUSES",
    "TranslationStatus",
    "all_statuses",
    "new_translation",
    "source_stamp",
    "stamp_translation",
    "status_of",
]
