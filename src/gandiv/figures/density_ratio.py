"""density-ratio: the discriminator step as a density-ratio estimator (catalogue.yaml, id density-ratio).

The claim: the trained discriminator's logit approximates log(pi p / ((1-pi) q)) (Huszár, blog, March 2016; the
Bayes-optimal logit, `gandiv.update_rules.optimal_logit`). Two views, both against the exact ratio of the 1-D
target's density (`gandiv.exact.densities`) and a Gaussian Q's closed form:

* frozen Q (deciding): the GAN grid's discriminator (`gan.discriminator`, Adam with `gan.optimizer`'s
  d_learning_rate and beta_1, `gan.batch_size` samples of each class per step) trained with the D-step's
  prior-weighted logistic loss on fresh samples of P and of a frozen Q = N(mean, sd^2), for every Q of the
  settings, every pi and seed. The `density_ratio_train` job trains them (`gandiv.pipeline.gan_jobs.
  train_density_ratio_job`, `gandiv.gan.frozen_q`, in the GAN environment) and writes FROZEN_Q: every run's logit
  after every compiled chunk on a quadrature grid covering P and every Q (`frozen_grid`: spacing the narrowest
  sd / QUAD_POINTS_PER_SD, QUAD_HALFWIDTH_SD sds beyond every component). This figure measures it: the deciding
  error is the RMSE weighted by M = pi P + (1-pi) Q over the overlap, where the Bayes-optimal D lies in
  [0.01, 0.99] (|exact log ratio| <= OVERLAP_LOGIT); the M-weighted RMSE over the whole line is reported only.
  A run is converged when its overlap RMSE drifts by at most `convergence_tol` over the last WINDOW_FRACTION of
  its steps.
* during training (reported, not deciding): every Gaussian-generator GAN of the grid on the target, its final
  logit on the probe grid against the exact ratio for the run's trained Q; runs that did not meet the GAN
  convergence criterion (the evaluation table's `converged`) are marked.

Inputs: the frozen-Q training's arrays (FROZEN_Q), the group's evaluation table (the trained Gaussians'
parameters and `converged`) and each GAN run's status and snapshots, as lists in the order of `grid_runs`.
"""

from __future__ import annotations

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd

from gandiv.config_error import ConfigError, check_whole_calls
from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.exact.divergences import log_mixture
from gandiv.exact.quadrature import grid_for
from gandiv.figures.evidence import (MIN_SEEDS, SHIFT_FORMULA, converged_only, minimum_detectable_shift,
                                     seeds_number)
from gandiv.figures.gan_tables import read_grid_evaluation
from gandiv.figures.grid_checks import check_trained
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, figure
from gandiv.figures.trained_gaussians import gan_parameters, gaussian_target, rule_order
from gandiv.gan import runs
from gandiv.results_io import read_gan_run, read_npz
from gandiv.update_rules import optimal_logit

