"""`casebook new DIR`: a publication to start from, that checks and builds at once."""

from __future__ import annotations

import casebook
from casebook.cli import main
from casebook.translations import all_statuses


def test_new_writes_a_publication_that_checks_and_builds_without_a_warning(tmp_path):
    folder = tmp_path / "my-casebook"
    assert main(["new", str(folder), "-q"]) == 0
    written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert written == [
        "README.md",
        "content/casebook.es.stamp.yaml",
        "content/casebook.es.yaml",
        "content/casebook.yaml",
        "content/cases/example-coalition/en.yaml",
        "content/cases/example-coalition/es.stamp.yaml",
        "content/cases/example-coalition/es.yaml",
    ]
    book = casebook.check(folder / "content")
    assert list(book.languages) == ["en", "es"]
    statuses = [(s.case, s.status) for s in all_statuses(book)]
    assert statuses == [("example-coalition", "current"), ("casebook", "current")]  # stamped
    result = casebook.build(folder / "content", folder / "build", jobs=1, strict=True)
    made = sorted(f"{o.language}/{o.path.name}" for o in result.outputs)
    assert made == [
        "en/casebook.pdf",
        "en/example-coalition.pdf",
        "es/casebook.pdf",
        "es/example-coalition.pdf",
    ]
    assert result.warnings == []
    readme = (folder / "README.md").read_text()
    assert "content/casebook.yaml" in readme and "casebook build" in readme


def test_new_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["new", str(tmp_path)]) == 1
    assert "is not an empty folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    file = tmp_path / "notes.txt"
    assert main(["new", str(file)]) == 1
