"""The numbers of kl-rule-theory, one (update rule, pi) cell at a time, and reading them back from its table.

Per cell: the stationary points of the ideal-discriminator generator field on the 1-D Gaussian family
(`gandiv.update_rules.stationary`; 'global' = the stable point of lowest potential), for the kl and minimax
rules the global minimiser of the divergence the blog says they minimise (`gandiv.exact.fitting`), and
the GAN-trained Gaussians' seed-mean (mean, sd) against the nearest stable point, in units of the seed
spread. All lengths are in x units, potentials and divergences in nats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact.families import Family, GaussianFamily
from gandiv.figures.evidence import minimum_detectable_shift
from gandiv.exact.fitting import Objective, fit, fit_problem
from gandiv.update_rules.stationary import stationary_points
from gandiv.figures.style import NATS
from gandiv.update_rules import UpdateRule

N_STARTS = 8  # random starts of the stationary-point search and of the claimed divergence's fit
DISTANCE_TOL = 2.0  # seed spreads
# Floor on the seed spread, as a fraction of P's smallest component sd (0.05 x units for bimodal_1d,
# whose narrowest component has sd 0.5). A single seed has no spread, and seeds that agree to a few
# hundredths would otherwise turn differences far below P's own length scale into many "spreads";
# a tenth of the narrowest feature of P is the finest detail the claim is about.
SPREAD_FLOOR_FRACTION = 0.1
# The blog's claims for an optimal D: the KL rule minimises KL[Q||P], minimax minimises JS_pi (the
# non-saturating rule has no closed-form claim; its fixed point is only computed). The global stable
# stationary point must equal the divergence's global minimiser from `fitting.fit` (independent code
# that never forms a discriminator) to THEORY_TOL in (mean, log sd); both are solved to ~1e-9.
CLAIMED = {"kl": Objective.KL_QP, "minimax": Objective.JS_PI}
THEORY_TOL = 1e-4
FAMILY = GaussianFamily(1, Family.ISOTROPIC)
THEORY_QUANTITIES = (("mean", "x units"), ("sd", "x units"), ("potential", NATS), ("js_pi", NATS),
                     ("kl_pq", NATS), ("kl_qp", NATS), ("field_norm", "nats per parameter"), ("n_starts", "starts"))
GAP = "max |(mean, log sd) of global stable point - minimiser|"
# Comparison of a cell: key -> (quantity in the table, unit), in the table's row order.
COMPARISON = {"n_seeds": ("converged seeds", "seeds"), "gan_mean": ("seed-mean of GAN mean", "x units"),
              "gan_sd": ("seed-mean of GAN sd", "x units"), "spread_mean": ("seed sd of GAN mean", "x units"),
              "spread_sd": ("seed sd of GAN sd", "x units"), "n_stable": ("stable stationary points", "points"),
              "distance": ("distance to nearest stable point", "seed spreads"),
              "detectable": ("minimum detectable shift of the seed-mean", "x units")}


def finished(cell: pd.DataFrame) -> pd.DataFrame:
    """The runs of a cell that count as evidence: converged (gandiv.gan.convergence; a diverged run never is),
    with a finite mean and a finite positive sd."""
    return cell[cell.converged & ~cell.diverged & np.isfinite(cell["mean"]) & np.isfinite(cell.sd) & (cell.sd > 0)]


def theory_points(target, rule: str, pi: float, seed: int, quad: dict, good: pd.DataFrame) -> list[dict]:
    """Stationary points of the ideal-D generator field for `rule` at `pi`, as records (point index, stable,
    is_global, mean, sd, potential, js_pi, kl_pq, kl_qp, field_norm, n_starts).

    The trained Gaussians `good` are extra starts: a stable root they sit on is found even if the N_STARTS
    random starts miss it (every root found is still a root of the ideal field).
    """
    extra = np.array([FAMILY.pack(m, s**2) for m, s in zip(good["mean"], good.sd)]).reshape(-1, 2)
    points = stationary_points(target, FAMILY, UpdateRule(rule), pi, n_starts=N_STARTS, seed=seed, quad=quad,
                               extra_starts=extra)
    return [{"point": i, "stable": p.stable, "is_global": bool(p.stable and i == 0),
             "mean": float(p.theta[0]), "sd": float(np.exp(p.theta[1])), "potential": p.value,
             "js_pi": p.js_pi, "kl_pq": p.kl_pq, "kl_qp": p.kl_qp, "field_norm": p.field_norm,
             "n_starts": p.n_starts} for i, p in enumerate(points)]


def claimed_minimiser(target, rule: str, pi: float, seed: int, quad: dict) -> np.ndarray:
    """Global minimiser (mean, log sd) of the divergence the blog says `rule` minimises (CLAIMED[rule])."""
    objective = CLAIMED[rule]
    problem = fit_problem(target, FAMILY, objective, pi=pi if objective is Objective.JS_PI else None, **quad)
    return fit(problem, n_starts=N_STARTS, seed=seed).best.theta


def claim_check(points: list[dict], argmin: np.ndarray) -> dict:
    """The claimed minimiser's mean and sd, and the max-norm gap in (mean, log sd) between it and the global
    stable point (NaN if there is none)."""
    glob = [p for p in points if p["is_global"]]
    gap = float(np.max(np.abs(np.array([glob[0]["mean"], np.log(glob[0]["sd"])]) - argmin))) if glob else np.nan
    return {"mean": float(argmin[0]), "sd": float(np.exp(argmin[1])), "gap": gap}


def compare_cell(good: pd.DataFrame, points: list[dict], floor: float) -> dict:
    """The converged runs' seed-mean (mean, sd) against the nearest stable point.

    Distance: Euclidean in (mean, sd), each axis in units of its seed sd floored at `floor` (x units);
    only {"n_seeds": 0} if no run converged. nearest_point / nearest_is_global / distance are NaN without
    a stable point. detectable: the power statement, the smallest shift of the seed-mean of the larger-spread
    axis from a point that n seeds detect (gandiv.figures.evidence.minimum_detectable_shift, x units).
    """
    if good.empty:
        return {"n_seeds": 0}
    gm, gs = float(good["mean"].mean()), float(good.sd.mean())
    spread_m = float(good["mean"].std(ddof=1)) if len(good) > 1 else 0.0
    spread_s = float(good.sd.std(ddof=1)) if len(good) > 1 else 0.0
    unit_m, unit_s = max(spread_m, floor), max(spread_s, floor)
    stable = [p for p in points if p["stable"]]
    dists = [float(np.hypot((gm - p["mean"]) / unit_m, (gs - p["sd"]) / unit_s)) for p in stable]
    nearest = stable[int(np.argmin(dists))] if stable else None
    return {"n_seeds": len(good), "gan_mean": gm, "gan_sd": gs, "spread_mean": spread_m, "spread_sd": spread_s,
            "distance": min(dists) if dists else np.nan,
            "nearest_point": nearest["point"] if nearest else np.nan,
            "nearest_is_global": nearest["is_global"] if nearest else np.nan,
            "n_stable": len(stable), "detectable": minimum_detectable_shift(max(unit_m, unit_s), len(good))}


def theory_rows(base: dict, rule: str, pi: float, points: list[dict]) -> list[dict]:
    """Table rows of a cell's stationary points (source "theory")."""
    rows = []
    for p in points:
        ident = base | {"source": "theory", "rule": rule, "pi": pi, "seed": np.nan, "point": p["point"],
                        "stable": p["stable"], "is_global": p["is_global"]}
        rows += [ident | {"quantity": q, "value": p[q], "unit": u} for q, u in THEORY_QUANTITIES]
    return rows


