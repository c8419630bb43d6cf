"""kl-rule-theory: with a Bayes-optimal discriminator the logit rule minimises KL[Q||P], minimax JS_pi
(catalogue.yaml, id kl-rule-theory).

Per update rule and pi, where the generator Q = N(mean, sd^2) stops under the ideal-discriminator field
(its stable stationary points, `gandiv.update_rules.stationary`), checked against the minimiser of the divergence
the rule is claimed to minimise (`gandiv.exact.fitting`, code that never forms a discriminator), beside
where the GAN-trained Gaussians of the grid ended up (the group's evaluation table). The cell-by-cell
numbers are in `gandiv.figures.stationary_cells`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.figures.evidence import MIN_SEEDS, SHIFT_FORMULA
from gandiv.figures.grid_checks import check_trained
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.stationary_cells import (CLAIMED, DISTANCE_TOL, N_STARTS, SPREAD_FLOOR_FRACTION, THEORY_TOL,
                                             claim_check, claim_rows, claimed_minimiser, compare_cell,
                                             comparison_rows, finished, gan_rows, read_cells, theory_points,
                                             theory_rows)
from gandiv.figures.style import figure
from gandiv.figures.trained_gaussians import gan_parameters, gaussian_target, rule_order
from gandiv.gan import runs
from gandiv.update_rules import UpdateRule, rules_with, unit

FIGURE_ID = "kl-rule-theory"
SETTINGS = """
description: >-
  Ideal-discriminator stationary points of each update rule beside GAN-trained Gaussian
  generators; needs a `gan` section training `generator` on the 1-D `target`.
type: object
additionalProperties: false
required: [target]
properties:
  target:
    description: A 1-D target trained in some `gan.grid` entry with the gaussian generator.
    $ref: "#/$defs/target_name"
  generator:
    description: Generator whose trained parameters are compared (it needs explicit parameters).
    type: string
    enum: [gaussian]
    default: gaussian
"""
NEEDS = Needs(None, ("seed", "exact.quadrature_points_per_sd", "exact.quadrature_halfwidth_sd"), ("target",))
COLUMNS = ["target", "generator", "source", "rule", "pi", "seed", "diverged", "converged", "point", "stable",
           "is_global",
           "quantity", "value", "unit"]


def inputs(config) -> dict:
    """The evaluation table of the grid group (target, generator): the trained Gaussians' parameters."""
    settings = config["figures"][FIGURE_ID]
    return {"evaluation": runs.evaluation_table("grid", settings["target"], settings["generator"])}


def check(settings, config) -> None:
    """The target is 1-D and trained with the generator in `gan.grid` (ConfigError otherwise)."""
    check_trained(FIGURE_ID, settings, config, "target", "generator", one_d=True)


def compute(ctx: Context) -> Computed:
    """Per (rule, pi) cell with runs: the ideal field's stationary points, the claimed minimiser (kl, minimax),
    the GAN runs, and the runs' seed-mean against the nearest stable point (rows in that order, the
    comparisons last). Extras for the drawing: theory points, claim checks and the runs' parameters."""
    target = gaussian_target(ctx)
    params = gan_parameters(ctx)
    floor = SPREAD_FLOOR_FRACTION * target.min_sd()
    base = {"target": ctx.settings["target"], "generator": ctx.settings["generator"]}
    theory, checks, comparison, rows = {}, {}, {}, []
    for rule in rule_order(params.rule):
        for pi in sorted(params.pi.unique()):
            cell = params[(params.rule == rule) & (params.pi == pi)]
            if cell.empty:
                continue
            good = finished(cell)
            points = theory[rule, pi] = theory_points(target, rule, pi, ctx.seed, ctx.quadrature, good)
            rows += theory_rows(base, rule, pi, points)
            if rule in CLAIMED:
                checks[rule, pi] = claim_check(points, claimed_minimiser(target, rule, pi, ctx.seed, ctx.quadrature))
                rows += claim_rows(base, rule, pi, checks[rule, pi])
            rows += gan_rows(base, rule, pi, cell)
            comparison[rule, pi] = compare_cell(good, points, floor)
    rows += comparison_rows(base, comparison)
    return Computed(pd.DataFrame(rows)[COLUMNS], {"theory": theory, "checks": checks, "params": params})



def _marker(point: dict) -> dict:
    """Filled dot: the global stable point; open dot: a local stable point; grey cross: an unstable one."""
    if not point["stable"]:
        return dict(marker="x", ms=5, color="0.5", ls="none")
    style = dict(marker="o", ms=7, color="C0", ls="none")
    return style if point["is_global"] else style | {"mfc": "none"}


