"""Exact divergences between known densities: KL both ways, JS, JS_pi, TV, W1, MMD.

Conventions (the catalogue's, src/gandiv/figures/catalogue.yaml): P is the data, Q the model, natural logs (nats),
JS_pi[P||Q] = pi KL[P||M] + (1-pi) KL[Q||M] with M = pi P + (1-pi) Q.
Closed forms are used where they exist (`method="auto"`); everything else is a
vectorised sum over a `quadrature.Grid` (for two discrete laws: their supports,
with the counting measure). The `*_on_grid` functions take log
densities already evaluated on a grid, so fitting can reuse log P.
Parameters outside their domain (pi not in (0, 1), a bandwidth not finite
> 0, an unknown method) raise ValueError naming the parameter (`gandiv.exact.domain`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr
from scipy.stats import wasserstein_distance

from gandiv.exact import domain
from gandiv.exact.densities import Discrete, GaussianMixture, is_gaussian
from gandiv.exact.quadrature import DEFAULT_HALFWIDTH_SD, DEFAULT_POINTS_PER_SD, Grid, QuadratureError, grid_for, refined_grid

# Grid density for integrands with kinks (|p - q|, |F_P - F_Q|) in 1-D.
KINKED_POINTS_PER_SD = 2000.0
METHODS = ("auto", "closed", "grid")  # of kl_pq and kl_qp

# ---------------------------------------------------------------- on a grid


def _plogratio(log_a: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """a * (log a - log b) pointwise, with 0 log 0 = 0."""
    a = np.exp(log_a)
    with np.errstate(invalid="ignore"):
        return np.where(a > 0, a * (log_a - log_b), 0.0)


def log_mixture(log_p: np.ndarray, log_q: np.ndarray, pi: float) -> np.ndarray:
    """log M for M = pi P + (1 - pi) Q, computed without overflow; pi in (0, 1)."""
    domain.open_unit("pi", pi)
    return np.logaddexp(np.log(pi) + log_p, np.log1p(-pi) + log_q)


def kl_on_grid(log_a: np.ndarray, log_b: np.ndarray, grid: Grid) -> float:
    """KL[A||B] from log densities on a grid."""
    return grid.integrate(_plogratio(log_a, log_b))


def js_pi_on_grid(log_p: np.ndarray, log_q: np.ndarray, pi: float, grid: Grid) -> float:
    """JS_pi[P||Q] from log densities on a grid; pi in (0, 1)."""
    log_m = log_mixture(log_p, log_q, pi)
    return grid.integrate(pi * _plogratio(log_p, log_m) + (1.0 - pi) * _plogratio(log_q, log_m))


def tv_on_grid(log_p: np.ndarray, log_q: np.ndarray, grid: Grid) -> float:
    """Total variation 1/2 int |p - q| from log densities on a grid."""
    return 0.5 * grid.integrate(np.abs(np.exp(log_p) - np.exp(log_q)))


# ------------------------------------------------------------ closed forms


def kl_gaussians(p: GaussianMixture, q: GaussianMixture) -> float:
    """Closed-form KL[P||Q] between two single Gaussians."""
    if not (is_gaussian(p) and is_gaussian(q)):
        raise ValueError("kl_gaussians needs two single Gaussians")
    mu_p, mu_q = p.means[0], q.means[0]
    cov_p, cov_q = p.covariances[0], q.covariances[0]
    diff = mu_q - mu_p
    solve = np.linalg.solve(cov_q, np.column_stack([cov_p, diff]))
    _, logdet_p = np.linalg.slogdet(cov_p)
    _, logdet_q = np.linalg.slogdet(cov_q)
    d = p.dim
    return float(0.5 * (np.trace(solve[:, :d]) + diff @ solve[:, d] - d + logdet_q - logdet_p))


def binary_entropy(pi: float) -> float:
    """H(pi) in nats: the upper bound of JS_pi, reached when P and Q do not overlap; pi in (0, 1)."""
    domain.open_unit("pi", pi)
    return float(-pi * np.log(pi) - (1.0 - pi) * np.log1p(-pi))


def _rbf_expectation(a: GaussianMixture, b: GaussianMixture, bandwidth: float) -> float:
    """E k(x, y) for x ~ A, y ~ B independent, k(x,y) = exp(-|x-y|^2 / (2 l^2)), in closed form."""
    d = a.dim
    scale = bandwidth**2 * np.eye(d)
    s = scale[None, None] + a.covariances[:, None] + b.covariances[None, :]  # (ka, kb, d, d)
    diff = a.means[:, None, :] - b.means[None, :, :]
    quad = np.einsum("abi,abi->ab", diff, np.linalg.solve(s, diff[..., None])[..., 0])
    _, logdet = np.linalg.slogdet(s)
    terms = np.exp(0.5 * d * np.log(bandwidth**2) - 0.5 * logdet - 0.5 * quad)
    return float(a.weights @ terms @ b.weights)


def mmd(p, q, bandwidth: float) -> float:
    """MMD with the Gaussian RBF kernel exp(-|x-y|^2 / (2 l^2)), exact for Gaussian mixtures and discrete laws.

    bandwidth l: finite > 0 (ValueError otherwise).
    """
    domain.positive("bandwidth", bandwidth)
    if isinstance(p, Discrete) and isinstance(q, Discrete):
        support = np.union1d(p.support, q.support)
        diff = np.exp(p.log_prob(support)) - np.exp(q.log_prob(support))
        kernel = np.exp(-((support[:, None] - support[None, :]) ** 2) / (2 * bandwidth**2))
        return float(np.sqrt(max(diff @ kernel @ diff, 0.0)))
    squared = (
        _rbf_expectation(p, p, bandwidth)
        + _rbf_expectation(q, q, bandwidth)
        - 2.0 * _rbf_expectation(p, q, bandwidth)
    )
    return float(np.sqrt(max(squared, 0.0)))


# --------------------------------------------------------- density level


def _logs(p, q, grid: Grid | None):
    """Log densities of P and Q on a common grid: the union of supports (counting measure) if discrete."""
    if isinstance(p, Discrete) and isinstance(q, Discrete):
        support = np.union1d(p.support, q.support)
        return p.log_prob(support), q.log_prob(support), Grid(support[:, None], 1.0, (support,))
    grid = grid if grid is not None else grid_for(p, q)
    return p.log_prob(grid.points), q.log_prob(grid.points), grid


def kl_pq(p: GaussianMixture, q: GaussianMixture, grid: Grid | None = None, method: str = "auto") -> float:
    """KL[P||Q] (the maximum-likelihood direction).

    method: "auto" (closed form for two Gaussians unless a grid is given), "closed" or "grid".
    """
    domain.choice("method", method, METHODS)
    closed_form_exists = isinstance(p, GaussianMixture) and isinstance(q, GaussianMixture) and is_gaussian(
        p) and is_gaussian(q)
    if method == "closed" or (method == "auto" and grid is None and closed_form_exists):
        return kl_gaussians(p, q)
    log_p, log_q, grid = _logs(p, q, grid)
    return kl_on_grid(log_p, log_q, grid)


def kl_qp(p: GaussianMixture, q: GaussianMixture, grid: Grid | None = None, method: str = "auto") -> float:
    """KL[Q||P] (the reverse, mode-seeking direction)."""
    return kl_pq(q, p, grid, method)


def js_pi(p: GaussianMixture, q: GaussianMixture, pi: float, grid: Grid | None = None) -> float:
    """Generalised Jensen-Shannon divergence JS_pi[P||Q]; pi in (0, 1)."""
    log_p, log_q, grid = _logs(p, q, grid)
    return js_pi_on_grid(log_p, log_q, pi, grid)


def js(p: GaussianMixture, q: GaussianMixture, grid: Grid | None = None) -> float:
    """Jensen-Shannon divergence, JS_1/2."""
    return js_pi(p, q, 0.5, grid)


def tv(p: GaussianMixture, q: GaussianMixture, grid: Grid | None = None) -> float:
    """Total variation distance.

    |p - q| has kinks where the densities cross, where the sum converges only like
    h^2; in 1-D the default grid is therefore much finer (error < 1e-6, tested).
    """
    if grid is None and isinstance(p, GaussianMixture) and p.dim == 1:
        grid = grid_for(p, q, points_per_sd=KINKED_POINTS_PER_SD)
    log_p, log_q, grid = _logs(p, q, grid)
    return tv_on_grid(log_p, log_q, grid)


def mixture_cdf(density: GaussianMixture, x: np.ndarray) -> np.ndarray:
    """CDF of a 1-D Gaussian mixture, exact via the normal CDF."""
    sd = np.sqrt(density.covariances[:, 0, 0])
    return ndtr((np.asarray(x)[:, None] - density.means[None, :, 0]) / sd[None]) @ density.weights


def wasserstein1(p, q, points_per_sd: float = KINKED_POINTS_PER_SD) -> float:
    """Wasserstein-1 in 1-D: int |F_P - F_Q| dx (continuous), or exact for discrete laws.

    |F_P - F_Q| has kinks where the CDFs cross, so the continuous case uses a
    much finer grid than the smooth divergences.
    """
    if isinstance(p, Discrete) and isinstance(q, Discrete):
        return float(wasserstein_distance(p.support, q.support, p.probs, q.probs))
    if p.dim != 1 or q.dim != 1:
        raise ValueError("wasserstein1 is implemented for 1-D densities")
    grid = grid_for(p, q, points_per_sd=points_per_sd)
    x = grid.axes[0]
    return float(np.trapezoid(np.abs(mixture_cdf(p, x) - mixture_cdf(q, x)), x))


# ------------------------------------------------------------ certified values

EXACT_TOL = 1e-6  # an exact value's estimated error must be below EXACT_TOL * max(1, |value|) (nats)
LOG_CHUNK = 250_000  # points per batch when evaluating log densities on large grids (memory)
QUANTITIES = ("kl_pq", "kl_qp", "js", "js_pi", "tv")


@dataclass(frozen=True)
class Certified:
    """An exact value with the evidence of its accuracy.

    `error` is an estimate of the absolute error in nats: 0 for a closed form, else the change
    of the integral between the grid and a refined one (half the spacing, a wider box).
    """

    value: float
    error: float
    method: str  # "closed form" or "quadrature"


def theory_bounds(quantity: str, pi: float | None = None) -> tuple[float, float]:
    """The interval theory confines `quantity` to: KL >= 0, 0 <= JS_pi <= H(pi), 0 <= TV <= 1."""
    if quantity in ("kl_pq", "kl_qp"):
        return 0.0, np.inf
    if quantity == "js":
        return 0.0, float(np.log(2.0))
    if quantity == "js_pi":
        return 0.0, binary_entropy(pi)
    if quantity == "tv":
        return 0.0, 1.0
    raise ValueError(f"unknown quantity {quantity!r}; allowed: {', '.join(QUANTITIES)}")


def check_bounds(quantity: str, value: float, error: float, pi: float | None = None) -> None:
    """Raise QuadratureError if `value` lies outside its theoretical interval by more than its error."""
    lo, hi = theory_bounds(quantity, pi)
    if not (lo - error <= value <= hi + error):
        raise QuadratureError(f"{quantity} = {value:.8g} breaks its theoretical bounds [{lo:g}, {hi:.6g}] by more than "
                              f"its estimated error {error:.2g}: the integral is not resolved")


def log_density(density, points: np.ndarray) -> np.ndarray:
    """density.log_prob at points (n, d), in batches of LOG_CHUNK points to bound memory on large grids."""
    return np.concatenate([density.log_prob(points[i:i + LOG_CHUNK]) for i in range(0, len(points), LOG_CHUNK)])


def _value_on_grid(quantity: str, log_p: np.ndarray, log_q: np.ndarray, grid: Grid, pi: float | None) -> float:
    if quantity == "kl_pq":
        return kl_on_grid(log_p, log_q, grid)
    if quantity == "kl_qp":
        return kl_on_grid(log_q, log_p, grid)
    if quantity == "js":
        return js_pi_on_grid(log_p, log_q, 0.5, grid)
    if quantity == "js_pi":
        return js_pi_on_grid(log_p, log_q, pi, grid)
    if quantity == "tv":
        return tv_on_grid(log_p, log_q, grid)
    raise ValueError(f"unknown quantity {quantity!r}; allowed: {', '.join(QUANTITIES)}")


def certified_on_grids(log_p: Callable[[np.ndarray], np.ndarray], log_q: Callable[[np.ndarray], np.ndarray],
                       grid: Grid, refined: Grid, quantities, pi: float | None = None,
                       tol: float = EXACT_TOL) -> dict[str, Certified]:
    """Each quantity on `grid`, with the change on `refined` as its error estimate; bounds checked.

    `log_p`, `log_q` map points (n, d) to log densities (n,). Raises QuadratureError naming the
    quantity if an error estimate exceeds tol * max(1, |value|), or a value breaks its bounds.
    """
    logs = [(log_p(g.points), log_q(g.points), g) for g in (grid, refined)]
    out = {}
    for quantity in quantities:
        value, fine = (_value_on_grid(quantity, lp, lq, g, pi) for lp, lq, g in logs)
        error = abs(fine - value) if np.isfinite(fine - value) else np.inf
        if not np.isfinite(value) or error > tol * max(1.0, abs(value)):
            raise QuadratureError(f"{quantity} = {value:.8g} on the grid but {fine:.8g} on a refined one: error "
                                  f"{error:.2g} exceeds the tolerance {tol:g} x max(1, |value|)")
        check_bounds(quantity, value, error, pi)
        out[quantity] = Certified(float(value), float(error), "quadrature")
    return out


def certified_divergences(p: GaussianMixture, q: GaussianMixture, quantities=("kl_pq", "kl_qp", "js"),
                          pi: float | None = None, points_per_sd: float = DEFAULT_POINTS_PER_SD,
                          halfwidth_sd: float = DEFAULT_HALFWIDTH_SD, tol: float = EXACT_TOL) -> dict[str, Certified]:
    """Divergences between two Gaussian mixtures, each with its error estimate (nats).

    KL between two single Gaussians is the closed form (error 0); everything else is
    quadrature on `grid_for(p, q)` checked against `refined_grid` (TV in 1-D on the fine
    grid its kinks need). Raises QuadratureError, saying why, when a value cannot be
    certified to `tol`: the grid would be too large, the error estimate too big, or a
    theoretical bound (KL >= 0, 0 <= JS_pi <= H(pi), TV <= 1) broken.
    """
    out = {}
    if is_gaussian(p) and is_gaussian(q):
        out |= {k: Certified(kl_gaussians(*((p, q) if k == "kl_pq" else (q, p))), 0.0, "closed form")
                for k in quantities if k in ("kl_pq", "kl_qp")}
    rest = [k for k in quantities if k not in out and k != "tv"]
    log_p, log_q = (lambda x: log_density(p, x)), (lambda x: log_density(q, x))
    if rest:
        grid = grid_for(p, q, points_per_sd=points_per_sd, halfwidth_sd=halfwidth_sd)
        out |= certified_on_grids(log_p, log_q, grid, refined_grid(grid, p, q, halfwidth_sd=halfwidth_sd), rest, pi,
                                  tol)
    if "tv" in quantities:
        pps = KINKED_POINTS_PER_SD if p.dim == 1 else points_per_sd
        grid = grid_for(p, q, points_per_sd=pps, halfwidth_sd=halfwidth_sd)
        out |= certified_on_grids(log_p, log_q, grid, refined_grid(grid, p, q, halfwidth_sd=halfwidth_sd), ["tv"],
                                  pi, tol)
    return {k: out[k] for k in quantities}
