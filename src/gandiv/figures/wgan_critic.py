"""wgan-critic: a saturated GAN discriminator against a WGAN-GP critic, by the gradients they hand the generator.

Two networks trained (the `critic_train` jobs, gandiv.gan.fixed_pair_critic) to tell two far-apart fixed
1-D Gaussians P and Q apart, as in the WGAN paper's example. The claim (src/gandiv/figures/catalogue.yaml):
the discriminator saturates and the minimax loss log(1 - D) hands Q's samples vanishing gradients, while
the critic's -f hands them usable ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from gandiv.config_error import check_whole_calls
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.results_io import read_npz

SETTINGS = """\
description: >-
  A GAN discriminator and a WGAN-GP critic, each trained (one Snakemake job each) to tell two
  fixed 1-D Gaussians P and Q apart, and the gradients they hand a generator at Q.
type: object
additionalProperties: false
properties:
  p: &gaussian_1d
    description: A 1-D Gaussian by mean and standard deviation.
    type: object
    additionalProperties: false
    required: [mean, sd]
    properties:
      mean: {description: Mean., type: number}
      sd: {description: Standard deviation., type: number, exclusiveMinimum: 0}
    default: {mean: 0.0, sd: 1.0}
  q:
    <<: *gaussian_1d
    default: {mean: 10.0, sd: 1.0}
  steps:
    description: Training steps of each network (multiple of steps_per_call).
    type: integer
    minimum: 1
    default: 3000
  steps_per_call:
    description: Steps inside one compiled call.
    type: integer
    minimum: 1
    default: 500
  batch_size:
    description: Samples of P and of Q per step.
    type: integer
    minimum: 1
    default: 256
  learning_rate:
    description: Adam's learning rate (beta_1 0.5, beta_2 0.9, as in the WGAN-GP paper).
    type: number
    exclusiveMinimum: 0
    default: 0.001
  gp_weight:
    description: Gradient-penalty weight lambda of the critic.
    type: number
    minimum: 0
    default: 10.0
  hidden:
    description: Units per hidden ReLU layer of both networks.
    type: integer
    minimum: 1
    default: 64
  depth:
    description: Hidden layers of both networks.
    type: integer
    minimum: 1
    default: 2
  n_eval_samples:
    description: Samples of Q at which the generator's gradients are averaged.
    type: integer
    minimum: 1
    default: 2000
"""

NEEDS = Needs(("p", "q", "gp_weight"))

CURVES = "results/wgan_critic/{objective}.npz"  # what each `critic_train` job writes
RULES = {"gan": ("minimax", "nonsaturating"), "wgan_gp": ("wgan",)}  # network -> generator losses it is read with
LOSS_LABELS = {"minimax": "minimax log(1 − D), nats", "nonsaturating": "non-saturating −log D, nats",
               "wgan": "WGAN −f, f in x units"}
MEAN_AT_Q = "mean |d generator loss / dx| at Q's samples"  # the quantity the verdict reads
GRADIENT = "loss per unit x"  # nats per unit x for log(1 - D) and -log D; for -f, f's units (those of x) per unit x
VANISHING = 1e-3  # the minimax loss's mean |gradient| at Q below this counts as vanishing
USABLE = 0.5  # the critic's mean |gradient| at Q at least this (half its Lipschitz bound 1) counts as usable


def inputs(config) -> dict:
    """The trained networks' curves, by network: gan (the discriminator) and wgan_gp (the critic)."""
    return {objective: CURVES.format(objective=objective) for objective in RULES}


def check(settings, config) -> None:
    """Training steps are whole compiled calls (ConfigError naming figures.wgan-critic.steps otherwise)."""
    check_whole_calls("figures.wgan-critic", settings)


def compute(ctx: Context) -> Computed:
    """Each generator loss's |gradient| on every 8th point of the grid and its mean over Q's samples.

    extras: the networks' curves as read (grid outputs, gradients and outputs at Q's samples), by network.
    """
    curves = {objective: read_npz(ctx.inputs[objective], required=("grid", "grid_output", "q_output",
                                                                  *(f"{where}_grad_{rule}" for rule in rules
                                                                    for where in ("grid", "q"))))
              for objective, rules in RULES.items()}
    grid = curves["gan"]["grid"]
    rows = []
    for objective, rules in RULES.items():
        for rule in rules:
            grad = curves[objective][f"grid_grad_{rule}"]
            rows += [{"network": objective, "rule": rule, "x": x, "quantity": "|d generator loss / dx|", "value": g,
                      "unit": GRADIENT} for x, g in zip(grid[::8], np.abs(grad[::8]))]
            rows.append({"network": objective, "rule": rule, "x": np.nan, "quantity": MEAN_AT_Q,
                         "value": float(np.abs(curves[objective][f"q_grad_{rule}"]).mean()), "unit": GRADIENT})
    return Computed(pd.DataFrame(rows), {"curves": curves})


