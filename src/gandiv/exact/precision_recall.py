"""Precision and recall for distributions (Sajjadi et al. 2018), exactly, for 1-D Gaussian mixtures.

The PRD curve of a model Q against the data P is {(alpha(lambda), beta(lambda)) : lambda > 0} with
    alpha(lambda) = int min(lambda p, q) dx   (precision)      beta(lambda) = alpha(lambda) / lambda   (recall)
(Sajjadi et al. 2018, Theorem 1; compare_gan's `compute_prd` with eval = Q, ref = P, on a histogram). In 1-D the
sets where lambda p < q are unions of intervals between the crossings of log q - log p with log lambda, so
    alpha(lambda) = sum over intervals of  lambda P(I)  where lambda p < q,  Q(I)  elsewhere,
with P(I) and Q(I) from the mixtures' exact CDFs: exact up to the crossings' root tolerance and the mass beyond the
scanned box, which is bounded and returned as the error. The summaries are compare_gan's: F_beta =
(1 + beta^2) alpha beta / (beta^2 alpha + beta), maximised over the curve, for beta = 8 (recall-weighted) and 1/8
(precision-weighted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from gandiv.exact.densities import GaussianMixture
from gandiv.exact.divergences import mixture_cdf
from gandiv.exact.quadrature import QuadratureError

N_ANGLES = 1001  # compare_gan's default: lambda = tan(angle), angles evenly spaced in (0, pi/2)
ANGLE_EPS = 1e-10
SCAN_PER_SD = 64  # scan points per narrowest sd when bracketing the crossings (log q - log p is a smooth function)
BISECTIONS = 48  # halvings of each crossing's bracket (one scan step): below 1e-14 x units
HALFWIDTH_SD = 14.0  # the scanned box reaches this many sds past every component of P and Q
TOL = 1e-9  # the curve's error bound must be below this (probability units)


def lambdas(n_angles: int = N_ANGLES) -> np.ndarray:
    """compare_gan's slopes: tan of n_angles angles evenly spaced in [eps, pi/2 - eps], shape (n_angles,)."""
    return np.tan(np.linspace(ANGLE_EPS, np.pi / 2 - ANGLE_EPS, n_angles))


@dataclass(frozen=True)
class PRDCurve:
    """A PRD curve: lambdas (n,), precision alpha (n,), recall beta (n,), and the largest error of alpha or beta."""

    lambdas: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    error: float

    def f_beta(self, beta: float) -> float:
        """max over the curve of F_beta = (1 + beta^2) alpha beta / (beta^2 alpha + beta) (compare_gan's
        `prd_to_max_f_beta_pair` for one beta); 0 where both are 0."""
        a, r = self.precision, self.recall
        denominator = beta**2 * a + r
        values = np.where(denominator > 0, (1 + beta**2) * a * r / np.where(denominator > 0, denominator, 1), 0.0)
        return float(values.max())


def prd_curve(p: GaussianMixture, q: GaussianMixture, n_angles: int = N_ANGLES) -> PRDCurve:
    """The exact PRD curve of Q against P (both 1-D mixtures) at compare_gan's lambdas. Beyond the scanned box
    alpha loses at most min(lambda P_out, Q_out) and beta at most min(P_out, Q_out / lambda), so the error is at
    most the larger mass outside. ValueError for other dimensions; QuadratureError if that bound exceeds TOL."""
    if p.dim != 1 or q.dim != 1:
        raise ValueError(f"the exact PRD curve is for 1-D mixtures; got dimensions {p.dim} and {q.dim}")
    lam = lambdas(n_angles)
    box = np.concatenate([p.bounds(HALFWIDTH_SD)[0], q.bounds(HALFWIDTH_SD)[0]])
    lo, hi = float(box.min()), float(box.max())
    sd = min(p.min_sd(), q.min_sd())
    scan = np.linspace(lo, hi, int(np.ceil((hi - lo) / sd * SCAN_PER_SD)) + 1)

    def log_ratio(x: np.ndarray) -> np.ndarray:
        return q.log_prob(x[:, None]) - p.log_prob(x[:, None])

    values = log_ratio(scan)
    cut_p, cut_q = mixture_cdf(p, np.array([lo, hi])), mixture_cdf(q, np.array([lo, hi]))
    outside = float(max(cut_p[0] + 1 - cut_p[1], cut_q[0] + 1 - cut_q[1]))
    if not outside < TOL:
        raise QuadratureError(f"the PRD curve's error bound {outside:.1e} exceeds {TOL:g}")
    # every crossing of log q - log p with every level log lambda, bracketed by the scan and bisected together
    levels = np.log(lam)
    d = values[None, :] - levels[:, None]  # (n_lambda, n_scan)
    k, i = np.nonzero(np.sign(d[:, :-1]) * np.sign(d[:, 1:]) < 0)
    left, right = scan[i].copy(), scan[i + 1].copy()
    rising = d[k, i] < 0
    for _ in range(BISECTIONS):
        middle = 0.5 * (left + right)
        below = (log_ratio(middle) - levels[k] < 0) == rising
        left, right = np.where(below, middle, left), np.where(below, right, middle)
    roots = 0.5 * (left + right)  # sorted by lambda, then by x (np.nonzero's order)
    # every lambda's intervals [lo, roots..., hi] laid end to end, each density evaluated once on all of them
    counts = np.bincount(k, minlength=len(lam))
    edges = np.concatenate([np.concatenate([[lo], r, [hi]]) for r in np.split(roots, np.cumsum(counts)[:-1])])
    starts = np.concatenate([[0], np.cumsum(counts + 2)[:-1]])  # where each lambda's edges begin
    lengths = np.diff(edges)
    inner = np.ones(len(lengths), bool)
    inner[starts[1:] - 1] = False  # the step from one lambda's hi to the next one's lo is no interval
    owner = np.repeat(np.arange(len(lam)), counts + 1)  # the lambda of each interval
    left_edges, right_edges = edges[:-1][inner], edges[1:][inner]
    q_smaller = log_ratio(0.5 * (left_edges + right_edges)) < levels[owner]  # min(lambda p, q) = q there
    mass_q = mixture_cdf(q, right_edges) - mixture_cdf(q, left_edges)
    mass_p = mixture_cdf(p, right_edges) - mixture_cdf(p, left_edges)
    precision = np.bincount(owner, weights=np.where(q_smaller, mass_q, lam[owner] * mass_p), minlength=len(lam))
    return PRDCurve(lam, np.clip(precision, 0, 1), np.clip(precision / lam, 0, 1), outside)


def equal_variance_closed_form(shift: float, sd: float, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, beta) of Q = N(shift, sd^2) against P = N(0, sd^2), shift > 0, at lambdas lam (n,): q / p grows
    with x and equals lambda at x* = (2 sd^2 log lambda + shift^2) / (2 shift), so min(lambda p, q) is q below x*
    and lambda p above: alpha = Phi((x* - shift) / sd) + lambda (1 - Phi(x* / sd)), beta = alpha / lambda."""
    x_star = (2 * sd**2 * np.log(lam) + shift**2) / (2 * shift)
    alpha = ndtr((x_star - shift) / sd) + lam * (1 - ndtr(x_star / sd))
    return alpha, alpha / lam
