"""The lecture's maximum-likelihood (KL[P||Q]) fit of a correlated 2-D Gaussian from samples.

The lecture (catalogue entry `kl-fit-gaussian2d`) claims that minimising KL[P||Q] from samples by gradient
steps converges to the true parameters. Here minibatch Adam on the negative log-likelihood starts from a
deliberately poor Q; the exact sample MLE (sample mean, biased sample covariance) shows how close sampling
error lets any fit come.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.config_error import ConfigError
from gandiv.exact.densities import TargetKind, target_dim
from gandiv.exact.divergences import kl_gaussians
from gandiv.exact.families import Family, GaussianFamily
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, contours, figure
from gandiv.samples.likelihood import adam_maximum_likelihood

ID = "kl-fit-gaussian2d"

SETTINGS = """
description: Maximum-likelihood (KL) fit of a 2-D Gaussian from samples by minibatch gradient descent.
type: object
additionalProperties: false
required: [target]
properties:
  target:
    description: A 2-D target of kind gaussian.
    $ref: "#/$defs/target_name"
  n_samples: {description: "Samples drawn from the target.", type: integer, minimum: 1, default: 5000}
  batch_size: {description: "Minibatch size (<= n_samples).", type: integer, minimum: 1, default: 256}
  steps: {description: "Gradient steps.", type: integer, minimum: 1, default: 3000}
  learning_rate: {description: "Step size.", type: number, exclusiveMinimum: 0, default: 0.02}
"""
NEEDS = Needs(None, ("seed",), ("target",))

KL, TO_MLE, TO_TRUTH = "KL[P||Q_t]", "|theta_t - theta_MLE|", "|theta_t - theta_true|"
START_MEAN, START_COVARIANCE = [-3.0, 3.0], np.eye(2)  # a deliberately poor start
SHOWN_SAMPLES = 500  # samples of P drawn in the left panel
# Converged: KL within 10x the sampling error KL[P||Q_MLE] (+1e-3 nats for Adam's noise floor), and the
# parameters within 0.05 of the sample MLE.
KL_FACTOR, KL_FLOOR, TO_MLE_TOLERANCE = 10, 1e-3, 0.05


def check(settings, config) -> None:
    """The target is a 2-D Gaussian, and a minibatch is no larger than the sample; ConfigError otherwise."""
    targets = config["targets"]
    t = targets[settings["target"]]
    if t["kind"] != TargetKind.GAUSSIAN or target_dim(t) != 2:
        ok = [n for n, u in targets.items() if u["kind"] == TargetKind.GAUSSIAN and target_dim(u) == 2]
        raise ConfigError(f"figures.{ID}.target",
                          f"target {settings['target']!r} is a {target_dim(t)}-D {t['kind']}",
                          "a 2-D target of kind gaussian: " + (", ".join(ok) or "none defined"))
    if settings["batch_size"] > settings["n_samples"]:
        raise ConfigError(f"figures.{ID}.batch_size",
                          f"{settings['batch_size']} exceeds n_samples={settings['n_samples']}",
                          f"integer in [1, {settings['n_samples']}]")


def inputs(config) -> dict:
    """No upstream results: sampling and fitting run here."""
    return {}


def compute(ctx: Context) -> Computed:
    """Adam's trajectory (every 10th step): KL[P||Q_t] (nats) and the parameter distances (full-covariance
    packing) to the sample MLE and to the truth; rows step, quantity, value, unit.

    extras: "samples" (the first SHOWN_SAMPLES samples), "trajectory" [(step, theta)], "sampling_kl"
    (KL[P||Q_MLE], nats). The config's seed drives the samples, then the minibatches.
    """
    s = ctx.settings
    target = ctx.target(s["target"])
    family = GaussianFamily(2, Family.FULL)
    rng = np.random.default_rng(ctx.seed)
    samples = target.sample(s["n_samples"], rng)
    theta0 = family.pack(START_MEAN, START_COVARIANCE)
    trajectory = adam_maximum_likelihood(samples, family, theta0, s["steps"], s["batch_size"],
                                         s["learning_rate"], rng)
    mle = family.pack(samples.mean(axis=0), np.cov(samples.T, bias=True))
    truth = family.pack(target.means[0], target.covariances[0])
    rows = []
    for step, theta in trajectory:
        q = family.density(theta)
        rows += [{"step": step, "quantity": KL, "value": kl_gaussians(target, q), "unit": NATS},
                 {"step": step, "quantity": TO_MLE, "value": np.linalg.norm(theta - mle), "unit": "parameter units"},
                 {"step": step, "quantity": TO_TRUTH, "value": np.linalg.norm(theta - truth),
                  "unit": "parameter units"}]
    return Computed(pd.DataFrame(rows), {"samples": samples[:SHOWN_SAMPLES], "trajectory": trajectory,
                                         "sampling_kl": kl_gaussians(target, family.density(mle))})


def _wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per recorded step, one column per quantity."""
    return table.pivot(index="step", columns="quantity", values="value")


def draw(computed: Computed, ctx: Context):
    """Left: samples of P, P's contours (black) and Q_t's at a few steps; right: the errors against steps."""
    target = ctx.target(ctx.settings["target"])
    family = GaussianFamily(2, Family.FULL)
    samples, trajectory = computed.extras["samples"], computed.extras["trajectory"]
    fig, axes = figure(ncols=2, width=4.6, height=3.9)
    ax = axes[0, 0]
    bounds = np.array([[-5.0, 6.0], [-4.0, 4.5]])
    ax.scatter(samples[:, 0], samples[:, 1], s=2, color="0.7", label="samples of P")
    contours(ax, target, bounds, color="k", levels=3, linewidths=1.2)
    shown = [trajectory[i] for i in np.unique(np.geomspace(1, len(trajectory) - 1, 5).astype(int))]
    for i, (step, theta) in enumerate([trajectory[0]] + shown):
        contours(ax, family.density(theta), bounds, color=[f"C{i}"], levels=2, linewidths=1.0)
        ax.plot([], [], color=f"C{i}", label=f"Q at step {step}")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("P (black) and Q_t over training")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    wide = _wide(computed.table)
    for quantity in wide.columns:
        ax.semilogy(wide.index[1:], wide[quantity].iloc[1:], label=quantity)
    ax.set_xlabel("Adam step")
    ax.set_ylabel("error (nats for KL, else parameter units)")
    ax.legend(fontsize=7)
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """Reproduced if the final KL[P||Q] < 10 KL[P||Q_MLE] + 1e-3 nats and the final parameters lie within 0.05
    of the sample MLE; else not reproduced."""
    wide = _wide(computed.table)
    final_kl = float(wide[KL].iloc[-1])
    to_mle = float(wide[TO_MLE].iloc[-1])
    sampling_kl = computed.extras["sampling_kl"]
    ok = final_kl < KL_FACTOR * sampling_kl + KL_FLOOR and to_mle < TO_MLE_TOLERANCE
    s = ctx.settings
    summary = (f"From a poor start, minibatch Adam on the negative log-likelihood reaches KL[P||Q] = {final_kl:.2e} "
               f"nats after {s['steps']} steps; the exact sample MLE has {sampling_kl:.2e} (the sampling error of "
               f"{s['n_samples']} samples) and the fit is {to_mle:.3f} from it in parameters.")
    return verdict(ID, "reproduced" if ok else "not reproduced", summary, [
        ("final KL[P||Q]", final_kl, NATS), ("KL[P||Q_MLE] (sampling error)", sampling_kl, NATS),
        ("final |theta - theta_MLE|", to_mle, "parameter units"),
    ])
