"""The adversarial objectives by name: config and wildcard values, and the keys of the unit registry."""

from __future__ import annotations

from enum import Enum


class UpdateRule(str, Enum):
    """Adversarial objectives by name: the blog post's three M-step losses, then the objectives zoo."""

    MINIMAX = "minimax"  # minimise log(1 - D)
    NONSATURATING = "nonsaturating"  # minimise -log D
    KL = "kl"  # minimise log((1 - D) / D) = -logit D
    LSGAN = "lsgan"  # least squares, codes a=-1, b=1, c=0: Pearson chi^2 (Mao et al., 2017)
    WGAN = "wgan"  # critic with weight clipping (Arjovsky et al., 2017)
    WGAN_GP = "wgan_gp"  # critic with gradient penalty (Gulrajani et al., 2017)