FIGURE_ID = "density-ratio"
SETTINGS = """
description: >-
  The discriminator step as a density-ratio estimator: the GAN grid's discriminator trained to convergence
  against frozen Gaussians Q (deciding), and the trained GANs' final discriminators (reported); needs a `gan`
  section training `generator` on the 1-D `target`.
type: object
additionalProperties: false
required: [target]
properties:
  target:
    description: A 1-D target trained in some `gan.grid` entry with the gaussian generator.
    $ref: "#/$defs/target_name"
  generator:
    description: Generator whose exact density defines the true ratio of the trained GANs (the reported view).
    type: string
    enum: [gaussian]
    default: gaussian
  frozen:
    description: >-
      The deciding view: the grid's discriminator (gan.discriminator, gan.optimizer, gan.batch_size) trained
      against each frozen Q, for each pi and seed, all runs stacked in one model (one `density_ratio_train` job;
      the defaults take about 2.5 minutes on one CPU core).
    type: object
    additionalProperties: false
    default: {}
    properties:
      qs:
        description: >-
          Frozen generators Q = N(mean, sd^2), overlapping the target. The defaults are for bimodal_1d
          (0.7 N(-2, 0.6^2) + 0.3 N(2, 0.5^2)): its maximum-likelihood Gaussian N(-0.8, 1.92^2) rounded, and one
          leaning to the major mode that still covers the minor one. A third, N(-1.7, 1.0^2), is left out to keep
          the job near 2.5 minutes (its runs settle too: overlap RMSE 0.06 to 0.17 nats after 6000 steps).
        type: array
        minItems: 1
        items:
          type: object
          additionalProperties: false
          required: [mean, sd]
          properties:
            mean: {description: Mean (x units)., type: number}
            sd: {description: Standard deviation (x units)., type: number, exclusiveMinimum: 0}
        default: [{mean: -0.8, sd: 2.0}, {mean: -1.4, sd: 1.3}]
      pi:
        description: Priors pi of real data in the discriminator's loss.
        type: array
        minItems: 1
        uniqueItems: true
        items: {type: number, exclusiveMinimum: 0, exclusiveMaximum: 1}
        default: [0.1, 0.5, 0.9]
      seeds:
        description: Seeds of every (Q, pi); each run's streams come from its seed and (target, Q, pi).
        $ref: "#/$defs/seed_list"
        default: [0, 1, 2, 3, 4]
      steps:
        description: Discriminator updates of every run (a multiple of steps_per_call, at least 5 calls).
        type: integer
        minimum: 1
        default: 6000
      steps_per_call:
        description: Steps inside one compiled call; the logit is recorded after every call.
        type: integer
        minimum: 1
        default: 100
      convergence_tol:
        description: >-
          Largest drift (nats) of a run's overlap RMSE (where the Bayes-optimal D is in [0.01, 0.99]) over its
          last 20% of steps (least-squares slope times the window's length) for the run to count as converged.
          The default is twice the drift Adam's chunk-to-chunk fluctuation alone gives with the defaults: over
          the window's 13 records the RMSE scatters about its line with sd up to 0.05 nats, a fitted drift with
          sd 0.89 x 0.05 = 0.045 nats.
        type: number
        exclusiveMinimum: 0
        default: 0.1
"""
# The figure job reads only what it measures with; the training's settings and the grid's discriminator are read
# by the `density_ratio_train` job (TRAINING_SETTINGS, TRAINING_CONFIG), and the figure takes the runs from its file.
NEEDS = Needs(("target", "generator", "frozen.convergence_tol"), (), ("target",))
TRAINING_SETTINGS = ("target", "frozen.qs", "frozen.pi", "frozen.seeds", "frozen.steps", "frozen.steps_per_call")
TRAINING_CONFIG = ("gan.discriminator.hidden", "gan.discriminator.depth", "gan.optimizer.d_learning_rate",
                   "gan.optimizer.beta_1", "gan.batch_size")
FROZEN_Q = "results/density_ratio/frozen_q.npz"  # what the `density_ratio_train` job writes
FROZEN_ARRAYS = ("x", "steps", "logits", "q_mean", "q_sd", "pi", "seed")  # its arrays (train_density_ratio_job)

# The overlap: where the Bayes-optimal D* = sigmoid(exact log ratio) is in [0.01, 0.99]. Outside it the expected
# logistic loss barely depends on the logit: its curvature in the logit at x is m(x) D(1 - D) < 0.01 m(x), and no
# sample tells a logit of -10 from one of -30 (a D of 5e-5 from 1e-13 costs nothing), so what a network outputs
# there is extrapolation. The claim is about a ratio estimator, so it is judged where there is a ratio to estimate.
# Outside the overlap lie mostly Q's tails, where P has no mass: with the default Q's and pi that region holds 0.4%
# to 27% of M's mass, and there the exact log ratio reaches -24 nats (5th percentile of that mass). Errors of
# several nats there (up to 30 at the edge of what is drawn) are why the M-weighted RMSE over the whole line,
# reported only, is large: 0.2 to 1.6 nats against 0.06 to 0.18 over the overlap.
OVERLAP_LOGIT = float(np.log(99.0))  # |exact log ratio| <= log(0.99 / 0.01) = 4.60 nats
# The deciding threshold (nats) on a cell's median overlap RMSE. The logit's error cannot go below the fluctuation
# of constant-step Adam's iterates: at the grid's learning rate 1e-3 and batch 256, the overlap RMSE of
# discriminators trained against N(-0.8, 2^2) and N(-1.4, 1.3^2) on bimodal_1d keeps moving between 0.06 and 0.2
# nats from one chunk to the next, through 20,000 steps as through 6,000 (the defaults: 0.06 to 0.18 nats at the
# end, scattering by up to 0.05 nats about its trend over the last 20%). 0.25 nats clears that floor; an error
# that size leaves the ratio p/q within a factor e^0.25 = 1.28 where the classes overlap.
RMSE_TOL = 0.25
WINDOW_FRACTION = 0.2  # convergence is judged over the last 20% of the steps
QUAD_POINTS_PER_SD = 8.0  # frozen-Q error grid: spacing = the narrowest sd of P and the Q's / 8
QUAD_HALFWIDTH_SD = 6.0  # ... covering 6 sds beyond every component (M's mass outside: < 2e-9)
SHOWN_FRACTION = 1e-3  # curves are drawn (and kept in the table) where m >= 0.1% of its maximum
N_CURVE_POINTS = 51  # points kept per curve in the tidy table
FROZEN, DURING = "frozen Q", "during training"  # the two views (`view` column)
OVERLAP_RMSE = "M-weighted RMSE of logit - exact log ratio where 0.01 <= D* <= 0.99"
OVERLAP_TRACE = f"{OVERLAP_RMSE}, after each call"
RMSE = "M-weighted RMSE of logit - exact log ratio over the whole line"
DRIFT = f"drift of the overlap RMSE over the last {WINDOW_FRACTION:.0%} of steps"
LOGIT, DENSITY = "discriminator logit", "mixture density m"
RUN_IDS = ("view", "rule", "q_mean", "q_sd", "pi", "seed", "diverged", "converged")
COLUMNS = ["target", "generator", *RUN_IDS, "step", "x", "quantity", "value", "unit", "exact", "error"]


