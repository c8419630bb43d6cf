"""How the JS_pi minimiser moves with pi: every local minimum on a pi grid, and where the global one jumps.

At each pi the fit is multi-start, seeded also with the minima found at the
neighbouring pi values (continuation both ways), so branches of local minima
are followed across the grid. Where the global minimiser switches branch, the
crossing pi is found by bisection on the value difference of the two branches;
if both branches are still distinct minima there, the minimiser jumps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from gandiv.exact.densities import GaussianMixture
from gandiv.exact.families import GaussianFamily
from gandiv.exact.fitting import LocalMinimum, Objective, fit, fit_problem, minimise_from, same_minimum, value_error


@dataclass(frozen=True)
class Crossing:
    """A switch of the global minimiser between two branches at pi_c."""

    pi: float
    theta_before: np.ndarray  # branch that is global for pi < pi_c
    theta_after: np.ndarray
    jump: float  # distance between the two minimisers' means at pi_c, in target units


def pi_grid(spec: dict) -> np.ndarray:
    """Sorted unique pi grid, symmetric under pi -> 1 - pi: log-spaced tails in [pi_min, 0.1], linear middle.

    spec: the config's `exact.pi_grid` ({"pi_min", "n_tail", "n_middle"}); n_tail log-spaced points in
    [pi_min, 0.1], n_middle linear points strictly inside (0.1, 0.9), and the tail mirrored into
    [0.9, 1 - pi_min], so 2 n_tail + n_middle points when pi_min < 0.1.
    """
    tail = np.geomspace(spec["pi_min"], 0.1, spec["n_tail"])
    middle = np.linspace(0.1, 0.9, spec["n_middle"] + 2)[1:-1]
    return np.unique(np.concatenate([tail, middle, 1.0 - tail]))


def _problem(target, family, pi, quad):
    return fit_problem(target, family, Objective.JS_PI, pi=pi, **quad)


def local_minima_path(target: GaussianMixture, family: GaussianFamily, pis: np.ndarray, n_starts: int,
                      seed: int, max_iter: int = 1000, quad: dict | None = None) -> dict[float, list]:
    """All distinct local minima of JS_pi at every pi (list of LocalMinimum, global first)."""
    quad = quad or {}
    minima: dict[float, list] = {}
    previous = None
    for pi in pis:  # forward sweep
        extra = None if previous is None else np.array([m.theta for m in previous])
        minima[pi] = fit(_problem(target, family, pi, quad), n_starts, seed, max_iter, extra).minima
        previous = minima[pi]
    for i in range(len(pis) - 2, -1, -1):  # backward sweep picks up branches seen only later
        pi = pis[i]
        problem = _problem(target, family, pi, quad)
        known = minima[pi]
        for m in minima[pis[i + 1]]:
            theta, value, grad_norm = minimise_from(problem, m.theta, max_iter)
            if not any(same_minimum(theta, k.theta, family) for k in known):
                known.append(LocalMinimum(theta, value, 1, grad_norm))
        minima[pi] = sorted(known, key=lambda m: m.value)
    return minima


def find_crossings(target, family, pis, minima, max_iter=1000, quad=None, tol=1e-6) -> list[Crossing]:
    """Locate each switch of the global minimiser between consecutive grid points by bisection."""
    quad = quad or {}
    crossings = []
    for a, b in zip(pis[:-1], pis[1:]):
        left, right = minima[a][0].theta, minima[b][0].theta
        if same_minimum(left, right, family, tol=0.2):
            continue  # same branch, it just moved

        def follow(theta, pi):
            return minimise_from(_problem(target, family, pi, quad), theta, max_iter)

        def gap(pi):
            return follow(left, pi)[1] - follow(right, pi)[1]

        try:
            pi_c = brentq(gap, a, b, xtol=tol)
        except ValueError:  # branch vanished inside the interval: report the grid interval's midpoint
            pi_c = 0.5 * (a + b)
        before, after = follow(left, pi_c)[0], follow(right, pi_c)[0]
        if same_minimum(before, after, family, tol=0.05):
            continue  # both branches meet at pi_c: a steep but continuous move, not a jump
        jump = float(np.linalg.norm(before[: family.dim] - after[: family.dim]))
        crossings.append(Crossing(float(pi_c), before, after, jump))
    return crossings


def path_table(target: GaussianMixture, target_name: str, family: GaussianFamily, minima: dict[float, list],
               quad: dict | None = None) -> pd.DataFrame:
    """Tidy table: one row per (pi, local minimum) with mean, scale, value, its error estimate and whether it is
    global."""
    rows = []
    for pi, found in minima.items():
        problem = _problem(target, family, pi, quad or {})
        for rank, m in enumerate(found):
            density = family.density(m.theta)
            row = {"target": target_name, "pi": pi, "rank": rank, "is_global": rank == 0,
                   "js_pi": m.value, "js_pi_error": value_error(problem, m.theta, m.value),
                   "grad_norm": m.grad_norm, "n_starts": m.n_starts,
                   "scale": float(np.sqrt(np.trace(density.covariances[0]) / family.dim))}
            for i, v in enumerate(density.means[0]):
                row[f"mean_{i}"] = float(v)
            rows.append(row)
    return pd.DataFrame(rows)


def run_path(target: GaussianMixture, target_name: str, family: GaussianFamily, pis: np.ndarray, n_starts: int,
             seed: int, max_iter: int = 1000, quad: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """The whole pi sweep for one target: table of local minima, plus crossings and both KL optima."""
    quad = quad or {}
    minima = local_minima_path(target, family, pis, n_starts, seed, max_iter, quad)
    crossings = find_crossings(target, family, pis, minima, max_iter, quad)
    optima = {}
    for objective in (Objective.KL_PQ, Objective.KL_QP):
        problem = fit_problem(target, family, objective, **quad)
        best = fit(problem, n_starts, seed, max_iter).best
        density = family.density(best.theta)
        optima[objective.value] = {"value": best.value, "value_error": value_error(problem, best.theta, best.value),
                                   "scale": float(np.sqrt(np.trace(density.covariances[0]) / family.dim)),
                                   **{f"mean_{i}": float(v) for i, v in enumerate(density.means[0])}}
    summary = {"target": target_name, "family": family.kind.value, **optima,
               "crossings": [{"pi": c.pi, "jump": c.jump, "mean_before": c.theta_before[: family.dim].tolist(),
                              "mean_after": c.theta_after[: family.dim].tolist()} for c in crossings]}
    return path_table(target, target_name, family, minima, quad), summary
