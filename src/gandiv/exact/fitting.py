"""Exact fits: minimise a divergence between P and a Gaussian family, from many starts.

Reverse KL and JS_pi have several local minima on multimodal P, so every fit
is a multi-start L-BFGS-B with exact gradients on a fixed quadrature grid, and
the result lists every distinct local minimum found and which one is global.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np
from scipy.optimize import minimize

from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.exact.families import GaussianFamily
from gandiv.exact.divergences import EXACT_TOL, check_bounds, log_density, mmd
from gandiv.exact.quadrature import (DEFAULT_HALFWIDTH_SD, DEFAULT_POINTS_PER_SD, Grid, QuadratureError, grid_for,
                                     refined_grid)


TINY = np.finfo(float).tiny


class Objective(str, Enum):
    """Divergences a Gaussian can be fitted by exactly."""

    KL_PQ = "kl_pq"  # maximum likelihood
    KL_QP = "kl_qp"  # reverse KL
    JS_PI = "js_pi"  # generalised JS (JS for pi = 1/2)
    TV = "tv"


class FitObjective(str, Enum):
    """The exact fits the pipeline runs, by the name in their result paths (`results/fits/<target>/<family>/`).

    JS is JS_pi at pi = 1/2; `problem_args` gives the (Objective, pi) that `fit_problem` takes.
    """

    KL_PQ = "kl_pq"
    JS = "js"
    KL_QP = "kl_qp"

    def problem_args(self) -> tuple[Objective, float | None]:
        """(divergence, prior pi) of this fit: pi is 1/2 for JS and None otherwise."""
        return {FitObjective.KL_PQ: (Objective.KL_PQ, None), FitObjective.JS: (Objective.JS_PI, 0.5),
                FitObjective.KL_QP: (Objective.KL_QP, None)}[self]


def integrand_and_sensitivity(objective: Objective, log_p, log_q, pi: float | None):
    """Pointwise integrand f(p, q) and q * df/dq, so that grad = int (q df/dq) * score."""
    p, q = np.exp(log_p), np.exp(log_q)
    if objective is Objective.KL_PQ:
        return p * (log_p - log_q), -p
    if objective is Objective.KL_QP:
        return q * (log_q - log_p), q * (log_q - log_p + 1.0)
    if objective is Objective.JS_PI:
        log_m = np.log(np.maximum(pi * p + (1.0 - pi) * q, TINY))  # p, q are at hand: cheaper than logaddexp
        f = pi * p * (log_p - log_m) + (1.0 - pi) * q * (log_q - log_m)
        return f, (1.0 - pi) * q * (log_q - log_m)
    if objective is Objective.TV:
        return 0.5 * np.abs(p - q), 0.5 * q * np.sign(q - p)
    raise ValueError(f"unknown objective {objective!r}")


@dataclass(frozen=True)
class FitProblem:
    """A divergence between a fixed P (pre-evaluated on a grid) and a Gaussian family."""

    target: GaussianMixture
    family: GaussianFamily
    objective: Objective
    grid: Grid
    log_p: np.ndarray
    pi: float | None = None

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        log_q, score = self.family.log_prob_and_score_by_coordinate(theta, self.grid.coords)
        f, sensitivity = integrand_and_sensitivity(self.objective, self.log_p, log_q, self.pi)
        return self.grid.integrate(f), (score @ sensitivity) * self.grid.cell

    def bounds(self) -> list[tuple[float, float]]:
        """Keep Q's mean inside P's components and its scales resolved by the grid."""
        lo, hi = self.target.means.min(axis=0), self.target.means.max(axis=0)
        spacing = min(a[1] - a[0] for a in self.grid.axes)
        extent = float(np.max(self.grid.points.max(axis=0) - self.grid.points.min(axis=0)))
        log_lo, log_hi = np.log(2.0 * spacing), np.log(extent / 8.0)  # >= 2 grid points per sd
        mean_bounds = [(float(a) - 1.0, float(b) + 1.0) for a, b in zip(lo, hi)]
        n_scale = self.family.n_scale
        if self.family.kind.value == "full":
            rows, cols = np.tril_indices(self.family.dim)
            scale_bounds = [(log_lo, log_hi) if r == c else (-extent, extent) for r, c in zip(rows, cols)]
        else:
            scale_bounds = [(log_lo, log_hi)] * n_scale
        return mean_bounds + scale_bounds


def fit_problem(
    target: GaussianMixture,
    family: GaussianFamily,
    objective: Objective,
    pi: float | None = None,
    points_per_sd: float = DEFAULT_POINTS_PER_SD,
    halfwidth_sd: float = DEFAULT_HALFWIDTH_SD,
) -> FitProblem:
    """Set up a fit on a grid covering P and its moment-matched Gaussian (where broad fits live)."""
    if objective is Objective.JS_PI and not (pi is not None and 0.0 < pi < 1.0):
        raise ValueError("js_pi needs 0 < pi < 1")
    matched = gaussian(target.mean(), target.covariance())
    grid = grid_for(target, points_per_sd=points_per_sd, halfwidth_sd=halfwidth_sd,
                    bounds=_union_bounds(target, matched, halfwidth_sd))
    return FitProblem(target, family, objective, grid, target.log_prob(grid.points), pi)


def _union_bounds(a: GaussianMixture, b: GaussianMixture, halfwidth_sd: float) -> np.ndarray:
    ba, bb = a.bounds(halfwidth_sd), b.bounds(halfwidth_sd)
    return np.stack([np.minimum(ba[:, 0], bb[:, 0]), np.maximum(ba[:, 1], bb[:, 1])], axis=1)


@dataclass(frozen=True)
class LocalMinimum:
    theta: np.ndarray
    value: float
    n_starts: int  # how many starts converged here
    grad_norm: float

    def density(self, family: GaussianFamily) -> GaussianMixture:
        return family.density(self.theta)


@dataclass
class FitResult:
    """Every distinct local minimum found, sorted by value; the first is global."""

    problem: FitProblem
    minima: list[LocalMinimum] = field(default_factory=list)

    @property
    def best(self) -> LocalMinimum:
        return self.minima[0]


def starting_points(problem: FitProblem, n_starts: int, rng: np.random.Generator) -> np.ndarray:
    """Starts spread over P: the moment-matched Gaussian, then component-sized Gaussians on P's samples."""
    target, family = problem.target, problem.family
    starts = [family.pack(target.mean(), target.covariance())]
    centres = target.sample(max(n_starts - 1, 0), rng)
    base_var = np.mean(np.diagonal(target.covariances, axis1=1, axis2=2))
    for centre, factor in zip(centres, rng.uniform(0.5, 2.0, size=len(centres))):
        starts.append(family.pack(centre, factor * base_var * np.eye(family.dim)))
    return np.array(starts[:n_starts])