def inputs(config) -> dict:
    """The frozen-Q training's arrays, the group's evaluation table, and every grid run's status and snapshots
    (same order in both lists)."""
    settings = config["figures"][FIGURE_ID]
    grid = runs.grid_runs(config, settings["target"], settings["generator"])
    return {"frozen": FROZEN_Q,
            "evaluation": runs.evaluation_table("grid", settings["target"], settings["generator"]),
            "statuses": [run.file("status.json") for run in grid],
            "snapshots": [run.file("snapshots.npz") for run in grid]}


def training_keys(config) -> list[str]:
    """Dotted config keys the `density_ratio_train` job reads (its rule declares them): the training's settings,
    its target's entry and the grid's discriminator and optimiser."""
    own = [f"figures.{FIGURE_ID}.{key}" for key in TRAINING_SETTINGS]
    return [*own, f"targets.{config['figures'][FIGURE_ID]['target']}", *TRAINING_CONFIG]


def check(settings, config) -> None:
    """The target is 1-D and trained with the generator in `gan.grid`; the frozen-Q training is whole compiled
    calls, at least 5 of them (so its last 20% holds two records). ConfigError naming the key otherwise."""
    check_trained(FIGURE_ID, settings, config, "target", "generator", one_d=True)
    frozen = settings["frozen"]
    check_whole_calls(f"figures.{FIGURE_ID}.frozen", frozen)
    if frozen["steps"] < 5 * frozen["steps_per_call"]:
        raise ConfigError(f"figures.{FIGURE_ID}.frozen.steps_per_call",
                          f"{frozen['steps_per_call']} leaves fewer than 5 calls in {frozen['steps']} steps",
                          f"at most steps / 5 = {frozen['steps'] // 5}")


def ratio_errors(log_p: np.ndarray, log_q: np.ndarray, pi: float, logits: np.ndarray) -> dict:
    """The logit against the exact log(pi p / ((1-pi) q)) at n points of a uniform grid, and its summaries (nats).

    log_p, log_q: (n,) log densities at the points; logits: (..., n), e.g. (K, n) for K moments of training.
    Returns exact (n,), error (..., n), density m = pi p + (1-pi) q (n,) per unit x, overlap (n,) (|exact| <=
    OVERLAP_LOGIT), and per leading index: overlap_rmse, the RMSE weighted by m normalised over the overlap's
    points (deciding; points of the overlap where m is negligible, such as far-out crossings of the log ratio
    through zero, count for nothing); rmse, the same over every point (reported). NaN where a logit is not finite,
    and overlap_rmse NaN where no point is in the overlap.
    """
    exact = optimal_logit(log_p, log_q, pi)
    error = np.asarray(logits, dtype=float) - exact
    density = np.exp(log_mixture(log_p, log_q, pi))
    overlap = np.abs(exact) <= OVERLAP_LOGIT
    weight = density / density.sum()
    overlap_weight = np.where(overlap, weight, 0.0)
    overlap_mass = overlap_weight.sum()
    finite = np.all(np.isfinite(error), axis=-1)
    covered = finite & (overlap_mass > 0)
    squared = np.where(np.isfinite(error), error, 0.0) ** 2
    rmse = np.sqrt(squared @ weight)
    overlap_rmse = np.sqrt(squared @ overlap_weight / max(overlap_mass, np.finfo(float).tiny))
    return {"exact": exact, "error": error, "density": density, "overlap": overlap,
            "overlap_rmse": np.where(covered, overlap_rmse, np.nan), "rmse": np.where(finite, rmse, np.nan)}


