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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import CasebookError
from .load import RawCase, RawProject
from .model import Case, Casebook
from .publish import write_atomic

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
    """The fingerprint of each translatable part of a source-language case."""
    parts: dict[str, Any] = {
        "coalition": _digest(case.coalition),
        "title": _digest(case.title),
        "summary": _digest(case.summary),
        "sections": [_digest([s.kind, s.heading, s.body]) for s in case.sections],
    }
    if case.cover is not None:
        parts["cover"] = _digest(case.cover.alt)
    return parts


def source_stamp(case: Case) -> dict[str, Any]:
    parts = source_parts(case)
    return {"fingerprint": _digest(parts), "parts": parts}


def status_of(case: Case, language: str, raw: RawCase | None) -> TranslationStatus:
    """The status of one case's translation into `language`."""
    loaded = raw.translations.get(language) if raw else None
    if loaded is None:
        return TranslationStatus(case.slug, language, "missing", (f"no {language}.yaml",))
    data = loaded.data if isinstance(loaded.data, dict) else {}
    gaps = _gaps(case, data)
    changes = _changes(case, data.get("source"))
    status = "incomplete" if gaps else "stale" if changes else "current"
    return TranslationStatus(case.slug, language, status, (*gaps, *changes))


def _gaps(case: Case, data: dict) -> list[str]:
    gaps = [f"{key} is missing" for key in ("title", "summary") if not _text(data.get(key))]
    sections = data.get("sections") if isinstance(data.get("sections"), list) else []
    if not sections:
        gaps.append("sections are missing")
    for index, (source, item) in enumerate(zip(case.sections, sections, strict=False)):
        item = item if isinstance(item, dict) else {}
        name = _section_name(index, source)
        if source.heading and not _text(item.get("heading")):
            gaps.append(f"{name}: heading is missing")
        body = _text(item.get("body"))
        if not body:
            gaps.append(f"{name}: body is missing")
        elif _same(body, source.body):
            gaps.append(f"{name}: body is still the source text")
    if case.cover is not None and not _text((data.get("cover") or {}).get("alt")):
        gaps.append("cover.alt is missing")
    return gaps


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


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def all_statuses(casebook: Casebook, raw: RawProject) -> list[TranslationStatus]:
    """Every case × every translated language, in book order."""
    raws = {r.slug: r for r in raw.cases}
    return [
        status_of(case, edition.language, raws.get(case.slug))
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
    body: dict[str, Any] = {
        "coalition": case.coalition,
        "title": case.title,
        "summary": case.summary,
        "sections": [
            {"kind": s.kind, **({"heading": s.heading} if s.heading else {}), "body": s.body}
            for s in case.sections
        ],
    }
    if case.cover is not None:
        body["cover"] = {"alt": case.cover.alt}
    header = (
        f"# {language} translation of {case.folder.name}/{casebook.source.language}.yaml. "
        "Translate the texts below; keep every section's kind.\n"
        "# When it matches the source, run: casebook translations stamp "
        f"{language} {slug}\n"
    )
    write_atomic(target, (header + _stamp_block(case) + _dump(body)).encode("utf-8"))
    return target


def stamp_translation(casebook: Casebook, raw: RawProject, language: str, slug: str) -> Path:
    """Record in the translation that it now matches the current source (text kept as it is)."""
    case = _source_case(casebook, language, slug)
    raw_case = next(r for r in raw.cases if r.slug == slug)
    loaded = raw_case.translations.get(language)
    if loaded is None:
        raise CasebookError(
            f"{case.folder / f'{language}.yaml'} does not exist: start it with "
            f"`casebook translations new {language} {slug}`"
        )
    lines = loaded.path.read_text(encoding="utf-8").splitlines(keepends=True)
    if isinstance(loaded.data, dict) and "source" in loaded.data:
        start = loaded.lines[("source",)] - 1
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
    write_atomic(loaded.path, "".join(lines).encode("utf-8"))
    return loaded.path


def _source_case(casebook: Casebook, language: str, slug: str) -> Case:
    languages = [e.language for e in casebook.editions[1:]]
    if language not in languages:
        raise CasebookError(
            f"{language!r} is not a translation language of this publication "
            f"(languages in casebook.yaml: {', '.join(languages) or 'none besides the source'})"
        )
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
        raise CasebookError(f"{slug!r} is not a case slug (a folder name under cases/)")
    try:
        return casebook.source.case(slug)
    except StopIteration:
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
