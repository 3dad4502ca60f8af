"""Stage 9, site: the search index of the web edition, `<out>/pagefind/`, made by Pagefind
(https://pagefind.app) from the case pages, one index per language (by each page's `lang`).

Pagefind's binary comes from PyPI (the `pagefind[bin]` extra, package `pagefind-bin`): nothing
is downloaded at build time. The index is written into a temporary folder and moved into place
whole, so that a reader never meets half of one.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import ProjectError

SEARCH = "pagefind"  # the index's folder in the output folder
PAGES = "*/*/index.html"  # the case pages, <lang>/<slug>/index.html, relative to the output


def index_pages(out: Path, temporary: Path) -> None:
    """Make `out/pagefind/` again from the case pages under `out` (none: no index)."""
    if not any(out.glob(PAGES)):
        shutil.rmtree(out / SEARCH, ignore_errors=True)
        return
    try:
        from pagefind_bin import get_executable

        binary = get_executable()
    except (ImportError, FileNotFoundError) as exc:
        raise ProjectError(
            f"Pagefind's binary is missing ({exc}): reinstall casebook, which needs the "
            "pagefind[bin] package for the web edition's search"
        ) from None
    temporary.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=temporary, prefix="pagefind-") as work:
        bundle = Path(work) / SEARCH
        done = subprocess.run(
            [
                str(binary), "--site", str(out), "--glob", PAGES,
                "--output-path", str(bundle), "--silent",
            ],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise ProjectError(f"Pagefind could not index the pages: {done.stderr.strip()}")
        old = Path(work) / "old"
        target = out / SEARCH
        if target.exists():
            target.rename(old)
        bundle.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    with contextlib.suppress(OSError):  # the build's temporary folder, if it made it
        temporary.rmdir()
