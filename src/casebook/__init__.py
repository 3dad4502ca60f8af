"""casebook: structured case studies → print-quality PDFs.

The pipeline, one module per stage: `load` (YAML with line marks) → `validate` (every problem at
once) → `model` (frozen dataclasses) → `render` (Jinja2 → HTML) → `paginate` (WeasyPrint → PDF)
→ `publish` (atomic writes). `build` runs them in order; `cli` is the command-line shell.
"""

__version__ = "0.1.0"

from .build import BuildResult, Output, build, check
from .errors import CasebookError, ContentError, Problem

__all__ = ["BuildResult", "CasebookError", "ContentError", "Output", "Problem", "build", "check"]