def _panel(ax, quantity: str, rule: str, pis: list, computed: Computed, offset: float) -> None:
    """One rule's mean (or sd) against π: theory points left of each π, the GAN seeds right of it (converged seeds
    filled, the others hollow). Points are not joined: the global point may jump between branches between two π."""
    theory, checks, params = (computed.extras[k] for k in ("theory", "checks", "params"))
    for pi in pis:
        for p in theory.get((rule, pi), []):
            ax.plot(pi - offset, p[quantity], **_marker(p))
        if (rule, pi) in checks:
            ax.plot(pi - offset, checks[rule, pi][quantity], "+", color="k", ms=9, mew=1.2)
        cell = params[(params.rule == rule) & (params.pi == pi) & ~params.diverged]
        loose = cell[~cell.converged]
        if len(loose):
            ax.plot(np.full(len(loose), pi + offset), loose[quantity], "o", mfc="none", color="C3", alpha=0.5, ms=4)
        cell = cell[cell.converged]
        if len(cell):
            ax.plot(np.full(len(cell), pi + offset), cell[quantity], ".", color="C3", alpha=0.35, ms=4)
            spread = cell[quantity].std(ddof=1) if len(cell) > 1 else 0.0
            ax.errorbar(pi + offset, cell[quantity].mean(), yerr=spread, fmt="s", color="C3", ms=5, capsize=3, lw=1.2)


def draw(computed: Computed, ctx: Context):
    """Columns: rules; rows: mean and sd of Q; x: pi. P's component means / sds are dotted lines."""
    target, params = ctx.target(ctx.settings["target"]), computed.extras["params"]
    rules, pis = rule_order(params.rule), sorted(params.pi.unique())
    fig, axes = figure(ncols=len(rules), nrows=2, width=4.0, height=3.1, sharex=True)
    offset = 0.012 * (max(pis) - min(pis) if len(pis) > 1 else 1.0)
    for j, rule in enumerate(rules):
        for i, (quantity, label) in enumerate((("mean", "mean of Q"), ("sd", "sd of Q"))):
            ax = axes[i, j]
            refs = target.means[:, 0] if quantity == "mean" else np.sqrt(target.covariances[:, 0, 0])
            for ref in refs:
                ax.axhline(ref, color="0.7", lw=0.7, ls=":")
            _panel(ax, quantity, rule, pis, computed, offset)
            ax.set_ylabel(f"{label} (x units)")
            if i == 0:
                ax.set_title(f"{rule} (ideal D descends {_potential_text(rule)})", fontsize=9)
            else:
                ax.set_xlabel("π")
    handles = [axes[0, 0].plot([], [], "o", color="C0", ms=7)[0],
               axes[0, 0].plot([], [], "o", color="C0", mfc="none", ms=7)[0],
               axes[0, 0].plot([], [], "x", color="0.5", ms=5)[0],
               axes[0, 0].plot([], [], "+", color="k", ms=9, mew=1.2)[0],
               axes[0, 0].errorbar([], [], yerr=[], fmt="s", color="C3", ms=5, capsize=3)]
    axes[0, 0].legend(handles, ["theory: global stable point", "theory: local stable point",
                                "theory: unstable stationary point", "minimiser of the claimed divergence",
                                "GAN: mean ± sd over converged seeds"], fontsize=6.5)
    return fig


def _within(c: dict) -> bool:
    """Whether a cell's finished runs sit within DISTANCE_TOL seed spreads of a stable point."""
    return bool(c.get("n_seeds", 0) > 0 and np.isfinite(c["distance"]) and c["distance"] <= DISTANCE_TOL)


def _status(comparison: dict, gaps: dict, separation: float, unit: float) -> tuple[str, bool, list, int]:
    """(verdict, whether the theory check holds, the kl/minimax cells at the global stable point, the fewest
    converged seeds in a kl/minimax cell).

    The claim is about the divergence each rule minimises, so for the rules with a claim (kl, minimax) a
    cell counts only if the GANs sit at the *global* stable point, i.e. at that divergence's minimiser.
    Inconclusive when the theory holds but the GANs cannot decide: a claimed cell with fewer than MIN_SEEDS
    converged seeds, or the kl rule's points within 2 * DISTANCE_TOL spreads of the nonsaturating rule's
    (`separation` / `unit`), so that landing on one cannot be told from landing on the other.
    """
    theory_holds = all(np.isfinite(g) and g < THEORY_TOL for g in gaps.values())
    claimed = [c for c in comparison if c[0] in CLAIMED]
    at_global = [c for c in claimed if _within(comparison[c]) and bool(comparison[c].get("nearest_is_global"))]
    fewest = min((int(comparison[c].get("n_seeds", 0)) for c in claimed), default=0)
    if not theory_holds or not claimed:
        return "not reproduced", theory_holds, at_global, fewest
    if fewest < MIN_SEEDS:
        return "inconclusive", theory_holds, at_global, fewest
    if len(at_global) == len(claimed):
        discriminates = np.isfinite(separation) and separation > 2 * DISTANCE_TOL * unit
        return ("reproduced" if discriminates else "inconclusive"), theory_holds, at_global, fewest
    partly = len(at_global) >= len(claimed) / 2 or all(_within(comparison[c]) for c in claimed)
    return ("partly" if partly else "not reproduced"), theory_holds, at_global, fewest


