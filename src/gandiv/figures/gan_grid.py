"""gan-grid: GANs over update rules and pi, with the exact and estimated divergences of every trained model.

The claim (src/gandiv/figures/catalogue.yaml, gan-grid): raising pi moves a GAN's generator from
maximum-likelihood-like (KL[P||Q] small) to KL[Q||P]-like behaviour, and the update rule changes the
divergence minimised. The table is every grid evaluation table (gandiv.gan.runs) stacked, with units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from scipy.stats import spearmanr

from gandiv.figures.gan_tables import read_grid_evaluation
from gandiv.figures.grid_checks import check_trained
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, figure
from gandiv.gan import runs

ID = "gan-grid"

SETTINGS = """
description: GANs over update rules and pi; needs a `gan` section.
type: object
additionalProperties: false
required: [heatmap_target, heatmap_generator]
properties:
  heatmap_target:
    description: Target of the rule x pi heatmap; must be trained in some `gan.grid` entry.
    $ref: "#/$defs/target_name"
  heatmap_generator:
    description: Generator of the heatmap; must be trained on heatmap_target in some `gan.grid` entry.
    $ref: "#/$defs/gan_generator_kind"
"""

NEEDS = Needs(("heatmap_target", "heatmap_generator"))

HEATMAPS = (("kl_pq", "exact", "exact KL[P||Q]"), ("kl_qp", "exact", "exact KL[Q||P]"),
            ("js_pi", "exact", "exact JS_pi"), ("js_pi", "discriminator", "JS_pi from the discriminator"))
COLUMNS = ("target", "generator", "rule", "pi", "seed", "diverged", "method", "quantity", "value", "unit", "exact",
           "error", "exact_error", "note")
RUN = ["target", "generator", "rule", "pi", "seed"]  # the columns that name one trained model


def check(settings, config) -> None:
    """A `gan` section trains `heatmap_generator` on `heatmap_target` (ConfigError naming the key if not)."""
    check_trained(ID, settings, config, "heatmap_target", "heatmap_generator")


def inputs(config) -> dict:
    """Every evaluation table of the grid study, in gandiv.gan.runs.evaluation_groups order."""
    return {"evaluations": [runs.evaluation_table(study, target, generator)
                            for study, target, generator in runs.evaluation_groups(config) if study == "grid"]}


def compute(ctx: Context) -> Computed:
    """Every row of the grid's evaluation tables, stacked in input order, with a unit (x units for sample means,
    nats otherwise); columns COLUMNS."""
    table = pd.concat([read_grid_evaluation(path) for path in ctx.inputs["evaluations"]], ignore_index=True)
    data = table.assign(unit=np.where(table.quantity.str.startswith("sample_mean"), "x units", NATS))
    return Computed(data[list(COLUMNS)])


def _heatmap_rows(table: pd.DataFrame, settings) -> pd.DataFrame:
    """The rows of the heatmap's target and generator whose training did not diverge."""
    target, generator = settings["heatmap_target"], settings["heatmap_generator"]
    return table[(table.target == target) & (table.generator == generator) & ~table.diverged]


def draw(computed: Computed, ctx: Context):
    """Rule x pi heatmaps (seed means, nats) of HEATMAPS for the heatmap's target and generator; a panel without
    rows is hidden."""
    target, generator = ctx.settings["heatmap_target"], ctx.settings["heatmap_generator"]
    sub = _heatmap_rows(computed.table, ctx.settings)
    fig, axes = figure(ncols=len(HEATMAPS), width=4.0, height=3.2)
    for ax, (quantity, method, title) in zip(axes[0], HEATMAPS):
        cells = sub[(sub.quantity == quantity) & (sub.method == method)]
        if cells.empty:
            ax.set_visible(False)
            continue
        grid = cells.pivot_table(index="rule", columns="pi", values="value", aggfunc="mean")
        sns.heatmap(grid, ax=ax, annot=True, fmt=".2f", cmap="viridis", cbar_kws={"label": NATS},
                    annot_kws={"size": 7})
        ax.tick_params(axis="y", rotation=0)
        ax.set_title(f"{title}\n({target}, {generator}; mean over seeds)")
        ax.set_xlabel("pi")
        ax.set_ylabel("update rule")
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """The Spearman rho over pi of the minimax models' seed-mean exact KL[P||Q] (should rise) and KL[Q||P] (should
    fall), for the heatmap's target and generator: reproduced if both |rho| >= 0.8 with the predicted sign, partly
    if one, not reproduced if none or fewer than 3 pi values. Also reported: the median |error| of each estimator,
    the number of trained and of diverged models."""
    data = computed.table
    target, generator = ctx.settings["heatmap_target"], ctx.settings["heatmap_generator"]
    minimax = _heatmap_rows(data, ctx.settings)
    minimax = minimax[(minimax.rule == "minimax") & (minimax.method == "exact")]
    per_pi = minimax.pivot_table(index="pi", columns="quantity", values="value", aggfunc="mean")
    numbers, checks = [], []
    for quantity, sign in (("kl_pq", 1), ("kl_qp", -1)):
        if quantity in per_pi and len(per_pi) >= 3:
            rho = float(spearmanr(per_pi.index, per_pi[quantity]).statistic)
            checks.append(sign * rho >= 0.8)
            numbers.append((f"Spearman rho over pi of minimax {quantity}", rho, ""))
    estimates = data[(data.method != "exact") & data.error.notna()]
    for method, g in estimates.groupby("method"):
        numbers.append((f"median |error| of {method} estimates", float(g.error.abs().median()), NATS))
    models = data.drop_duplicates(RUN)
    n_runs, n_diverged = len(models), int(models.diverged.sum())
    numbers += [("trained models", n_runs, ""), ("diverged", n_diverged, "")]
    if not checks:
        status, trend = "not reproduced", "too few pi values with exact divergences to test the trend"
    else:
        status = "reproduced" if all(checks) else "partly" if any(checks) else "not reproduced"
        trend = ", ".join(f"{n.split()[-1]}: rho = {v:.2f}" for n, v, _ in numbers[:len(checks)])
    verb = {"reproduced": "follow", "partly": "only partly follow"}.get(status, "do not follow")
    summary = (f"{n_runs} GANs trained ({n_diverged} diverged). For the minimax rule on {target} with the "
               f"{generator} generator, the exact divergences against pi ({trend}) {verb}"
               f" the note's prediction (KL[P||Q] rising and KL[Q||P] falling as pi grows).")
    return verdict(ID, status, summary, numbers)
