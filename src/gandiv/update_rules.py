"""GAN theory with known densities: optimal discriminators, their values, generator update rules.

A discriminator that sees P with prior pi is Bayes-optimal at
D*(x) = pi p / (pi p + (1-pi) q), i.e. logit D* = log(pi p) - log((1-pi) q).
Generator losses are written on the logit a = logit D for numerical stability.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from scipy.special import expit, log_expit

from gandiv.exact.quadrature import Grid


class UpdateRule(str, Enum):
    """Adversarial objectives by name: the blog post's three M-step losses, then the objectives zoo."""

    MINIMAX = "minimax"  # minimise log(1 - D)
    NONSATURATING = "nonsaturating"  # minimise -log D
    KL = "kl"  # minimise log((1 - D) / D) = -logit D
    LSGAN = "lsgan"  # least squares, codes a=-1, b=1, c=0: Pearson chi^2 (Mao et al., 2017)
    WGAN = "wgan"  # critic with weight clipping (Arjovsky et al., 2017)
    WGAN_GP = "wgan_gp"  # critic with gradient penalty (Gulrajani et al., 2017)


# Rules whose discriminator is a classifier trained by cross-entropy: its output is logit D.
LOGIT_RULES = (UpdateRule.MINIMAX, UpdateRule.NONSATURATING, UpdateRule.KL)
# Rules whose discriminator is a critic f (no prior pi: E_P f - E_Q f is maximised under a Lipschitz bound).
CRITIC_RULES = (UpdateRule.WGAN, UpdateRule.WGAN_GP)


def _require_logit_rule(rule: UpdateRule) -> None:
    if rule not in LOGIT_RULES:
        raise ValueError(f"{rule.value!r} does not act on a classifier's logit; logit rules: "
                         + ", ".join(r.value for r in LOGIT_RULES))


def generator_loss(rule: UpdateRule, logit: np.ndarray) -> np.ndarray:
    """Per-sample loss the generator minimises, as a function of the discriminator's logit."""
    _require_logit_rule(rule)
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
    _require_logit_rule(rule)
    logit = np.asarray(logit, dtype=float)
    if rule is UpdateRule.MINIMAX:
        return -expit(logit)
    if rule is UpdateRule.NONSATURATING:
        return -expit(-logit)
    if rule is UpdateRule.KL:
        return -np.ones_like(logit)
    raise ValueError(f"unknown update rule {rule!r}")


def lsgan_logit(score: np.ndarray) -> np.ndarray:
    """The logit an LSGAN score implies: its optimum (codes -1, 1) is 2 D* - 1, so logit D* = log((1+s)/(1-s)).

    Scores are clipped to (-1, 1) first, where they can overshoot by training noise.
    """
    score = np.clip(np.asarray(score, dtype=float), -1.0 + 1e-9, 1.0 - 1e-9)
    return np.log1p(score) - np.log1p(-score)


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
