"""A small schema engine: rules for YAML data declared as data, every problem reported at once.

A `Mapping` lists its `Field`s; a field's check is a function (a value → the checked value, or
`Invalid` saying what is wrong) or a nested `Mapping` or `ListOf`, as MkDocs declares its
config with `SubConfig` and `ListOfItems`. `Checker.check` walks the data, reports each problem
with the line of its key, and returns plain checked values (dicts, tuples); building the model
from them is the caller's business (validate.py). Nothing here knows about casebook's content.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import Problem
from .load import Loaded
from .model import KeyPath, YearMonth


class Invalid(Exception):
    """Raised by a check: its message says what is wrong with the value."""


# ---- Checks of single values ----


def text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"must be text, not {kind_of(value)}")
    value = str(value).strip()
    if not value:
        raise Invalid("must not be empty")
    return value


def one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        value = text(value)
        if value not in choices:
            raise Invalid(f"{value!r} is not one of: {', '.join(choices)}")
        return value

    return check


def pattern(regex: re.Pattern[str], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        value = text(value)
        if not regex.match(value):
            raise Invalid(f"{value!r} is not {what}")
        return value

    return check


def year_month(value: Any) -> YearMonth:
    if hasattr(value, "year") and hasattr(value, "month"):
        raise Invalid(
            f"{value} is a full date: write the month only, as YYYY-MM "
            f"(e.g. {value.year:04d}-{value.month:02d})"
        )
    raw = text(value)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
    if not match:
        raise Invalid(f"{raw!r} is not a month: write YYYY-MM, e.g. 2020-11")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise Invalid(f"{raw!r} has month {month}: months run from 01 to 12")
    return YearMonth(year, month)


def text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list (one '- ' line per item), not {kind_of(value)}")
    if not value:
        raise Invalid("must list at least one")
    items = []
    for index, item in enumerate(value):
        try:
            items.append(text(item))
        except Invalid as exc:
            raise Invalid(f"item {index + 1} {exc}") from None
    return tuple(items)


def pattern_list(regex: re.Pattern[str], what: str) -> Callable[[Any], tuple[str, ...]]:
    def check(value: Any) -> tuple[str, ...]:
        items = text_list(value)
        for item in items:
            if not regex.match(item):
                raise Invalid(f"{item!r} is not {what}")
        return items

    return check


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, not {value!r}")
    return value


def any_value(value: Any) -> Any:
    """Accepts what YAML gave; the caller makes sense of it."""
    return value


# ---- Structures ----


@dataclass(frozen=True)
class Field:
    """One key of a mapping.

    `translated`: "expected" for a text that a translation should carry (a translation without
    it is incomplete), "optional" for one it may leave in the source language; `identifies`: a
    key that a translation repeats to say which item it translates (a section's kind).
    """

    name: str
    check: Callable[[Any], Any] | Mapping | ListOf
    required: bool = True
    translated: str | None = None
    identifies: bool = False


@dataclass(frozen=True)
class Mapping:
    fields: tuple[Field, ...]
    explain: dict[str, str] = field(default_factory=dict)  # unknown key → what to say

    def names(self) -> set[str]:
        return {f.name for f in self.fields}


@dataclass(frozen=True)
class ListOf:
    item: Mapping
    wrong: str  # what to say when the value is not a list of at least `min` items
    min: int = 0
    wrong_in_translation: str = ""  # the same for a translation, which may leave the list out


FAILED = object()


class Checker:
    """Checks the data of one loaded file and collects its problems."""

    def __init__(self, loaded: Loaded, problems: list[Problem]):
        self.loaded = loaded
        self.problems = problems

    def report(self, at: KeyPath, message: str) -> None:
        self.problems.append(
            Problem(self.loaded.display, self.loaded.line(at), key_name(at), message)
        )

    def check(self, schema: Mapping, data: Any = FAILED, at: KeyPath = ()) -> dict | None:
        """The checked values of `data` (the whole file by default), or None on any problem."""
        value = self._check(schema, self.loaded.data if data is FAILED else data, at)
        return None if value is FAILED else value

    def _check(self, rule, value: Any, at: KeyPath) -> Any:
        if isinstance(rule, Mapping):
            return self._mapping(rule, value, at)
        if isinstance(rule, ListOf):
            if not isinstance(value, list) or len(value) < rule.min:
                self.report(at, rule.wrong)
                return FAILED
            items = [self._check(rule.item, item, (*at, index)) for index, item in enumerate(value)]
            return FAILED if FAILED in items else tuple(items)
        try:
            return rule(value)
        except Invalid as exc:
            self.report(at, str(exc))
            return FAILED

    def _mapping(self, schema: Mapping, data: Any, at: KeyPath) -> Any:
        if not isinstance(data, dict):
            what = "empty" if data is None else kind_of(data)
            self.report(at, f"must be a mapping of keys to values, but is {what}")
            return FAILED
        values: dict[str, Any] = {}
        ok = True
        for item in schema.fields:
            if data.get(item.name) is None:
                if item.required:
                    self.report((*at, item.name), "is missing")
                    ok = False
                continue
            values[item.name] = self._check(item.check, data[item.name], (*at, item.name))
            ok = ok and values[item.name] is not FAILED
        known = schema.names()
        for key in data:
            if key not in known:
                default = f"is not a known key (known: {', '.join(sorted(known))})"
                self.report((*at, key), schema.explain.get(key, default))
                ok = False
        return values if ok else FAILED


# ---- Translations: derived from the same declarations ----


def translation_schema(schema: Mapping, explain: str = "") -> Mapping:
    """The keys a translation may give: the translated texts (all optional) and the keys that
    identify list items; any other key of `schema` is explained with `explain`."""
    fields = []
    for item in schema.fields:
        if isinstance(item.check, Mapping | ListOf):
            inner = item.check.item if isinstance(item.check, ListOf) else item.check
            sub = translation_schema(inner)
            if any(_translatable(f) for f in sub.fields):
                check = (
                    replace(item.check, item=sub, min=0, wrong=item.check.wrong_in_translation)
                    if isinstance(item.check, ListOf)
                    else sub
                )
                fields.append(replace(item, check=check, required=False))
        elif item.translated:
            fields.append(replace(item, required=False))
        elif item.identifies:
            fields.append(item)
    names = {f.name for f in fields}
    return Mapping(
        tuple(fields),
        {f.name: explain for f in schema.fields if f.name not in names} if explain else {},
    )


def overlay(
    schema: Mapping, source: dict, translated: dict, at: KeyPath = ()
) -> tuple[dict, list[tuple[KeyPath, bool]]]:
    """The source values with the translated ones laid over them, and the translated keys that
    fell back to the source (each with whether a translation is expected to give it).

    Lists are laid over item by item: a translation keeps its source's items in number and
    order (the caller checks that first).
    """
    merged, fallbacks = dict(source), []
    for item in schema.fields:
        if source.get(item.name) is None or not _translatable(item):
            continue
        path = (*at, item.name)
        given = translated.get(item.name)
        if given is None:
            fallbacks.append((path, item.translated != "optional"))
        elif isinstance(item.check, ListOf):
            items = []
            for index, (old, new) in enumerate(zip(source[item.name], given, strict=True)):
                value, more = overlay(item.check.item, old, new, (*path, index))
                items.append(value)
                fallbacks.extend(more)
            merged[item.name] = tuple(items)
        elif isinstance(item.check, Mapping):
            merged[item.name], more = overlay(item.check, source[item.name], given, path)
            fallbacks.extend(more)
        else:
            merged[item.name] = given
    return merged, fallbacks


def translatable(schema: Mapping, values: dict) -> dict:
    """The translatable texts of checked `values`, in the schema's order (None kept where a
    text is absent), with the keys that identify list items."""
    out: dict[str, Any] = {}
    for item in schema.fields:
        value = values.get(item.name)
        if not _translatable(item) and not item.identifies:
            continue
        if isinstance(item.check, ListOf) and value is not None:
            out[item.name] = [translatable(item.check.item, v) for v in value]
        elif isinstance(item.check, Mapping) and value is not None:
            out[item.name] = translatable(item.check, value)
        elif not isinstance(item.check, Mapping | ListOf):
            out[item.name] = value
    return out


def _translatable(item: Field) -> bool:
    if isinstance(item.check, ListOf):
        return any(_translatable(f) for f in item.check.item.fields)
    if isinstance(item.check, Mapping):
        return any(_translatable(f) for f in item.check.fields)
    return item.translated is not None


def key_name(keypath: KeyPath) -> str:
    """("sections", 2, "kind") → "sections[2].kind"; () → "file"."""
    out = ""
    for part in keypath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def kind_of(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), "a value")