def claim_rows(base: dict, rule: str, pi: float, check: dict) -> list[dict]:
    """Table rows of a cell's claimed minimiser and its gap to the global stable point (source "theory check")."""
    ident = base | {"source": "theory check", "rule": rule, "pi": pi, "seed": np.nan, "point": np.nan,
                    "stable": np.nan, "is_global": np.nan}
    return [ident | {"quantity": f"mean of the {CLAIMED[rule].value} minimiser", "value": check["mean"],
                     "unit": "x units"},
            ident | {"quantity": f"sd of the {CLAIMED[rule].value} minimiser", "value": check["sd"], "unit": "x units"},
            ident | {"quantity": GAP, "value": check["gap"], "unit": "(mean, log sd)"}]


def gan_rows(base: dict, rule: str, pi: float, cell: pd.DataFrame) -> list[dict]:
    """Table rows of every GAN run of a cell, diverged and unconverged ones included (source "gan")."""
    rows = []
    for _, run in cell.iterrows():
        ident = base | {"source": "gan", "rule": rule, "pi": pi, "seed": int(run.seed), "point": np.nan,
                        "stable": np.nan, "is_global": np.nan, "diverged": bool(run.diverged),
                        "converged": bool(run.converged)}
        rows += [ident | {"quantity": "mean", "value": run["mean"], "unit": "x units"},
                 ident | {"quantity": "sd", "value": run.sd, "unit": "x units"}]
    return rows


def comparison_rows(base: dict, comparison: dict) -> list[dict]:
    """Table rows of every cell's comparison (source "comparison"; point, is_global: the nearest stable point)."""
    rows = []
    for (rule, pi), c in comparison.items():
        ident = base | {"source": "comparison", "rule": rule, "pi": pi, "seed": np.nan,
                        "point": c.get("nearest_point", np.nan), "stable": np.nan,
                        "is_global": c.get("nearest_is_global", np.nan)}
        rows += [ident | {"quantity": quantity, "value": c[key], "unit": unit}
                 for key, (quantity, unit) in COMPARISON.items() if key in c]
    return rows


def read_cells(table: pd.DataFrame) -> tuple[dict, dict, pd.DataFrame]:
    """From the table: (rule, pi) -> comparison (n_seeds, distance, nearest_is_global; in table order),
    (rule, pi) -> gap of the claim check, and the theory's global stable points (rule, pi, mean, sd)."""
    comparison = {}
    for row in table[table.source == "comparison"].itertuples():
        cell = comparison.setdefault((row.rule, row.pi), {"nearest_is_global": row.is_global})
        cell[next(key for key, (quantity, _) in COMPARISON.items() if quantity == row.quantity)] = row.value
    gaps = {(row.rule, row.pi): row.value for row in table[table.quantity == GAP].itertuples()}
    theory = table[(table.source == "theory") & (table.is_global == True)]  # noqa: E712 (an object column)
    means, sds = (theory[theory.quantity == q].reset_index(drop=True) for q in ("mean", "sd"))
    return comparison, gaps, means[["rule", "pi"]].assign(mean=means.value, sd=sds.value)
