"""Stage 2, load: YAML files → plain data plus the line of every key.

Uses PyYAML's safe loader only (no Python tags), refuses aliases (no "billion laughs") and files
over a size limit, and keeps PyYAML's line and column for syntax errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem
from .model import LANGUAGE, KeyPath

MAX_FILE_BYTES = 2 * 1024 * 1024
STAMP_SUFFIX = ".stamp.yaml"  # <lang>.stamp.yaml: what a translation was stamped against


@dataclass
class Loaded:
    """A YAML document's data with the 1-based line of each key path (("sections", 0, "kind"))."""

    path: Path
    display: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, keypath: KeyPath) -> int:
        """The line of `keypath`, or of its nearest parent that has one."""
        while keypath not in self.lines and keypath:
            keypath = keypath[:-1]
        return self.lines.get(keypath, 1)


# libyaml's parser when PyYAML has it (about ten times faster), with the same safe constructor;
# a file it refuses is read again by PyYAML's own parser, whose messages casebook shows.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path, display: str, loader_class=FAST_LOADER) -> Loaded | Problem:
    """Read one YAML file; a `Problem` instead when it cannot be read as safe, plain YAML."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Problem(
                display,
                1,
                "file",
                f"is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}: split the text or shorten it",
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return Problem(
            display,
            1,
            "file",
            f"is not UTF-8 text ({exc.reason} at byte {exc.start}): save it as UTF-8",
        )
    except OSError as exc:
        return Problem(display, 1, "file", f"cannot be read: {exc.strerror}")
    loader = None
    try:
        loader = loader_class(text)
        node = loader.get_single_node()
        if node is None:
            return Loaded(path, display, None)
        refused = _refused(node)
        if refused is not None:
            where, message = refused
            return Problem(display, where.start_mark.line + 1, "yaml", message)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        if loader_class is not yaml.SafeLoader:
            return load_yaml(path, display, yaml.SafeLoader)
        return _yaml_problem(exc, text, display)
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[KeyPath, int] = {}
    _record_lines(node, (), lines)
    return Loaded(path, display, data, lines)


def _yaml_problem(exc: yaml.YAMLError, text: str, display: str) -> Problem:
    """What PyYAML's own parser says about a file it cannot read, with its line."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = f", column {mark.column + 1}" if mark else ""
        what = exc.problem or exc.context or "syntax error"
        return Problem(display, line, "yaml", f"YAML syntax error{column}: {what}")
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return Problem(
            display,
            line,
            "yaml",
            f"the file holds the control character "
            f"U+{exc.character:04X}, which YAML does not allow: delete it",
        )
    return Problem(display, 1, "yaml", f"YAML error: {exc}")


def _refused(root: yaml.Node) -> tuple[yaml.Node, str] | None:
    """The first node that content files may not have, and why: a node reached twice (what an
    alias makes in a composed YAML graph), or a key given twice in one mapping."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node, (
                "anchors and aliases (&name, *name) are not allowed in content files: "
                "write the value out"
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        return key, (
                            f"the key {key.value!r} is given twice in one mapping: keep one "
                            "of them (YAML would silently keep the last)"
                        )
                    keys.add(key.value)
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def _record_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                child = (*path, key.value)
                lines[child] = key.start_mark.line + 1
                _record_lines(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


@dataclass
class RawCase:
    """One case folder: its slug, folder, the source-language file and its translations."""

    slug: str
    folder: Path
    source: Loaded
    translations: dict[str, Loaded] = field(default_factory=dict)


@dataclass
class RawProject:
    """Everything read from a content folder, before validation."""

    content_dir: Path
    publication: Loaded
    cases: list[RawCase]
    problems: list[Problem]
    publication_translations: dict[str, Loaded] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    source_language: str = "en"


def load_content(content_dir: Path) -> RawProject:
    """Read `casebook.yaml`, `casebook.<lang>.yaml` and every `cases/<slug>/<lang>.yaml`."""
    problems: list[Problem] = []
    display_root = content_dir.name or str(content_dir)

    def display(path: Path) -> str:
        return f"{display_root}/{path.relative_to(content_dir).as_posix()}"

    def read(path: Path) -> Loaded | None:
        loaded = load_yaml(path, display(path))
        if isinstance(loaded, Problem):
            problems.append(loaded)
            return None
        return loaded

    pub_path = content_dir / "casebook.yaml"
    publication = read(pub_path) or Loaded(pub_path, display(pub_path), None)
    settings = publication.data if isinstance(publication.data, dict) else {}
    source_language = settings.get("source_language")
    source_language = source_language if isinstance(source_language, str) else "en"
    languages = settings.get("languages")
    translated_languages = tuple(
        lang
        for lang in (languages if isinstance(languages, list) else [])
        if isinstance(lang, str) and LANGUAGE.match(lang) and lang != source_language
    )

    raw = RawProject(
        content_dir, publication, [], problems, {}, translated_languages, source_language
    )
    for lang in translated_languages:
        path = content_dir / f"casebook.{lang}.yaml"
        if path.is_file() and (loaded := read(path)) is not None:
            raw.publication_translations[lang] = loaded

    cases_dir = content_dir / "cases"
    folders = sorted(p for p in cases_dir.iterdir() if p.is_dir()) if cases_dir.is_dir() else []
    for folder in folders:
        if folder.name.startswith("."):
            continue
        path = folder / f"{source_language}.yaml"
        if not path.is_file():
            problems.append(
                Problem(
                    display(folder),
                    1,
                    "case",
                    f"has no {path.name}: every case folder needs its source-language file "
                    f"({source_language}.yaml)",
                )
            )
            continue
        source = read(path)
        if source is None:
            continue
        case = RawCase(folder.name, folder, source)
        for other in sorted(folder.glob("*.yaml")):
            if other.name.endswith(STAMP_SUFFIX):
                continue  # a translation's stamp: read by the translators' commands only
            lang = other.stem
            if lang == source_language:
                continue
            if lang not in translated_languages:
                problems.append(
                    Problem(
                        display(other),
                        1,
                        "file",
                        f"{lang!r} is not one of the publication's languages "
                        f"({', '.join(translated_languages) or 'none besides the source'}): "
                        "add it to languages in casebook.yaml or rename the file",
                    )
                )
                continue
            if (loaded := read(other)) is not None:
                case.translations[lang] = loaded
        raw.cases.append(case)
    return raw