def minimise_from(problem: FitProblem, theta0: np.ndarray, max_iter: int = 1000):
    """One L-BFGS-B run; returns (theta, value, gradient norm)."""
    bounds = problem.bounds()
    theta0 = np.clip(theta0, [b[0] for b in bounds], [b[1] for b in bounds])
    res = minimize(problem.value_and_grad, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-10})
    _, grad = problem.value_and_grad(res.x)
    return res.x, float(res.fun), float(np.linalg.norm(grad))


def same_minimum(a: np.ndarray, b: np.ndarray, family: GaussianFamily, tol: float = 1e-2) -> bool:
    """Two optimiser end points are one minimum if means agree to `tol` sds and scale parameters to `tol`."""
    sd = np.sqrt(np.linalg.eigvalsh(family.density(a).covariances[0]).min())
    d = family.dim
    return bool(np.max(np.abs(a[:d] - b[:d])) < tol * sd and np.max(np.abs(a[d:] - b[d:])) < tol)


def fit(
    problem: FitProblem,
    n_starts: int = 24,
    seed: int = 0,
    max_iter: int = 1000,
    extra_starts: np.ndarray | None = None,
) -> FitResult:
    """Multi-start fit; distinct local minima sorted by value (index 0 is the global one)."""
    rng = np.random.default_rng(seed)
    starts = starting_points(problem, n_starts, rng)
    if extra_starts is not None and len(extra_starts):
        starts = np.concatenate([np.asarray(extra_starts), starts])
    found: list[LocalMinimum] = []
    for theta0 in starts:
        theta, value, grad_norm = minimise_from(problem, theta0, max_iter)
        for i, m in enumerate(found):
            if same_minimum(theta, m.theta, problem.family):
                keep = m if m.value <= value else LocalMinimum(theta, value, m.n_starts, grad_norm)
                found[i] = LocalMinimum(keep.theta, keep.value, m.n_starts + 1, keep.grad_norm)
                break
        else:
            found.append(LocalMinimum(theta, value, 1, grad_norm))
    return FitResult(problem, sorted(found, key=lambda m: m.value))


