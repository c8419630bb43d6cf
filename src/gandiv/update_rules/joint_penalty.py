"""The WGAN-GP gradient penalty of the joint-dynamics family, by quadrature that respects its kinks.

Gulrajani et al. (2017, eq. 3) penalise lambda E (|f'(x_hat)| - 1)^2 at x_hat = t x_r + (1 - t) x_f with x_r ~ P,
x_f ~ Q_theta and t ~ U[0, 1] independent (`gandiv.gan.model.gradient_penalty` draws exactly these). For a fixed t,
x_hat is a Gaussian mixture when P is one and Q_theta = N(m, s^2): component k has mean t mu_k + (1 - t) m and
variance t^2 sigma_k^2 + (1 - t)^2 s^2. So the interpolates' density rho_theta is a Gauss-Legendre sum over t of
mixtures, with analytic derivatives in theta = (m, log s).

On the critic f = w . phi, phi = (1, x, x^2, log p), the slope is g = f' = w . psi with psi = (0, 1, 2x, (log p)').
(|g| - 1)^2 = g^2 - 2|g| + 1 has a kink where g = 0, and at a critic's equilibrium g changes sign on Q's support
(the generator is at rest only if E_Q f' = 0). So every integral is split at g's roots and summed by composite
Gauss-Legendre on the pieces (smooth there), and the Hessian in w carries the kink's term:
    d/dw   E (|g| - 1)^2 = 2 E[(g - sign g) psi]
    d2/dw2 E (|g| - 1)^2 = 2 E[psi psi^T] - 4 sum_{g(r) = 0} rho(r) psi(r) psi(r)^T / |g'(r)|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import softmax

from gandiv.exact.densities import GaussianMixture

T_NODES = 32  # Gauss-Legendre nodes in t on [0, 1]: the integrand is analytic in t
PIECE_NODES = 10  # Gauss-Legendre nodes per sub-interval of at most SUB_SD of the narrowest interpolate sd
SUB_SD = 1.0
ROOT_SCAN_PER_SD = 16  # scan points per narrowest sd when bracketing g's roots
HALFWIDTH_SD = 10.0  # the interpolates' support is summed to this many sds past every component


def log_p_derivatives(target: GaussianMixture, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log p)' and (log p)'' of a 1-D mixture at points x (n,): responsibilities r_k, component slopes
    s_k = -(x - mu_k) / sigma_k^2, (log p)' = sum r_k s_k, (log p)'' = sum r_k (s_k^2 - 1/sigma_k^2) - ((log p)')^2."""
    resp = softmax(target.component_log_probs(x[:, None]) + np.log(target.weights), axis=1)
    var = target.covariances[:, 0, 0]
    slopes = -(x[:, None] - target.means[:, 0]) / var
    first = np.sum(resp * slopes, axis=1)
    return first, np.sum(resp * (slopes**2 - 1 / var), axis=1) - first**2


