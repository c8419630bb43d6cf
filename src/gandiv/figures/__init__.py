"""Every figure of the catalogue, one module each: `gandiv.figures.<id with - as _>` (see `recipe`).

The workflow and the config validator ask this registry, never a list of ids, for what a figure reads
(`figure_inputs`, `figure_config_keys`), its settings schema (`settings_schemas`) and its checks.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType

import yaml

from gandiv.figures.catalogue import load_catalogue
from gandiv.figures.recipe import VERDICTS, Computed, Context, Needs, verdict  # noqa: F401  (the recipe's types)

RECIPE = ("SETTINGS", "NEEDS", "inputs", "compute", "draw", "judge")  # what every figure module defines


def module_name(figure_id: str) -> str:
    """The module that holds figure `figure_id`."""
    return f"gandiv.figures.{figure_id.replace('-', '_')}"


def figure_module(figure_id: str) -> ModuleType:
    """The figure's module. Raises KeyError naming the catalogue's ids for an id the catalogue does not have."""
    ids = load_catalogue().ids
    if figure_id not in ids:
        raise KeyError(f"no figure {figure_id!r} in the catalogue; its ids: {', '.join(ids)}")
    return importlib.import_module(module_name(figure_id))


def figure_inputs(config: Mapping, figure_id: str) -> dict:
    """Upstream results the figure's job reads, by name (a path or a list of paths)."""
    return figure_module(figure_id).inputs(config)


def figure_needs(figure_id: str, animation: bool = False) -> Needs:
    """What the figure's job (or its animation's) reads from the config."""
    module = figure_module(figure_id)
    if animation:
        if not hasattr(module, "ANIMATION"):
            raise KeyError(f"figure {figure_id!r} has no animation")
        return module.ANIMATION.needs
    return module.NEEDS


def figure_config_keys(figure_id: str, settings: Mapping, animation: bool = False) -> list[str]:
    """Dotted config keys the figure's job (or its animation's) reads: its Snakemake rule declares them."""
    needs = figure_needs(figure_id, animation)
    own = [f"figures.{figure_id}"] if needs.settings is None else [f"figures.{figure_id}.{k}" for k in needs.settings]
    return own + list(needs.config) + [f"targets.{name}" for name in named_targets(needs, settings)]


def named_targets(needs: Needs, settings: Mapping) -> list[str]:
    """The target names a figure's settings give under its NEEDS.targets keys, without repeats.

    A key names a string or a list of strings (`target`, `targets`, or nested, `pair.p`), or, written
    `list[].field`, that field of every item of a list (`pairs[].p`).
    """
    names = []
    for key in needs.targets:
        if "[]." in key:
            head, item_key = key.split("[].", 1)
            names += [item[item_key] for item in settings[head]]
        else:
            value = settings
            for part in key.split("."):
                value = value[part]
            names += [value] if isinstance(value, str) else list(value)
    return list(dict.fromkeys(names))


def settings_schemas() -> dict[str, dict]:
    """Figure id -> the JSON schema of its `figures.<id>` section (its module's SETTINGS), for every catalogue id."""
    return {figure_id: yaml.safe_load(figure_module(figure_id).SETTINGS) for figure_id in load_catalogue().ids}


def has_report_table(figure_id: str) -> bool:
    """Whether the report shows the figure's CSV as an HTML table (its module's `report_table`)."""
    return hasattr(figure_module(figure_id), "report_table")


def has_animation(figure_id: str) -> bool:
    """Whether the figure has an animated companion (figures/<id>.gif)."""
    return hasattr(figure_module(figure_id), "ANIMATION")
