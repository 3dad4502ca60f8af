"""Stage 3, model: validated data → frozen dataclasses. No I/O here.

The model is what the templates see: a `Publication` holding its `Case`s in reading order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REGIONS = ("africa", "americas", "asia-pacific", "europe", "middle-east-north-africa", "global")
SECTION_KINDS = ("context", "challenges", "lessons", "outcomes")


@dataclass(frozen=True, order=True)
class YearMonth:
    """A month of a year, as content dates are given (YYYY-MM)."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Section:
    kind: str
    heading: str | None
    body: str


@dataclass(frozen=True)
class SectionGroup:
    """Consecutive sections of one kind, shown under one label (Context, Challenges…)."""

    kind: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Cover:
    image: Path
    alt: str


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
    country: str | None
    authors: tuple[str, ...]
    summary: str
    sections: tuple[Section, ...]
    cover: Cover | None = None

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
class Publication:
    """The publication in one language (an edition): its texts and its cases in book order.

    In a translated edition, `cases` holds the translation of each case that has one and the
    source-language case otherwise; `translated` names the slugs that are translated.
    """

    title: str
    subtitle: str | None
    publisher: str
    date: YearMonth
    authors: tuple[str, ...]
    source_language: str
    languages: tuple[str, ...]
    introduction: str | None
    cases: tuple[Case, ...]
    licence: str | None = None
    contents_by_region: bool = False
    profile: str = "screen"  # screen, archive, print or all
    page_size: str = "A4"  # A4 or letter
    language: str = "en"
    translated: frozenset[str] = frozenset()

    def case(self, slug: str) -> Case:
        return next(case for case in self.cases if case.slug == slug)

    @property
    def own_cases(self) -> tuple[Case, ...]:
        """The cases written in this edition's language (its per-case PDFs)."""
        return tuple(c for c in self.cases if c.language == self.language)


@dataclass(frozen=True)
class Casebook:
    """Every edition of the publication, the source language's first."""

    editions: tuple[Publication, ...]

    @property
    def source(self) -> Publication:
        return self.editions[0]

    @property
    def cases(self) -> tuple[Case, ...]:
        return self.source.cases

    def edition(self, language: str) -> Publication:
        return next(e for e in self.editions if e.language == language)


def order_cases(cases: list[Case], order: list[str]) -> tuple[Case, ...]:
    """Cases named in `order` first, in that order; the rest newest first, then by slug."""
    position = {slug: index for index, slug in enumerate(order)}
    listed = sorted((c for c in cases if c.slug in position), key=lambda c: position[c.slug])
    rest = sorted((c for c in cases if c.slug not in position), key=lambda c: c.slug)
    rest.sort(key=lambda c: c.date, reverse=True)
    return (*listed, *rest)
