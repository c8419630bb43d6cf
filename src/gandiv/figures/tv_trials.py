"""Total variation of repeated trials: it tends to 1 in n, and TV(S_n/sqrt(n), N(0,1)) = 1 for every n.

The lecture (catalogue entry `tv-trials`) bounds the TV of n independent trials below by
1 - 2 exp(-n delta^2 / 2), delta the TV of one trial, and notes that the standardised Rademacher sum
S_n/sqrt(n) stays at TV 1 from N(0,1) although it converges in distribution.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact import discrete
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure

ID = "tv-trials"

SETTINGS = """
description: Total variation between n-trial Bernoulli products.
type: object
additionalProperties: false
properties:
  p: {$ref: "#/$defs/probability", default: 0.5}
  q: {$ref: "#/$defs/probability", default: 0.6}
  n_max:
    description: Largest number of trials.
    type: integer
    minimum: 1
    default: 400
"""
NEEDS = Needs()

TV_N = "TV(Bern(p)^n, Bern(q)^n)"
BOUND = "lower bound 1 - 2exp(-n delta^2/2)"
TV_CLT = "TV(S_n/sqrt(n), N(0,1))"
KOLMOGOROV = "Kolmogorov distance(S_n/sqrt(n), N(0,1))"


def inputs(config) -> dict:
    """No upstream results: every distance is an exact finite sum."""
    return {}


def trial_counts(n_max: int) -> np.ndarray:
    """About 40 log-spaced trial counts from 1 to n_max (whole numbers, no repeats; the first is 1)."""
    return np.unique(np.geomspace(1, n_max, 40).round().astype(int))


def compute(ctx: Context) -> Computed:
    """For each n: the exact TV of n trials, the lecture's bound, and TV and Kolmogorov distance of
    S_n/sqrt(n) to N(0,1), all in probability; rows n, quantity, value, unit."""
    p, q = ctx.settings["p"], ctx.settings["q"]
    delta = discrete.tv_bernoulli_trials(p, q, 1)
    rows = []
    for n in trial_counts(ctx.settings["n_max"]):
        atoms, probs = discrete.rademacher_sum_law(n)
        rows += [{"n": n, "quantity": TV_N, "value": discrete.tv_bernoulli_trials(p, q, n)},
                 {"n": n, "quantity": BOUND, "value": discrete.tv_trials_lower_bound(delta, n)},
                 {"n": n, "quantity": TV_CLT, "value": discrete.tv_atoms_vs_density(probs)},
                 {"n": n, "quantity": KOLMOGOROV, "value": discrete.kolmogorov_to_normal(atoms, probs)}]
    return Computed(pd.DataFrame(rows).assign(unit="probability"))


def _wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per n, one column per quantity."""
    return table.pivot(index="n", columns="quantity", values="value")


def draw(computed: Computed, ctx: Context):
    """Left: TV of n trials with its bound; right: TV and Kolmogorov distance of S_n/sqrt(n) to N(0,1)."""
    wide = _wide(computed.table)
    fig, axes = figure(ncols=2, width=4.6, height=3.5)
    for quantity in (TV_N, BOUND):
        axes[0, 0].plot(wide.index, wide[quantity], "o-" if "TV" in quantity else "--", ms=3, label=quantity)
    axes[0, 0].set_title(f"n trials, p={ctx.settings['p']}, q={ctx.settings['q']} (delta={wide[TV_N].loc[1]:.2f})")
    for quantity in (TV_CLT, KOLMOGOROV):
        axes[0, 1].plot(wide.index, wide[quantity], "o-", ms=3, label=quantity)
    axes[0, 1].set_title("CLT: S_n/sqrt(n) vs N(0,1)")
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_xlabel("n")
        ax.set_ylabel("distance (probability)")
        ax.set_ylim(-0.05, 1.05)
        ax.legend(fontsize=7)
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """Reproduced if the TV of n trials never falls below the bound (smallest margin >= 0) and never decreases in n
    (largest decrease from one n to the next <= 0); else not reproduced.

    delta is the table's TV at n = 1. TV(S_n/sqrt(n), N(0,1)) = 1 is an identity (an atomic law and a
    density are mutually singular): reported, not counted as a test.
    """
    wide = _wide(computed.table)
    tv_n = wide[TV_N]
    n_last = wide.index[-1]
    slack = float((tv_n - wide[BOUND]).min())
    drop = float(np.max(-np.diff(tv_n.to_numpy()), initial=0.0))  # 0 where TV never decreases (or for one n)
    clt_tv = float(wide[TV_CLT].min())
    kolmogorov_last = float(wide[KOLMOGOROV].iloc[-1])
    above, rising = slack >= 0, drop <= 0
    failed = ([f"TV falls below the bound by {-slack:.3g}"] if not above else []) + (
        [f"TV decreases by up to {drop:.3g} from one n to the next"] if not rising else [])
    summary = (f"TV of n trials rises {'monotonically' if rising else 'non-monotonically'} "
               f"from {tv_n.iloc[0]:.3f} to {tv_n.iloc[-1]:.3f} at n={n_last} and "
               f"{'stays above' if above else 'falls below'} the bound (smallest margin {slack:.3f}). "
               f"TV(S_n/sqrt(n), N(0,1)) = 1 for every n because an atomic law and a density are mutually singular "
               f"(an identity, not a measurement), while the Kolmogorov distance falls to {kolmogorov_last:.3f}: "
               f"TV ignores convergence in distribution." + (f" Failed: {'; '.join(failed)}." if failed else ""))
    return verdict(ID, "not reproduced" if failed else "reproduced", summary, [
        ("TV of one trial (delta)", tv_n.loc[1], "probability"),
        (f"TV of n={n_last} trials", tv_n.iloc[-1], "probability"),
        ("smallest TV - bound over n", slack, "probability", ">= 0", above),
        ("largest decrease of TV from one n to the next", drop, "probability", "<= 0", rising),
        ("min over n of TV(S_n/sqrt(n), N(0,1))", clt_tv, "probability"),
        (f"Kolmogorov distance at n={n_last}", kolmogorov_last, "probability"),
    ])