def window_drift(steps: np.ndarray, rmse: np.ndarray) -> float:
    """How much an RMSE (K,) recorded at steps (K,) still moves at the end of training (nats): the least-squares
    slope over the records in the last WINDOW_FRACTION of the steps times the window's length. NaN if a record
    there is not finite."""
    start = (1.0 - WINDOW_FRACTION) * steps[-1]
    t, y = steps[steps >= start].astype(float), rmse[steps >= start]
    if not np.all(np.isfinite(y)):
        return np.nan
    return float(np.polyfit(t, y, 1)[0] * (t[-1] - t[0]))


# --------------------------------------------------------------------------- frozen Q (deciding)


def frozen_specs(frozen) -> list[tuple[float, float, float, int]]:
    """(q_mean, q_sd, pi, seed) of every frozen-Q run of the `frozen` settings, Q-major then pi then seed."""
    return [(float(q["mean"]), float(q["sd"]), float(pi), int(seed))
            for q in frozen["qs"] for pi in frozen["pi"] for seed in frozen["seeds"]]


def frozen_grid(target: GaussianMixture, qs) -> np.ndarray:
    """The frozen-Q runs' error grid (n,) in x units: uniform, covering the target and every Q = N(mean, sd^2) of
    `qs` to QUAD_HALFWIDTH_SD sds, spacing the narrowest sd / QUAD_POINTS_PER_SD."""
    grid = grid_for(target, *(gaussian(q["mean"], q["sd"] ** 2) for q in qs),
                    points_per_sd=QUAD_POINTS_PER_SD, halfwidth_sd=QUAD_HALFWIDTH_SD)
    return grid.points[:, 0]


def frozen_runs(ctx: Context, target: GaussianMixture) -> list[dict]:
    """Every frozen-Q run of the training's file (ctx.inputs["frozen"], FROZEN_ARRAYS), measured.

    Each run: q_mean, q_sd, pi, seed; steps (K,) and overlap_rmse (K,) after every call; its final x (n,), logit,
    exact, error (n,), density (n,) and overlap (n,) on the quadrature grid; rmse (final, nats);
    drift (`window_drift` of overlap_rmse); diverged (a non-finite final logit); converged (|drift| <=
    convergence_tol).
    """
    data = read_npz(ctx.inputs["frozen"], required=FROZEN_ARRAYS)
    x, steps, tol = data["x"], data["steps"], ctx.settings["frozen"]["convergence_tol"]
    log_p = target.log_prob(x[:, None])
    found = []
    for r, (m, sd, pi, seed) in enumerate(zip(data["q_mean"], data["q_sd"], data["pi"], data["seed"])):
        m, sd, pi, seed = float(m), float(sd), float(pi), int(seed)
        e = ratio_errors(log_p, gaussian(m, sd**2).log_prob(x[:, None]), pi, data["logits"][:, r])
        drift = window_drift(steps, e["overlap_rmse"])
        final = data["logits"][-1, r].astype(float)
        found.append({"q_mean": m, "q_sd": sd, "pi": pi, "seed": seed, "steps": steps,
                      "overlap_rmse": e["overlap_rmse"], "x": x, "logit": final, "exact": e["exact"],
                      "error": e["error"][-1], "density": e["density"], "overlap": e["overlap"],
                      "rmse": float(e["rmse"][-1]), "drift": drift,
                      "diverged": not np.all(np.isfinite(final)),
                      "converged": bool(np.isfinite(e["overlap_rmse"][-1]) and abs(drift) <= tol)})
    return found


# --------------------------------------------------------------------------- trained GANs (reported)


def _converged_gans(ctx: Context) -> set[tuple[str, float, int]]:
    """(rule, pi, seed) of the figure's GAN runs that met the GAN convergence criterion (evaluation table)."""
    table = read_grid_evaluation(ctx.inputs["evaluation"])
    table = table[(table.target == ctx.settings["target"]) & (table.generator == ctx.settings["generator"])]
    ok = converged_only(table)[["rule", "pi", "seed"]].drop_duplicates()
    return {(rule, round(float(pi), 12), int(seed)) for rule, pi, seed in ok.itertuples(index=False)}


