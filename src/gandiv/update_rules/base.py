"""What a GAN update rule's unit holds, and the registry from a rule's name to its unit.

A unit gathers every formula of one adversarial objective:
* `discriminator_loss`, `generator_loss`: the training losses on the network's outputs (Keras tensors), one loss
  per run of a group (`gandiv.gan.model`): outputs (runs, n, 1) -> losses (runs,);
* `logit_loss`, `logit_loss_grad`: the generator's per-sample loss and its slope as numpy functions of
  the discriminator's logit (rules whose discriminator is a classifier);
* `potential`: the divergence the generator descends against the ideal discriminator;
* `implied_logit`: the logit log(pi p / ((1-pi) q)) that an optimal discriminator's output implies;
* `plug_ins`: what a trained discriminator's outputs on real and generated samples say about P and Q;
* `description` (one line) and `potential_text` (the potential as written in figures).
A formula a rule does not have raises a ValueError naming the rule and the rules that have it.
Adding an objective means writing one unit and registering it (`gandiv.update_rules`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from gandiv.exact.quadrature import Grid
from gandiv.run_axis import run_mean
from gandiv.update_rules.names import UpdateRule

_UNITS: dict[UpdateRule, RuleUnit] = {}


def keras_ops():
    """`keras.ops`, imported on first use: rule names and numpy formulas load without TensorFlow (the workflow
    reads the names)."""
    from keras import ops
    return ops


def prior_weighted_loss(real_term, fake_term, pi, weighted: bool):
    """Each run's mean of per-sample D-step losses (runs, n, 1) with real-data prior pi (shape (runs,)): (runs,).

    weighted: equal batches, pi * mean(real) + (1 - pi) * mean(fake); otherwise the plain mean over
    both batches, whose sizes carry pi (`gandiv.gan.model.batch_sizes`).
    """
    ops = keras_ops()
    if weighted:
        return pi * run_mean(real_term) + (1.0 - pi) * run_mean(fake_term)
    return run_mean(ops.concatenate([real_term, fake_term], axis=1))


class RuleUnit(ABC):
    """All formulas of one update rule (see the module docstring); one instance per rule."""

    potential_text: str | None = None  # the potential V, as figures write it; None where it has none

    def __init__(self, rule: UpdateRule, description: str):
        self.rule, self.description = rule, description

    def __repr__(self) -> str:
        return f"<update rule {self.rule.value!r}: {self.description}>"

    @abstractmethod
    def discriminator_loss(self, real_out, fake_out, pi, weighted: bool):
        """Each run's D-step loss on the network's outputs at real and generated samples (Keras tensors of shape
        (runs, n, 1)): shape (runs,).

        pi (shape (runs,)) is each run's prior on real data, `weighted` says how it enters (`prior_weighted_loss`).
        """

    @abstractmethod
    def generator_loss(self, output):
        """Each run's M-step loss on the network's outputs (runs, n, 1) at generated samples: shape (runs,)."""

    @abstractmethod
    def plug_ins(self, real_out: np.ndarray, fake_out: np.ndarray, pi: float) -> dict:
        """Estimates {quantity: value} from the trained network's outputs (shape (n,)) at samples of P and Q."""

    def logit_loss(self, logit: np.ndarray) -> np.ndarray:
        """Per-sample generator loss in nats as a function of the discriminator's logit (same shape)."""
        raise self._lacks("logit_loss", "generator loss on a classifier's logit")

    def logit_loss_grad(self, logit: np.ndarray) -> np.ndarray:
        """d logit_loss / d logit (same shape): how hard the discriminator pushes a generated sample."""
        raise self._lacks("logit_loss_grad", "generator loss on a classifier's logit")

    def potential(self, log_p: np.ndarray, log_q: np.ndarray, grid: Grid, pi: float) -> float:
        """The divergence V (nats) with F = grad V for the ideal-discriminator field F (`gandiv.update_rules.stationary`)."""
        raise self._lacks("potential", "potential for the ideal discriminator")

    def implied_logit(self, output: np.ndarray) -> np.ndarray:
        """The logit log(pi p / ((1-pi) q)) that the optimal network output implies (same shape)."""
        raise self._lacks("implied_logit", "output that implies the optimal logit")

    def _lacks(self, method: str, what: str) -> ValueError:
        holders = ", ".join(r.value for r in rules_with(method))
        return ValueError(f"update rule {self.rule.value!r} has no {what}; rules with one: {holders}")


def register(*units: RuleUnit) -> None:
    """Make each unit the one `unit(unit.rule)` returns; a rule registered twice is an error."""
    for u in units:
        if u.rule in _UNITS:
            raise ValueError(f"update rule {u.rule.value!r} is already registered: {_UNITS[u.rule]!r}")
        _UNITS[u.rule] = u


def unit(rule: UpdateRule) -> RuleUnit:
    """The unit holding `rule`'s formulas. A plain string is refused (convert with UpdateRule(name) first)."""
    if not isinstance(rule, UpdateRule):
        raise ValueError(f"{rule!r} is not an UpdateRule (names convert by UpdateRule(name)); registered: "
                         + ", ".join(r.value for r in _UNITS))
    if rule not in _UNITS:
        raise ValueError(f"update rule {rule.value!r} has no registered unit")
    return _UNITS[rule]


def registered() -> tuple[RuleUnit, ...]:
    """Every registered unit, in registration order."""
    return tuple(_UNITS.values())


def rules_with(method: str) -> tuple[UpdateRule, ...]:
    """The rules whose unit has the optional formula `method` (overrides RuleUnit's refusal)."""
    base = getattr(RuleUnit, method)
    return tuple(r for r, u in _UNITS.items() if getattr(type(u), method) is not base)
