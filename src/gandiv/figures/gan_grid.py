"""gan-grid: GANs over update rules and pi, with the exact and estimated divergences of every trained model.

The claim (src/gandiv/figures/catalogue.yaml, gan-grid): raising pi moves a GAN's generator from
maximum-likelihood-like (KL[P||Q] small) to KL[Q||P]-like behaviour, and the update rule changes the
divergence minimised. The table is every grid evaluation table (gandiv.gan.runs) stacked, with units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from scipy.stats import ttest_ind

from gandiv.figures.evidence import MDD_FORMULA, MIN_SEEDS, minimum_detectable_difference, pooled_sd
from gandiv.figures.gan_tables import read_grid_evaluation
from gandiv.figures.grid_checks import check_trained
from gandiv.figures.stationary_cells import DISTANCE_TOL, SPREAD_FLOOR_FRACTION, compare_cell, theory_points
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, figure
from gandiv.figures.gan_tables import as_bool
from gandiv.results_io import read_json
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
    description: >-
      Generator of the heatmap and the verdict; must be trained on heatmap_target in some `gan.grid` entry. The
      verdict compares its parameters with ideal-discriminator theory, so it is the exact Gaussian.
    type: string
    enum: [gaussian]
"""

NEEDS = Needs(("heatmap_target", "heatmap_generator"),
              ("seed", "exact.quadrature_points_per_sd", "exact.quadrature_halfwidth_sd"), ("heatmap_target",))

HEATMAPS = (("kl_pq", "exact", "exact KL[P||Q]"), ("kl_qp", "exact", "exact KL[Q||P]"),
            ("js_pi", "exact", "exact JS_pi"), ("js_pi", "discriminator", "JS_pi from the discriminator"))
ALPHA = 0.05  # size of every test of the verdict
COLUMNS = ("target", "generator", "rule", "pi", "seed", "diverged", "converged", "method", "quantity", "value", "unit",
           "exact", "error", "exact_error", "note")
THEORY = "ideal-D theory"  # method of the rows holding each heatmap cell's stationary points
RUN = ["target", "generator", "rule", "pi", "seed"]  # the columns that name one trained model


def check(settings, config) -> None:
    """A `gan` section trains `heatmap_generator` on the 1-D `heatmap_target` (ConfigError naming the key if not)."""
    check_trained(ID, settings, config, "heatmap_target", "heatmap_generator", one_d=True)


def inputs(config) -> dict:
    """Every evaluation table of the grid study, in gandiv.gan.runs.evaluation_groups order, and the heatmap
    target's exact JS_pi path summary (its jumps)."""
    target = config["figures"][ID]["heatmap_target"]
    return {"evaluations": [runs.evaluation_table(study, t, generator)
                            for study, t, generator in runs.evaluation_groups(config) if study == "grid"],
            "summary": f"results/jspi/{target}/isotropic/summary.json"}


UNITS = {"generator_drift": "target scales"}  # quantities not in nats (sample means are in x units)


def compute(ctx: Context) -> Computed:
    """Every row of the grid's evaluation tables, stacked in input order, with a unit, then per (rule, pi) cell of
    the heatmap the ideal-discriminator stable stationary points of the rule (method THEORY: mean, sd in x units;
    gandiv.figures.stationary_cells.theory_points); columns COLUMNS. Extras: the theory points by (rule, pi) and
    the exact path's crossings (jumps of the JS_pi global minimiser)."""
    table = pd.concat([read_grid_evaluation(path) for path in ctx.inputs["evaluations"]], ignore_index=True)
    table = table.assign(diverged=as_bool(table.diverged), converged=as_bool(table.converged))
    unit = np.where(table.quantity.str.startswith("sample_mean") | table.quantity.str.startswith("generator_mean"),
                    "x units", table.quantity.map(UNITS).fillna(NATS))
    data = table.assign(unit=np.where(table.quantity.str.startswith("generator_cov"), "x units^2", unit))
    target_name, generator = ctx.settings["heatmap_target"], ctx.settings["heatmap_generator"]
    target, rows, theory = ctx.target(target_name), [], {}
    heat = data[(data.target == target_name) & (data.generator == generator)]
    params = heat[heat.converged & (heat.method == "parameters")].pivot_table(
        index=["rule", "pi", "seed"], columns="quantity", values="value").reset_index()
    params = params.reindex(columns=list(dict.fromkeys(["rule", "pi", "seed", "generator_mean_0",
                                                        "generator_cov_00", *params.columns])))
    for (rule, pi), _ in heat.groupby(["rule", "pi"], sort=False):
        good = params[(params.rule == rule) & (params.pi == pi)]
        good = pd.DataFrame({"mean": good.generator_mean_0, "sd": np.sqrt(good.generator_cov_00)})
        theory[rule, pi] = theory_points(target, rule, float(pi), ctx.seed, ctx.quadrature, good)
        for point in theory[rule, pi]:
            kind = "global" if point["is_global"] else "stable" if point["stable"] else "unstable"
            rows += [{"target": target_name, "generator": generator, "rule": rule, "pi": pi, "seed": np.nan,
                      "diverged": False, "converged": True, "method": THEORY, "quantity": f"{kind} point {q}",
                      "value": point[q], "unit": "x units", "exact": np.nan, "error": np.nan, "exact_error": np.nan,
                      "note": f"point {point['point']}"} for q in ("mean", "sd")]
    data = pd.concat([data[list(COLUMNS)], pd.DataFrame(rows, columns=list(COLUMNS))], ignore_index=True)
    crossings = read_json(ctx.inputs["summary"], required=("crossings",))["crossings"]
    return Computed(data, {"theory": theory, "crossings": crossings})


