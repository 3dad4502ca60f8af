"""Errors: the expected failures of a build, each with a message that says what to do next.

The CLI turns every `CasebookError` into its message and an exit code; anything else is a bug
and shows a traceback only with ``--debug``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every exit code of the `casebook` command, with what it means: docs/commands.md shows this
# table, and a test holds the two together.
EXIT_CODES = {
    0: "success",
    1: (
        "the command cannot do what was asked (a usage mistake, an unknown case or language, "
        "a translation file that exists or is missing), or `translations --strict` found a "
        "translation not current"
    ),
    2: "the content has problems (all are listed; nothing was written)",
    3: (
        "a document could not be laid out (a refused reference, an image that cannot be drawn, "
        "a page limit), or `build --strict` met warnings about the layouts"
    ),
    4: (
        "the project is not usable (no casebook.yaml, no layouts, a missing catalogue), or its "
        "layouts have a mistake that stops a build (a template that does not parse or asks for "
        "one that is missing, a catalogue that does not load: named with its file and line)"
    ),
    5: "a file could not be read or written (permissions, disk space, a file for a folder)",
    70: "an internal error: a bug in casebook (`--debug` shows the traceback)",
    130: "interrupted (Ctrl-C); published files are unchanged or complete",
    141: "what the command printed was not all read (its reader stopped early, as `head` does)",
}
EXIT_FILE_SYSTEM = 5
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # as a shell reports a command ended by SIGPIPE


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


class LayoutWarnings(RenderError):
    """`build --strict`: the layouts drew warnings (listed); the outputs are written."""

    def __init__(self, warnings: list[str]):
        self.warnings = warnings
        listed = "\n".join(f"  {w}" for w in warnings)
        super().__init__(
            f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''} about the layouts, "
            f"errors with --strict:\n{listed}"
        )


class ProjectError(CasebookError):
    """The project folder is not usable (no content folder, no layouts)."""

    exit_code = 4
