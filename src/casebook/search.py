"""Stage 9, site: the search index of the web edition, `<out>/pagefind/`, made by Pagefind
(https://pagefind.app) from the case pages, one index per language (by each page's `lang`).

Pagefind's binary comes from PyPI (the `pagefind[bin]` extra, package `pagefind-bin`): nothing
is downloaded at build time. The index is written into a temporary folder and moved into place
whole, so that a reader never meets half of one. Pagefind runs while the build makes the
collection pages.
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


class Indexing:
    """Pagefind indexing the case pages under `out` in a process of its own, while the build
    goes on (the collection pages, the manifest); `finish` waits for it and moves the new index
    into `out/pagefind/`. With no case page there is no index."""

    def __init__(self, out: Path, temporary: Path):
        self.out, self.temporary = out, temporary
        self.process: subprocess.Popen | None = None
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
        self.work = Path(tempfile.mkdtemp(dir=temporary, prefix="pagefind-"))
        self.process = subprocess.Popen(
            [
                str(binary), "--site", str(out), "--glob", PAGES,
                "--output-path", str(self.work / SEARCH), "--silent",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip

    def cancel(self) -> None:
        """Stop Pagefind and remove what it wrote; the old index stays."""
        if self.process is None:
            return
        self.process.kill()
        self.process.communicate()
        shutil.rmtree(self.work, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.temporary.rmdir()

    def finish(self) -> None:
        if self.process is None:
            return
        try:
            _, errors = self.process.communicate()
            if self.process.returncode != 0:
                raise ProjectError(f"Pagefind could not index the pages: {errors.strip()}")
            old = self.work / "old"
            target = self.out / SEARCH
            if target.exists():
                target.rename(old)
            (self.work / SEARCH).rename(target)
        finally:
            shutil.rmtree(self.work, ignore_errors=True)
            with contextlib.suppress(OSError):  # the build's temporary folder, if it made it
                self.temporary.rmdir()
