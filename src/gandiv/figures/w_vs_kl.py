"""Same KL, different Wasserstein distance: the lecture's two pairs of laws on {1, ..., 5}.

The lecture (catalogue entry `w-vs-kl`) prints W = 2.0 and 0.5 for P against Q and Q2, and the same
KL[P||Q] = 0.8959 nats for both: KL cannot see how far mass moves, W can.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact.densities import Discrete
from gandiv.exact.divergences import kl_pq, wasserstein1
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, figure

ID = "w-vs-kl"

SETTINGS = """
description: Wasserstein vs KL on shifted distributions; no settings.
type: object
additionalProperties: false
properties: {}
"""
NEEDS = Needs()

SUPPORT = np.arange(1, 6)
LAWS = {"P": (0.6, 0.1, 0.1, 0.1, 0.1), "Q": (0.1, 0.1, 0.1, 0.1, 0.6), "Q2": (0.1, 0.6, 0.1, 0.1, 0.1)}
CLAIM = {"Q": (2.0, 0.8959), "Q2": (0.5, 0.8959)}  # (W in x units, KL in nats) as printed in the lecture
W_TOLERANCE = 1e-12  # W of laws on integer atoms is a short sum: only round-off separates it from 2.0 / 0.5
KL_TOLERANCE = 5e-5  # the lecture prints KL to 4 decimals


def inputs(config) -> dict:
    """No upstream results: everything is a closed-form sum."""
    return {}


def compute(ctx: Context) -> Computed:
    """W1 (x units) and KL[P||Q] (nats) of P against Q and against Q2: rows pair, quantity, value, unit."""
    laws = {name: Discrete(SUPPORT, probs) for name, probs in LAWS.items()}
    rows = []
    for name in CLAIM:
        rows += [{"pair": f"P vs {name}", "quantity": "W1", "value": wasserstein1(laws["P"], laws[name]),
                  "unit": "x units"},
                 {"pair": f"P vs {name}", "quantity": "KL[P||Q]", "value": kl_pq(laws["P"], laws[name]),
                  "unit": NATS}]
    return Computed(pd.DataFrame(rows))


def _measured(table: pd.DataFrame, name: str) -> tuple[float, float]:
    """(W1, KL[P||name]) of one pair, from the table."""
    pair = table[table.pair == f"P vs {name}"].set_index("quantity").value
    return pair["W1"], pair["KL[P||Q]"]


def draw(computed: Computed, ctx: Context):
    """Bar charts of P beside Q and beside Q2, titled with the computed W and KL."""
    fig, axes = figure(ncols=2, width=4.2, height=3.2)
    width = 0.38
    for ax, name in zip(axes[0], CLAIM):
        w, kl = _measured(computed.table, name)
        ax.bar(SUPPORT - width / 2, LAWS["P"], width, label="P")
        ax.bar(SUPPORT + width / 2, LAWS[name], width, label=name)
        ax.set_title(f"P vs {name}: W = {w:.4f}, KL[P||{name}] = {kl:.4f} nats")
        ax.set_xlabel("x")
        ax.set_ylabel("probability")
        ax.legend()
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """Reproduced if both W agree with 2.0 / 0.5 to 1e-12 and both KL with 0.8959 to 5e-5 nats; each is a deciding
    number."""
    numbers = []
    for name, (claimed_w, claimed_kl) in CLAIM.items():
        w, kl = _measured(computed.table, name)
        numbers += [(f"W(P, {name})", w, "x units", f"within {W_TOLERANCE:g} of {claimed_w}",
                     abs(w - claimed_w) < W_TOLERANCE),
                    (f"KL[P||{name}]", kl, NATS, f"within {KL_TOLERANCE:g} of {claimed_kl}",
                     abs(kl - claimed_kl) < KL_TOLERANCE)]
    failed = [f"{label} = {value:.6g} (needs {threshold})" for label, value, _, threshold, passed in numbers
              if not passed]
    summary = (f"Computed W = {numbers[0][1]:.4f} and {numbers[2][1]:.4f}, KL = {numbers[1][1]:.4f} and "
               f"{numbers[3][1]:.4f} nats: the same KL with different Wasserstein distances, "
               + ("as the lecture's 2.0 / 0.5 and 0.8959." if not failed else
                  f"unlike the lecture's 2.0 / 0.5 and 0.8959. Failed: {'; '.join(failed)}."))
    return verdict(ID, "not reproduced" if failed else "reproduced", summary, numbers)
