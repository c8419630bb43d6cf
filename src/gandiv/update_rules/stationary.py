"""Where a GAN generator stops when the discriminator is always Bayes-optimal.

With D held at D*_theta (logit a* = log(pi p) - log((1-pi) q_theta)), one
generator step follows the field
    F(theta) = d/dtheta' E_{Q_theta'}[loss(a*_theta)] at theta' = theta
             = int q_theta score_theta loss(a*_theta) dx,
computed exactly by quadrature. Its roots are where the generator stops.
Constants in the loss drop out (E_Q[score] = 0), so every logit rule descends
a potential V with F = grad V, held by the rule's unit (`gandiv.update_rules.logit`:
minimax -> JS_pi[P||Q] / (1 - pi), KL -> KL[Q||P], non-saturating -> KL[M||P] / (1 - pi)).
Roots are found without using V (root finding on F); V only orders them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import root

from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.exact.divergences import js_pi_on_grid, kl_on_grid
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.fitting import FitProblem, Objective, fit_problem, same_minimum, starting_points
from gandiv.update_rules import UpdateRule, optimal_logit, unit
from gandiv.exact.quadrature import Grid, grid_for

FIELD_TOL = 1e-7  # a root must have |F| below this
FD_STEP = 1e-5  # central differences for the Jacobian: truncation ~h^2, round-off ~1e-16/h, both < 1e-9
ESCAPE_MARGIN = 1.0  # a search that leaves the fit bounds by this much is abandoned
FLOW_TIME = 1e3  # horizon of the ideal dynamics; slowest rates seen are ~0.02, so ~20 e-foldings


def generator_field(log_p: np.ndarray, grid: Grid, family: GaussianFamily, theta: np.ndarray,
                    rule: UpdateRule, pi: float) -> np.ndarray:
    """F(theta) = int q score loss_rule(a*) dx on the grid, with D* frozen at theta (shape (n_params,))."""
    log_q, score = family.log_prob_and_score_by_coordinate(theta, grid.coords)
    loss = unit(rule).logit_loss(optimal_logit(log_p, log_q, pi))
    return (score @ (np.exp(log_q) * loss)) * grid.cell


def field_jacobian(field, theta: np.ndarray, step: float = FD_STEP) -> np.ndarray:
    """dF_i / dtheta_j by central differences (symmetry, i.e. F being a gradient, is not assumed)."""
    columns = [(field(theta + step * e) - field(theta - step * e)) / (2.0 * step) for e in np.eye(len(theta))]
    return np.array(columns).T


def ideal_adam_path(target: GaussianMixture, rule: UpdateRule, pi: float, start: np.ndarray, steps: int, every: int,
                    optimizer: dict, quad: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D Gaussian generator trained with the ideal discriminator: Keras's Adam (Kingma & Ba 2015, with Keras's
    epsilon 1e-7 outside the root) on the exact expected generator gradient F (`generator_field`, D* refit before
    every step), from `start` = (mean, sd), in the generator's own parameters (mean, log sd).

    optimizer: `gan.optimizer` (g_learning_rate, beta_1, beta_2 defaulting to 0.999). Returns the steps (K,) =
    0, every, 2 every, ..., steps and the (mean, sd) there (K, 2), x units. No noise: what infinitely many D-steps
    and infinitely large batches would do. The field's grid (`quad`: grid_for's settings) covers P and Q with twice
    its sd, and is laid anew whenever Q (mean +- 8 sd) would leave it, so the field is never truncated
    (QuadratureError from grid_for if P and Q are too far apart in scale for one grid).
    """
    family = GaussianFamily(1, Family.FULL)
    theta = np.array([start[0], np.log(start[1])], dtype=float)
    lr, b1, b2 = optimizer["g_learning_rate"], optimizer["beta_1"], optimizer.get("beta_2", 0.999)
    m, v = np.zeros(2), np.zeros(2)
    kept_steps, kept = [0], [theta.copy()]
    grid = None
    for t in range(1, steps + 1):
        mean, sd = theta[0], np.exp(theta[1])
        if grid is None or not (grid.axes[0][0] <= mean - 8 * sd and mean + 8 * sd <= grid.axes[0][-1]):
            grid = grid_for(target, gaussian([mean], [[(2.0 * sd) ** 2]]), **(quad or {}))
            log_p = target.log_prob(grid.points)
        g = generator_field(log_p, grid, family, theta, rule, pi)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        theta = theta - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + 1e-7)
        if t % every == 0:
            kept_steps.append(t)
            kept.append(theta.copy())
    path = np.array(kept)
    return np.array(kept_steps), np.column_stack([path[:, 0], np.exp(path[:, 1])])


@dataclass(frozen=True)
class StationaryPoint:
    """A root of the generator field, its divergences and whether gradient flow -F is attracted to it."""

    theta: np.ndarray
    field_norm: float
    stable: bool  # every eigenvalue of dF/dtheta has positive real part
    eigenvalues: np.ndarray
    js_pi: float
    kl_pq: float  # KL[P||Q]
    kl_qp: float  # KL[Q||P]
    value: float  # the rule's potential V (F = grad V, `RuleUnit.potential`)
    n_starts: int  # how many starts converged here

    def density(self, family: GaussianFamily) -> GaussianMixture:
        return family.density(self.theta)


