"""density-ratio: the discriminator step as a density-ratio estimator (catalogue.yaml, id density-ratio).

Every Gaussian-generator run of the grid on a 1-D target: the trained discriminator's final logit on the
probe grid against the exact log(pi p / ((1-pi) q)), the Bayes-optimal logit for P and the run's trained
Q = N(mean, sd^2) (`gandiv.update_rules.optimal_logit`). Inputs: the group's evaluation table (the
trained Gaussians' parameters) and each run's status and snapshots, as lists in the order of `grid_runs`.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from gandiv.exact.densities import gaussian
from gandiv.exact.divergences import log_mixture
from gandiv.figures.grid_checks import check_trained
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, figure
from gandiv.figures.trained_gaussians import gan_parameters, gaussian_target, rule_order
from gandiv.gan import runs
from gandiv.results_io import read_gan_run
from gandiv.update_rules import optimal_logit

FIGURE_ID = "density-ratio"
SETTINGS = """
description: >-
  The trained discriminator's logit against the exact log(pi P / ((1-pi) Q)); needs a `gan`
  section training `generator` on the 1-D `target`.
type: object
additionalProperties: false
required: [target]
properties:
  target:
    description: A 1-D target trained in some `gan.grid` entry with the gaussian generator.
    $ref: "#/$defs/target_name"
  generator:
    description: Generator whose exact density defines the true ratio.
    type: string
    enum: [gaussian]
    default: gaussian
"""
NEEDS = Needs(("target", "generator"), (), ("target",))

RMSE_TOL = 0.2  # nats: the M-weighted RMSE under which the logit counts as the log density ratio
BULK_FRACTION = 0.01  # "max error" is taken where m >= 1% of its maximum on the probe grid
SHOWN_FRACTION = 1e-3  # curves of the error are drawn where m >= 0.1% of its maximum
N_CURVE_POINTS = 51  # probe points kept per curve in the tidy table
RMSE = "M-weighted RMSE of logit - exact log ratio"
OVERLAP_RMSE = "overlap-weighted RMSE of logit - exact log ratio"
MAX_ERROR = "max |logit - exact log ratio| where m >= 1% of max"
RUN_IDS = ("rule", "pi", "seed", "diverged")
COLUMNS = ["target", "generator", *RUN_IDS, "x", "quantity", "value", "unit", "exact", "error"]


def inputs(config) -> dict:
    """The group's evaluation table, and every grid run's status and snapshots (same order in both lists)."""
    settings = config["figures"][FIGURE_ID]
    grid = runs.grid_runs(config, settings["target"], settings["generator"])
    return {"evaluation": runs.evaluation_table("grid", settings["target"], settings["generator"]),
            "statuses": [run.file("status.json") for run in grid],
            "snapshots": [run.file("snapshots.npz") for run in grid]}


def check(settings, config) -> None:
    """The target is 1-D and trained with the generator in `gan.grid` (ConfigError otherwise)."""
    check_trained(FIGURE_ID, settings, config, "target", "generator", one_d=True)


def ratio_errors(target, x: np.ndarray, logit: np.ndarray, mean: float, sd: float, pi: float) -> dict:
    """The logit against the exact log(pi p / ((1-pi) q)) on the probe grid x (n,), and its summaries (nats).

    weight: m = pi p + (1-pi) q normalised on the grid; rmse: the m-weighted RMSE of logit - exact;
    overlap_rmse: the same weighted by min(pi p, (1-pi) q), where both classes have mass (a diagnostic);
    max_error: max |logit - exact| where m >= BULK_FRACTION of its maximum. NaN summaries if the logit
    is not finite everywhere.
    """
    points = x[:, None]
    log_p = target.log_prob(points)
    log_q = gaussian(mean, sd**2).log_prob(points)
    exact = optimal_logit(log_p, log_q, pi)
    error = logit - exact
    log_m = log_mixture(log_p, log_q, pi)
    weight = np.exp(log_m - log_m.max())
    weight /= weight.sum()
    log_overlap = np.minimum(np.log(pi) + log_p, np.log1p(-pi) + log_q)
    overlap = np.exp(log_overlap - log_overlap.max())
    overlap /= overlap.sum()
    if np.all(np.isfinite(logit)):
        rmse = float(np.sqrt(weight @ error**2))
        overlap_rmse = float(np.sqrt(overlap @ error**2))
        bulk = weight >= BULK_FRACTION * weight.max()
        max_error = float(np.abs(error[bulk]).max())
    else:
        rmse = overlap_rmse = max_error = np.nan
    return {"exact": exact, "error": error, "weight": weight, "rmse": rmse, "overlap_rmse": overlap_rmse,
            "max_error": max_error}


def _trained_runs(ctx: Context, target, params: pd.DataFrame) -> list[dict]:
    """Each run of the figure's target and generator: its names, final logit on the probe grid, and errors."""
    found = []
    for status_path, snapshots_path in zip(ctx.inputs["statuses"], ctx.inputs["snapshots"]):
        status, snap = read_gan_run(status_path, snapshots_path)
        if status["target"] != ctx.settings["target"] or status["generator"] != ctx.settings["generator"]:
            continue
        rule, pi, seed = status["rule"], float(status["pi"]), int(status["seed"])
        match = params[(params.rule == rule) & np.isclose(params.pi, pi) & (params.seed == seed)]
        if len(match) != 1:
            raise ValueError(f"{len(match)} parameter rows in the eval CSV for rule={rule} pi={pi} seed={seed}")
        x = np.asarray(snap["probe_points"], dtype=float).reshape(len(snap["probe_points"]), -1)[:, 0]
        logit = np.asarray(snap["probe_logits"], dtype=float)[-1]
        row = match.iloc[0]
        errors = ratio_errors(target, x, logit, float(row["mean"]), float(row["sd"]), pi)
        found.append({"rule": rule, "pi": float(row["pi"]), "seed": seed, "diverged": bool(status["diverged"]),
                      "x": x, "logit": logit, **errors})
    if not found:
        raise ValueError("density-ratio: no snapshot files for the figure's target and generator")
    return found


