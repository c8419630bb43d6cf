"""The lecture's maximum-likelihood (KL[P||Q]) fit of a correlated 2-D Gaussian from samples, and its consistency.

The lecture (catalogue entry `kl-fit-gaussian2d`) claims that minimising KL[P||Q] from samples by gradient
steps converges to the true parameters. The gradient procedure: minibatch Adam on the negative log-likelihood
(`gandiv.samples.likelihood`) from a deliberately poor Q, whose estimate is the average of the recorded iterates
over the last half of the steps (iterate averaging, Polyak & Juditsky 1992; Ruppert 1988): a constant step size
leaves the iterates scattered around the optimum, their average is not. Two parts:

- one fit of `n_samples` samples: its trajectory, against the exact sample MLE (sample mean, biased sample
  covariance), the closest any fit of those samples can come to the truth;
- a sample-size sweep: `sweep_seeds` independent sample sets of each size n in `sample_sizes`, each fitted by the
  same procedure. Consistency at the parametric rate: the MLE is asymptotically normal with covariance
  I(theta)^-1 / n, so its error |theta_MLE - theta_true| shrinks like n^(-1/2); the gradient fit inherits that rate
  if it reaches the sample MLE.

Parameters are compared in the full-covariance packing of `GaussianFamily` (mean, then the log-Cholesky factor of
the covariance), in "parameter units"; KL in nats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

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
  n_samples: {description: "Samples drawn from the target for the fit whose trajectory is drawn.", type: integer,
              minimum: 1, default: 5000}
  batch_size: {description: "Minibatch size (<= n_samples and <= every sample size of the sweep).", type: integer,
               minimum: 1, default: 256}
  steps: {description: "Gradient steps of every fit.", type: integer, minimum: 1, default: 3000}
  learning_rate: {description: "Adam's step size.", type: number, exclusiveMinimum: 0, default: 0.02}
  sample_sizes:
    description: >-
      Sample sizes n of the consistency sweep: the error of the gradient fit against the true parameters is
      measured at each, and its log-log slope in n decides the verdict.
    type: array
    minItems: 2
    uniqueItems: true
    items: {type: integer, minimum: 2}
    default: [256, 512, 1024, 2048, 4096, 8192]
  sweep_seeds:
    description: Independent sample sets (each fitted from the same start) per sample size of the sweep.
    type: integer
    minimum: 1
    default: 5
"""
NEEDS = Needs(None, ("seed",), ("target",))

TRAJECTORY, SWEEP = "trajectory", "sweep"  # the table's two parts (column `part`)
KL, TO_MLE, TO_TRUTH = "KL[P||Q_t]", "|theta_t - theta_MLE|", "|theta_t - theta_true|"  # trajectory quantities
FIT_TO_TRUTH, FIT_TO_MLE = "|theta_fit - theta_true|", "|theta_fit - theta_MLE|"  # sweep quantities
MLE_TO_TRUTH = "|theta_MLE - theta_true|"
PARAMETER_UNITS = "parameter units"
START_MEAN, START_COVARIANCE = [-3.0, 3.0], np.eye(2)  # a deliberately poor start
SHOWN_SAMPLES = 500  # samples of P drawn in the left panel
# The parametric rate: error ~ n^RATE. The slope is fitted to the log of the mean error over the sweep's sets: with
# 5 sets per size, 6 sizes doubling from 256, the sample MLE's slope scatters with sd ~0.07 around -1/2 (simulated;
# |theta_MLE - theta_true| over 5 parameters has a coefficient of variation ~0.36, so a 5-set mean ~0.16 in log).
# A window of +-0.25 is ~3.5 such sds, and excludes an error that stalls (slope 0) or shrinks like 1/n (slope -1).
RATE, RATE_WINDOW = -0.5, 0.25
# The fit reaches the sample MLE: at the largest n, its largest distance from the MLE over the sets is at most this
# share of the mean sampling error |theta_MLE - theta_true| there, so the sweep measures the estimator, not the
# optimiser. Optimiser and sampling errors add about in quadrature: half inflates the error by ~12% (at worst, aligned,
# by 50%: a log shift of 0.41 at the largest n, which moves the slope fitted over log(32) by under 0.1), well inside
# RATE_WINDOW. The share cannot vanish: the averaged iterate in effect maximises the likelihood of the
# steps * batch_size / 2 minibatch draws (with replacement) of the last half, so it sits about
# sqrt(2 n / (steps * batch_size)) sampling errors from the sample MLE: 0.15 at n = 8192 with the defaults (3000 steps
# of 256); measured with config.yaml (seed 0): 0.22 for the largest of the 5 sets.
OPTIMISER_SHARE = 0.5


