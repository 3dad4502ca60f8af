"""The docs agree with the code: the exit codes, the table of stages, the module docstrings and
the message-extraction command."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from casebook.errors import EXIT_CODES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "src" / "casebook"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]

EXIT_HEADER = ["code", "meaning"]
STAGE_HEADER = ["#", "stage", "modules", "in → out"]
MODULE_HEADER = ["module", "what"]

# How a module docstring may name its stage: "Stage 4, plan: …", "Stages 5–6, make: …" or
# "Stage plan (see docs/architecture.md)".
NUMBERED = re.compile(r"Stages? (?P<number>\d+(?:–\d+)?), (?P<name>[a-z][a-z ]*?):")
BY_NAME = re.compile(r"Stage (?P<name>[a-z][a-z ]*?) \(see docs/architecture\.md\)")


def cells(line: str) -> list[str]:
    line = line.strip()
    if not line.startswith("|"):
        return []
    return [cell.strip() for cell in line.strip("|").split("|")]


def tables(text: str, header: list[str]) -> list[list[list[str]]]:
    """The rows of every Markdown table in `text` whose header row is `header`."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        if cells(line) == header:
            rows = []
            for row in lines[index + 2 :]:
                if not cells(row):
                    break
                rows.append(cells(row))
            found.append(rows)
    return found


def table(path: Path, header: list[str]) -> list[list[str]]:
    found = tables(path.read_text(encoding="utf-8"), header)
    assert len(found) == 1, f"{path.name}: {len(found)} tables headed {header}, expected 1"
    return found[0]


def modules_in(cell: str) -> list[str]:
    return re.findall(r"`([\w.]+\.py)`", cell)


def stages() -> list[tuple[str, str, list[str]]]:
    """(number, name, modules) for every row of the table of stages."""
    rows = table(DOCS / "architecture.md", STAGE_HEADER)
    return [(number, name, modules_in(modules)) for number, name, modules, _ in rows]


def docstring(module: Path) -> str:
    return ast.get_docstring(ast.parse(module.read_text(encoding="utf-8"))) or ""


def test_exit_codes_in_commands_md_are_those_of_errors_py():
    rows = table(DOCS / "commands.md", EXIT_HEADER)
    documented = {int(code): " ".join(meaning.split()) for code, meaning in rows}
    assert len(documented) == len(rows), "a code is listed twice"
    assert sorted(documented) == sorted(EXIT_CODES), "codes differ from errors.EXIT_CODES"
    for code, meaning in EXIT_CODES.items():
        assert documented[code] == " ".join(meaning.split()), f"exit code {code}"


def test_the_tables_of_exit_codes_and_stages_appear_once():
    for header, owner in ((EXIT_HEADER, "commands.md"), (STAGE_HEADER, "architecture.md")):
        where = [p.name for p in PAGES for _ in tables(p.read_text(encoding="utf-8"), header)]
        assert where == [owner], f"the table headed {header} is on {where}, not only {owner}"


def test_architecture_md_names_every_module_and_only_modules_that_exist():
    in_stages = {m for _, _, modules in stages() for m in modules}
    others = table(DOCS / "architecture.md", MODULE_HEADER)
    beside = {m for row in others for m in modules_in(row[0])}
    on_disk = {p.name for p in PACKAGE.glob("*.py")}
    assert sorted(in_stages - on_disk) == [], "the stages table names modules that do not exist"
    assert sorted(beside - on_disk) == [], "the modules table names modules that do not exist"
    assert sorted(on_disk - in_stages - beside) == [], "modules missing from architecture.md"


def test_module_docstrings_name_their_stage_as_the_table_does():
    rows = stages()
    problems = []
    for module in sorted(PACKAGE.glob("*.py")):
        text = docstring(module)
        for mention in re.finditer(r"\bStages?\b", text):
            match = NUMBERED.match(text, mention.start()) or BY_NAME.match(text, mention.start())
            if match is None:
                problems.append(f"{module.name}: {text[mention.start() :].splitlines()[0]!r}")
                continue
            number, name = match.groupdict().get("number"), match["name"]
            if not any(
                name == n and number in (None, k) and module.name in ms for k, n, ms in rows
            ):
                problems.append(f"{module.name}: {match[0]!r} is not its row of the table")
    for number, name, modules in rows:  # each stage's first module says which stage it is
        said = rf"Stages? {number}, {name}:|Stage {name} \(see docs/architecture\.md\)"
        if not re.search(said, docstring(PACKAGE / modules[0])):
            problems.append(f"{modules[0]}: its docstring does not say 'Stage {number}, {name}:'")
    assert problems == []


def test_build_py_follows_the_stages_in_order():
    single = [(int(number), name) for number, name, _ in stages() if number.isdigit()]
    names = [name for _, name in sorted(single)]
    first_line = docstring(PACKAGE / "build.py").splitlines()[0]
    assert first_line.split(": ", 1)[1].rstrip(".").split(" → ") == names
    # The numbered comments in build() ("# 1–3. Find …", "# 4. Plan …") cover every stage.
    source = (PACKAGE / "build.py").read_text(encoding="utf-8")
    comments = "\n".join(line for line in source.splitlines() if line.strip().startswith("#"))
    numbered = set()
    for first, last in re.findall(r"\b(\d+)(?:[-–](\d+))?\. [A-Za-z]", comments):
        numbered.update(range(int(first), int(last or first) + 1))
    assert sorted(numbered) == [number for number, _ in sorted(single)]


def test_the_documented_extract_command_is_babel_cfg_s_and_works(tmp_path, monkeypatch):
    documented = re.findall(r"^pybabel extract .*$", (DOCS / "translations.md").read_text(), re.M)
    in_cfg = re.findall(r"^# (pybabel extract .*)$", (ROOT / "babel.cfg").read_text(), re.M)
    assert len(documented) == 1
    assert in_cfg == documented
    args = shlex.split(documented[0])
    args[args.index("-o") + 1] = str(tmp_path / "casebook.pot")
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run(["pybabel", "-q", *args[1:]])
    with (tmp_path / "casebook.pot").open("rb") as handle:
        messages = [m for m in read_po(handle) if m.id]
    assert messages, "the documented command extracts no message from the layouts"
    assert all(path.startswith("layouts/") for m in messages for path, _ in m.locations)
