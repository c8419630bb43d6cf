"""GAN update rules, one unit per rule holding all its formulas, and the Bayes-optimal discriminator.

`unit(rule)` returns the rule's `RuleUnit` (see `gandiv.update_rules.base` for what a unit holds):
the logit rules minimax, nonsaturating, kl (`logit`), the least-squares GAN (`lsgan`) and the
Wasserstein critics wgan, wgan_gp (`critic`). To add an objective, write its unit and register it below.
`optimal_logit` and `discriminator_value` (`optimal`) are the theory with known densities.
"""

from __future__ import annotations

import numpy as np

from gandiv.update_rules.base import RuleUnit, register, registered, rules_with, unit
from gandiv.update_rules.critic import WGAN, WGAN_GP, Critic
from gandiv.update_rules.logit import KL, MINIMAX, NONSATURATING, LogitRule
from gandiv.update_rules.lsgan import LSGAN, lsgan_logit
from gandiv.update_rules.names import UpdateRule
from gandiv.update_rules.optimal import discriminator_value, optimal_logit

register(MINIMAX, NONSATURATING, KL, LSGAN, WGAN, WGAN_GP)  # in UpdateRule's order: LOGIT_RULES keeps it

# Rules whose discriminator is a classifier trained by cross-entropy: its output is logit D.
LOGIT_RULES = tuple(u.rule for u in registered() if isinstance(u, LogitRule))
# Rules whose discriminator is a critic f (no prior pi: E_P f - E_Q f is maximised under a Lipschitz bound).
CRITIC_RULES = tuple(u.rule for u in registered() if isinstance(u, Critic))


__all__ = ["CRITIC_RULES", "LOGIT_RULES", "RuleUnit", "UpdateRule", "discriminator_value", "lsgan_logit",
           "optimal_logit", "rules_with", "unit"]