def trained_gan_runs(ctx: Context, target) -> list[dict]:
    """Each GAN run of the figure's target and generator: names, converged, its final logit on the probe grid
    against the exact ratio for its trained Q = N(mean, sd^2) (`ratio_errors`: overlap_rmse and rmse in
    nats), and the snapshot's step."""
    params, converged = gan_parameters(ctx), _converged_gans(ctx)
    found = []
    for status_path, snapshots_path in zip(ctx.inputs["statuses"], ctx.inputs["snapshots"]):
        status, snap = read_gan_run(status_path, snapshots_path)
        if status["target"] != ctx.settings["target"] or status["generator"] != ctx.settings["generator"]:
            continue
        rule, pi, seed = status["rule"], float(status["pi"]), int(status["seed"])
        match = params[(params.rule == rule) & np.isclose(params.pi, pi) & (params.seed == seed)]
        if len(match) != 1:
            raise ValueError(f"{len(match)} parameter rows in the eval CSV for rule={rule} pi={pi} seed={seed}")
        row = match.iloc[0]
        points = np.asarray(snap["probe_points"], dtype=float).reshape(len(snap["probe_points"]), -1)
        logit = np.asarray(snap["probe_logits"], dtype=float)[-1]
        mean, sd = float(row["mean"]), float(row["sd"])
        e = ratio_errors(target.log_prob(points), gaussian(mean, sd**2).log_prob(points), pi, logit)
        found.append({"rule": rule, "pi": float(row["pi"]), "seed": seed, "q_mean": mean, "q_sd": sd,
                      "diverged": bool(status["diverged"]),
                      "converged": (rule, round(float(row["pi"]), 12), seed) in converged,
                      "step": int(np.asarray(snap["steps"])[-1]), "x": points[:, 0], "logit": logit,
                      **{k: e[k] for k in ("exact", "error", "density", "overlap")},
                      **{k: float(e[k]) for k in ("overlap_rmse", "rmse")}})
    if not found:
        raise ValueError("density-ratio: no snapshot files for the figure's target and generator")
    return found


# --------------------------------------------------------------------------- table


def _shown(found: list[dict], key: tuple[str, ...]) -> dict:
    """key values -> the run drawn for them: the smallest converged seed, else the smallest that did not
    diverge, else the smallest."""
    shown = {}
    for run in sorted(found, key=lambda r: (not r["converged"], r["diverged"], r["seed"])):
        shown.setdefault(tuple(run[k] for k in key), run)
    return shown


def _curve_rows(ident: dict, run: dict) -> list[dict]:
    """The run's logit (with exact and error) and m at N_CURVE_POINTS points where m >= SHOWN_FRACTION max m."""
    where = np.flatnonzero(run["density"] >= SHOWN_FRACTION * run["density"].max())
    idx = where[np.unique(np.linspace(0, len(where) - 1, N_CURVE_POINTS).round().astype(int))]
    rows = [ident | {"x": run["x"][i], "quantity": LOGIT, "value": run["logit"][i], "unit": NATS,
                     "exact": run["exact"][i], "error": run["error"][i]} for i in idx]
    return rows + [ident | {"x": run["x"][i], "quantity": DENSITY, "value": run["density"][i],
                            "unit": "per unit x"} for i in idx]


def _rows(base: dict, frozen: list[dict], frozen_shown: dict, gans: list[dict], gans_shown: dict) -> list[dict]:
    """Frozen-Q runs: the overlap RMSE after every call, the final overlap RMSE, whole-line RMSE and drift; GAN
    runs: the final overlap and whole-line RMSEs; then the shown runs' curves."""
    rows = []
    for r in frozen:
        ident = base | {"view": FROZEN, "generator": None, "rule": None} | {k: r[k] for k in RUN_IDS[2:]}
        rows += [ident | {"step": s, "x": np.nan, "quantity": OVERLAP_TRACE, "value": v, "unit": NATS}
                 for s, v in zip(r["steps"], r["overlap_rmse"])]
        final = ident | {"step": r["steps"][-1], "x": np.nan, "unit": NATS}
        rows += [final | {"quantity": q, "value": v}
                 for q, v in ((OVERLAP_RMSE, r["overlap_rmse"][-1]), (RMSE, r["rmse"]), (DRIFT, r["drift"]))]
    for r in gans:
        ident = base | {"view": DURING} | {k: r[k] for k in RUN_IDS[1:]} | {"step": r["step"], "x": np.nan}
        rows += [ident | {"quantity": q, "value": r[k], "unit": NATS}
                 for q, k in ((OVERLAP_RMSE, "overlap_rmse"), (RMSE, "rmse"))]
    for r in frozen_shown.values():
        rows += _curve_rows(base | {"view": FROZEN, "generator": None, "rule": None}
                            | {k: r[k] for k in RUN_IDS[2:]} | {"step": r["steps"][-1]}, r)
    for r in gans_shown.values():
        rows += _curve_rows(base | {"view": DURING} | {k: r[k] for k in RUN_IDS[1:]} | {"step": r["step"]}, r)
    return rows