def value_error(problem: FitProblem, theta: np.ndarray, value: float, tol: float = EXACT_TOL) -> float:
    """Estimated error (nats) of the objective `value` at `theta`: its change on a refined grid.

    The refined grid halves the spacing and reaches past both P and this Q (see
    quadrature.refined_grid). Raises QuadratureError if the error exceeds tol * max(1, |value|)
    or the value breaks its theoretical bounds: the minimum is then not an exact value.
    """
    q = problem.family.density(theta)
    fine = refined_grid(problem.grid, problem.target, q)
    f, _ = integrand_and_sensitivity(problem.objective, log_density(problem.target, fine.points),
                                     log_density(q, fine.points), problem.pi)
    error = abs(fine.integrate(f) - value)
    if not error <= tol * max(1.0, abs(value)):
        raise QuadratureError(f"{problem.objective.value} = {value:.8g} at the minimum changes by {error:.2g} on a "
                              f"refined grid (tolerance {tol:g} x max(1, |value|))")
    check_bounds(problem.objective.value, value, error, problem.pi)
    return error


def to_record(result: FitResult, target_name: str) -> dict:
    """JSON-able description of a fit: every local minimum, with mean, covariance, value and its error estimate."""
    family = result.problem.family
    minima = []
    for rank, m in enumerate(result.minima):
        density = family.density(m.theta)
        minima.append({"rank": rank, "is_global": rank == 0, "value": m.value,
                       "value_error": value_error(result.problem, m.theta, m.value), "theta": m.theta.tolist(),
                       "mean": density.means[0].tolist(), "covariance": density.covariances[0].tolist(),
                       "n_starts": m.n_starts, "grad_norm": m.grad_norm})
    return {"target": target_name, "family": family.kind.value, "dim": family.dim,
            "objective": result.problem.objective.value, "pi": result.problem.pi, "minima": minima}


def density_from_record(minimum: dict) -> GaussianMixture:
    """The fitted Gaussian of one minimum of a fit record."""
    return gaussian(minimum["mean"], minimum["covariance"])


def mmd_fit(target, family: GaussianFamily, bandwidth: float, n_starts: int, seed: int, quadrature: dict):
    """Minimise the closed-form MMD (RBF kernel, `bandwidth`) over the family by L-BFGS-B, from the starts and
    within the bounds of the exact KL[P||Q] fit; returns (the best Q, its MMD)."""
    problem = fit_problem(target, family, Objective.KL_PQ, **quadrature)
    starts = starting_points(problem, n_starts, np.random.default_rng(seed))
    runs = [minimize(lambda th: mmd(target, family.density(th), bandwidth) ** 2, s, method="L-BFGS-B",
                     bounds=problem.bounds()) for s in starts]
    best = min(runs, key=lambda r: r.fun)
    return family.density(best.x), float(np.sqrt(max(best.fun, 0.0)))
