"""Reporting a build: a progress bar on a terminal, per-output lines with --verbose, a summary."""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("casebook")


class Reporter:
    """Shows what a build does. A bar only on a terminal; nothing but the summary otherwise."""

    def __init__(self, verbose: bool = False, quiet: bool = False, bar: bool | None = None):
        self.verbose = verbose
        self.quiet = quiet
        self.bar = (sys.stderr.isatty() if bar is None else bar) and not quiet
        self._progress = None  # rich's Progress, while a bar is shown
        self._task = None

    def start(self, total: int) -> None:
        if self.bar and total:
            from rich.console import Console  # only for a bar: a no-op build imports no rich
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("casebook build"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=total)

    def made(self, path: str, pages: int, size: int, seconds: float) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=path)
        if self.verbose:
            log.info("wrote %s (%d pages, %d KB) in %.2f s", path, pages, size // 1024, seconds)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def summary(self, built: int, up_to_date: int, seconds: float) -> None:
        if not self.quiet:
            log.info(
                "built %d file%s, %d up to date, in %.1f s",
                built,
                "" if built == 1 else "s",
                up_to_date,
                seconds,
            )