def _heatmap_rows(table: pd.DataFrame, settings) -> pd.DataFrame:
    """The trained runs' rows of the heatmap's target and generator whose training did not diverge."""
    target, generator = settings["heatmap_target"], settings["heatmap_generator"]
    return table[(table.target == target) & (table.generator == generator) & ~table.diverged
                 & (table.method != THEORY)]


def draw(computed: Computed, ctx: Context):
    """Rule x π heatmaps (means over converged seeds, nats) of HEATMAPS for the heatmap's target and generator; a
    panel without rows is hidden."""
    target, generator = ctx.settings["heatmap_target"], ctx.settings["heatmap_generator"]
    sub = _heatmap_rows(computed.table, ctx.settings)
    sub = sub[sub.converged]
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
        ax.set_title(f"{title}\n({target}, {generator}; mean over converged seeds)")
        ax.set_xlabel("π")
        ax.set_ylabel("update rule")
    return fig


def _cells(computed: Computed, ctx: Context) -> pd.DataFrame:
    """One row per converged heatmap run: rule, pi, seed, its Gaussian's mean and sd (x units), exact kl_pq, kl_qp."""
    rows = _heatmap_rows(computed.table, ctx.settings)
    rows = rows[rows.converged & rows.method.isin(["parameters", "exact"])]
    wide = rows.pivot_table(index=["rule", "pi", "seed"], columns="quantity", values="value").reset_index()
    wide = wide.reindex(columns=list(dict.fromkeys(["rule", "pi", "seed", "generator_mean_0", "generator_cov_00",
                                                    "kl_pq", "kl_qp", *wide.columns])))
    return wide.assign(mean=wide.generator_mean_0, sd=np.sqrt(wide.generator_cov_00))


def _welch_greater(a, b) -> float:
    """One-sided Welch p-value that mean(a) > mean(b) (NaN with fewer than 2 values on a side)."""
    if min(len(a), len(b)) < 2:
        return float("nan")
    return float(ttest_ind(a, b, equal_var=False, alternative="greater").pvalue)


