"""The Bayes-optimal discriminator between known densities, and the GAN value of any discriminator.

A discriminator that sees P with prior pi is Bayes-optimal at
D*(x) = pi p / (pi p + (1-pi) q), i.e. logit D* = log(pi p) - log((1-pi) q).
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_expit

from gandiv.exact.quadrature import Grid


def optimal_logit(log_p: np.ndarray, log_q: np.ndarray, pi: float = 0.5) -> np.ndarray:
    """Logit of the Bayes-optimal discriminator for real-data prior pi (same shape as log_p, log_q)."""
    return np.log(pi) + log_p - np.log1p(-pi) - log_q


def discriminator_value(log_p: np.ndarray, log_q: np.ndarray, logit: np.ndarray, grid: Grid,
                        pi: float | None = None) -> float:
    """GAN value of a discriminator in nats, computed directly from its logit on the grid's points.

    pi=None gives the GAN paper's V = E_P log D + E_Q log(1-D); a number gives
    the prior-weighted pi E_P log D + (1-pi) E_Q log(1-D).
    """
    p, q = np.exp(log_p), np.exp(log_q)
    w_p, w_q = (1.0, 1.0) if pi is None else (pi, 1.0 - pi)
    return grid.integrate(w_p * p * log_expit(logit) + w_q * q * log_expit(-logit))