def _shown(found: list[dict]) -> dict:
    """(rule, pi) -> the run drawn: the smallest seed that did not diverge (else the smallest seed)."""
    shown = {}
    for run in sorted(found, key=lambda r: (r["diverged"], r["seed"])):
        shown.setdefault((run["rule"], run["pi"]), run)
    return shown


def _rows(base: dict, found: list[dict], shown: dict) -> list[dict]:
    """Per-run summaries, then the shown runs' logit and mixture weight at N_CURVE_POINTS probe points."""
    rows = []
    for r in found:
        ident = base | {k: r[k] for k in RUN_IDS} | {"x": np.nan}
        rows += [ident | {"quantity": RMSE, "value": r["rmse"], "unit": NATS},
                 ident | {"quantity": OVERLAP_RMSE, "value": r["overlap_rmse"], "unit": NATS},
                 ident | {"quantity": MAX_ERROR, "value": r["max_error"], "unit": NATS}]
    for r in shown.values():
        ident = base | {k: r[k] for k in RUN_IDS}
        idx = np.unique(np.linspace(0, len(r["x"]) - 1, N_CURVE_POINTS).round().astype(int))
        rows += [ident | {"x": r["x"][i], "quantity": "discriminator logit", "value": r["logit"][i], "unit": NATS,
                          "exact": r["exact"][i], "error": r["error"][i]} for i in idx]
        rows += [ident | {"x": r["x"][i], "quantity": "mixture weight on the probe grid", "value": r["weight"][i],
                          "unit": ""} for i in idx]
    return rows


def compute(ctx: Context) -> Computed:
    """Tidy table: per-run RMSEs and max error, then the shown runs' curves; extras: the shown runs whole."""
    target = gaussian_target(ctx)
    found = _trained_runs(ctx, target, gan_parameters(ctx))
    shown = _shown(found)
    base = {"target": ctx.settings["target"], "generator": ctx.settings["generator"]}
    return Computed(pd.DataFrame(_rows(base, found, shown))[COLUMNS], {"shown": shown})


def run_summaries(table: pd.DataFrame) -> pd.DataFrame:
    """One row per run (in table order): rule, pi, seed, diverged, rmse, overlap_rmse, max_error."""
    def column(quantity):
        return table[table.quantity == quantity].reset_index(drop=True)

    summary = column(RMSE)[list(RUN_IDS)]
    return summary.assign(rmse=column(RMSE).value, overlap_rmse=column(OVERLAP_RMSE).value,
                          max_error=column(MAX_ERROR).value)


def _axes(summaries: pd.DataFrame) -> tuple[list[str], list[float]]:
    """The rules (UpdateRule order) and the sorted pi values of the runs."""
    return rule_order(summaries.rule), sorted(summaries.pi.unique())


