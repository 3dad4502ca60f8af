"""The model: frozen dataclasses that validation builds and later stages read. No I/O here.

The model is what the templates see: an `Edition` (the publication in one language) holding its
`Case`s in reading order. The vocabulary of the content (regions, section kinds, the patterns of
slugs and language codes) is declared here, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGIONS = ("africa", "americas", "asia-pacific", "europe", "middle-east-north-africa", "global")
SECTION_KINDS = ("context", "challenges", "lessons", "outcomes")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # a case folder's name
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")  # en, es, pt-BR
KeyPath = tuple[str | int, ...]  # ("sections", 0, "kind")


@dataclass(frozen=True, order=True)
class YearMonth:
    """A month of a year, as content dates are given (YYYY-MM)."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Section:
    """A section of a case: its kind (the label it is shown under), heading and Markdown."""

    kind: str
    body: str
    heading: str | None = None


@dataclass(frozen=True)
class Cover:
    """A case's cover image (a file in the case folder) and its text alternative."""

    image: Path
    alt: str


@dataclass(frozen=True)
class Translation:
    """What validation learnt of a translation file besides its texts.

    `fallbacks`: each translatable key the file leaves out, so that the source text stands in,
    with whether a translation is expected to give it (a coalition's name may stay as it is).
    """

    fallbacks: tuple[tuple[KeyPath, bool], ...]
    stamp: Any  # an older casebook's `source:` block in the file (see translations.py), or None
    # Why the file's sections were set aside for the source's (they no longer match them in
    # number, order, kind or headings: the source changed, or the file was edited wrongly).
    mismatch: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    slug: str
    folder: Path
    language: str
    coalition: str
    title: str
    type: str
    date: YearMonth
    region: str
    authors: tuple[str, ...]
    summary: str
    sections: tuple[Section, ...]
    country: str | None = None
    cover: Cover | None = None
    translation: Translation | None = None  # set on a translated case only

    @property
    def full_title(self) -> str:
        return f"{self.coalition}: {self.title}"

    @property
    def groups(self) -> tuple[SectionGroup, ...]:
        groups: list[SectionGroup] = []
        for section in self.sections:
            if groups and groups[-1].kind == section.kind:
                last = groups.pop()
                groups.append(SectionGroup(last.kind, (*last.sections, section)))
            else:
                groups.append(SectionGroup(section.kind, (section,)))
        return tuple(groups)


@dataclass(frozen=True)
class Edition:
    """The publication in one language: its texts and its cases in book order.

    In a translated edition, `cases` holds the translation of each case that has one and the
    source-language case otherwise.
    """

    cases: tuple[Case, ...]
    title: str
    publisher: str
    authors: tuple[str, ...]
    date: YearMonth
    languages: tuple[str, ...]
    source_language: str
    subtitle: str | None = None
    introduction: str | None = None
    licence: str | None = None
    contents_by_region: bool = False
    profile: str = "screen"  # screen, archive, print or all
    page_size: str = "A4"  # A4 or letter
    site_url: str | None = None  # where the web edition is published, ending in "/"
    language: str = "en"

    def case(self, slug: str) -> Case:
        """The case of that slug; `KeyError` if the edition has none."""
        for case in self.cases:
            if case.slug == slug:
                return case
        raise KeyError(slug)

    @property
    def own_cases(self) -> tuple[Case, ...]:
        """The cases written in this edition's language (its per-case PDFs)."""
        return tuple(c for c in self.cases if c.language == self.language)


@dataclass(frozen=True)
class Casebook:
    """Every edition of the publication, the source language's first."""

    editions: tuple[Edition, ...]

    @property
    def source(self) -> Edition:
        return self.editions[0]

    @property
    def cases(self) -> tuple[Case, ...]:
        return self.source.cases

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(e.language for e in self.editions)

    def edition(self, language: str) -> Edition:
        """The edition in that language; `KeyError` if there is none."""
        for edition in self.editions:
            if edition.language == language:
                return edition
        raise KeyError(language)


def order_cases(cases: list[Case], order: list[str]) -> tuple[Case, ...]:
    """Cases named in `order` first, in that order; the rest newest first, then by slug."""
    position = {slug: index for index, slug in enumerate(order)}
    listed = sorted((c for c in cases if c.slug in position), key=lambda c: position[c.slug])
    rest = sorted((c for c in cases if c.slug not in position), key=lambda c: c.slug)
    rest.sort(key=lambda c: c.date, reverse=True)
    return (*listed, *rest)


@dataclass(frozen=True)
class SectionGroup:
    """Consecutive sections of one kind, shown under one label (Context, Challenges…)."""

    kind: str
    sections: tuple[Section, ...]