def check(settings, config) -> None:
    """The target is a 2-D Gaussian, and a minibatch is no larger than the sample or any sample of the sweep;
    ConfigError otherwise."""
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
    for i, n in enumerate(settings["sample_sizes"]):
        if n < settings["batch_size"]:
            raise ConfigError(f"figures.{ID}.sample_sizes[{i}]", f"{n} is below batch_size={settings['batch_size']}",
                              f"an integer >= {settings['batch_size']}")


def inputs(config) -> dict:
    """No upstream results: sampling and fitting run here."""
    return {}


def gradient_fit(samples: np.ndarray, family: GaussianFamily, settings, rng: np.random.Generator):
    """The figure's gradient procedure on one sample set: minibatch Adam on the negative log-likelihood from the
    poor start (settings `steps`, `batch_size`, `learning_rate`; `rng` draws the minibatches). Returns its
    trajectory [(step, theta)] (every 10th step) and its estimate, the mean of the recorded iterates after half the
    steps."""
    theta0 = family.pack(START_MEAN, START_COVARIANCE)
    steps = settings["steps"]
    trajectory = adam_maximum_likelihood(samples, family, theta0, steps, settings["batch_size"],
                                         settings["learning_rate"], rng)
    return trajectory, np.mean([theta for step, theta in trajectory if step > steps / 2], axis=0)


def sample_mle(samples: np.ndarray, family: GaussianFamily) -> np.ndarray:
    """The exact maximum-likelihood parameters of a Gaussian for the samples (mean, biased covariance)."""
    return family.pack(samples.mean(axis=0), np.cov(samples.T, bias=True))


def sweep_rows(target, family: GaussianFamily, settings, seed: int) -> list[dict]:
    """The consistency sweep: for each size n and set k, n samples of P fitted by `gradient_fit`, with the fit's
    distance to the truth and to the sample MLE and the MLE's distance to the truth (parameter units).

    Randomness follows the single fit's: one generator draws the samples, then the minibatches. Set (n, k) has the
    child of the config's seed with spawn key (n, k) (numpy `SeedSequence`): independent of every other set and of
    the single fit (the root's own stream), and unchanged when sizes are added.
    """
    truth = family.pack(target.means[0], target.covariances[0])
    rows = []
    for n in settings["sample_sizes"]:
        for k in range(settings["sweep_seeds"]):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(n, k)))
            samples = target.sample(n, rng)
            _, fitted = gradient_fit(samples, family, settings, rng)
            mle = sample_mle(samples, family)
            rows += [{"part": SWEEP, "n_samples": n, "sample_set": k, "quantity": quantity, "value": value,
                      "unit": PARAMETER_UNITS}
                     for quantity, value in ((FIT_TO_TRUTH, np.linalg.norm(fitted - truth)),
                                             (FIT_TO_MLE, np.linalg.norm(fitted - mle)),
                                             (MLE_TO_TRUTH, np.linalg.norm(mle - truth)))]
    return rows


def compute(ctx: Context) -> Computed:
    """The single fit's trajectory (every 10th step): KL[P||Q_t] (nats) and the parameter distances to the sample
    MLE and to the truth, rows part "trajectory", step; then the sweep (`sweep_rows`), rows part "sweep",
    n_samples, sample_set. Columns part, n_samples, sample_set, step, quantity, value, unit.

    extras: "samples" (the first SHOWN_SAMPLES samples), "trajectory" [(step, theta)], "sampling_kl"
    (KL[P||Q_MLE], nats), "fit_to_mle" (the single fit's estimate's distance to the MLE, parameter units). The
    config's seed drives the samples, then the minibatches, of the single fit.
    """
    s = ctx.settings
    target = ctx.target(s["target"])
    family = GaussianFamily(2, Family.FULL)
    rng = np.random.default_rng(ctx.seed)
    samples = target.sample(s["n_samples"], rng)
    trajectory, fitted = gradient_fit(samples, family, s, rng)
    mle = sample_mle(samples, family)
    truth = family.pack(target.means[0], target.covariances[0])
    rows = []
    for step, theta in trajectory:
        q = family.density(theta)
        rows += [{"part": TRAJECTORY, "n_samples": s["n_samples"], "step": step, "quantity": quantity,
                  "value": value, "unit": unit}
                 for quantity, value, unit in ((KL, kl_gaussians(target, q), NATS),
                                               (TO_MLE, np.linalg.norm(theta - mle), PARAMETER_UNITS),
                                               (TO_TRUTH, np.linalg.norm(theta - truth), PARAMETER_UNITS))]
    rows += sweep_rows(target, family, s, ctx.seed)
    columns = ["part", "n_samples", "sample_set", "step", "quantity", "value", "unit"]
    return Computed(pd.DataFrame(rows, columns=columns),
                    {"samples": samples[:SHOWN_SAMPLES], "trajectory": trajectory,
                     "sampling_kl": kl_gaussians(target, family.density(mle)),
                     "fit_to_mle": float(np.linalg.norm(fitted - mle))})