def draw(computed: Computed, ctx: Context):
    """Left: P, Q and both trained networks' outputs; right: |gradient| each generator loss hands x, on a log
    scale, with Q's bulk shaded."""
    curves, p, q = computed.extras["curves"], ctx.settings["p"], ctx.settings["q"]
    grid = curves["gan"]["grid"]
    fig, axes = figure(ncols=2, width=5.2, height=3.6)
    ax = axes[0, 0]
    ax.fill_between(grid, norm.pdf(grid, p["mean"], p["sd"]), alpha=0.3, label="P (real)")
    ax.fill_between(grid, norm.pdf(grid, q["mean"], q["sd"]), alpha=0.3, label="Q (generator, frozen)")
    ax.plot(grid, expit(curves["gan"]["grid_output"]), "C3", label="discriminator D(x)")
    critic = curves["wgan_gp"]["grid_output"]
    ax.plot(grid, (critic - critic.min()) / np.ptp(critic), "C2", label="WGAN-GP critic f(x), rescaled to [0, 1]")
    ax.set_xlabel("x")
    ax.set_ylabel("density (per unit x); D(x), rescaled f(x) (no unit)")
    ax.set_title("trained networks")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    for objective, rules in RULES.items():
        for rule in rules:
            grad = curves[objective][f"grid_grad_{rule}"]
            ax.semilogy(grid, np.maximum(np.abs(grad), 1e-30), label=LOSS_LABELS[rule])
    ax.axvspan(q["mean"] - 2 * q["sd"], q["mean"] + 2 * q["sd"], color="C1", alpha=0.15, label="Q's bulk (± 2 sd)")
    ax.set_xlabel("x")
    ax.set_ylabel("|d generator loss / dx| (loss per unit x)")
    ax.set_title("what the generator gets")
    ax.legend(fontsize=7)
    return fig


def soft_penalty_slope(settings) -> float:
    """|f'| of the linear critic that minimises the WGAN-GP loss E_Q f - E_P f + lambda E(|f'| - 1)^2 for the
    figure's P and Q: with f' = -s the loss is -s |mu_Q - mu_P| + lambda (s - 1)^2, least at
    s = 1 + |mu_Q - mu_P| / (2 lambda) (dimensionless: f is in x units). The penalty is soft, so this exceeds the
    Lipschitz bound 1 (1.5 at the defaults, distance 10 and lambda 10); Gulrajani et al. (2017), eq. 3."""
    return 1.0 + abs(settings["q"]["mean"] - settings["p"]["mean"]) / (2.0 * settings["gp_weight"])


def judge(computed: Computed, ctx: Context) -> dict:
    """Reproduced if the minimax loss's mean |gradient| at Q's samples is below VANISHING while the critic's is at
    least USABLE; partly if the critic's is merely the larger; not reproduced otherwise. The soft penalty's
    optimal slope (`soft_penalty_slope`) is reported beside them."""
    table, p, q = computed.table, ctx.settings["p"], ctx.settings["q"]
    mean_grad = table[table.quantity == MEAN_AT_Q].set_index("rule").value
    q_logit = float(computed.extras["curves"]["gan"]["q_output"].mean())
    minimax, wgan = mean_grad["minimax"], mean_grad["wgan"]
    vanishes, usable = bool(minimax < VANISHING), bool(wgan >= USABLE)
    status = "reproduced" if vanishes and usable else "partly" if wgan > minimax else "not reproduced"
    optimum = soft_penalty_slope(ctx.settings)
    summary = (f"With P = N({p['mean']:g}, {p['sd']:g}^2) and Q = N({q['mean']:g}, {q['sd']:g}^2) held fixed, the "
               f"trained discriminator is saturated on Q (mean logit {q_logit:.1f}): the minimax generator loss "
               f"log(1 - D) hands Q's samples a mean gradient of {minimax:.1e} nats per unit x (vanishing below "
               f"{VANISHING:g}), while the WGAN-GP critic hands them {wgan:.2f} (usable from {USABLE:g}; its "
               f"Lipschitz bound is 1, enforced softly, and the penalty's optimum for a linear critic is "
               f"{optimum:.2f}); the non-saturating loss -log D, for comparison, gives "
               f"{mean_grad['nonsaturating']:.2f}.")
    numbers = [("minimax: mean |gradient| at Q's samples", minimax, GRADIENT, f"< {VANISHING:g}", vanishes),
               ("WGAN-GP critic: mean |gradient| at Q's samples", wgan, GRADIENT, f">= {USABLE:g}", usable),
               ("WGAN-GP: soft-penalty optimum of a linear critic's slope, 1 + |mu_Q - mu_P| / (2 lambda)", optimum,
                ""),
               ("non-saturating: mean |gradient| at Q's samples", mean_grad["nonsaturating"], GRADIENT),
               ("discriminator's mean logit at Q's samples", q_logit, "nats")]
    return verdict("wgan-critic", status, summary, numbers)