def judge(computed: Computed, ctx: Context) -> dict:
    """The catalogue's rule for gan-grid, on the converged runs of the heatmap's target and (Gaussian) generator.

    Seeds: every (rule, pi) cell needs MIN_SEEDS converged seeds, else inconclusive. Then three checks, each a
    deciding number with its threshold: (1) every cell's seed-mean (mean, sd) sits within DISTANCE_TOL seed spreads
    of its own rule's global stable point under an ideal discriminator (theory rows of the table); (2) pi moves the
    minimax fit: at the largest pi, KL[Q||P] is lower and KL[P||Q] higher than at the smallest pi (one-sided Welch
    tests, p < ALPHA); (3) the rule changes the divergence minimised: at the pi where the ideal-D theory separates
    the kl and minimax rules most, their runs' means differ (two-sided Welch, p < ALPHA). Reproduced if all hold and
    the exact JS_pi path's global minimiser does not jump inside the trained pi range; partly if (2) and (3) hold
    but the path jumps or (1) fails, or if only one of (2), (3) holds (a jump is judged as jspi-interpolation judges
    it); not reproduced if neither (2) nor (3) holds."""
    data, target = computed.table, ctx.settings["heatmap_target"]
    runs_ = _cells(computed, ctx)
    theory = computed.extras["theory"]
    all_runs = _heatmap_rows(data, ctx.settings).drop_duplicates(RUN)
    cells = all_runs.groupby(["rule", "pi"]).converged.sum().astype(int)
    fewest = int(cells.min()) if len(cells) else 0
    numbers = [("fewest converged seeds in a (rule, pi) cell", fewest, "seeds", f">= {MIN_SEEDS}",
                fewest >= MIN_SEEDS)]
    # (1) each cell against its own rule's global stable point
    floor = SPREAD_FLOOR_FRACTION * ctx.target(target).min_sd()
    at_own = []
    for (rule, pi), points in theory.items():
        good = runs_[(runs_.rule == rule) & (runs_.pi == pi)]
        c = compare_cell(good, points, floor)
        at_own.append(c.get("n_seeds", 0) > 0 and c["distance"] <= DISTANCE_TOL and bool(c["nearest_is_global"]))
    numbers.append(("cells at their own rule's global stable point", sum(at_own), "cells",
                    f"= {len(at_own)} (within {DISTANCE_TOL:g} seed spreads)", bool(at_own) and all(at_own)))
    # (2) pi moves the minimax fit from maximum-likelihood-like to KL[Q||P]-like
    minimax = runs_[runs_.rule == "minimax"]
    pis = sorted(minimax.pi.unique())
    moves = []
    if len(pis) >= 2:
        lo, hi = minimax[minimax.pi == pis[0]], minimax[minimax.pi == pis[-1]]
        for quantity, larger, smaller, label in (("kl_qp", lo, hi, "falls"), ("kl_pq", hi, lo, "rises")):
            p = _welch_greater(larger[quantity], smaller[quantity])
            sd = pooled_sd([lo[quantity].to_numpy(), hi[quantity].to_numpy()])
            numbers += [(f"minimax exact {quantity}, pi={pis[-1]:g} minus pi={pis[0]:g}",
                         hi[quantity].mean() - lo[quantity].mean(), NATS),
                        (f"p-value that minimax {quantity} {label} from pi={pis[0]:g} to {pis[-1]:g} (Welch)", p, "",
                         f"< {ALPHA:g}", bool(p < ALPHA)),
                        (f"minimum detectable difference of minimax {quantity} ({MDD_FORMULA})",
                         minimum_detectable_difference(sd, len(lo), len(hi)), NATS)]
            moves.append(bool(p < ALPHA))
    pi_moves = len(moves) == 2 and all(moves)
    # (3) the update rule changes the divergence minimised
    rule_changes = False
    separations = {pi: float(np.hypot(*(np.array(_global(theory, "kl", pi)) - np.array(_global(theory, "minimax", pi)))))
                   for pi in pis if _global(theory, "kl", pi) and _global(theory, "minimax", pi)}
    if separations:
        pi_star = max(separations, key=separations.get)
        kl_runs, mm_runs = (runs_[(runs_.rule == r) & (runs_.pi == pi_star)]["mean"] for r in ("kl", "minimax"))
        p = 2 * min(_welch_greater(kl_runs, mm_runs), _welch_greater(mm_runs, kl_runs))
        rule_changes = bool(p < ALPHA)
        numbers += [(f"ideal-D separation of the kl and minimax landing points at pi={pi_star:g}",
                     separations[pi_star], "x units"),
                    (f"p-value that kl and minimax means differ at pi={pi_star:g} (Welch, two-sided)", p, "",
                     f"< {ALPHA:g}", rule_changes),
                    (f"minimum detectable difference of the means at pi={pi_star:g} ({MDD_FORMULA})",
                     minimum_detectable_difference(pooled_sd([kl_runs.to_numpy(), mm_runs.to_numpy()]),
                                                   len(kl_runs), len(mm_runs)), "x units")]
    # the exact path's jumps inside the trained pi range
    crossings = [c for c in computed.extras["crossings"] if pis and pis[0] <= c["pi"] <= pis[-1]]
    numbers.append(("jumps of the exact JS_pi global minimiser inside the trained pi range", len(crossings), "jumps",
                    "= 0 (a gradual move)", not crossings))
    estimates = data[(data.method != "exact") & data.error.notna() & (data.method != "convergence")]
    for method, g in estimates.groupby("method"):
        unit = "x units" if method == "samples" else NATS
        numbers.append((f"median |error| of {method} estimates", float(g.error.abs().median()), unit))
    models = data[data.method != THEORY].drop_duplicates(RUN)
    n_runs, n_diverged, n_converged = len(models), int(models.diverged.sum()), int(models.converged.sum())
    numbers += [("trained models", n_runs, ""), ("diverged", n_diverged, ""), ("converged", n_converged, "")]
    if fewest < MIN_SEEDS:
        status = "inconclusive"
    elif pi_moves and rule_changes:
        status = "reproduced" if all(at_own) and not crossings else "partly"
    else:
        status = "partly" if (pi_moves or rule_changes) else "not reproduced"
    jump = (f"; the exact JS_pi minimiser jumps between local minima at pi = "
            + ", ".join(f"{c['pi']:.3f}" for c in crossings) + " (as in jspi-interpolation), so the move is a "
            "switch, not gradual") if crossings else ""
    summary = (f"{n_runs} GANs trained ({n_diverged} diverged, {n_converged} converged; only converged runs count). "
               f"On {target} with the {ctx.settings['heatmap_generator']} generator (fewest converged seeds per cell: "
               f"{fewest}, {MIN_SEEDS} needed): {sum(at_own)} of {len(at_own)} (rule, pi) cells sit at their own "
               f"rule's ideal-discriminator landing point; pi {'moves' if pi_moves else 'does not significantly move'}"
               f" the minimax fit from maximum-likelihood-like to KL[Q||P]-like; the update rule "
               f"{'changes' if rule_changes else 'does not significantly change'} where the generator lands{jump}.")
    return verdict(ID, status, summary, numbers)


def _global(theory: dict, rule: str, pi: float) -> tuple | None:
    """(mean, sd) of the rule's global stable point at pi, None if none was found or the cell was not trained."""
    glob = [p for p in theory.get((rule, pi), []) if p["is_global"]]
    return (glob[0]["mean"], glob[0]["sd"]) if glob else None