def _wide(table: pd.DataFrame) -> pd.DataFrame:
    """The trajectory: one row per recorded step, one column per quantity."""
    return table[table.part == TRAJECTORY].pivot(index="step", columns="quantity", values="value")


def _sweep(table: pd.DataFrame) -> pd.DataFrame:
    """The sweep: one row per sample size (increasing), the mean of each quantity over the sets as columns."""
    return table[table.part == SWEEP].pivot_table(index="n_samples", columns="quantity", values="value",
                                                  aggfunc="mean")


def rate(table: pd.DataFrame) -> tuple[float, float]:
    """Least-squares (slope, intercept) of log(mean |theta_fit - theta_true|) on log(n) over the sweep."""
    sweep = _sweep(table)
    slope, intercept = np.polyfit(np.log(sweep.index.to_numpy(float)), np.log(sweep[FIT_TO_TRUTH].to_numpy()), 1)
    return float(slope), float(intercept)


def draw(computed: Computed, ctx: Context):
    """Left: samples of P, P's contours (black) and Q_t's at a few steps; middle: the single fit's errors against
    steps, the averaged half and the average's distance to the sample MLE; right: the sweep's error against n
    (log-log), each set, their mean and its fitted slope, the sample MLE's error, and a 1/sqrt(n) reference line."""
    target = ctx.target(ctx.settings["target"])
    family = GaussianFamily(2, Family.FULL)
    samples, trajectory = computed.extras["samples"], computed.extras["trajectory"]
    fig, axes = figure(ncols=3, width=4.6, height=3.9)
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
    steps = ctx.settings["steps"]
    ax.axvspan(steps / 2, steps, color="0.9", zorder=0, label="iterates averaged")
    ax.axhline(computed.extras["fit_to_mle"], color="k", ls="--", lw=0.8, label="their average: |θ - θ_MLE|")
    ax.set_xlabel("Adam step")
    ax.set_ylabel("error (nats for KL, else parameter units)")
    ax.set_title(f"one fit, n = {ctx.settings['n_samples']}")
    ax.legend(fontsize=7)
    _draw_sweep(axes[0, 2], computed.table)
    return fig


def _draw_sweep(ax, table: pd.DataFrame) -> None:
    """The sweep's errors against n on log-log axes, with the fitted rate and a 1/sqrt(n) reference."""
    sets = table[(table.part == SWEEP) & (table.quantity == FIT_TO_TRUTH)]
    sweep = _sweep(table)
    n = sweep.index.to_numpy(float)
    slope, intercept = rate(table)
    ax.scatter(sets.n_samples, sets.value, s=10, color="0.6", label="gradient fit, each sample set")
    ax.plot(n, sweep[FIT_TO_TRUTH], "o-", color="C0", label="gradient fit, mean over sets")
    ax.plot(n, np.exp(intercept) * n**slope, ":", color="C0", label=f"fitted slope {slope:.2f}")
    ax.plot(n, sweep[MLE_TO_TRUTH], "s--", ms=3, color="C2", label="exact sample MLE, mean over sets")
    # the reference c / sqrt(n), c the least-squares fit of the mean errors at slope -1/2
    c = np.exp(np.mean(np.log(sweep[FIT_TO_TRUTH].to_numpy()) - RATE * np.log(n)))
    ax.plot(n, c * n**RATE, "k-", lw=0.8, label="∝ 1/√n")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(n, [f"{size:g}" for size in n])  # the sizes themselves: log-scale minor labels would collide
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("sample size n")
    ax.set_ylabel("|θ - θ_true| (parameter units)")
    ax.set_title("consistency: error against n")
    ax.legend(fontsize=7)