def _inside(theta: np.ndarray, bounds, margin: float = 0.0) -> bool:
    return all(lo - margin <= t <= hi + margin for t, (lo, hi) in zip(theta, bounds))


def resolved(family: GaussianFamily, theta: np.ndarray, grid: Grid) -> bool:
    """Whether the grid integrates against Q accurately: >= 2 points per sd, box reaching 7 sds past the mean.

    (Trapezoid aliasing error ~exp(-2 pi^2 (sd/h)^2) < 1e-30; mass outside 7 sds < 3e-12.)
    The fit bounds are not used: with points_per_sd=4 their smallest scale equals P's smallest sd.
    """
    cov = family.density(theta).covariances[0]
    mean = np.asarray(theta[: family.dim])
    reach = 7.0 * np.sqrt(np.diag(cov))
    spacing = min(a[1] - a[0] for a in grid.axes)
    low = np.array([a[0] for a in grid.axes])
    high = np.array([a[-1] for a in grid.axes])
    return bool(np.sqrt(np.linalg.eigvalsh(cov).min()) >= 2.0 * spacing
                and np.all(mean - reach >= low) and np.all(mean + reach <= high))


class _Escaped(Exception):
    pass


def _find_root(field, jacobian, theta0: np.ndarray, bounds) -> np.ndarray | None:
    """Newton-type root search (hybr) from theta0; None if it leaves the bounds.

    The minimax field saturates (F -> 0 as Q and P separate), so |F| also falls
    towards infinity and a root finder can run off there; such runs are cut short.
    """
    def guarded(theta):
        if not _inside(theta, bounds, ESCAPE_MARGIN):
            raise _Escaped
        return field(theta)

    try:
        with np.errstate(all="ignore"):
            return root(guarded, theta0, jac=jacobian, method="hybr", options={"xtol": 1e-13}).x
    except _Escaped:
        return None


def _flow(field, jacobian, theta0: np.ndarray, bounds) -> np.ndarray:
    """Follow the ideal generator dynamics d theta / dt = -F to near a stable root (stiff solver)."""
    def converged(t, theta):
        return np.linalg.norm(field(theta)) - 1e-6  # close enough for the root search to polish

    def escaped(t, theta):
        return float(min(min(t_ - lo, hi - t_) for t_, (lo, hi) in zip(theta, bounds)) + ESCAPE_MARGIN)

    converged.terminal = escaped.terminal = True
    with np.errstate(all="ignore"):
        sol = solve_ivp(lambda t, th: -field(th), (0.0, FLOW_TIME), theta0, method="BDF",
                        jac=lambda t, th: -jacobian(th), events=(converged, escaped), rtol=1e-3, atol=1e-6)
    return sol.y[:, -1]


def stationary_points(target: GaussianMixture, family: GaussianFamily, rule: UpdateRule, pi: float,
                      n_starts: int = 12, seed: int = 0, quad: dict | None = None,
                      stable_only: bool = False, extra_starts: np.ndarray | None = None) -> list[StationaryPoint]:
    """Distinct roots of the generator field from multi-start root finding.

    Each start tries a root search directly (finds saddles too); if that fails,
    the ideal dynamics -F are followed first and the end point polished.
    Roots must have |F| < FIELD_TOL and a Q the grid resolves (`resolved`).
    Stable roots come first, each group ordered by the rule's potential V (so
    the first is the global minimiser of V if it was found).
    """
    quad = quad or {}
    problem: FitProblem = fit_problem(target, family, Objective.KL_PQ, **quad)  # grid, bounds and starts only
    grid, log_p = problem.grid, problem.log_p
    bounds = problem.bounds()

    def field(theta):
        return generator_field(log_p, grid, family, theta, rule, pi)

    def jacobian(theta):
        return field_jacobian(field, theta)

    starts = starting_points(problem, n_starts, np.random.default_rng(seed))
    if extra_starts is not None and len(extra_starts):
        starts = np.concatenate([np.asarray(extra_starts, dtype=float), starts])
    found: list[list] = []  # [theta, norm, count]
    for theta0 in starts:
        theta = _find_root(field, jacobian, theta0, bounds)
        if theta is None or not np.linalg.norm(field(theta)) < FIELD_TOL:  # fall back on the dynamics
            theta = _find_root(field, jacobian, _flow(field, jacobian, theta0, bounds), bounds)
        if theta is None or not (np.all(np.isfinite(theta)) and resolved(family, theta, grid)):
            continue
        norm = float(np.linalg.norm(field(theta)))
        if not norm < FIELD_TOL:
            continue
        for entry in found:
            if same_minimum(theta, entry[0], family):
                if norm < entry[1]:
                    entry[0], entry[1] = theta, norm
                entry[2] += 1
                break
        else:
            found.append([theta, norm, 1])

    points = []
    for theta, norm, count in found:
        eig = np.linalg.eigvals(jacobian(theta))
        log_q = family.log_prob_and_score_by_coordinate(theta, grid.coords)[0]
        points.append(StationaryPoint(theta, norm, bool(np.all(eig.real > 0)), eig,
                                      js_pi_on_grid(log_p, log_q, pi, grid), kl_on_grid(log_p, log_q, grid),
                                      kl_on_grid(log_q, log_p, grid), unit(rule).potential(log_p, log_q, grid, pi),
                                      count))
    if stable_only:
        points = [p for p in points if p.stable]
    return sorted(points, key=lambda p: (not p.stable, p.value))
