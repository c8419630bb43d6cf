"""The blog post's three update rules: a classifier trained by cross-entropy, whose output is a = logit D.

The discriminator minimises pi E_P[-log D] + (1-pi) E_Q[-log(1-D)], so its optimum is
logit D* = log(pi p / ((1-pi) q)) and its output is the logit itself. The generator's losses
are written on the logit for numerical stability. Against D* a generator step follows
F = int q score loss(a*) dx; constants in the loss drop out (E_Q[score] = 0), so each rule
descends a potential V with F = grad V:
    minimax        -> JS_pi[P||Q] / (1 - pi)
    KL             -> KL[Q||P]
    non-saturating -> KL[M||P] / (1 - pi), M = pi P + (1 - pi) Q,
the last because -log D* = log(m / p) - log(pi) and d m / d theta = (1 - pi) q score
(for pi = 1/2 this is Arjovsky & Bottou's KL[Q||P] - 2 JS).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit

from gandiv.exact.divergences import binary_entropy, js_pi_on_grid, kl_on_grid, log_mixture
from gandiv.exact.quadrature import Grid
from gandiv.update_rules.base import RuleUnit, keras_ops, prior_weighted_loss
from gandiv.run_axis import elementwise, run_mean
from gandiv.update_rules.names import UpdateRule


def logit_plug_ins(real_logit: np.ndarray, fake_logit: np.ndarray, pi: float) -> dict:
    """Plug-in divergences in nats implied by logit D ~ log(pi p / ((1-pi) q)) at samples of P and of Q.

    JS_pi = H(pi) - min weighted cross-entropy; KL[P||Q] = E_P[logit] - log(pi/(1-pi));
    KL[Q||P] = log(pi/(1-pi)) - E_Q[logit].
    """
    prior_logit = np.log(pi) - np.log1p(-pi)
    cross_entropy = -(pi * log_expit(real_logit).mean() + (1 - pi) * log_expit(-fake_logit).mean())
    return {"js_pi": binary_entropy(pi) - cross_entropy, "kl_pq": real_logit.mean() - prior_logit,
            "kl_qp": prior_logit - fake_logit.mean()}


class LogitRule(RuleUnit):
    """A rule whose discriminator is a classifier trained by cross-entropy; subclasses give the generator's loss."""

    def discriminator_loss(self, real_out, fake_out, pi, weighted: bool):
        """-log D on real and -log(1 - D) on generated samples; minimised at logit D* = log(pi p / ((1-pi) q))."""
        ops = keras_ops()
        real_term, fake_term = elementwise(ops.softplus, -real_out), elementwise(ops.softplus, fake_out)
        return prior_weighted_loss(real_term, fake_term, pi, weighted)

    def implied_logit(self, output: np.ndarray) -> np.ndarray:
        """The output is the logit."""
        return np.asarray(output, dtype=float)

    def plug_ins(self, real_out: np.ndarray, fake_out: np.ndarray, pi: float) -> dict:
        """JS_pi, KL[P||Q] and KL[Q||P] in nats (`logit_plug_ins`)."""
        return logit_plug_ins(real_out, fake_out, pi)


class Minimax(LogitRule):
    potential_text = "JS_pi[P||Q]/(1-pi)"

    def generator_loss(self, output):
        """mean log(1 - D) = -mean softplus(a)."""
        ops = keras_ops()
        return -run_mean(elementwise(ops.softplus, output))  # log(1 - D)

    def logit_loss(self, logit: np.ndarray) -> np.ndarray:
        """log(1 - sigmoid(a))."""
        return log_expit(-np.asarray(logit, dtype=float))

    def logit_loss_grad(self, logit: np.ndarray) -> np.ndarray:
        """-sigmoid(a): vanishes where D confidently rejects the sample (a -> -inf), the saturation."""
        return -expit(np.asarray(logit, dtype=float))

    def potential(self, log_p: np.ndarray, log_q: np.ndarray, grid: Grid, pi: float) -> float:
        """JS_pi[P||Q] / (1 - pi)."""
        return js_pi_on_grid(log_p, log_q, pi, grid) / (1.0 - pi)


class NonSaturating(LogitRule):
    potential_text = "KL[M||P]/(1-pi)"

    def generator_loss(self, output):
        """mean -log D = mean softplus(-a)."""
        ops = keras_ops()
        return run_mean(elementwise(ops.softplus, -output))  # -log D

    def logit_loss(self, logit: np.ndarray) -> np.ndarray:
        """-log sigmoid(a)."""
        return -log_expit(np.asarray(logit, dtype=float))

    def logit_loss_grad(self, logit: np.ndarray) -> np.ndarray:
        """-sigmoid(-a): tends to -1 where D confidently rejects the sample."""
        return -expit(-np.asarray(logit, dtype=float))

    def potential(self, log_p: np.ndarray, log_q: np.ndarray, grid: Grid, pi: float) -> float:
        """KL[M||P] / (1 - pi) with M = pi P + (1 - pi) Q."""
        return kl_on_grid(log_mixture(log_p, log_q, pi), log_p, grid) / (1.0 - pi)


class KLRule(LogitRule):
    potential_text = "KL[Q||P]"

    def generator_loss(self, output):
        """mean log((1 - D) / D) = -mean a."""
        return -run_mean(output)  # log((1 - D) / D)

    def logit_loss(self, logit: np.ndarray) -> np.ndarray:
        """-a: the sum of the minimax and non-saturating losses."""
        return -np.asarray(logit, dtype=float)

    def logit_loss_grad(self, logit: np.ndarray) -> np.ndarray:
        """-1 everywhere."""
        return -np.ones_like(np.asarray(logit, dtype=float))

    def potential(self, log_p: np.ndarray, log_q: np.ndarray, grid: Grid, pi: float) -> float:
        """KL[Q||P], whatever pi (the prior only shifts the logit by a constant)."""
        return kl_on_grid(log_q, log_p, grid)


MINIMAX = Minimax(UpdateRule.MINIMAX, "minimax: the generator minimises log(1 - D)")
NONSATURATING = NonSaturating(UpdateRule.NONSATURATING, "non-saturating: the generator minimises -log D")
KL = KLRule(UpdateRule.KL, "KL rule: the generator minimises log((1 - D) / D) = -logit D")