def compute(ctx: Context) -> Computed:
    """Tidy table (COLUMNS, `view` naming the view): per-run errors of both views, the frozen-Q runs' overlap RMSE
    through training, the shown runs' curves. extras: frozen (the frozen-Q runs), frozen_shown ((q_mean, q_sd,
    pi) -> run), gans_shown ((rule, pi) -> run)."""
    target = gaussian_target(ctx)
    gans = trained_gan_runs(ctx, target)
    frozen = frozen_runs(ctx, target)
    frozen_shown, gans_shown = _shown(frozen, ("q_mean", "q_sd", "pi")), _shown(gans, ("rule", "pi"))
    base = {"target": ctx.settings["target"], "generator": ctx.settings["generator"]}
    table = pd.DataFrame(_rows(base, frozen, frozen_shown, gans, gans_shown))[COLUMNS]
    return Computed(table, {"frozen": frozen, "frozen_shown": frozen_shown, "gans_shown": gans_shown})


def run_summaries(table: pd.DataFrame, view: str) -> pd.DataFrame:
    """One row per run of a view (in table order): its RUN_IDS but view, then overlap_rmse, rmse and (the frozen-Q
    view) drift, in nats. Relies on `_rows` writing every run's summaries in the same order."""
    rows = table[(table.view == view) & table.x.isna()]
    first = rows[rows.quantity == OVERLAP_RMSE].reset_index(drop=True)
    summary = first[list(RUN_IDS[1:])].assign(overlap_rmse=first.value.astype(float))
    for quantity, name in ((RMSE, "rmse"), (DRIFT, "drift")):
        values = rows[rows.quantity == quantity].value.to_numpy(dtype=float)
        if len(values):
            summary[name] = values
    return summary.assign(converged=summary.converged.astype(bool), diverged=summary.diverged.astype(bool))


# --------------------------------------------------------------------------- figure


def _q_text(q_mean: float, q_sd: float) -> str:
    return f"Q = N({q_mean:g}, {q_sd:g}²)"


def draw(computed: Computed, ctx: Context):
    """Rows 1-3, one column per frozen Q: the shown seed's trained logit (solid) and the exact log ratio
    (dashed) per π; its error where m has mass; every seed's overlap RMSE through training (dashed: not
    converged), the judged window shaded. Rows 4-5, one column per rule: the same two for the trained GANs' final
    discriminators (dotted: the GAN did not converge)."""
    frozen, frozen_shown, gans_shown = (computed.extras[k] for k in ("frozen", "frozen_shown", "gans_shown"))
    qs = list(dict.fromkeys((r["q_mean"], r["q_sd"]) for r in frozen))
    pis = sorted({r["pi"] for r in frozen} | {pi for _, pi in gans_shown})
    rules = rule_order({rule for rule, _ in gans_shown})
    fig, axes = figure(ncols=max(len(qs), len(rules)), nrows=5, width=4.2, height=3.0)
    colours = dict(zip(pis, matplotlib.colormaps["viridis"](np.linspace(0.0, 0.9, len(pis)))))
    for j, q in enumerate(qs):
        shown = [r for key, r in frozen_shown.items() if key[:2] == q]
        _curves(axes[0, j], axes[1, j], shown, colours, f"frozen {_q_text(*q)}")
        ax = axes[2, j]
        for r in (r for r in frozen if (r["q_mean"], r["q_sd"]) == q):
            ax.plot(r["steps"], r["overlap_rmse"], "-" if r["converged"] else "--", color=colours[r["pi"]], lw=0.9)
        steps = frozen[0]["steps"]
        ax.axvspan((1.0 - WINDOW_FRACTION) * steps[-1], steps[-1], color="0.85", label="convergence window")
        ax.axhline(RMSE_TOL, color="C3", lw=0.9, ls=":", label=f"threshold {RMSE_TOL:g} nats")
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(f"frozen {_q_text(*q)}: error through training")
        ax.set_xlabel("discriminator step")
        ax.set_ylabel("M-weighted RMSE where 0.01 ≤ D* ≤ 0.99 (nats)")
        ax.legend(fontsize=6.5, loc="upper right")
    gans = run_summaries(computed.table, DURING)
    for j, rule in enumerate(rules):
        shown = [r for (rule_, _), r in gans_shown.items() if rule_ == rule]
        ran = gans[gans.rule == rule]
        _curves(axes[3, j], axes[4, j], shown, colours,
                f"during training: {rule} GAN, final D\n({int(ran.converged.sum())} of {len(ran)} runs converged)")
    for row in range(5):
        used = len(qs) if row < 3 else len(rules)
        for ax in axes[row, used:]:
            ax.set_visible(False)
    return fig