def _separation(global_points: pd.DataFrame) -> float:
    """The largest distance over pi (x units, Euclidean in (mean, sd)) between the global stable points of the kl
    and nonsaturating rules: how far apart the two rules' predicted landing points are (NaN without both)."""
    kl, ns = (global_points[global_points.rule == r].set_index("pi") for r in ("kl", "nonsaturating"))
    common = kl.index.intersection(ns.index)
    if common.empty:
        return float("nan")
    return float(np.max(np.hypot(kl.loc[common, "mean"] - ns.loc[common, "mean"],
                                 kl.loc[common, "sd"] - ns.loc[common, "sd"])))


def _theory_numbers(rule: str, gaps: dict) -> list[tuple]:
    """A claimed rule's largest finite gap to its divergence's minimiser, and its pi without a stable point."""
    rule_gaps = [g for (r, _), g in gaps.items() if r == rule]
    if not rule_gaps:
        return []
    finite = [g for g in rule_gaps if np.isfinite(g)]
    numbers = [(f"max distance of the global stable point from the {CLAIMED[rule].value} minimiser, {rule}",
                max(finite), "(mean, log sd)", f"< {THEORY_TOL:g}", max(finite) < THEORY_TOL)] if finite else []
    missing = len(rule_gaps) - len(finite)
    return numbers + [(f"pi values without a stable stationary point, {rule}", missing, "pi values", "= 0",
                       missing == 0)]


def _landing(rule: str, comparison: dict) -> tuple[list[tuple], str]:
    """A rule's worst distance to a stable point over pi, and where its GANs sit (global or local point)."""
    measured = [(pi, c) for (r, pi), c in comparison.items()
                if r == rule and c.get("n_seeds", 0) > 0 and np.isfinite(c["distance"])]
    if not measured:
        return [], f"{rule}: nothing to compare (all runs diverged or no stable point found)"
    worst_pi, worst = max(measured, key=lambda t: t[1]["distance"])
    # Landing (global or local) is only said of the pi values where the GANs are at a stable point at all.
    landed = [c for _, c in measured if _within(c)]
    n_global = sum(bool(c["nearest_is_global"]) for c in landed)
    numbers = [(f"worst distance to nearest stable point, {rule}", worst["distance"], "seed spreads"),
               (f"pi of the worst distance, {rule}", worst_pi, ""),
               (f"nearest point at the worst pi is the global one (1) or local (0), {rule}",
                float(bool(worst["nearest_is_global"])), ""),
               (f"pi values where the GANs sit at the global stable point, {rule}", n_global, "pi values"),
               (f"pi values where the GANs sit at a local stable point, {rule}", len(landed) - n_global, "pi values")]
    if not landed:
        landing = "the GANs sit at no stable point"
    elif n_global == len(landed):
        landing = f"where they match, the GANs sit at the global stable point ({n_global} pi)"
    elif n_global == 0:
        landing = f"where they match, the GANs sit at a local (not the global) stable point ({len(landed)} pi)"
    else:
        landing = (f"where they match, the GANs sit at the global stable point at {n_global} and at a local "
                   f"one at {len(landed) - n_global} pi")
    n_rule = sum(r == rule for r, _ in comparison)
    return numbers, (f"{rule}: within {DISTANCE_TOL:g} spreads at {len(landed)}/{n_rule} pi, worst "
                     f"{worst['distance']:.2f} at pi={worst_pi:g}; {landing}")


def _theory_text(rules: list[str], gaps: dict, global_points: pd.DataFrame) -> str:
    """What the theory says per rule: the claimed rules' gap to their minimiser, the others' global points."""
    parts = []
    for rule in rules:
        rule_gaps = [g for (r, _), g in gaps.items() if r == rule]
        if not rule_gaps:
            continue
        if all(np.isfinite(rule_gaps)):
            parts.append(f"{rule}'s global stable point is the {CLAIMED[rule].value} minimiser to "
                         f"{max(rule_gaps):.1e}")
        else:
            parts.append(f"{rule} has no stable stationary point at {sum(~np.isfinite(rule_gaps))} pi")
    for rule in rules:
        if rule in CLAIMED:
            continue
        numeric = [f"pi={p.pi:g} ({p.mean:.2f}, {p.sd:.2f})" for p in global_points.itertuples() if p.rule == rule]
        parts.append(f"{rule} (no closed-form claim; computed numerically) has its global stable point "
                     f"(mean, sd) at " + (", ".join(numeric) or "no pi"))
    return "; ".join(parts) or "no rule with a claimed divergence"