def judge(computed: Computed, ctx: Context) -> dict:
    """Reproduced if the fitted log-log slope of the sweep's mean |theta_fit - theta_true| on n lies in
    [RATE - RATE_WINDOW, RATE + RATE_WINDOW] = [-0.75, -0.25] and, at the largest n, the largest
    |theta_fit - theta_MLE| over the sets is at most OPTIMISER_SHARE = 0.5 of the mean |theta_MLE - theta_true|;
    else not reproduced. The single fit's KL and distance to its sample MLE are reported."""
    table = computed.table
    sweep = _sweep(table)
    slope, _ = rate(table)
    low, high = RATE - RATE_WINDOW, RATE + RATE_WINDOW
    rate_ok = low <= slope <= high
    n_max = int(sweep.index.max())
    at_max = table[(table.part == SWEEP) & (table.n_samples == n_max)]
    optimiser = float(at_max[at_max.quantity == FIT_TO_MLE].value.max())
    sampling = float(sweep.loc[n_max, MLE_TO_TRUTH])
    share = optimiser / sampling
    reach_ok = share <= OPTIMISER_SHARE
    mle_slope = float(np.polyfit(np.log(sweep.index.to_numpy(float)), np.log(sweep[MLE_TO_TRUTH].to_numpy()), 1)[0])
    wide = _wide(table)
    final_kl = float(wide[KL].iloc[-1])
    s = ctx.settings
    failed = ([f"the error's slope {slope:.2f} is outside [{low:g}, {high:g}]"] if not rate_ok else []) + (
        [f"at n={n_max} the fits stay up to {share:.2f} of the sampling error from the sample MLE (allowed "
         f"{OPTIMISER_SHARE:g})"] if not reach_ok else [])
    summary = (f"Over {len(sweep)} sample sizes from {int(sweep.index.min())} to {n_max} ({s['sweep_seeds']} sample "
               f"sets each), minibatch Adam on the negative log-likelihood ({s['steps']} steps, iterates averaged "
               f"over the last half) ends {sweep[FIT_TO_TRUTH].iloc[0]:.3f} to {sweep[FIT_TO_TRUTH].iloc[-1]:.3f} "
               f"from the true parameters on average, a log-log slope of {slope:.2f} in n (the exact sample MLE: "
               f"{mle_slope:.2f}; consistency at the parametric rate is -1/2); at n={n_max} the fits are at most "
               f"{optimiser:.4f} from their sample MLE, {share:.2f} of its sampling error. "
               + ("The fits are consistent at the 1/sqrt(n) rate, as the lecture says." if rate_ok and reach_ok
                  else "Failed: " + "; ".join(failed) + ".")
               + f" The single fit of {s['n_samples']} samples reaches KL[P||Q] = {final_kl:.2e} nats (the sample "
               f"MLE: {computed.extras['sampling_kl']:.2e}).")
    return verdict(ID, "reproduced" if rate_ok and reach_ok else "not reproduced", summary, [
        ("log-log slope of mean |theta_fit - theta_true| on n", slope, "", f"in [{low:g}, {high:g}]", rate_ok),
        (f"largest |theta_fit - theta_MLE| / mean |theta_MLE - theta_true| at n={n_max}", share, "",
         f"<= {OPTIMISER_SHARE:g}", reach_ok),
        ("log-log slope of mean |theta_MLE - theta_true| on n", mle_slope, ""),
        (f"mean |theta_fit - theta_true| at n={int(sweep.index.min())}", sweep[FIT_TO_TRUTH].iloc[0],
         PARAMETER_UNITS),
        (f"mean |theta_fit - theta_true| at n={n_max}", sweep[FIT_TO_TRUTH].iloc[-1], PARAMETER_UNITS),
        ("single fit: final KL[P||Q_t]", final_kl, NATS),
        ("single fit: KL[P||Q_MLE] (sampling error)", computed.extras["sampling_kl"], NATS),
        ("single fit: |theta_fit - theta_MLE| (iterates averaged)", computed.extras["fit_to_mle"], PARAMETER_UNITS),
    ])
