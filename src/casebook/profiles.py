"""Output profiles: who a PDF is for, and what that asks of it.

- `screen` (the default, every download): tagged PDF/UA-1 for screen readers.
- `archive`: PDF/A-3a (tagged) for the publisher's archive, in `<out>/archive/<lang>/`.
- `print`: PDF/X-4 with a CMYK output intent, 3 mm bleed and crop marks, for the print shop,
  in `<out>/print/<lang>/`: the casebooks, and per-case PDFs when asked for with `--case`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ProjectError

# A CMYK profile is needed for PDF/X; none ships with casebook (see docs/profiles.md). Debian's
# libgs-common installs Ghostscript's, which casebook embeds as the output intent.
CMYK_PROFILES = (Path("/usr/share/color/icc/ghostscript/default_cmyk.icc"),)


@dataclass(frozen=True)
class Profile:
    name: str
    folder: str  # below the output folder: "" for screen
    variant: str  # WeasyPrint's pdf_variant
    stylesheets: tuple[str, ...] = ()  # extra stylesheets from layouts/
    cases_by_default: bool = True  # per-case PDFs without --case
    cmyk: bool = False  # images converted to the CMYK output intent before layout

    def path(self, language: str, name: str) -> Path:
        return Path(self.folder, language, f"{name}.pdf")


SCREEN = Profile("screen", "", "pdf/ua-1")
ARCHIVE = Profile("archive", "archive", "pdf/a-3a")
PRINT = Profile("print", "print", "pdf/x-4", ("print-shop.css",), cases_by_default=False, cmyk=True)
PROFILES = {p.name: p for p in (SCREEN, ARCHIVE, PRINT)}
PROFILE_CHOICES = (*PROFILES, "all")


def profiles_named(name: str) -> tuple[Profile, ...]:
    return tuple(PROFILES.values()) if name == "all" else (PROFILES[name],)


def cmyk_profile() -> Path:
    """The CMYK ICC profile embedded in print PDFs; a clear error if the system has none."""
    for path in CMYK_PROFILES:
        if path.is_file():
            return path
    raise ProjectError(
        "the print profile needs a CMYK ICC profile and none is installed: on Debian or "
        "Ubuntu, `sudo apt-get install libgs-common` (see docs/profiles.md)"
    )
