"""The figure catalogue: every figure id, its source, claim and verdict rule, read from catalogue.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = ["Source", "FigureEntry", "Catalogue", "load_catalogue", "FIGURE_IDS"]

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FIGURE_FIELDS = ("id", "title", "source", "claim", "build", "verdict_rule")


@dataclass(frozen=True)
class Source:
    """One source text, cited by its full title."""

    key: str
    title: str
    author: str
    year: int | None
    kind: str
    ref: str = ""

    def citation(self) -> str:
        """Author, year and quoted title, for the report."""
        year = self.year if self.year is not None else "n.d."
        return f"{self.author} ({year}), \u201c{self.title}\u201d"


@dataclass(frozen=True)
class FigureEntry:
    """One figure id: what its source claims, what we build, what decides the verdict."""

    id: str
    title: str
    source: str
    claim: str
    build: str
    verdict_rule: str
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """Sources by key and figures in their fixed order."""

    sources: dict[str, Source]
    figures: tuple[FigureEntry, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """Figure ids in catalogue order."""
        return tuple(f.id for f in self.figures)

    def by_id(self, fig_id: str) -> FigureEntry:
        """The entry for one id; KeyError naming it if unknown."""
        for f in self.figures:
            if f.id == fig_id:
                return f
        raise KeyError(f"unknown figure id {fig_id!r}; known: {', '.join(self.ids)}")

    def source_of(self, fig_id: str) -> Source:
        """The main source of one figure id."""
        return self.sources[self.by_id(fig_id).source]


def _parse(raw: dict) -> Catalogue:
    """Build and validate a Catalogue from the parsed YAML mapping."""
    sources = {}
    for key, s in raw["sources"].items():
        for field in ("title", "author", "kind"):
            if not str(s.get(field) or "").strip():
                raise ValueError(f"source {key!r}: empty {field!r}")
        sources[key] = Source(key=key, title=s["title"], author=s["author"], year=s.get("year"),
                              kind=s["kind"], ref=s.get("ref") or "")
    figures, seen = [], set()
    for f in raw["figures"]:
        for field in _FIGURE_FIELDS:
            if not str(f.get(field) or "").strip():
                raise ValueError(f"figure {f.get('id')!r}: empty {field!r}")
        fid = f["id"]
        if not _ID_RE.match(fid):
            raise ValueError(f"figure id {fid!r} is not a lowercase slug")
        if fid in seen:
            raise ValueError(f"duplicate figure id {fid!r}")
        seen.add(fid)
        also = tuple(f.get("also") or ())
        for key in (f["source"], *also):
            if key not in sources:
                raise ValueError(f"figure {fid!r}: unknown source {key!r}")
        figures.append(FigureEntry(**{k: " ".join(str(f[k]).split()) for k in _FIGURE_FIELDS}, also=also))
    return Catalogue(sources=sources, figures=tuple(figures))


@lru_cache(maxsize=None)
def _load_cached(path: str | None) -> Catalogue:
    """Read and parse once per path (None = the packaged catalogue.yaml)."""
    src = Path(__file__).with_name("catalogue.yaml") if path is None else Path(path)
    return _parse(yaml.safe_load(src.read_text(encoding="utf-8")))


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load the catalogue (default: the one shipped in the package)."""
    return _load_cached(None if path is None else str(path))


FIGURE_IDS: tuple[str, ...] = load_catalogue().ids
