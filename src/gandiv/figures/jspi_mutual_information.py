"""jspi-mutual-information: JS_pi is the mutual information between the coin and the sample (Nov 2015 post).

A coin C picks P with probability pi and Q otherwise; the receiver sees one sample X of the picked
law. The post says JS_pi[P||Q] is the mutual information I(C; X), and bounds how well any algorithm
can guess the coin from X. Both are checked with known densities, over pi and several pairs:

- I(C; X) is computed on its own route: H(C) - H(C | X), with H(C | X) = int m(x) h(D*(x)) dx, the
  binary entropy h of the posterior D*(x) = pi p(x) / m(x), m = pi p + (1 - pi) q (nats); JS_pi comes
  from `gandiv.exact.divergences` (pi KL[P||M] + (1 - pi) KL[Q||M]). Each value carries the change
  from its grid to the refined grid as its error.
- The Bayes error of guessing the coin, e* = int min(pi p, (1 - pi) q) dx, must lie between Fano's
  lower bound h^-1(H(C | X)) (h^-1 on [0, 1/2]) and the Hellman-Raviv upper bound H(C | X) / 2 in bits
  (Hellman & Raviv 1970; both bounds from H(C | X) = H(pi) - JS_pi).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import xlogy

from gandiv.exact import divergences as dv
from gandiv.exact.densities import GaussianMixture
from gandiv.exact.quadrature import Grid, grid_for, refined_grid
from gandiv.figures.pairs import check_pair, pair_label, pair_q
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, figure

ID = "jspi-mutual-information"

SETTINGS = """
description: >-
  JS_pi against the mutual information of the coin and the sample, computed independently, and the
  Bayes error of guessing the coin against the bounds the information allows.
