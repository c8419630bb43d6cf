"""A Gaussian on a line in 2-D, its thickened versions, and their exact divergences from a 2-D mixture P.

The update-rule post (closing section) warns that a GAN's Q lives on a manifold of lower dimension than the data:
then Q and P are mutually singular (P gives the manifold no mass, Q gives everything else none), JS[P||Q] is log 2
whatever the generator's parameters, and the KL divergences are not defined. This module makes that limit
computable on the simplest such Q, a Gaussian on a line,

    Q_0 = law of  c + s z u,  z ~ N(0, 1)     (centre c (2,), unit direction u (2,), scale s > 0, x units),

approached by Q_eps = N(c, s^2 u u^T + eps^2 v v^T) (v the unit normal of the line): a Gaussian eps thick. As
eps -> 0, JS_pi[P||Q_eps] -> H(pi) (at pi = 1/2, log 2 = 1 bit) and both KL divergences grow without bound:
KL[Q_eps||P] = -H(Q_eps) - E_Q log p like log(1/eps), KL[P||Q_eps] like E_P[n^2] / (2 eps^2), n the distance
along v from the line.

A uniform grid cannot hold a density eps thin and P's extent at once (`quadrature.grid_for` refuses), so
`thin_divergences` integrates in the line's own coordinates (t along u, n along v): a uniform grid in t (spectrally
accurate for Gaussian tails) times Gauss-Legendre panels in n, fine (eps wide) within `halfwidth_sd` eps of the line
and P-wide outside. Each value's error is its change on a refined rule (half the t spacing, half the panel widths,
a wider box and a wider fine band), checked against a tolerance and the theoretical bounds like every certified
value (`divergences.certified_on_grids`). `kl_qp_entropy_route` and `kl_pq_moments` compute the two KLs on routes
independent of it (Q's entropy in closed form and an expectation in Q's own coordinates; P's moments in closed form), for the tests and the figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gandiv.exact import domain
from gandiv.exact.densities import LOG_2PI, GaussianMixture, gaussian
from gandiv.exact.divergences import (DEFAULT_HALFWIDTH_SD, DEFAULT_POINTS_PER_SD, EXACT_TOL, Certified,
                                      _plogratio, binary_entropy, certified_divergences, check_bounds, log_mixture)
from gandiv.exact.quadrature import QuadratureError

GL_ORDER = 8  # Gauss-Legendre points per panel (exact for polynomials of degree 15)
PANEL_SDS = 4.0  # a panel is PANEL_SDS / points_per_sd of the local scale wide (1 sd at 4 points per sd)
THIN_QUANTITIES = ("kl_pq", "kl_qp", "js_pi")


@dataclass(frozen=True)
class LineGaussian:
    """Q_0: the law of centre + scale z direction, z ~ N(0, 1), a Gaussian on a line in 2-D (no density).

    centre (2,) and scale > 0 in x units, direction (2,) any nonzero vector (normalised here). ValueError naming
    the parameter otherwise.
    """

    centre: np.ndarray
    direction: np.ndarray
    scale: float

    def __post_init__(self):
        centre = np.asarray(self.centre, dtype=float).reshape(-1)
        direction = np.asarray(self.direction, dtype=float).reshape(-1)
        if centre.shape != (2,) or not np.isfinite(centre).all():
            raise ValueError(f"centre must be a finite 2-vector, got {self.centre!r}")
        norm = float(np.linalg.norm(direction)) if direction.shape == (2,) else 0.0
        if not np.isfinite(norm) or norm == 0.0:
            raise ValueError(f"direction must be a finite nonzero 2-vector, got {self.direction!r}")
        domain.positive("scale", self.scale)
        object.__setattr__(self, "centre", centre)
        object.__setattr__(self, "direction", direction / norm)
        object.__setattr__(self, "scale", float(self.scale))

    @property
    def normal(self) -> np.ndarray:
        """The unit normal v of the line (u rotated by +90 degrees)."""
        return np.array([-self.direction[1], self.direction[0]])

    def thickened(self, eps: float) -> GaussianMixture:
        """Q_eps = N(centre, scale^2 u u^T + eps^2 v v^T): the line eps thick (eps > 0, x units)."""
        domain.positive("eps", eps)
        u, v = self.direction, self.normal
        return gaussian(self.centre, self.scale ** 2 * np.outer(u, u) + eps ** 2 * np.outer(v, v))

    def smoothed(self, sigma: float) -> GaussianMixture:
        """Q_0 convolved with N(0, sigma^2 I): the law of x + sigma e, e ~ N(0, I) (instance noise on Q)."""
        domain.positive("sigma", sigma)
        u = self.direction
        return gaussian(self.centre, self.scale ** 2 * np.outer(u, u) + sigma ** 2 * np.eye(2))

    def widened(self, sigma: float) -> LineGaussian:
        """The line whose sigma-thick version is `smoothed(sigma)`: scale sqrt(scale^2 + sigma^2), so the smoothed
        pair can be certified in the line's frame (`thin_divergences` with eps = sigma) when sigma is too small for
        one uniform grid over P."""
        return LineGaussian(self.centre, self.direction, float(np.hypot(self.scale, sigma)))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n draws of Q_0, shape (n, 2)."""
        return self.centre + self.scale * rng.standard_normal((n, 1)) * self.direction

    def to_line_frame(self, p: GaussianMixture) -> GaussianMixture:
        """P in the line's coordinates (t along u, n along v, origin at the centre): a rotation and a shift, which
        leave every divergence unchanged."""
        if p.dim != 2:
            raise ValueError(f"P must be 2-D for a line in 2-D, got dimension {p.dim}")
        rotation = np.column_stack([self.direction, self.normal])  # columns u, v: y = R^T (x - c)
        means = (p.means - self.centre) @ rotation
        covariances = np.einsum("ji,kjl,lm->kim", rotation, p.covariances, rotation)
        return GaussianMixture(p.weights, means, 0.5 * (covariances + covariances.transpose(0, 2, 1)))


