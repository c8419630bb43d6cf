"""Biased sample gradients: minibatch Wasserstein vs Cramér losses on a Bernoulli target.

The lecture (catalogue entry `cramer-bernoulli`, after the Cramér GAN paper, arXiv:1705.10743) shows that
the expected gradient of the sample Wasserstein loss between m draws of Bernoulli(theta*) and of
Bernoulli(theta) vanishes away from theta*, while the sample Cramér (l2^2) loss's gradient is unbiased.
Expected gradients and minimisers are exact (enumerating the binomial law of the minibatch,
`gandiv.exact.discrete`); SGD runs on the minibatch losses show where training really settles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact import discrete
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.seeding import run_streams

ID = "cramer-bernoulli"

SETTINGS = """
description: Biased minibatch Wasserstein gradients vs Cramér on Bernoulli targets.
type: object
additionalProperties: false
properties:
  theta_star:
    description: True Bernoulli parameters, each in (0, 1).
    type: array
    minItems: 1
    items: {$ref: "#/$defs/probability"}
    default: [0.6, 0.9]
  minibatch_sizes:
    description: Minibatch sizes compared.
    type: array
    minItems: 1
    uniqueItems: true
    items: {type: integer, minimum: 1}
    default: [1, 2, 5, 10, 50]
  sgd_steps:
    description: SGD steps on the minibatch loss per run (the last half is averaged).
    type: integer
    minimum: 2
    default: 20000
  sgd_learning_rate:
    description: SGD step size at step t is sgd_learning_rate / sqrt(1 + t).
    type: number
    exclusiveMinimum: 0
    default: 0.1
  sgd_seeds:
    description: Independent SGD runs per (loss, theta*, minibatch size).
    type: integer
    minimum: 1
    default: 8
