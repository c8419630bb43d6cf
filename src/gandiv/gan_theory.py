"""GAN theory with known densities: optimal discriminators, their values, generator update rules.

A discriminator that sees P with prior pi is Bayes-optimal at
D*(x) = pi p / (pi p + (1-pi) q), i.e. logit D* = log(pi p) - log((1-pi) q).
Generator losses are written on the logit a = logit D for numerical stability.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from scipy.special import expit, log_expit

from .quadrature import Grid


class UpdateRule(str, Enum):
    """Generator (M-step) losses of the alternative-update-rule blog post."""

    MINIMAX = "minimax"  # minimise log(1 - D)
    NONSATURATING = "nonsaturating"  # minimise -log D
    KL = "kl"  # minimise log((1 - D) / D) = -logit D


def generator_loss(rule: UpdateRule, logit: np.ndarray) -> np.ndarray:
    """Per-sample loss the generator minimises, as a function of the discriminator's logit."""
    logit = np.asarray(logit, dtype=float)
    if rule is UpdateRule.MINIMAX:
        return log_expit(-logit)  # log(1 - sigmoid(a))
    if rule is UpdateRule.NONSATURATING:
        return -log_expit(logit)  # -log sigmoid(a)
    if rule is UpdateRule.KL:
        return -logit
    raise ValueError(f"unknown update rule {rule!r}")


def generator_loss_grad(rule: UpdateRule, logit: np.ndarray) -> np.ndarray:
    """d loss / d logit: how hard the discriminator pushes a generated sample."""
    logit = np.asarray(logit, dtype=float)
    if rule is UpdateRule.MINIMAX:
        return -expit(logit)
    if rule is UpdateRule.NONSATURATING:
        return -expit(-logit)
    if rule is UpdateRule.KL:
        return -np.ones_like(logit)
    raise ValueError(f"unknown update rule {rule!r}")


def optimal_logit(log_p: np.ndarray, log_q: np.ndarray, pi: float = 0.5) -> np.ndarray:
    """Logit of the Bayes-optimal discriminator for real-data prior pi."""
    return np.log(pi) + log_p - np.log1p(-pi) - log_q


def discriminator_value(log_p: np.ndarray, log_q: np.ndarray, logit: np.ndarray, grid: Grid,
                        pi: float | None = None) -> float:
    """GAN value of a discriminator, computed directly from its logit.

    pi=None gives the GAN paper's V = E_P log D + E_Q log(1-D); a number gives
    the prior-weighted pi E_P log D + (1-pi) E_Q log(1-D).
    """
    p, q = np.exp(log_p), np.exp(log_q)
    w_p, w_q = (1.0, 1.0) if pi is None else (pi, 1.0 - pi)
    return grid.integrate(w_p * p * log_expit(logit) + w_q * q * log_expit(-logit))
