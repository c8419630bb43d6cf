"""Three generator update rules and their slopes in the discriminator's logit.

The March 2016 blog post (catalogue entry `update-rules`) names three generator losses: log(1 - D) (minimax),
-log D (non-saturating) and log((1 - D) / D) = -logit D (the KL rule), the last the sum of the first two;
the minimax rule saturates (its slope vanishes) where D confidently rejects generated samples.
The losses are each rule unit's `logit_loss` (gandiv.update_rules) and its exact derivative in the logit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter
from scipy.special import logit

from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, figure
from gandiv.update_rules import LOGIT_RULES, UpdateRule, unit

ID = "update-rules"

SETTINGS = """
description: Generator update rules compared; no settings.
type: object
additionalProperties: false
properties: {}
"""
NEEDS = Needs()

LOSS, SLOPE = "loss", "d loss / d logit"
CONFIDENT = 1e-3  # D(G(z)) of a sample the discriminator confidently rejects
LABELS = {"minimax": "minimax: log(1-D)", "nonsaturating": "non-saturating: -log D",
          "kl": "KL rule: log((1-D)/D) = -logit D"}
# A saturated slope is below SATURATED; a live one above LIVE (the non-saturating and KL slopes tend to 1).
SATURATED, LIVE = 0.01, 0.9
# minimax + non-saturating - KL rule is zero in exact arithmetic; the log-sigmoid evaluations agree to
# round-off of a few ulp of losses up to ~10 nats.
SUM_TOLERANCE = 1e-9
# Labelled ticks of the logit axis, two decades apart so their labels never touch; the decades between are unlabelled.
LABELLED_D = {1e-4: "10⁻⁴", 1e-2: "0.01", 0.5: "0.5", 1 - 1e-2: "0.99", 1 - 1e-4: "0.9999"}
MINOR_D = (1e-3, 0.1, 0.9, 1 - 1e-3)


def inputs(config) -> dict:
    """No upstream results: the losses are closed forms."""
    return {}


def discriminator_outputs() -> np.ndarray:
    """D from 1e-4 to 1 - 1e-4, log-spaced towards both ends (399 points, 0.5 once)."""
    return np.concatenate([np.geomspace(1e-4, 0.5, 200), 1 - np.geomspace(0.5, 1e-4, 200)[1:]])


def compute(ctx: Context) -> Computed:
    """Each logit rule's loss (nats) and slope in the logit (nats per logit) over D's output:
    rows rule, D, logit, quantity, value, unit.

    extras: "slopes", {rule: |d loss / d logit| at D = CONFIDENT}.
    """
    d = discriminator_outputs()
    a = logit(d)
    rows = []
    for rule in LOGIT_RULES:
        for di, ai, loss, grad in zip(d, a, unit(rule).logit_loss(a), unit(rule).logit_loss_grad(a)):
            rows += [{"rule": rule.value, "D": di, "logit": ai, "quantity": LOSS, "value": loss, "unit": NATS},
                     {"rule": rule.value, "D": di, "logit": ai, "quantity": SLOPE, "value": grad,
                      "unit": "nats per logit"}]
    confident = logit(CONFIDENT)
    slopes = {rule.value: float(abs(unit(rule).logit_loss_grad(np.array([confident]))[0])) for rule in LOGIT_RULES}
    return Computed(pd.DataFrame(rows), {"slopes": slopes})


def draw(computed: Computed, ctx: Context):
    """Loss (left) and slope (right) of each rule against D, on a logit axis (labels every second decade)."""
    data = computed.table
    fig, axes = figure(ncols=2, width=4.6, height=3.6)
    for ax, quantity in zip(axes[0], (LOSS, SLOPE)):
        for rule, g in data[data.quantity == quantity].groupby("rule", sort=False):
            ax.plot(g.D, g.value, label=LABELS[rule])
        ax.set_xscale("logit")
        ax.set_xticks(list(LABELLED_D), list(LABELLED_D.values()))
        ax.set_xticks(MINOR_D, minor=True)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("D(G(z)) (discriminator's belief the sample is real)")
        ax.set_ylabel(f"generator {quantity} ({'nats' if quantity == LOSS else 'nats per logit'})")
        ax.legend(fontsize=7)
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """Reproduced if at D = 0.001 the minimax slope is below 0.01 and the other two above 0.9, and the KL rule's
    loss equals minimax + non-saturating (table rows) to 1e-9 nats; else not reproduced."""
    losses = computed.table[computed.table.quantity == LOSS]
    loss = {rule: g.value.to_numpy() for rule, g in losses.groupby("rule", sort=False)}
    minimax, nonsaturating, kl = UpdateRule.MINIMAX.value, UpdateRule.NONSATURATING.value, UpdateRule.KL.value
    sum_check = float(np.max(np.abs(loss[minimax] + loss[nonsaturating] - loss[kl])))
    slopes = computed.extras["slopes"]
    numbers = [(f"|slope| of minimax at D={CONFIDENT:g}", slopes[minimax], "nats per logit", f"< {SATURATED:g}",
                slopes[minimax] < SATURATED),
               (f"|slope| of non-saturating at D={CONFIDENT:g}", slopes[nonsaturating], "nats per logit",
                f"> {LIVE:g}", slopes[nonsaturating] > LIVE),
               (f"|slope| of KL rule at D={CONFIDENT:g}", slopes[kl], "nats per logit", f"> {LIVE:g}",
                slopes[kl] > LIVE),
               ("max |minimax + non-saturating - KL rule|", sum_check, NATS, f"< {SUM_TOLERANCE:g}",
                sum_check < SUM_TOLERANCE)]
    failed = [f"{name} = {value:.3g} (needs {threshold})" for name, value, _, threshold, passed in numbers
              if not passed]
    summary = (f"At D = {CONFIDENT:g} the minimax rule's slope in the logit is {slopes[minimax]:.1e} "
               f"({'saturated' if slopes[minimax] < SATURATED else 'not saturated'}), the non-saturating rule's "
               f"{slopes[nonsaturating]:.3f} and the KL rule's {slopes[kl]:.1f}; the KL rule's loss equals the sum of "
               f"the other two to {sum_check:.1e}"
               + (", as the blog post says." if not failed else f". Failed: {'; '.join(failed)}."))
    return verdict(ID, "not reproduced" if failed else "reproduced", summary, numbers)
