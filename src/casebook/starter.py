"""`casebook new DIR`: a small publication to start from, that passes `check` and builds at once.

The files are data that ship with the package (`casebook/starter/`): a README that says what
to edit, `content/casebook.yaml` and its Spanish translation, and one example case with its
Spanish translation, stamped here (`<lang>.stamp.yaml`) so that they are current whatever the
starter's text.
"""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

from .errors import CasebookError
from .subjects import PUBLICATION_NAME
from .translations import stamp_translation

EXAMPLE = "example-coalition"


def new_project(folder: Path | str) -> list[Path]:
    """Write the starter publication into `folder` (new, or empty): the files written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise CasebookError(
            f"{folder} is not an empty folder: casebook new writes only into a new or empty "
            "folder, so that nothing of yours is overwritten"
        )
    with as_file(files("casebook") / "starter") as starter:
        shutil.copytree(starter, folder, dirs_exist_ok=True)
    from .build import check  # the project as written, to stamp its translation

    casebook = check(folder / "content")
    for language in casebook.languages[1:]:
        stamp_translation(casebook, language, EXAMPLE)
        if (folder / "content" / f"casebook.{language}.yaml").is_file():
            stamp_translation(casebook, language, PUBLICATION_NAME)
    return sorted(p for p in folder.rglob("*") if p.is_file())
