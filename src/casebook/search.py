"""Stage 9, site: the search index of the web edition, `<out>/pagefind/`, made by Pagefind
(https://pagefind.app) from the case pages, one index per language (by each page's `lang`).

Pagefind's binary comes from PyPI (the `pagefind[bin]` extra, package `pagefind-bin`): nothing
is downloaded at build time. The index is written into a temporary folder and moved into place
whole, so that a reader never meets half of one. Pagefind runs while the build makes the
collection pages.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import ProjectError
from .plan import INDEXED, SEARCH
from .publish import write_atomic

PAGES = "*/*/index.html"  # the case pages, <lang>/<slug>/index.html, relative to the output


def pages_digest(pages: dict[str, str]) -> str:
    """What an index is made from: every case page's path and text."""
    digest = hashlib.sha256()
    for path, html in sorted(pages.items()):
        digest.update(f"{path}\0{html}\0".encode())
    return digest.hexdigest()


def index_is(out: Path, digest: str) -> bool:
    """Whether `out/pagefind/` was made from exactly these pages, and is still there."""
    try:
        return (out / INDEXED).read_text() == digest and (out / SEARCH).is_dir()
    except OSError:
        return False


class Indexing:
    """Pagefind indexing the case pages under `out` in a process of its own, while the build
    goes on (the collection pages, the manifest); `finish` waits for it, moves the new index
    into `out/pagefind/` and records what it was made from (`digest`). With no case page there
    is no index. A failed or cancelled indexing records nothing, so the next build does it."""

    def __init__(self, out: Path, temporary: Path, digest: str):
        self.out, self.temporary, self.digest = out, temporary, digest
        self.process: subprocess.Popen | None = None
        (out / INDEXED).unlink(missing_ok=True)
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
        try:
            self.process = subprocess.Popen(
                [
                    str(binary), "--site", str(out), "--glob", PAGES,
                    "--output-path", str(self.work / SEARCH), "--silent",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
        except OSError as exc:
            self._clean()
            raise ProjectError(f"Pagefind's binary {binary} does not run: {exc}") from None

    def cancel(self) -> None:
        """Stop Pagefind and remove what it wrote; the old index stays."""
        self._clean()

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
            write_atomic(self.out / INDEXED, self.digest.encode())
        finally:
            self._clean()

    def _clean(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        shutil.rmtree(self.work, ignore_errors=True)
        with contextlib.suppress(OSError):  # the build's temporary folder, if it made it
            self.temporary.rmdir()
