"""The least-squares GAN (Mao et al., 2017) with codes a = -1 (generated), b = 1 (real), c = 0 (the generator's
target): its network outputs a score s, not a logit.

The discriminator minimises pi E_P (s - 1)^2 / 2 + (1-pi) E_Q (s + 1)^2 / 2, so its optimum is
s* = (pi p - (1-pi) q) / (pi p + (1-pi) q) = 2 D* - 1 = tanh(logit D* / 2). The generator minimises
E_Q s^2 / 2; at pi = 1/2 the game's value at s* is a Pearson chi^2 divergence between P + Q and 2Q
(Mao et al., Theorem 1). No potential is given here: the generator's field against a frozen s* is not
derived in this package.
"""

from __future__ import annotations

import numpy as np

from gandiv.update_rules.base import RuleUnit, keras_ops, prior_weighted_loss
from gandiv.update_rules.logit import logit_plug_ins
from gandiv.run_axis import run_mean
from gandiv.update_rules.names import UpdateRule


def lsgan_logit(score: np.ndarray) -> np.ndarray:
    """The logit an LSGAN score implies: its optimum (codes -1, 1) is 2 D* - 1, so logit D* = log((1+s)/(1-s)).

    Scores are clipped to (-1, 1) first, where they can overshoot by training noise.
    """
    score = np.clip(np.asarray(score, dtype=float), -1.0 + 1e-9, 1.0 - 1e-9)
    return np.log1p(score) - np.log1p(-score)


class LeastSquares(RuleUnit):
    """Least squares on a score: the prior-weighted D-step of the logit rules with squared errors."""

    def discriminator_loss(self, real_out, fake_out, pi, weighted: bool):
        """(s - 1)^2 / 2 on real and (s + 1)^2 / 2 on generated samples; minimised at s* = 2 D* - 1."""
        ops = keras_ops()
        real_term, fake_term = 0.5 * ops.square(real_out - 1.0), 0.5 * ops.square(fake_out + 1.0)
        return prior_weighted_loss(real_term, fake_term, pi, weighted)

    def generator_loss(self, output):
        """mean (s - c)^2 / 2 with c = 0."""
        ops = keras_ops()
        return 0.5 * run_mean(ops.square(output))  # (D - c)^2 / 2 with c = 0

    def implied_logit(self, output: np.ndarray) -> np.ndarray:
        """`lsgan_logit`."""
        return lsgan_logit(output)

    def plug_ins(self, real_out: np.ndarray, fake_out: np.ndarray, pi: float) -> dict:
        """The logit rules' plug-ins (`logit_plug_ins`) at the implied logits, and the share of scores outside (-1, 1).

        Such scores have no implied logit and are clipped to +-20.7; a large share makes the plug-ins unreliable.
        """
        scores = np.concatenate([real_out, fake_out])
        clipped = {"lsgan_scores_clipped_share": float(np.mean(np.abs(scores) >= 1.0))}
        return logit_plug_ins(lsgan_logit(real_out), lsgan_logit(fake_out), pi) | clipped


LSGAN = LeastSquares(UpdateRule.LSGAN, "least squares: the generator pulls the score towards 0 (codes -1, 1, 0)")