"""
NEEDS = Needs(None, ("seed",))

LOSSES = ("wasserstein", "cramer")  # panel rows, in this order
THETA = np.linspace(0.0005, 0.9995, 1000)  # where gradients are drawn; every 20th goes into the table
GRADIENT = "expected sample gradient"
MINIMISER = "minimiser of expected sample loss"
SGD_END = "SGD end (mean of last half)"
# The bounded scalar minimiser of the Cramér loss is accurate to ~1e-8; 1e-6 leaves room.
CRAMER_TOLERANCE = 1e-6
# The Wasserstein minimiser (a median of the minibatch mean) must miss theta* by more than this somewhere.
WASSERSTEIN_BIAS = 0.05
# SGD noise: Cramér runs average ~1e4 steps of gradients with sd <= 1, ending ~0.005 from the minimiser;
# sign-gradient (Wasserstein) runs stay within ~lr/sqrt(t) = 1e-3 of their kink. 0.02 is 4x that.
SGD_TOLERANCE = 0.02


def inputs(config) -> dict:
    """No upstream results: gradients are exact sums, SGD runs here."""
    return {}


def compute(ctx: Context) -> Computed:
    """Expected sample gradients (every 20th theta), exact minimisers and SGD end points, per theta*, loss
    and minibatch size m: rows theta_star, loss, minibatch, theta, quantity, value, unit.

    extras: "gradients", {(theta*, loss): true gradient on THETA, (theta*, loss, m): expected sample gradient}.
    SGD runs of case (theta*, m, loss) draw from their own stream of the config's seed.
    """
    s = ctx.settings
    rows, gradients = [], {}
    for theta_star in s["theta_star"]:
        for loss in LOSSES:
            gradients[theta_star, loss] = discrete.true_gradient(THETA, theta_star, loss)
            for m in s["minibatch_sizes"]:
                grad = discrete.expected_sample_gradient(THETA, theta_star, m, loss)
                gradients[theta_star, loss, m] = grad
                rows += [{"theta_star": theta_star, "loss": loss, "minibatch": m, "theta": t, "quantity": GRADIENT,
                          "value": g} for t, g in zip(THETA[::20], grad[::20])]
                rows.append({"theta_star": theta_star, "loss": loss, "minibatch": m, "theta": np.nan,
                             "quantity": MINIMISER, "value": discrete.sample_loss_minimiser(theta_star, m, loss)})
        for loss in LOSSES:
            for m in s["minibatch_sizes"]:
                streams = run_streams(ctx.seed, {"job": "discrete-sgd", "theta_star": float(theta_star),
                                                 "minibatch": m, "loss": loss})
                ends = discrete.sgd_on_sample_loss(theta_star, m, loss, s["sgd_steps"], s["sgd_learning_rate"],
                                                   s["sgd_seeds"], streams.sequence("training_data"))
                rows += [{"theta_star": theta_star, "loss": loss, "minibatch": m, "theta": np.nan,
                          "quantity": SGD_END, "value": e} for e in ends]
    return Computed(pd.DataFrame(rows).assign(unit="per unit theta"), {"gradients": gradients})


def _case(table: pd.DataFrame, quantity: str, theta_star: float, loss: str, m: int) -> np.ndarray:
    """The values of `quantity` for one (theta*, loss, minibatch size), in table order."""
    rows = table[(table.quantity == quantity) & (table.theta_star == theta_star) & (table.loss == loss)
                 & (table.minibatch == m)]
    return rows.value.to_numpy()


def draw(computed: Computed, ctx: Context):
    """Per theta* (columns): true and expected sample gradients of each loss (rows 1-2), and where the SGD
    runs end against the exact minimisers per minibatch size (row 3)."""
    table, gradients = computed.table, computed.extras["gradients"]
    thetas_star, sizes = ctx.settings["theta_star"], ctx.settings["minibatch_sizes"]
    fig, axes = figure(ncols=len(thetas_star), nrows=3, width=4.0, height=3.0)
    for col, theta_star in enumerate(thetas_star):
        for row, loss in enumerate(LOSSES):
            ax = axes[row, col]
            ax.plot(THETA, gradients[theta_star, loss], "k-", lw=2, label="true gradient")
            for m in sizes:
                ax.plot(THETA, gradients[theta_star, loss, m], lw=1, label=f"E sample gradient, m={m}")
            ax.axvline(theta_star, color="0.4", ls=":")
            ax.axhline(0, color="0.6", lw=0.6)
            ax.set_title(f"{'sample Wasserstein' if loss == 'wasserstein' else 'sample Cramer (l2^2)'}, "
                         f"theta*={theta_star}")
            ax.set_xlabel("theta")
            ax.set_ylabel("d loss / d theta")
            ax.legend(fontsize=6)
        ax = axes[2, col]
        for k, loss in enumerate(LOSSES):
            exact = [_case(table, MINIMISER, theta_star, loss, m)[0] for m in sizes]
            ax.plot(range(len(sizes)), exact, "-", color=f"C{k}", label=f"{loss}: exact minimiser")
            for j, m in enumerate(sizes):
                ends = _case(table, SGD_END, theta_star, loss, m)
                ax.scatter(np.full(len(ends), j) + (k - 0.5) * 0.15, ends, s=10, color=f"C{k}",
                           label=f"{loss}: SGD runs" if j == 0 else None)
        ax.axhline(theta_star, color="0.4", ls=":")
        ax.set_xticks(range(len(sizes)), [str(m) for m in sizes])
        ax.set_xlabel("minibatch size m")
        ax.set_ylabel("theta where SGD ends")
        ax.set_title(f"SGD on minibatch losses, theta*={theta_star}")
        ax.legend(fontsize=6)
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """Reproduced if the Wasserstein minimiser misses theta* by > 0.05 for some m, the Cramér one by < 1e-6 for
    every m, and every SGD run ends within 0.02 of its exact minimiser; partly if only the exact part (the first two)
    holds; else not reproduced."""
    table = computed.table
    worst = {loss: 0.0 for loss in LOSSES}
    worst_sgd, reached = 0.0, []
    for case in table[table.quantity == MINIMISER].itertuples():
        worst[case.loss] = max(worst[case.loss], abs(case.value - case.theta_star))
        ends = _case(table, SGD_END, case.theta_star, case.loss, case.minibatch)
        worst_sgd = max(worst_sgd, float(np.abs(ends - case.value).max()))
        reached.append((f"{case.loss}, theta*={case.theta_star}, m={case.minibatch}: optimum reached", case.value,
                        "theta"))
    worst_w, worst_c = worst["wasserstein"], worst["cramer"]
    biased, unbiased, sgd_ok = worst_w > WASSERSTEIN_BIAS, worst_c < CRAMER_TOLERANCE, worst_sgd < SGD_TOLERANCE
    exact_ok = biased and unbiased
    status = "reproduced" if exact_ok and sgd_ok else "partly" if exact_ok else "not reproduced"
    failed = [text for ok, text in (
        (biased, f"the Wasserstein minimiser is at most {worst_w:.3g} from theta* (needs > {WASSERSTEIN_BIAS:g} "
                 f"for some m)"),
        (unbiased, f"the Cramer minimiser is up to {worst_c:.3g} from theta* (needs < {CRAMER_TOLERANCE:g})"),
        (sgd_ok, f"an SGD run ends {worst_sgd:.3g} from its exact minimiser (needs < {SGD_TOLERANCE:g})")) if not ok]
    summary = (f"Enumerating the binomial minibatch law exactly: the expected sample-Wasserstein loss is minimised "
               f"at a median of the minibatch mean, up to {worst_w:.2f} away from theta*, while the expected "
               f"sample-Cramer loss is minimised {worst_c:.1e} from theta*. "
               f"{ctx.settings['sgd_seeds']} SGD runs per case on the minibatch losses end at most {worst_sgd:.3f} "
               f"from these minimisers"
               + (", so SGD on the sample Wasserstein loss really settles at the wrong theta while the Cramer "
                  "gradient is unbiased." if not failed else f". Failed: {'; '.join(failed)}."))
    return verdict(ID, status, summary,
                   [("largest |Wasserstein optimum - theta*|", worst_w, "theta", f"> {WASSERSTEIN_BIAS:g}", biased),
                    ("largest |Cramer optimum - theta*|", worst_c, "theta", f"< {CRAMER_TOLERANCE:g}", unbiased),
                    ("largest |SGD end - exact minimiser| over all runs", worst_sgd, "theta",
                     f"< {SGD_TOLERANCE:g} (else partly)", sgd_ok)] + reached)
