"""The GAN-trained Gaussian generators Q = N(mean, sd^2) of a 1-D target, read from their grid group's evaluation
table: what density-ratio and kl-rule-theory hold against the exact theory.

Both figures' settings name a 1-D `target` and the exact-Gaussian `generator` (the only one with explicit
parameters); ctx.inputs["evaluation"] is the group's table (gandiv.gan.runs.evaluation_table).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact.densities import GaussianMixture
from gandiv.figures.gan_tables import as_bool, read_grid_evaluation
from gandiv.figures.recipe import Context
from gandiv.update_rules import UpdateRule

RUN_KEYS = ["rule", "pi", "seed"]


def rule_order(rules) -> list[str]:
    """The rules present, in UpdateRule's order, then any unknown ones sorted."""
    known = [r.value for r in UpdateRule if r.value in set(rules)]
    return known + sorted(set(rules) - set(known))


def gaussian_target(ctx: Context) -> GaussianMixture:
    """The figure's 1-D target; ValueError unless the generator is the exact Gaussian and the target is 1-D."""
    target = ctx.target(ctx.settings["target"])
    if ctx.settings["generator"] != "gaussian":
        raise ValueError(f"these figures need the exact-Gaussian generator, got {ctx.settings['generator']!r}")
    if target.dim != 1:
        raise ValueError(f"these figures are for a 1-D target, {ctx.settings['target']!r} has dim {target.dim}")
    return target


def gan_parameters(ctx: Context) -> pd.DataFrame:
    """One row per trained run of the figure's target and generator: rule, pi, seed, diverged, converged (the
    convergence criterion, gandiv.gan.convergence), mean, sd.

    pi is rounded to 12 digits (the CSV's text form), rows sorted by (rule, pi, seed). Raises ValueError if
    the table has no parameter rows for the figure's runs, or lacks the generator's mean or variance.
    """
    path, target, generator = ctx.inputs["evaluation"], ctx.settings["target"], ctx.settings["generator"]
    table = read_grid_evaluation(path)
    table = table[(table.target == target) & (table.generator == generator) & (table.method == "parameters")]
    if table.empty:
        raise ValueError(f"no generator parameters for {target}/{generator} in {path}")
    table = table.assign(diverged=as_bool(table.diverged), converged=as_bool(table.converged),
                         pi=table.pi.astype(float).round(12))
    wide = table.pivot_table(index=RUN_KEYS + ["diverged", "converged"], columns="quantity",
                             values="value").reset_index()
    missing = {"generator_mean_0", "generator_cov_00"} - set(wide.columns)
    if missing:
        raise ValueError(f"eval CSV lacks {sorted(missing)}")
    wide["seed"] = wide.seed.astype(int)
    return (wide.assign(mean=wide.generator_mean_0, sd=np.sqrt(wide.generator_cov_00))
            [RUN_KEYS + ["diverged", "converged", "mean", "sd"]].sort_values(RUN_KEYS, ignore_index=True))