def _curves(top, bottom, shown: list[dict], colours: dict, title: str) -> None:
    """Logit (solid; dotted if the run did not converge) and exact log ratio (dashed) per π on `top`, their
    difference on `bottom` (thick over the overlap, where the verdict measures it), where m >= SHOWN_FRACTION
    max m."""
    lo, hi = [], []
    for r in sorted(shown, key=lambda r: r["pi"]):
        mass = r["density"] >= SHOWN_FRACTION * r["density"].max()
        x, colour = r["x"][mass], colours[r["pi"]]
        style = "-" if r["converged"] else ":"
        note = "" if r["converged"] else ", not converged"
        top.plot(x, r["logit"][mass], style, color=colour, lw=1.4, label=f"π={r['pi']:g} (seed {r['seed']}{note})")
        top.plot(x, r["exact"][mass], "--", color=colour, lw=1.1)
        bottom.plot(x, r["error"][mass], style, color=colour, lw=0.6, alpha=0.4)
        bottom.plot(x, np.where(r["overlap"], r["error"], np.nan)[mass], style, color=colour, lw=1.4)
        lo += [r["logit"][mass].min(), r["exact"][mass].min()]
        hi += [r["logit"][mass].max(), r["exact"][mass].max()]
    if lo:
        top.set_ylim(max(min(lo), -20.0) - 1.0, min(max(hi), 20.0) + 1.0)
    top.plot([], [], "k-", label="trained D logit")
    top.plot([], [], "k--", label="log(π p / ((1−π) q))")
    top.set_title(title)
    top.set_xlabel("x")
    top.set_ylabel("logit (nats)")
    top.legend(fontsize=6.5, loc="best")
    bottom.axhline(0.0, color="0.4", lw=0.7)
    bottom.set_title("logit − exact (thick where 0.01 ≤ D* ≤ 0.99)")
    bottom.set_xlabel("x")
    bottom.set_ylabel("error (nats)")


# --------------------------------------------------------------------------- verdict


def frozen_cells(summaries: pd.DataFrame) -> pd.DataFrame:
    """One row per (q_mean, q_sd, pi) cell of the frozen-Q runs: seeds, converged (seeds), median overlap_rmse
    (deciding) and median whole-line rmse over the converged seeds (nats), spread (sd of their overlap_rmse),
    passed (median < RMSE_TOL; None with fewer than MIN_SEEDS converged seeds: the check cannot be made)."""
    rows = []
    for (m, sd, pi), g in summaries.groupby(["q_mean", "q_sd", "pi"], sort=False):
        ok = g[g.converged & ~g.diverged]
        median = float(ok.overlap_rmse.median()) if len(ok) else np.nan
        rows.append({"q_mean": m, "q_sd": sd, "pi": pi, "seeds": len(g), "converged": len(ok), "median": median,
                     "whole_median": float(ok.rmse.median()) if len(ok) else np.nan,
                     "spread": float(ok.overlap_rmse.std()) if len(ok) > 1 else np.nan,
                     "passed": bool(median < RMSE_TOL) if len(ok) >= MIN_SEEDS else None})
    return pd.DataFrame(rows).astype({"passed": object})


def _gan_report(gans: pd.DataFrame) -> tuple[list[tuple], str]:
    """The during-training view's reported numbers (median overlap RMSE of each rule's converged GAN runs, run
    counts) and a clause saying them."""
    ok = gans[gans.converged & ~gans.diverged]
    numbers, parts = [], []
    for rule in rule_order(gans.rule):
        g = ok[ok.rule == rule]
        if len(g):
            numbers.append((f"median overlap RMSE of converged GAN runs, {rule} (during training)",
                            g.overlap_rmse.median(), NATS))
            parts.append(f"{rule} {g.overlap_rmse.median():.2f} nats over {len(g)} runs")
        else:
            parts.append(f"{rule}: no run converged")
    numbers += [("converged GAN runs (during-training view)", len(ok), "runs"), ("GAN runs", len(gans), "runs")]
    return numbers, "; ".join(parts)


