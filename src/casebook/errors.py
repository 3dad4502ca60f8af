"""Errors: the expected failures of a build, each with a message that says what to do next.

The CLI turns every `CasebookError` into its message and an exit code; anything else is a bug
and shows a traceback only with ``--debug``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, located as precisely as the source allows."""

    path: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.key}: {self.message}"


class CasebookError(Exception):
    """Base of every error a user can cause; `exit_code` is what the CLI returns."""

    exit_code = 1


class ContentError(CasebookError):
    """The content has problems; all of them are listed, nothing was written."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(
            f"{lines}\n{count} problem{'s' if count != 1 else ''} in the content; "
            "fix them and run the command again (nothing was written)."
        )


class RenderError(CasebookError):
    """A document could not be laid out (a blocked reference, a page limit)."""

    exit_code = 3


class ProjectError(CasebookError):
    """The project folder is not usable (no content folder, no layouts)."""

    exit_code = 4
