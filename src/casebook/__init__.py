"""casebook: structured case studies → print-quality PDFs.

The library API: `check` (content → the model, or every problem) and `build` (content → PDFs).
`build` runs the stages listed in docs/architecture.md; `cli` is the command-line shell.
"""

__version__ = "0.1.0"

from .build import BuildResult, Output, build, check
from .errors import CasebookError, ContentError, Problem

__all__ = ["BuildResult", "CasebookError", "ContentError", "Output", "Problem", "build", "check"]