def judge(computed: Computed, ctx: Context) -> dict:
    """Per frozen (Q, π) cell, the median over converged seeds of the overlap RMSE (M-weighted, where 0.01 <= D*
    <= 0.99): inconclusive if any cell has fewer than MIN_SEEDS converged seeds, else reproduced if below RMSE_TOL
    in every cell, partly if in some, not reproduced if in none (the rule in catalogue.yaml). The whole-line RMSE
    and the trained GANs' errors are reported beside it. What was trained (steps, Q's, π's, seeds) is read from
    the table."""
    frozen = run_summaries(computed.table, FROZEN)
    cells = frozen_cells(frozen)
    n_pass, n_cells = int(sum(p is True for p in cells.passed)), len(cells)
    n_thin = int((cells.converged < MIN_SEEDS).sum())
    status = ("inconclusive" if n_thin else "reproduced" if n_pass == n_cells
              else "partly" if n_pass else "not reproduced")
    numbers = [seeds_number(cells.set_index(["q_mean", "q_sd", "pi"]).converged)]
    for c in cells.itertuples():
        name = f"{_q_text(c.q_mean, c.q_sd)}, π={c.pi:g}"
        numbers += [(f"median overlap RMSE over converged seeds, {name}", c.median, NATS, f"< {RMSE_TOL:g}",
                     c.passed),
                    (f"median whole-line M-weighted RMSE over converged seeds, {name}", c.whole_median, NATS),
                    (f"converged seeds, {name}", c.converged, "seeds")]
    spread = float(np.sqrt(np.nanmean(cells.spread**2))) if cells.spread.notna().any() else np.nan
    shift = minimum_detectable_shift(spread, MIN_SEEDS)
    numbers += [("seed spread (sd) of the overlap RMSE, pooled over cells", spread, NATS),
                (f"smallest shift of a cell's mean overlap RMSE from the threshold {MIN_SEEDS} converged seeds detect",
                 shift, NATS)]
    gan_numbers, gan_text = _gan_report(run_summaries(computed.table, DURING))
    table = computed.table
    steps = int(table[(table.view == FROZEN) & (table.quantity == OVERLAP_RMSE)].step.max())
    n_qs = len(cells[["q_mean", "q_sd"]].drop_duplicates())
    pis = ", ".join(f"{p:g}" for p in sorted(cells.pi.unique()))
    worst = cells.loc[cells["median"].idxmax()] if cells["median"].notna().any() else None
    summary = (
        f"The grid's discriminator, trained {steps} steps against each of {n_qs} frozen Gaussians Q on "
        f"{ctx.settings['target']} for π in ({pis}) and {frozen.seed.nunique()} seeds, is compared with the exact "
        f"log(π p/((1-π) q)) where the classes overlap (the Bayes-optimal D between 0.01 and 0.99), as an RMSE "
        f"weighted by M = π P + (1-π) Q. A run counts once that RMSE drifts by at most "
        f"{ctx.settings['frozen']['convergence_tol']:g} nats over its last {WINDOW_FRACTION:.0%} of steps: "
        f"{int(cells.converged.sum())} of {int(cells.seeds.sum())} runs did"
        + (f"; {n_thin} of {n_cells} cells have fewer than {MIN_SEEDS} converged seeds, too few to decide"
           if n_thin else "")
        + f". The median over converged seeds is below {RMSE_TOL:g} nats in {n_pass} of {n_cells} cells"
        + (f" (largest {worst['median']:.2f} nats, at {_q_text(worst.q_mean, worst.q_sd)}, π={worst.pi:g})"
           if worst is not None else "")
        + (f". Precision: pooled seed spread {spread:.3f} nats, so a cell with {MIN_SEEDS} converged seeds resolves "
           f"a shift of its mean RMSE of {shift:.3f} nats from the threshold ({SHIFT_FORMULA})"
           if np.isfinite(shift) else ". Precision: no cell has two converged seeds to measure the seed spread")
        + (f". Reported, not deciding: the M-weighted RMSE over the whole line, median up to "
           f"{cells.whole_median.max():.2f} nats, is larger because it also counts Q's tails, where P has no mass, "
           f"the exact log ratio falls many nats below zero and the saturated logistic loss leaves the logit free: "
           f"there it measures extrapolation, not the ratio estimate"
           if cells.whole_median.notna().any() else "")
        + f"; the trained GANs' final discriminators, median overlap RMSE over converged runs: {gan_text}.")
    return verdict(FIGURE_ID, status, summary, numbers + gan_numbers)
