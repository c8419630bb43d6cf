"""A saturated GAN discriminator against a WGAN critic: the gradients they hand the generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from gandiv.figures.style import figure
from gandiv.results_io import read_npz
from gandiv.figures._legacy import Context, FigureResult, verdict

RULES = {"gan": ("minimax", "nonsaturating"), "wgan_gp": ("wgan",)}


def wgan_critic(ctx: Context) -> FigureResult:
    curves = {objective: read_npz(ctx.inputs[objective], required=("grid", "grid_output", "q_output",
                                                                  *(f"{where}_grad_{rule}" for rule in rules
                                                                    for where in ("grid", "q"))))
              for objective, rules in RULES.items()}
    p, q = ctx.settings["p"], ctx.settings["q"]
    grid = curves["gan"]["grid"]
    fig, axes = figure(ncols=2, width=5.2, height=3.6)
    ax = axes[0, 0]
    ax.fill_between(grid, norm.pdf(grid, p["mean"], p["sd"]), alpha=0.3, label="P (real)")
    ax.fill_between(grid, norm.pdf(grid, q["mean"], q["sd"]), alpha=0.3, label="Q (generator, frozen)")
    ax.plot(grid, expit(curves["gan"]["grid_output"]), "C3", label="discriminator D(x)")
    critic = curves["wgan_gp"]["grid_output"]
    ax.plot(grid, (critic - critic.min()) / np.ptp(critic), "C2", label="WGAN-GP critic f(x), rescaled to [0, 1]")
    ax.set_xlabel("x")
    ax.set_title("trained networks")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    rows, mean_grad = [], {}
    for objective, rules in RULES.items():
        for k, rule in enumerate(rules):
            grad = curves[objective][f"grid_grad_{rule}"]
            ax.semilogy(grid, np.maximum(np.abs(grad), 1e-30), label=f"{rule} generator loss")
            mean_grad[rule] = float(np.abs(curves[objective][f"q_grad_{rule}"]).mean())
            rows += [{"network": objective, "rule": rule, "x": x, "quantity": "|d generator loss / dx|", "value": g,
                      "unit": "per unit x"} for x, g in zip(grid[::8], np.abs(grad[::8]))]
            rows.append({"network": objective, "rule": rule, "x": np.nan,
                         "quantity": "mean |d generator loss / dx| at Q's samples", "value": mean_grad[rule],
                         "unit": "per unit x"})
    ax.axvspan(q["mean"] - 2 * q["sd"], q["mean"] + 2 * q["sd"], color="C1", alpha=0.15, label="Q's bulk")
    ax.set_xlabel("x")
    ax.set_ylabel("|gradient handed to the generator|")
    ax.set_title("what the generator gets")
    ax.legend(fontsize=7)
    q_logit = float(curves["gan"]["q_output"].mean())
    minimax, wgan = mean_grad["minimax"], mean_grad["wgan"]
    status = ("reproduced" if minimax < 1e-3 and wgan >= 0.5 else "partly" if wgan > minimax else "not reproduced")
    summary = (f"With P = N({p['mean']:g}, {p['sd']:g}^2) and Q = N({q['mean']:g}, {q['sd']:g}^2) held fixed, the "
               f"trained discriminator is saturated on Q (mean logit {q_logit:.1f}): the minimax generator loss "
               f"log(1 - D) hands Q's samples a mean gradient of {minimax:.1e}, while the WGAN-GP critic hands them "
               f"{wgan:.2f} (its Lipschitz bound is 1, enforced softly); the non-saturating loss -log D, for "
               f"comparison, gives {mean_grad['nonsaturating']:.2f}.")
    numbers = [("minimax: mean |gradient| at Q's samples", minimax, "per unit x"),
               ("WGAN-GP critic: mean |gradient| at Q's samples", wgan, "per unit x"),
               ("non-saturating: mean |gradient| at Q's samples", mean_grad["nonsaturating"], "per unit x"),
               ("discriminator's mean logit at Q's samples", q_logit, "nats")]
    return FigureResult(fig, pd.DataFrame(rows), verdict("wgan-critic", status, summary, numbers))