@dataclass(frozen=True)
class GradientPenalty:
    """lambda E (|f'(x_hat)| - 1)^2 over the interpolates of P (a 1-D mixture) and Q_theta; `scale` refines every
    quadrature (2 = twice the nodes: the error evidence)."""

    target: GaussianMixture
    weight: float
    scale: int = 1

    def _components(self, theta: np.ndarray):
        """Per (t node, component): weight (GL weight x mixture weight), mean, variance and their theta-derivatives
        (2, n_t, k)."""
        t, wt = np.polynomial.legendre.leggauss(T_NODES * self.scale)
        t, wt = (t[:, None] + 1) / 2, wt[:, None] / 2
        m, s2 = theta[0], np.exp(2 * theta[1])
        mu, var = self.target.means[:, 0], self.target.covariances[:, 0, 0]
        mean = t * mu + (1 - t) * m
        variance = t**2 * var + (1 - t) ** 2 * s2
        zero = np.zeros_like(mean)
        d_mean = np.stack([(1 - t) + zero, zero])
        d_var = np.stack([zero, 2 * (1 - t) ** 2 * s2 + zero])
        return wt * self.target.weights, mean, variance, d_mean, d_var

    def density(self, theta: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """rho_theta(y) (n,) and d rho / d theta (2, n) at points y."""
        weight, mean, var, d_mean, d_var = self._components(theta)
        r = y[None, None, :] - mean[..., None]
        n = weight[..., None] * np.exp(-r * r / (2 * var[..., None])) / np.sqrt(2 * np.pi * var[..., None])
        dn_dmean, dn_dvar = n * r / var[..., None], n * (r * r / (2 * var[..., None] ** 2) - 0.5 / var[..., None])
        grad = np.einsum("itk,tkn->in", d_mean, dn_dmean) + np.einsum("itk,tkn->in", d_var, dn_dvar)
        return n.sum(axis=(0, 1)), grad

    def _support(self, theta: np.ndarray) -> tuple[float, float, float]:
        _, mean, var, _, _ = self._components(theta)
        sd = np.sqrt(var)
        return float((mean - HALFWIDTH_SD * sd).min()), float((mean + HALFWIDTH_SD * sd).max()), float(sd.min())

    @staticmethod
    def _psi(target, y):
        first, second = log_p_derivatives(target, y)
        zero, one = np.zeros_like(y), np.ones_like(y)
        return np.stack([zero, one, 2 * y, first]), np.stack([zero, zero, 2 * one, second])

    def roots(self, theta: np.ndarray, w: np.ndarray) -> np.ndarray:
        """The points of the interpolates' support where the critic's slope g = w . psi is 0 (sorted)."""
        lo, hi, sd = self._support(theta)
        scan = np.linspace(lo, hi, int(np.ceil((hi - lo) / sd * ROOT_SCAN_PER_SD * self.scale)) + 1)
        g = w @ self._psi(self.target, scan)[0]
        change = np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) < 0)
        exact = scan[g == 0]
        found = [brentq(lambda y: float(w @ self._psi(self.target, np.array([y]))[0][:, 0]), scan[i], scan[i + 1],
                        xtol=1e-14) for i in change]
        return np.sort(np.concatenate([found, exact]))

    def nodes(self, theta: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Composite Gauss-Legendre nodes (n,) and weights (n,) over the support, split at g's roots; and the roots."""
        lo, hi, sd = self._support(theta)
        roots = self.roots(theta, w)
        edges = np.concatenate([[lo], roots, [hi]])
        x, wx = np.polynomial.legendre.leggauss(PIECE_NODES)
        ys, ws = [], []
        for a, b in zip(edges[:-1], edges[1:]):
            cuts = np.linspace(a, b, int(np.ceil((b - a) / (SUB_SD * sd) * self.scale)) + 1)
            half = np.diff(cuts)[:, None] / 2
            ys.append(((cuts[:-1, None] + cuts[1:, None]) / 2 + half * x).ravel())
            ws.append((half * wx).ravel())
        return np.concatenate(ys), np.concatenate(ws), roots

    def terms(self, theta: np.ndarray, w: np.ndarray) -> dict:
        """The penalty (nats-free: the critic's units squared), its gradient in w (4,), its Hessian in w (4, 4) with
        the kink's term, and the derivative of its w-gradient in theta (4, 2)."""
        y, wy, roots = self.nodes(theta, w)
        rho, d_rho = self.density(theta, y)
        psi, _ = self._psi(self.target, y)
        g = w @ psi
        excess = g - np.sign(g)
        lam = self.weight
        value = lam * np.sum(wy * rho * (np.abs(g) - 1) ** 2)
        grad = 2 * lam * psi @ (wy * rho * excess)
        hess = 2 * lam * np.einsum("in,jn,n->ij", psi, psi, wy * rho)
        if len(roots):
            psi_r, dpsi_r = self._psi(self.target, roots)
            rho_r, _ = self.density(theta, roots)
            with np.errstate(divide="ignore"):  # a tangent root (g' = 0 there): no Jacobian, inf
                hess -= 4 * lam * np.einsum("in,jn,n->ij", psi_r, psi_r, rho_r / np.abs(w @ dpsi_r))
        cross = 2 * lam * np.einsum("in,jn->ij", psi, d_rho * (wy * excess))
        return {"value": float(value), "grad": grad, "hess": hess, "cross": cross}