type: object
additionalProperties: false
required: [pairs]
properties:
  pairs:
    description: >-
      Pairs (P, Q): P a configured target, Q a Gaussian of P's dimension given by its mean and covariance.
    type: array
    minItems: 1
    items: {$ref: "#/$defs/target_gaussian_pair"}
  pi_values:
    description: Priors of the coin on P.
    type: array
    minItems: 1
    uniqueItems: true
    items: {type: number, exclusiveMinimum: 0, exclusiveMaximum: 1}
    default: [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
"""

NEEDS = Needs(settings=None, config=("exact.quadrature_points_per_sd", "exact.quadrature_halfwidth_sd"),
              targets=("pairs[].p",))
FLOAT_SLACK = 1e-12  # nats: round-off of sums over ~1e6 grid cells, below any quadrature error we report
ROUTES = ("js_pi", "mutual_information")


def check(settings: Mapping, config: Mapping) -> None:
    """Each pair's Q is a Gaussian of its P's dimension (ConfigError naming the key, gandiv.figures.pairs)."""
    for i, pair in enumerate(settings["pairs"]):
        check_pair(f"figures.{ID}.pairs[{i}]", pair, config)


def inputs(config: Mapping) -> dict:
    """No upstream results: every number is computed from the densities in the figure's job."""
    return {}


def conditional_entropy_on_grid(log_p: np.ndarray, log_q: np.ndarray, pi: float, grid: Grid) -> float:
    """H(C | X) = int m h(D*) dx in nats, with D* = pi p / m the posterior that X came from P."""
    log_m = dv.log_mixture(log_p, log_q, pi)
    posterior = np.exp(np.log(pi) + log_p - log_m)
    entropy = -xlogy(posterior, posterior) - xlogy(1.0 - posterior, 1.0 - posterior)
    return grid.integrate(np.exp(log_m) * entropy)


def bayes_error_on_grid(log_p: np.ndarray, log_q: np.ndarray, pi: float, grid: Grid) -> float:
    """e* = int min(pi p, (1 - pi) q) dx: the error of the best guess of the coin from one sample."""
    return grid.integrate(np.minimum(pi * np.exp(log_p), (1.0 - pi) * np.exp(log_q)))


def fano_lower_bound(conditional_entropy: float) -> float:
    """The smallest error e in [0, 1/2] with h(e) >= H(C | X) (Fano's inequality for a binary guess), nats in."""
    h = lambda e: -xlogy(e, e) - xlogy(1.0 - e, 1.0 - e)  # noqa: E731
    if conditional_entropy <= 0.0:
        return 0.0
    if conditional_entropy >= np.log(2.0):
        return 0.5
    return float(brentq(lambda e: h(e) - conditional_entropy, 0.0, 0.5, xtol=1e-300, rtol=1e-15))


def fano_with_error(conditional_entropy: float, error: float) -> tuple[float, float]:
    """Fano's bound and its error from that of H(C | X): error / h'(e) with h'(e) = log((1 - e) / e)."""
    bound = fano_lower_bound(conditional_entropy)
    slope = np.log((1.0 - bound) / bound) if 0.0 < bound < 0.5 else 0.0
    return bound, (error / slope if slope > 0.0 else np.inf)


def hellman_raviv_upper_bound(conditional_entropy: float) -> float:
    """e* <= H(C | X) / 2 with the entropy in bits (Hellman & Raviv 1970); nats in."""
    return conditional_entropy / (2.0 * np.log(2.0))


def _on_grids(p: GaussianMixture, q: GaussianMixture, pi: float, quadrature: Mapping) -> dict:
    """Mutual information (posterior route) and Bayes error on a grid and on its refinement: (value, error)."""
    grid = grid_for(p, q, **quadrature)
    refined = refined_grid(grid, p, q, halfwidth_sd=quadrature["halfwidth_sd"])
    values = {}
    for g in (grid, refined):
        log_p, log_q = dv.log_density(p, g.points), dv.log_density(q, g.points)
        values.setdefault("mutual_information", []).append(
            dv.binary_entropy(pi) - conditional_entropy_on_grid(log_p, log_q, pi, g))
        values.setdefault("bayes_error", []).append(bayes_error_on_grid(log_p, log_q, pi, g))
    return {name: (coarse, abs(fine - coarse)) for name, (coarse, fine) in values.items()}


def compute(ctx: Context) -> Computed:
    """Per pair and pi: JS_pi (certified), I(C; X) on its own route, e* and its two bounds, each with its error."""
    rows = []
    for pair in ctx.settings["pairs"]:
        p, q = ctx.target(pair["p"]), pair_q(pair)
        label = pair_label(pair)
        for pi in ctx.settings["pi_values"]:
            js = dv.certified_divergences(p, q, ("js_pi",), pi=pi, **ctx.quadrature)["js_pi"]
            grids = _on_grids(p, q, pi, ctx.quadrature)
            cond = dv.binary_entropy(pi) - js.value
            numbers = {"js_pi": (js.value, js.error), **grids, "conditional_entropy": (cond, js.error),
                       "fano_lower_bound": fano_with_error(cond, js.error),
                       "hellman_raviv_upper_bound": (hellman_raviv_upper_bound(cond), js.error / (2 * np.log(2)))}
            for quantity, (value, error) in numbers.items():
                unit = "probability" if quantity in ("bayes_error", "fano_lower_bound",
                                                     "hellman_raviv_upper_bound") else NATS
                rows.append({"pair": label, "pi": pi, "quantity": quantity, "value": value, "unit": unit,
                             "error": error})
    table = pd.DataFrame(rows)[["pair", "pi", "quantity", "value", "unit", "error"]]
    return Computed(table)


def _wide(table: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    return table.pivot_table(index=["pair", "pi"], columns="quantity", values=column, sort=False)


def deciding_numbers(table: pd.DataFrame) -> dict:
    """The largest |JS_pi - I| over its allowed error, and the worst breach of either bound by e* (<= 0: none)."""
    value, error = _wide(table), _wide(table, "error")
    gap = (value.js_pi - value.mutual_information).abs()
    allowed = error.js_pi + error.mutual_information + FLOAT_SLACK
    below = value.fano_lower_bound - error.fano_lower_bound - (value.bayes_error + error.bayes_error)
    above = value.bayes_error - error.bayes_error - (value.hellman_raviv_upper_bound + error.hellman_raviv_upper_bound)
    return {"worst_gap_over_allowed": float((gap / allowed).max()), "max_gap": float(gap.max()),
            "worst_bound_breach": float(np.maximum(below, above).max()), "cells": len(value)}


def judge(computed: Computed, ctx: Context | None = None) -> dict:
    """reproduced: JS_pi = I(C; X) within the two values' errors in every cell (largest gap over allowed error <= 1)
    AND e* inside [Fano, Hellman-Raviv] everywhere (worst breach <= 0); partly: one of the two; not reproduced:
    neither."""
    n = deciding_numbers(computed.table)
    equal, bounded = n["worst_gap_over_allowed"] <= 1.0, n["worst_bound_breach"] <= 0.0
    status = "reproduced" if equal and bounded else "partly" if equal or bounded else "not reproduced"
    failed = [text for ok, text in (
        (equal, f"JS_pi and I(C; X) differ by up to {n['worst_gap_over_allowed']:.3g} times their allowed error "
                f"(needs <= 1)"),
        (bounded, f"e* leaves its bounds by up to {n['worst_bound_breach']:.3g} (needs <= 0)")) if not ok]
    summary = (f"Over {n['cells']} (pair, pi) cells, JS_pi and the mutual information of coin and sample computed "
               f"by the posterior's entropy {'agree' if equal else 'disagree'} (largest gap {n['max_gap']:.2g} nats, "
               f"{n['worst_gap_over_allowed']:.2g} of the allowed error), and the Bayes error of guessing the coin "
               f"{'stays' if bounded else 'does not stay'} within the Fano and Hellman-Raviv bounds that "
               f"H(C | X) = H(pi) - JS_pi allows (worst breach {n['worst_bound_breach']:.2g})."
               + (f" Failed: {'; '.join(failed)}." if failed else ""))
    return verdict(ID, status, summary, [
        ("largest |JS_pi - I(C;X)| / allowed error", n["worst_gap_over_allowed"], "", "<= 1", equal),
        ("largest |JS_pi - I(C;X)|", n["max_gap"], NATS),
        ("worst breach of the Fano / Hellman-Raviv bounds by e*", n["worst_bound_breach"], "probability", "<= 0",
         bounded),
        ("(pair, pi) cells", n["cells"], "")])


def draw(computed: Computed, ctx: Context | None = None):
    """Left: JS_pi and I(C; X) against pi per pair. Right: e* between its Fano and Hellman-Raviv bounds."""
    value = _wide(computed.table).reset_index()
    fig, axes = figure(ncols=2, width=4.6)
    left, right = axes[0]
    for k, (pair, rows) in enumerate(value.groupby("pair", sort=False)):
        colour = f"C{k}"
        left.plot(rows.pi, rows.js_pi, "-", color=colour, label=f"JS_π, {pair}")
        left.plot(rows.pi, rows.mutual_information, "o", color=colour, mfc="none", label="I(C; X)")
        right.fill_between(rows.pi, rows.fano_lower_bound, rows.hellman_raviv_upper_bound, color=colour, alpha=0.2)
        right.plot(rows.pi, rows.bayes_error, "o-", color=colour, label=f"Bayes error e*, {pair}")
    pis = np.linspace(0.01, 0.99, 99)
    left.plot(pis, [dv.binary_entropy(x) for x in pis], "k:", label="H(π)")
    left.set(xlabel="π (coin's prior on P)", ylabel=NATS, title="JS_π = I(coin; sample)")
    right.set(xlabel="π", ylabel="probability", title="e* within [Fano, Hellman-Raviv]")
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    return fig