def judge(computed: Computed, ctx: Context) -> dict:
    """The theory check first, then the converged GANs against the stable points (the rule in catalogue.yaml), from
    the table; every deciding number with its threshold and whether it passed."""
    table = computed.table
    comparison, gaps, global_points = read_cells(table)
    rules = rule_order(table.rule)
    floor = SPREAD_FLOOR_FRACTION * ctx.target(ctx.settings["target"]).min_sd()
    separation = _separation(global_points)
    status, theory_holds, at_global, fewest = _status(comparison, gaps, separation, floor)
    numbers, parts = [n for rule in rules for n in _theory_numbers(rule, gaps)], []
    for rule in rules:
        rule_numbers, part = _landing(rule, comparison)
        numbers += rule_numbers
        parts.append(part)
    gan = table[(table.source == "gan") & (table.quantity == "mean")]
    n_div = int(gan.diverged.astype(bool).sum())
    n_unconverged = int((~gan.converged.astype(bool)).sum()) - n_div
    n_within, n_cells = sum(_within(c) for c in comparison.values()), len(comparison)
    n_claimed = sum(c[0] in CLAIMED for c in comparison)
    detectable = [c["detectable"] for key, c in comparison.items() if key[0] in CLAIMED and "detectable" in c]
    worst_detectable = max(detectable, default=float("inf"))
    numbers += [("fewest converged seeds in a kl/minimax cell", fewest, "seeds", f">= {MIN_SEEDS}",
                 fewest >= MIN_SEEDS),
                ("kl/minimax cells at the global stable point (the claimed divergence's minimiser)", len(at_global),
                 "cells", f"= {n_claimed} (every cell, within {DISTANCE_TOL:g} seed spreads)",
                 bool(n_claimed) and len(at_global) == n_claimed),
                ("largest separation of the kl and nonsaturating rules' global stable points", separation, "x units",
                 f"> {2 * DISTANCE_TOL * floor:.3g} (2 x {DISTANCE_TOL:g} spread floors)",
                 bool(np.isfinite(separation) and separation > 2 * DISTANCE_TOL * floor)),
                (f"largest minimum detectable shift of a kl/minimax seed-mean ({SHIFT_FORMULA})", worst_detectable,
                 "x units"),
                (f"(rule, pi) cells within {DISTANCE_TOL:g} seed spreads", n_within, "cells"),
                ("(rule, pi) cells", n_cells, "cells"),
                ("spread floor", floor, "x units"), ("diverged runs (left out)", n_div, "runs"),
                ("runs that did not converge (left out)", n_unconverged, "runs")]
    if status != "inconclusive":
        why = ""
    elif fewest < MIN_SEEDS:
        why = f" Inconclusive: a kl/minimax cell has only {fewest} converged seeds (at least {MIN_SEEDS} needed)."
    else:
        why = (f" Inconclusive: the kl and nonsaturating rules predict landing points at most {separation:.3g} x units "
               f"apart, so GANs at the kl rule's point cannot show that it minimises KL[Q||P] in particular.")
    summary = (f"Theory check ({'holds' if theory_holds else 'FAILS'}, tolerance {THEORY_TOL:g} in (mean, log sd)): "
               f"{_theory_text(rules, gaps, global_points)}. "
               f"Stable stationary points of the ideal-discriminator generator field (theory, 1-D Gaussian family, "
               f"{N_STARTS} starts plus the trained Gaussians as starts) against the seed-mean (mean, sd) of the "
               f"converged GAN-trained Gaussians on {ctx.settings['target']} (left out: {n_div} diverged, "
               f"{n_unconverged} not converged); distance in units of the seed spread, floored at {floor:.3g} (a "
               f"tenth of P's narrowest sd); with these seeds a shift of the seed-mean of {worst_detectable:.3g} x "
               f"units would be detected (5% size, 80% power). The GANs are within {DISTANCE_TOL:g} spreads of a "
               f"stable point in {n_within} of {n_cells} (rule, pi) cells — " + "; ".join(parts) + "." + why)
    return verdict(FIGURE_ID, status, summary, numbers)


def _potential_text(rule: str) -> str:
    """What the rule's generator descends against the ideal discriminator, as its unit writes it ('?' if none)."""
    has_potential = {r.value for r in rules_with("potential")}
    return unit(UpdateRule(rule)).potential_text if rule in has_potential else "?"