def smoothed_target(p: GaussianMixture, sigma: float) -> GaussianMixture:
    """P convolved with N(0, sigma^2 I): every component's covariance plus sigma^2 I (exact; instance noise on P)."""
    domain.positive("sigma", sigma)
    return GaussianMixture(p.weights, p.means, p.covariances + sigma ** 2 * np.eye(p.dim))


def singular_limit(pi: float) -> dict[str, Certified]:
    """The eps -> 0 values: P and Q_0 are mutually singular (Q_0's line has P-measure 0), so the posterior of the coin
    is 1 on P's side and 0 on the line: JS_pi = H(pi) exactly (the mutual information of a coin read without error);
    KL[P||Q_0] and KL[Q_0||P] are +inf (neither law is absolutely continuous with respect to the other)."""
    return {"kl_pq": Certified(np.inf, 0.0, "closed form (mutually singular)"),
            "kl_qp": Certified(np.inf, 0.0, "closed form (mutually singular)"),
            "js_pi": Certified(binary_entropy(pi), 0.0, "closed form (mutually singular)")}


def _gauss_legendre_panels(lo: float, hi: float, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of composite Gauss-Legendre on [lo, hi], panels at most `width` wide."""
    if hi <= lo:
        return np.empty(0), np.empty(0)
    n_panels = int(np.ceil((hi - lo) / width))
    edges = np.linspace(lo, hi, n_panels + 1)
    x, w = np.polynomial.legendre.leggauss(GL_ORDER)
    half = np.diff(edges) / 2.0
    mid = (edges[:-1] + edges[1:]) / 2.0
    return (mid[:, None] + half[:, None] * x).ravel(), (half[:, None] * w).ravel()


def _line_rule(p_line: GaussianMixture, eps: float, scale: float, points_per_sd: float, halfwidth_sd: float,
               band_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature points (n, 2) and weights (n,) in the line frame: uniform in t, Gauss-Legendre panels in n (a fine
    band of band_sd eps either side of the line, P's scale outside it)."""
    sds = np.sqrt(np.diagonal(p_line.covariances, axis1=1, axis2=2))  # (k, 2): components' sds along t and n
    p_scale = p_line.min_sd()
    t_lo = min((p_line.means[:, 0] - halfwidth_sd * sds[:, 0]).min(), -halfwidth_sd * scale)
    t_hi = max((p_line.means[:, 0] + halfwidth_sd * sds[:, 0]).max(), halfwidth_sd * scale)
    t_step = min(p_scale, scale) / points_per_sd
    t = np.linspace(t_lo, t_hi, int(np.ceil((t_hi - t_lo) / t_step)) + 1)
    t_weights = np.full(len(t), t[1] - t[0])
    band = band_sd * eps
    n_lo = min((p_line.means[:, 1] - halfwidth_sd * sds[:, 1]).min(), -band)
    n_hi = max((p_line.means[:, 1] + halfwidth_sd * sds[:, 1]).max(), band)
    panel = PANEL_SDS / points_per_sd
    pieces = [_gauss_legendre_panels(n_lo, -band, panel * p_scale),
              _gauss_legendre_panels(-band, band, panel * min(eps, p_scale)),
              _gauss_legendre_panels(band, n_hi, panel * p_scale)]
    n = np.concatenate([x for x, _ in pieces])
    n_weights = np.concatenate([w for _, w in pieces])
    points = np.stack(np.meshgrid(t, n, indexing="ij"), axis=-1).reshape(-1, 2)
    return points, np.outer(t_weights, n_weights).ravel()


def _values(quantities, log_p: np.ndarray, log_q: np.ndarray, weights: np.ndarray, pi: float) -> dict[str, float]:
    out = {}
    for quantity in quantities:
        if quantity == "kl_pq":
            out[quantity] = float(weights @ _plogratio(log_p, log_q))
        elif quantity == "kl_qp":
            out[quantity] = float(weights @ _plogratio(log_q, log_p))
        else:
            log_m = log_mixture(log_p, log_q, pi)
            out[quantity] = float(weights @ (pi * _plogratio(log_p, log_m) + (1 - pi) * _plogratio(log_q, log_m)))
    return out


def thin_divergences(p: GaussianMixture, line: LineGaussian, eps: float, pi: float = 0.5,
                     quantities=THIN_QUANTITIES, points_per_sd: float = DEFAULT_POINTS_PER_SD,
                     halfwidth_sd: float = DEFAULT_HALFWIDTH_SD, tol: float = EXACT_TOL) -> dict[str, Certified]:
    """KL[P||Q_eps], KL[Q_eps||P] and JS_pi[P||Q_eps] (nats), each with its error estimate, for Q_eps the line
    eps thick (`LineGaussian.thickened`) and P a 2-D mixture.

    Quadrature in the line's frame (module docstring); the error is the change on a refined rule (half the t
    spacing and panel widths, the box widened by 3 sds, the fine band from halfwidth_sd to 1.5 halfwidth_sd eps).
    Raises QuadratureError when an error exceeds tol * max(1, |value|) or a value breaks its bounds (KL >= 0,
    0 <= JS_pi <= H(pi)); ValueError on eps <= 0, pi outside (0, 1) or an unknown quantity.
    """
    domain.positive("eps", eps)
    domain.open_unit("pi", pi)
    unknown = [q for q in quantities if q not in THIN_QUANTITIES]
    if unknown:
        raise ValueError(f"unknown quantity {unknown[0]!r}; allowed: {', '.join(THIN_QUANTITIES)}")
    p_line = line.to_line_frame(p)
    q_line = gaussian([0.0, 0.0], np.diag([line.scale ** 2, eps ** 2]))
    rules = [_line_rule(p_line, eps, line.scale, points_per_sd, halfwidth_sd, halfwidth_sd),
             _line_rule(p_line, eps, line.scale, 2 * points_per_sd, halfwidth_sd + 3.0, 1.5 * halfwidth_sd)]
    coarse, fine = (_values(quantities, p_line.log_prob(x), q_line.log_prob(x), w, pi) for x, w in rules)
    out = {}
    for quantity in quantities:
        value, error = coarse[quantity], abs(fine[quantity] - coarse[quantity])
        if not np.isfinite(value) or not np.isfinite(error) or error > tol * max(1.0, abs(value)):
            raise QuadratureError(f"{quantity} = {value:.8g} for a line {eps:g} thick, but {fine[quantity]:.8g} on "
                                  f"the refined rule: error {error:.2g} exceeds the tolerance {tol:g} x max(1, |value|)")
        check_bounds(quantity, value, error, pi)
        out[quantity] = Certified(value, error, "quadrature (line frame)")
    return out


def kl_qp_entropy_route(p: GaussianMixture, line: LineGaussian, eps: float, step: float = 0.05,
                        halfwidth: float = 10.0) -> Certified:
    """KL[Q_eps||P] = -H(Q_eps) - E_{Q_eps} log p, independently of `thin_divergences`: H(Q_eps) in closed form
    (log(2 pi e s eps) nats), the expectation over Q's standard-normal coordinates (z_t, z_n) by the trapezoid rule
    (`step` apart, out to `halfwidth`; spectrally accurate for the Gaussian weight); the error is the change at half
    the step and 1.5 times the reach. (A Gauss-Hermite rule converges only slowly here: log p of a mixture bends
    sharply between its components.)"""
    domain.positive("eps", eps)
    entropy_q = float(LOG_2PI + 1.0 + np.log(line.scale * eps))

    def expected_log_p(h: float, reach: float) -> float:
        z = np.arange(-reach, reach + h / 2, h)
        weights = h * np.exp(-0.5 * z ** 2) / np.sqrt(2 * np.pi)
        zt, zn = np.meshgrid(z, z, indexing="ij")
        x = line.centre + np.outer(line.scale * zt.ravel(), line.direction) + np.outer(eps * zn.ravel(), line.normal)
        return float(np.outer(weights, weights).ravel() @ p.log_prob(x))

    value, refined = (-entropy_q - expected_log_p(h, reach) for h, reach in ((step, halfwidth), (step / 2, 1.5 * halfwidth)))
    return Certified(value, abs(refined - value), "closed-form H(Q) + trapezoid E_Q log p")


def kl_pq_moments(p: GaussianMixture, line: LineGaussian, eps: float, entropy_p: Certified) -> Certified:
    """KL[P||Q_eps] = -H(P) - E_P log q_eps, independently of `thin_divergences`: log q_eps is quadratic in x, so its
    expectation under P follows from P's mean and covariance in closed form; H(P) (nats) is given with its error."""
    domain.positive("eps", eps)
    p_line = line.to_line_frame(p)
    mean, cov = p_line.mean(), p_line.covariance()
    second = np.diag(cov) + mean ** 2  # E_P[t^2], E_P[n^2] in the line frame
    expected_log_q = float(-LOG_2PI - np.log(line.scale * eps) - second[0] / (2 * line.scale ** 2)
                           - second[1] / (2 * eps ** 2))
    return Certified(-entropy_p.value - expected_log_q, entropy_p.error, "moments + H(P)")


def entropy(p: GaussianMixture, points_per_sd: float = DEFAULT_POINTS_PER_SD,
            halfwidth_sd: float = DEFAULT_HALFWIDTH_SD) -> Certified:
    """Differential entropy H(P) = -E_P log p (nats) of a mixture, from KL[P||R] for R its moment-matched Gaussian: the
    certified quadrature of `divergences.certified_divergences` against a Gaussian R covering P, since
    H(P) = -KL[P||R] - E_P log r and E_P log r is closed form for a Gaussian r."""
    mean, cov = p.mean(), p.covariance()
    reference = gaussian(mean, cov)  # the moment-matched Gaussian: E_P log r = -(d log 2 pi + log det cov + d) / 2
    kl = certified_divergences(p, reference, ("kl_pq",), points_per_sd=points_per_sd, halfwidth_sd=halfwidth_sd)
    expected_log_r = -0.5 * (p.dim * LOG_2PI + np.linalg.slogdet(cov)[1] + p.dim)
    return Certified(-kl["kl_pq"].value - float(expected_log_r), kl["kl_pq"].error, kl["kl_pq"].method)
