"""Snakemake wildcards: constraints built from the enums that define the names, and the config's path numbers.

Names in paths (update rules, generator kinds, families) are constrained by `pattern`, built from
the Python enum that defines them, so a wildcard constraint never repeats the list by hand. Numbers
in paths are written by gandiv.path_tokens; `check_path_tokens` checks that every number a config
puts into a path reads back exactly and that no two share a folder.
"""

from __future__ import annotations

import re
from enum import Enum

from gandiv.path_tokens import int_token, number_token, parse_number
from gandiv.pipeline.config_errors import ConfigError


def pattern(values) -> str:
    """A Snakemake wildcard constraint matching exactly the given names: the regex alternation ``a|b|c``.

    values: an Enum class (its members' values), or an iterable of strings or str-Enum members, in the
    order given. Each name is regex-escaped. Raises ValueError if there is no name, a name is empty or
    not a string, or a name repeats (an empty alternation would match every path segment).
    """
    names = [v.value if isinstance(v, Enum) else v for v in values]
    if not names:
        raise ValueError("pattern: no names; allowed: an enum or iterable of at least one non-empty string")
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"pattern: {name!r} is not a non-empty string; allowed: non-empty strings")
    if len(set(names)) != len(names):
        raise ValueError(f"pattern: repeated names in {names}; allowed: distinct names")
    return "|".join(re.escape(name) for name in names)


def path_number_lists(config: dict) -> list[tuple[str, list, str]]:
    """Every config list whose values become wildcards in file paths: (dotted key, values, "number"|"int")."""
    lists = []
    for i, entry in enumerate(config.get("gan", {}).get("grid", [])):  # `gan` is optional
        lists += [(f"gan.grid[{i}].pi", entry["pi"], "number"), (f"gan.grid[{i}].seeds", entry["seeds"], "int")]
    figures = config["figures"]
    if "objectives-zoo" in figures:
        lists.append(("figures.objectives-zoo.seeds", figures["objectives-zoo"]["seeds"], "int"))
    training = figures.get("ss-inconsistency", {}).get("training")  # both optional
    if training is not None:
        lists += [("figures.ss-inconsistency.training.epsilons", training["epsilons"], "number"),
                  ("figures.ss-inconsistency.training.seeds", training["seeds"], "int")]
    return lists  # a figure that names one run (swissroll-kl's pi and seed) must name a run of these lists


def check_path_tokens(config: dict) -> None:
    """Every number that names a folder parses back to itself, and no two values of one list share a folder.

    Raises ConfigError naming the key of the first offending value.
    """
    for path, values, kind in path_number_lists(config):
        seen = {}
        for j, value in enumerate(values):
            key = f"{path}[{j}]" if len(values) > 1 or not path.endswith((".pi", ".seed")) else path
            token = int_token(value) if kind == "int" else number_token(value)
            if kind == "number" and parse_number(token) != value:
                raise ConfigError(key, f"{value!r} is written as {token!r} in paths, which reads back as "
                                  f"{parse_number(token)!r}", "numbers whose path token reads back exactly")
            if token in seen:
                raise ConfigError(key, f"{value!r} and {values[seen[token]]!r} (index {seen[token]}) would share the "
                                  f"folder token {token!r}", "values that name distinct folders")
            seen[token] = j
