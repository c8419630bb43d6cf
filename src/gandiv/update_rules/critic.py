"""Wasserstein critics: the network outputs a critic value f, not a probability, and has no prior on real data.

The critic maximises E_P f - E_Q f under a Lipschitz bound (clipped weights for WGAN, Arjovsky et al., 2017;
a gradient penalty for WGAN-GP, Gulrajani et al., 2017; both live in `gandiv.gan.model`), which makes the gap
W1[P, Q] at the optimum (times the clipped network's unknown Lipschitz constant for WGAN). The generator
minimises -E_Q f. No logit, no potential for an ideal discriminator, no prior.
"""

from __future__ import annotations

import numpy as np

from gandiv.update_rules.base import RuleUnit
from gandiv.run_axis import run_mean
from gandiv.update_rules.names import UpdateRule


class Critic(RuleUnit):
    """A Wasserstein critic; the rules differ only in how the Lipschitz bound is kept (training settings)."""

    def discriminator_loss(self, real_out, fake_out, pi, weighted: bool):
        """E_Q f - E_P f, unweighted: pi and `weighted` do not enter (a critic has no prior)."""
        return run_mean(fake_out) - run_mean(real_out)

    def generator_loss(self, output):
        """-E_Q f."""
        return -run_mean(output)  # -E_Q f

    def plug_ins(self, real_out: np.ndarray, fake_out: np.ndarray, pi: float) -> dict:
        """critic_gap = E_P f - E_Q f: W1 only as far as the critic is optimal and 1-Lipschitz (WGAN-GP's penalty is
        soft), W1 times the clipped network's unknown Lipschitz constant for WGAN. pi does not enter."""
        return {"critic_gap": float(real_out.mean() - fake_out.mean())}


WGAN = Critic(UpdateRule.WGAN, "WGAN: a critic with clipped weights; the generator minimises -f")
WGAN_GP = Critic(UpdateRule.WGAN_GP, "WGAN-GP: a critic with a gradient penalty; the generator minimises -f")
