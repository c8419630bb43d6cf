"""The figure recipe: what every figure module declares, and the types it works with.

A catalogue id `some-figure` lives in the module `gandiv.figures.some_figure`, next to its entry in
`catalogue.yaml`. The module declares, at top level:

    SETTINGS      JSON schema (YAML text) of its `figures.<id>` config section, with defaults and descriptions
    NEEDS         Needs(...): the config keys its job reads; its Snakemake rule declares exactly these
    inputs(config) -> {name: path or [paths]}   the upstream results it reads ({} for none)
    compute(ctx) -> Computed                     its numbers: the tidy table written to figures/<id>.csv,
                                                 plus anything `draw` needs
    draw(computed, ctx) -> matplotlib Figure
    judge(computed, ctx) -> verdict record       built with `verdict(...)`

and optionally

    check(settings, config)   config rules a schema cannot express; raises ConfigError naming the key
    ANIMATION                 Animation(needs, render): an animated companion, figures/<id>.gif
    report_table(table) -> DataFrame   the figure's numbers as an HTML table in the report (for a figure that is
                                       a table: its tidy CSV, reshaped)

`gandiv.figures` finds the module by its id; the workflow asks it for the inputs and the config keys,
`gandiv.pipeline.figure_jobs.build_figure` runs compute, draw and judge and writes the outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from gandiv.exact.densities import GaussianMixture, target_from_config
from gandiv.figures.verdicts import FIGURE_VERDICTS

# What a figure's verdict can say (the report adds "not built yet" for figures the config does not build).
VERDICTS = tuple(v.value for v in FIGURE_VERDICTS)


@dataclass(frozen=True)
class Needs:
    """What a figure's job reads from the config.

    settings: keys of its own `figures.<id>` section (None: the whole section); config: other dotted keys;
    targets: the settings keys that name targets (each named target's `targets.<name>` entry is read whole): a key
    naming a string or a list of strings, or `list[].field` for that field of every item of a list.
    """

    settings: tuple | None = None
    config: tuple = ()
    targets: tuple = ()


@dataclass(frozen=True)
class Context:
    """What a figure's computation sees: the config its job declared, its own settings, its named inputs."""

    config: Mapping
    settings: Mapping
    inputs: dict = field(default_factory=dict)

    def target(self, name: str) -> GaussianMixture:
        """The configured target `name` as a density."""
        return target_from_config(self.config["targets"][name])

    @property
    def seed(self) -> int:
        """The config's top-level seed."""
        return int(self.config["seed"])

    @property
    def certified_grid(self) -> dict:
        """The figure's own grid for certified values (settings `quadrature_points_per_sd`, `quadrature_halfwidth_sd`),
        as keyword arguments of `gandiv.exact.divergences.certified_divergences`."""
        return {"points_per_sd": self.settings["quadrature_points_per_sd"],
                "halfwidth_sd": self.settings["quadrature_halfwidth_sd"]}

    @property
    def quadrature(self) -> dict:
        """The exact stage's grid settings, as keyword arguments of `gandiv.exact.quadrature.grid_for`."""
        exact = self.config["exact"]
        return {"points_per_sd": exact["quadrature_points_per_sd"], "halfwidth_sd": exact["quadrature_halfwidth_sd"]}


@dataclass
class Computed:
    """A figure's numbers: `table` is its tidy CSV (one number per row: ..., quantity, value, unit);
    `extras` holds whatever else its drawing needs (curves, images), by name."""

    table: pd.DataFrame
    extras: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Animation:
    """An animated companion of a figure: what its job reads, and `render(ctx, out_gif)`."""

    needs: Needs
    render: Callable


def verdict(figure_id: str, status: str, summary: str, numbers: list[tuple]) -> dict:
    """A verdict record: status (one of VERDICTS), a sentence of what was measured, the numbers behind it.

    numbers: (name, value, unit) triples for numbers only reported, and (name, value, unit, threshold, passed)
    for deciding numbers: `threshold` says in words what the number must satisfy (for example "<= 0.2"), `passed`
    whether it does (None where the check could not be made, e.g. too few runs). Raises ValueError on an unknown
    status or a tuple of another length.
    """
    if status not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {status!r}")
    records = []
    for number in numbers:
        if len(number) not in (3, 5):
            raise ValueError(f"a verdict number is (name, value, unit) or (name, value, unit, threshold, passed), "
                             f"got {number!r}")
        name, value, unit = number[:3]
        record = {"name": name, "value": float(value), "unit": unit}
        if len(number) == 5:
            record |= {"threshold": str(number[3]), "passed": None if number[4] is None else bool(number[4])}
        records.append(record)
    return {"id": figure_id, "verdict": status, "summary": summary, "numbers": records}
