"""GAN figures: the grid of pi x update rules with exact and estimated divergences of every trained model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from scipy.stats import spearmanr

from gandiv.figures.style import NATS, figure
from gandiv.results_io import read_csv
from gandiv.figures._legacy import Context, FigureResult, verdict

HEATMAPS = (("kl_pq", "exact", "exact KL[P||Q]"), ("kl_qp", "exact", "exact KL[Q||P]"),
            ("js_pi", "exact", "exact JS_pi"), ("js_pi", "discriminator", "JS_pi from the discriminator"))
EVAL_COLUMNS = ("target", "generator", "rule", "pi", "seed", "diverged", "method", "quantity", "value", "exact_error",
                "note")


def gan_grid(ctx: Context) -> FigureResult:
    table = pd.concat([read_csv(path, required=EVAL_COLUMNS) for path in ctx.inputs.values()], ignore_index=True)
    data = table.assign(unit=np.where(table.quantity.str.startswith("sample_mean"), "x units", NATS))
    target, generator = ctx.settings["heatmap_target"], ctx.settings["heatmap_generator"]
    sub = data[(data.target == target) & (data.generator == generator) & ~data.diverged]

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

    # The note's prediction: as pi grows the minimax GAN moves from ML-like to KL[Q||P]-like.
    minimax = sub[(sub.rule == "minimax") & (sub.method == "exact")]
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
    n_runs = len(table.drop_duplicates(["target", "generator", "rule", "pi", "seed"]))
    n_diverged = int(table.drop_duplicates(["target", "generator", "rule", "pi", "seed"]).diverged.sum())
    numbers += [("trained models", n_runs, ""), ("diverged", n_diverged, "")]
    if not checks:
        status, trend = "not reproduced", "too few pi values with exact divergences to test the trend"
    else:
        status = "reproduced" if all(checks) else "partly" if any(checks) else "not reproduced"
        trend = ", ".join(f"{n.split()[-1]}: rho = {v:.2f}" for n, v, _ in numbers[:len(checks)])
    summary = (f"{n_runs} GANs trained ({n_diverged} diverged). For the minimax rule on {target} with the "
               f"{generator} generator, the exact divergences against pi ({trend}) "
               f"{'follow' if status == 'reproduced' else 'only partly follow' if status == 'partly' else 'do not follow'}"
               f" the note's prediction (KL[P||Q] rising and KL[Q||P] falling as pi grows).")
    columns = ["target", "generator", "rule", "pi", "seed", "diverged", "method", "quantity", "value", "unit",
               "exact", "error", "exact_error", "note"]
    return FigureResult(fig, data[columns], verdict("gan-grid", status, summary, numbers))