def draw(computed: Computed, ctx: Context):
    """Per rule: the shown runs' logit (solid) and exact log ratio (dashed) per pi; below, their error where
    m has mass."""
    rules, pis = _axes(run_summaries(computed.table))
    shown = computed.extras["shown"]
    fig, axes = figure(ncols=len(rules), nrows=2, width=4.2, height=3.2, sharex=True)
    colours = dict(zip(pis, matplotlib.colormaps["viridis"](np.linspace(0.0, 0.9, len(pis)))))
    for j, rule in enumerate(rules):
        top, bottom = axes[0, j], axes[1, j]
        lo, hi = [], []
        for pi in pis:
            r = shown.get((rule, pi))
            if r is None:
                continue
            mass = r["weight"] >= SHOWN_FRACTION * r["weight"].max()
            colour = colours[pi]
            top.plot(r["x"], r["logit"], "-", color=colour, lw=1.4, label=f"pi={pi:g} (seed {r['seed']})")
            top.plot(r["x"], r["exact"], "--", color=colour, lw=1.1)
            bottom.plot(r["x"], np.where(mass, r["error"], np.nan), "-", color=colour, lw=1.2)
            lo += [r["logit"].min(), r["exact"][mass].min()]
            hi += [r["logit"].max(), r["exact"][mass].max()]
        if lo:
            top.set_ylim(max(min(lo), -20.0) - 1.0, min(max(hi), 20.0) + 1.0)
        top.plot([], [], "k-", label="final D logit")
        top.plot([], [], "k--", label="log(pi p / ((1-pi) q))")
        top.set_title(f"{rule}: final discriminator logit")
        top.set_ylabel("logit (nats)")
        top.legend(fontsize=6.5, loc="best")
        bottom.axhline(0.0, color="0.4", lw=0.7)
        bottom.set_title(f"{rule}: logit - exact (where m >= {SHOWN_FRACTION:g} max m)")
        bottom.set_xlabel("x")
        bottom.set_ylabel("error (nats)")
    return fig


def _cell_medians(summaries: pd.DataFrame, rules: list[str], pis: list[float]) -> dict:
    """(rule, pi) -> median M-weighted RMSE over the cell's non-diverged runs with a finite RMSE (NaN if none),
    for every cell with a run."""
    ok = summaries[~summaries.diverged & np.isfinite(summaries.rmse)]
    cells = [(rule, pi) for rule in rules for pi in pis
             if ((summaries.rule == rule) & (summaries.pi == pi)).any()]
    return {c: float(ok[(ok.rule == c[0]) & (ok.pi == c[1])].rmse.median()) for c in cells}


def judge(computed: Computed, ctx: Context) -> dict:
    """Reproduced if the median over seeds of the M-weighted RMSE is below RMSE_TOL in every (rule, pi) cell,
    partly if in some, otherwise not reproduced (the rule in catalogue.yaml)."""
    summaries = run_summaries(computed.table)
    rules, pis = _axes(summaries)
    ok = summaries[~summaries.diverged & np.isfinite(summaries.rmse)]
    medians = _cell_medians(summaries, rules, pis)
    below = {c: bool(np.isfinite(m) and m < RMSE_TOL) for c, m in medians.items()}
    n_below, n_cells = sum(below.values()), len(medians)
    status = "reproduced" if n_below == n_cells else "partly" if n_below > 0 else "not reproduced"
    numbers, parts = [], []
    for rule in rules:
        g = ok[ok.rule == rule]
        finite = [(pi, m) for (r_, pi), m in medians.items() if r_ == rule and np.isfinite(m)]
        if g.empty or not finite:
            parts.append(f"{rule}: no run finished without diverging")
            continue
        worst_pi = max(finite, key=lambda t: t[1])
        numbers += [(f"median M-weighted RMSE, {rule}", g.rmse.median(), NATS),
                    (f"worst per-pi median M-weighted RMSE, {rule}", worst_pi[1], NATS),
                    (f"median overlap-weighted RMSE, {rule}", g.overlap_rmse.median(), NATS)]
        parts.append(f"{rule}: median {g.rmse.median():.3f}, worst {worst_pi[1]:.3f} at pi={worst_pi[0]:g} "
                     f"({sum(below[c] for c in medians if c[0] == rule)}/{sum(c[0] == rule for c in medians)} pi "
                     f"below {RMSE_TOL:g}; overlap-weighted median {g.overlap_rmse.median():.3f})")
    n_div = int(summaries.diverged.sum())
    numbers += [(f"(rule, pi) cells with median RMSE below {RMSE_TOL:g} nats", n_below, "cells"),
                ("(rule, pi) cells", n_cells, "cells"), ("runs", len(summaries), "runs"),
                ("diverged runs (left out)", n_div, "runs")]
    summary = (f"Over {len(summaries)} Gaussian-generator GANs on {ctx.settings['target']} (diverged runs left "
               f"out: {n_div}), the final discriminator's logit is compared on P's bulk with the exact "
               f"log(pi p/((1-pi) q)) for the run's trained Q, as an RMSE weighted by M = pi P + (1-pi) Q. "
               f"Median over seeds per (rule, pi) is below {RMSE_TOL:g} nats in {n_below} of {n_cells} cells — "
               + "; ".join(parts)
               + ". The D-step " + ("estimates" if status == "reproduced" else "only partly estimates"
                                     if status == "partly" else "does not estimate")
               + " the density ratio to that accuracy.")
    return verdict(FIGURE_ID, status, summary, numbers)
