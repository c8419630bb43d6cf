"""The objectives zoo's verdict rules (src/gandiv/figures/catalogue.yaml, objectives-zoo), on its evaluation
tables and its runs' snapshots.

The claim: a large study finds no clear winner among the objectives, and training collapse shows as
exploding singular values of the discriminator's weights (which spectral normalisation bounds).

Every check follows gandiv.figures.evidence: only converged runs are evidence (the others are counted and
shown), every cell a check reads needs MIN_SEEDS converged seeds, and a check claims "no effect" only where
its power statement says an effect that matters would have shown. Each check's result is True (holds), False
(does not hold) or None (inconclusive: too few converged seeds or events, or too little power).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import ttest_ind

from gandiv.figures.evidence import (MDD_FORMULA, MIN_SEEDS, SHIFT_FORMULA, SIZE, converged_only,
                                     minimum_detectable_difference, minimum_detectable_shift, pooled_sd)
from gandiv.figures.style import NATS

CRITIC_RULES = ("wgan", "wgan_gp")  # their weights are bounded by clipping or the penalty: not in the spike test

# No clear winner. A lead matters if it is at least 1/8 of the target's modes: one mode on the ring of 8 (the
# count's resolution there), 3.1 of the grid's 25. "No clear winner" needs the minimum detectable difference
# (evidence.MDD_FORMULA, best against runner-up) to be at most that, so that a lead that matters would have shown.
LEAD_MATTERS_SHARE = 1 / 8

# Spectral normalisation (an implementation check, see `spectral_norm_check`).
SN_BOUND = 1.05  # sigma_max under spectral normalisation after the first call (one power iteration per call)
GROWTH = 1.5  # sigma_max growing by at least this factor from the first snapshot to the last counts as growing

# Collapse follows spikes (within each run, over its snapshots: one per compiled call).
COLLAPSE_SHARE = 0.2  # a collapse: modes covered by the fixed-noise samples drop by >= 20% of the target's modes
COLLAPSE_MIN_MODES = 2  # ... and by at least 2 modes (a one-mode flicker at the 1% coverage share is noise)
SPIKE_WINDOW = 4  # snapshots in the running median a spike is measured against (testable from the 5th snapshot)
SPIKE_FACTOR = 1.5  # a spike: sigma_max at least 1.5x the median of the previous SPIKE_WINDOW snapshots
FOLLOW_SNAPSHOTS = 2  # a collapse follows a spike at the same snapshot or up to 2 snapshots after it
MIN_COLLAPSES = 10  # fewer testable collapse events: inconclusive
EXCESS_MATTERS = 0.25  # a link that matters: 25 percentage points more collapses after spikes than chance gives
N_PERMUTATIONS = 2000  # spike times permuted within runs; fixed generator seed, so the verdict is reproducible


# ---------------------------------------------------------------- no clear winner


def winner_check(cells: dict[str, np.ndarray], n_modes: int) -> dict:
    """Is there a clear winner in mode coverage among the variants of one target?

    cells: variant -> modes covered by each of its converged seeds (plain discriminators). The best and the
    runner-up by mean are compared by Welch's t-test (two-sided, size evidence.SIZE) and by the minimum
    detectable difference at their pooled sd (evidence.MDD_FORMULA). result: False (a clear winner: lead > MDD
    and p < SIZE), True (no clear winner: lead < MDD, p >= SIZE and MDD <= LEAD_MATTERS_SHARE * n_modes) or
    None (inconclusive: a variant has fewer than MIN_SEEDS converged seeds, or the rest). Units: modes.
    """
    counts = {v: len(x) for v, x in cells.items()}
    ranked = sorted((v for v in cells if counts[v]), key=lambda v: -np.mean(cells[v]))
    matters = LEAD_MATTERS_SHARE * n_modes
    out = {"counts": counts, "fewest": min(counts.values(), default=0), "matters": matters, "best": None,
           "runner_up": None, "best_mean": math.nan, "lead": math.nan, "sd": math.nan, "mdd": math.inf,
           "p": math.nan}
    if len(ranked) >= 2:
        best, runner_up = np.asarray(cells[ranked[0]], float), np.asarray(cells[ranked[1]], float)
        lead, sd = float(best.mean() - runner_up.mean()), pooled_sd([best, runner_up])
        if sd == 0:  # no spread at all: any lead is certain, none is certain too
            p = 1.0 if lead == 0 else 0.0
        elif min(len(best), len(runner_up)) > 1:
            p = float(ttest_ind(best, runner_up, equal_var=False).pvalue)
        else:
            p = math.nan
        out |= {"best": ranked[0], "runner_up": ranked[1], "best_mean": float(best.mean()), "lead": lead, "sd": sd,
                "mdd": minimum_detectable_difference(sd, len(best), len(runner_up)), "p": p}
    thin = sorted(v for v, n in counts.items() if n < MIN_SEEDS)
    if thin or len(ranked) < 2:
        out |= {"result": None, "reason": f"fewer than {MIN_SEEDS} converged seeds for " + ", ".join(thin or cells)}
    elif out["lead"] > out["mdd"] and out["p"] < SIZE:
        out |= {"result": False, "reason": "a clear winner"}
    elif out["lead"] < out["mdd"] and out["p"] >= SIZE and out["mdd"] <= matters:
        out |= {"result": True, "reason": "no clear winner"}
    elif out["mdd"] > matters:
        out |= {"result": None, "reason": f"too little power: MDD {out['mdd']:.2f} > {matters:.2f} modes"}
    else:
        out |= {"result": None, "reason": "the lead is near the MDD (significant and below it, or above it and "
                                          "not significant)"}
    return out


def winner_numbers(name: str, check: dict) -> list[tuple]:
    """The numbers of one target's `winner_check`; the deciding ones pass on the no-winner side (None where the
    seeds are too few to judge)."""
    judged = check["fewest"] >= MIN_SEEDS and check["best"] is not None

    def passed(condition) -> bool | None:
        return bool(condition) if judged else None

    return [(f"{name}: fewest converged seeds of a plain objective", check["fewest"], "seeds", f">= {MIN_SEEDS}",
             check["fewest"] >= MIN_SEEDS),
            (f"{name}: best mean modes covered ({check['best']})", check["best_mean"], "modes"),
            (f"{name}: lead over the runner-up ({check['runner_up']})", check["lead"], "modes",
             f"< MDD for no winner (> MDD with p < {SIZE}: a clear winner)", passed(check["lead"] < check["mdd"])),
            (f"{name}: Welch p of best vs runner-up", check["p"], "", f">= {SIZE} (no significant lead)",
             passed(check["p"] >= SIZE)),
            (f"{name}: pooled sd of best and runner-up over converged seeds", check["sd"], "modes"),
            (f"{name}: minimum detectable difference ({MDD_FORMULA})", check["mdd"], "modes",
             f"<= {check['matters']:.3g} (1/8 of the modes)", passed(check["mdd"] <= check["matters"]))]


def converged_seeds(runs: list[dict]) -> dict[tuple, int]:
    """Converged seeds per (target, rule) cell of `runs` (records with target, rule and a boolean `converged`)."""
    counts: dict[tuple, int] = {}
    for r in runs:
        counts[(r["target"], r["rule"])] = counts.get((r["target"], r["rule"]), 0) + bool(r["converged"])
    return counts


# ---------------------------------------------------------------- spectral normalisation


def spectral_norm_check(runs: list[dict]) -> dict:
    """Spectral normalisation bounds sigma_max (the largest singular value over the discriminator's layers), which
    grows without it.

    The bound is an implementation check (Keras divides each kernel by its estimated spectral norm before every
    training call), so every spectral-normalised run counts, converged or not: sigma_max <= SN_BOUND after the
    first snapshot. The growth is a training behaviour, so it reads converged plain runs of the same rules only,
    each (target, rule) cell with at least MIN_SEEDS of them: final / first sigma_max >= GROWTH in every one.
    result: False if the bound fails or a run grows less, None if there are no normalised runs or too few
    converged plain seeds, True otherwise.
    """
    normalised = [r for r in runs if r["discriminator"] == "spectral_norm" and len(r["singular_values"]) > 1]
    rules = sorted({r["rule"] for r in normalised})
    sn_max = max((float(r["singular_values"][1:].max()) for r in normalised), default=math.nan)
    plain = [r for r in runs if r["discriminator"] == "plain" and r["rule"] in rules]
    growth = [float(r["singular_values"][-1].max() / r["singular_values"][0].max()) for r in plain if r["converged"]]
    smallest = min(growth, default=math.nan)
    fewest = min(converged_seeds(plain).values(), default=0)
    if not normalised or (sn_max <= SN_BOUND and fewest < MIN_SEEDS):
        result = None
    else:
        result = bool(sn_max <= SN_BOUND and smallest >= GROWTH)
    return {"rules": rules, "sn_max": sn_max, "smallest_growth": smallest, "fewest": fewest, "result": result}


# ---------------------------------------------------------------- collapse follows spikes


def collapse_drop(n_modes: int) -> int:
    """The drop in modes covered between consecutive snapshots that counts as a collapse (modes)."""
    return max(COLLAPSE_MIN_MODES, math.ceil(COLLAPSE_SHARE * n_modes))


def collapse_events(modes: np.ndarray, n_modes: int) -> np.ndarray:
    """(K,) bool: snapshot k (k >= SPIKE_WINDOW, where a spike can be measured) has at least `collapse_drop`
    fewer modes covered than snapshot k - 1. modes: (K,) modes covered by each snapshot's fixed-noise samples."""
    modes = np.asarray(modes, float)
    events = np.zeros(len(modes), bool)
    events[1:] = modes[:-1] - modes[1:] >= collapse_drop(n_modes)
    events[:SPIKE_WINDOW] = False
    return events


def spike_events(sigma: np.ndarray) -> np.ndarray:
    """(K,) bool: snapshot k (k >= SPIKE_WINDOW) has sigma_max at least SPIKE_FACTOR times the median of the
    previous SPIKE_WINDOW snapshots'. sigma: (K,) sigma_max per snapshot (dimensionless: a gain of the layer)."""
    sigma = np.asarray(sigma, float)
    spikes = np.zeros(len(sigma), bool)
    for k in range(SPIKE_WINDOW, len(sigma)):
        spikes[k] = sigma[k] >= SPIKE_FACTOR * np.median(sigma[k - SPIKE_WINDOW:k])
    return spikes


def after_spikes(spikes: np.ndarray) -> np.ndarray:
    """(..., K) bool: a spike at the same snapshot or up to FOLLOW_SNAPSHOTS snapshots before (along the last
    axis)."""
    spikes = np.asarray(spikes, int)
    total = np.cumsum(spikes, axis=-1)
    before = np.zeros_like(total)
    before[..., FOLLOW_SNAPSHOTS + 1:] = total[..., :-(FOLLOW_SNAPSHOTS + 1)]
    return total - before > 0


def spike_collapse_test(runs: list[dict], n_modes: dict[str, int], seed: int = 0) -> dict:
    """Do collapse events follow spikes of sigma_max within runs more often than chance?

    Reads the converged plain runs of the non-critic rules (records with target, rule, discriminator, converged,
    `modes` (K,) and `singular_values` (K, layers)), in (target, rule) cells with at least MIN_SEEDS of them.
    The statistic: the collapse events (`collapse_events`) with a spike (`spike_events`) at the same snapshot or
    up to FOLLOW_SNAPSHOTS before. The null: spike times independent of collapses, drawn by permuting each
    run's spikes over its testable snapshots (k >= SPIKE_WINDOW), N_PERMUTATIONS times (generator `seed`);
    p = (1 + #{permuted >= observed}) / (1 + N_PERMUTATIONS). The power: the smallest excess share of collapses
    after a spike over the null share p0 that a z-test detects, evidence.SHIFT_FORMULA with s = sqrt(p0 (1 - p0))
    and n = the collapses. result: True if p < SIZE; False if not and that excess is at most EXCESS_MATTERS;
    None with fewer than MIN_COLLAPSES collapses, no cell with enough seeds, or too little power.
    """
    eligible = [r for r in runs if r["discriminator"] == "plain" and r["rule"] not in CRITIC_RULES
                and r["target"] in n_modes]
    counts = converged_seeds(eligible)
    read = {cell for cell, n in counts.items() if n >= MIN_SEEDS}
    chosen = [r for r in eligible if r["converged"] and (r["target"], r["rule"]) in read]
    rng = np.random.default_rng(seed)
    observed, permuted = 0, np.zeros(N_PERMUTATIONS, int)
    n_collapses = n_spikes = n_testable = after_total = 0
    for r in chosen:
        collapses = collapse_events(r["modes"], n_modes[r["target"]])
        spikes = spike_events(np.asarray(r["singular_values"]).max(axis=1))
        follows = after_spikes(spikes)
        observed += int((collapses & follows).sum())
        n_collapses, n_spikes = n_collapses + int(collapses.sum()), n_spikes + int(spikes.sum())
        testable = np.arange(len(spikes)) >= SPIKE_WINDOW
        n_testable += int(testable.sum())
        after_total += int((follows & testable).sum())
        shuffled = np.zeros((N_PERMUTATIONS, len(spikes)), bool)
        shuffled[:, SPIKE_WINDOW:] = rng.permuted(np.tile(spikes[SPIKE_WINDOW:], (N_PERMUTATIONS, 1)), axis=1)
        permuted += (after_spikes(shuffled) & collapses).sum(axis=1)
    p = (1 + int((permuted >= observed).sum())) / (1 + N_PERMUTATIONS)
    null_share = float(permuted.mean()) / n_collapses if n_collapses else math.nan
    mds = minimum_detectable_shift(math.sqrt(null_share * (1 - null_share)), n_collapses) if n_collapses \
        else math.inf
    elsewhere = n_testable - after_total
    out = {"cells": sorted(read), "thin_cells": sorted(set(counts) - read), "runs": len(chosen),
           "testable": n_testable, "spikes": n_spikes, "collapses": n_collapses, "after": observed,
           "share_after": observed / n_collapses if n_collapses else math.nan, "null_share": null_share,
           "p": p, "mds": mds,
           "rate_after": observed / after_total if after_total else math.nan,
           "rate_elsewhere": (n_collapses - observed) / elsewhere if elsewhere else math.nan}
    if not read or n_collapses < MIN_COLLAPSES:
        out["result"] = None
    elif p < SIZE:
        out["result"] = True
    else:
        out["result"] = False if mds <= EXCESS_MATTERS else None
    return out


# ---------------------------------------------------------------- the verdict


def combine(results: list[bool | None]) -> str:
    """The figure's status from its checks' results: reproduced if all hold; partly if some hold and some fail;
    not reproduced if some fail and none holds; inconclusive if none fails but some cannot be decided."""
    if all(r is True for r in results):
        return "reproduced"
    if any(r is False for r in results):
        return "partly" if any(r is True for r in results) else "not reproduced"
    return "inconclusive"


def mode_collapse_verdict(evaluation: pd.DataFrame, runs: list[dict],
                          n_modes: dict[str, int]) -> tuple[str, str, list[tuple]]:
    """(status, summary, numbers) of the three checks on the mode-collapse targets (n_modes: target -> its
    number of modes), from `evaluation` (rows of the zoo's evaluation tables of those targets, with `variant`,
    `diverged` and `converged`) and `runs` (records of `zoo_table.annotate_runs`: status, `converged`, `modes`
    and `singular_values` per snapshot): no clear winner in mode coverage (`winner_check`, every target),
    spectral normalisation bounds sigma_max which grows without it (`spectral_norm_check`), collapse follows
    spikes of sigma_max (`spike_collapse_test`). Status by `combine`."""
    numbers, sentences, winners = [], [], []
    coverage = evaluation[(evaluation.quantity == "modes_covered") & (evaluation.method == "samples")
                          & (evaluation.discriminator == "plain")]
    converged = converged_only(coverage)
    for name, modes in n_modes.items():
        variants = list(dict.fromkeys(coverage[coverage.target == name].variant))
        cells = {v: converged[(converged.target == name) & (converged.variant == v)].value.to_numpy(float)
                 for v in variants}
        check = winner_check(cells, modes)
        winners.append(check["result"])
        numbers += winner_numbers(name, check)
        detail = (f"{check['best']} covers {check['best_mean']:.1f} of {modes} modes, {check['lead']:.2f} ahead of "
                  f"{check['runner_up']} (Welch p = {check['p']:.2g}; MDD {check['mdd']:.2f}, needed <= "
                  f"{check['matters']:.2f})" if check["best"] else "fewer than two objectives have converged runs")
        sentences.append(f"on {name} (fewest converged seeds {check['fewest']}) {detail}: {check['reason']}")
    no_winner = False if False in winners else True if all(winners) else None

    sn = spectral_norm_check(runs)
    numbers += [("max sigma_max with spectral normalisation after the first snapshot (every normalised run)",
                 sn["sn_max"], "", f"<= {SN_BOUND}", None if math.isnan(sn["sn_max"]) else sn["sn_max"] <= SN_BOUND),
                ("fewest converged plain seeds of a spectral-normalised rule's cell", sn["fewest"], "seeds",
                 f">= {MIN_SEEDS}", sn["fewest"] >= MIN_SEEDS),
                ("smallest growth of sigma_max without it (last / first snapshot; converged plain runs)",
                 sn["smallest_growth"], "", f">= {GROWTH}",
                 None if sn["fewest"] < MIN_SEEDS else bool(sn["smallest_growth"] >= GROWTH))]

    spikes = spike_collapse_test(runs, n_modes)
    enough = bool(spikes["cells"]) and spikes["collapses"] >= MIN_COLLAPSES
    numbers += [("spike test: converged plain non-critic runs read", spikes["runs"], "runs"),
                (f"spike test: (target, rule) cells left out for fewer than {MIN_SEEDS} converged seeds",
                 len(spikes["thin_cells"]), "cells"),
                ("spike test: testable snapshots", spikes["testable"], "snapshots"),
                ("spike test: spikes of sigma_max", spikes["spikes"], "spikes"),
                ("spike test: collapse events", spikes["collapses"], "events", f">= {MIN_COLLAPSES}",
                 spikes["collapses"] >= MIN_COLLAPSES),
                ("spike test: collapses at or within 2 snapshots after a spike", spikes["after"], "events"),
                ("spike test: share of collapses after a spike", spikes["share_after"], "share"),
                ("spike test: that share expected by chance (permutation mean)", spikes["null_share"], "share"),
                ("spike test: permutation p", spikes["p"], "", f"< {SIZE}",
                 bool(spikes["p"] < SIZE) if enough else None),
                (f"spike test: minimum detectable excess share ({SHIFT_FORMULA}, s = sqrt(p0 (1 - p0)))",
                 spikes["mds"], "share", f"<= {EXCESS_MATTERS} (to claim no link)",
                 bool(spikes["mds"] <= EXCESS_MATTERS) if enough else None),
                ("spike test: collapse rate at snapshots after a spike", spikes["rate_after"], "per snapshot"),
                ("spike test: collapse rate at other snapshots", spikes["rate_elsewhere"], "per snapshot")]

    distinct = evaluation.drop_duplicates(["target", "rule", "discriminator", "seed"])
    n_diverged, n_converged = int(distinct.diverged.astype(bool).sum()), len(converged_only(distinct))
    numbers += [("trained models", len(distinct), ""), ("diverged", n_diverged, ""),
                ("converged (the only runs used as evidence)", n_converged, "")]

    checks = [no_winner, sn["result"], spikes["result"]]
    held = ["no clear winner", "spectral normalisation bounds sigma_max, which grows without it",
            "collapse follows spikes of sigma_max"]
    word = {True: "holds", False: "does not hold", None: "inconclusive"}
    summary = (
        f"{len(distinct)} GANs trained on the mode-collapse targets: {n_converged} converged, "
        f"{len(distinct) - n_converged} did not ({n_diverged} diverged), shown hollow and not used as evidence. "
        f"No clear winner (converged plain runs, at least {MIN_SEEDS} seeds per objective; power {MDD_FORMULA} "
        f"at size {SIZE} and power 0.8): " + "; ".join(sentences) + ". "
        f"Spectral normalisation ({', '.join(sn['rules']) or 'no rule'}): sigma_max, the largest singular value "
        f"over the discriminator's layers, stays at most {sn['sn_max']:.3f} after the first snapshot (bound "
        f"{SN_BOUND}; Keras divides the kernel by its estimated norm before every call, so this checks the "
        f"implementation); without it, converged runs grow it by {sn['smallest_growth']:.2f}x or more (threshold "
        f"{GROWTH}x; fewest converged seeds per cell {sn['fewest']}). Collapse follows spikes: within "
        f"{spikes['runs']} converged plain runs of the non-critic rules, a collapse (modes covered by the "
        f"fixed-noise samples dropping by at least {COLLAPSE_SHARE:.0%} of the modes, and by {COLLAPSE_MIN_MODES} "
        f"or more, between consecutive snapshots) followed a spike (sigma_max >= {SPIKE_FACTOR}x the median of "
        f"the previous {SPIKE_WINDOW} snapshots) within {FOLLOW_SNAPSHOTS} snapshots in {spikes['after']} of "
        f"{spikes['collapses']} collapses ({spikes['spikes']} spikes in {spikes['testable']} snapshots), against "
        f"{spikes['null_share']:.2f} of them by chance (permutation p = {spikes['p']:.3g}; smallest detectable "
        f"excess {spikes['mds']:.2f}, at least {MIN_COLLAPSES} collapses needed). "
        + " ".join(f"{h.capitalize()}: {word[ok]}." for h, ok in zip(held, checks)))
    return combine(checks), summary, numbers


def density_run_numbers(evaluation: pd.DataFrame, density_targets: list[str]) -> tuple[str, list[tuple]]:
    """What the density runs add, beside the verdict: (a sentence, numbers) of each objective's exact KL both ways
    (nats, mean over seeds, plain discriminators) and the median |error| of each estimator against them."""
    if not density_targets:
        return "", []
    numbers, parts = [], []
    for name in density_targets:
        cells = evaluation[(evaluation.target == name) & (evaluation.discriminator == "plain")]
        exact = cells[cells.method == "exact"].pivot_table(index="variant", columns="quantity", values="value")
        for variant, row in exact.iterrows():
            numbers += [(f"{name}: exact KL[P||Q], {variant} (mean over seeds)", row["kl_pq"], NATS),
                        (f"{name}: exact KL[Q||P], {variant} (mean over seeds)", row["kl_qp"], NATS)]
        parts.append(f"on {name} the exact KL[P||Q] ranges from {exact['kl_pq'].min():.2f} "
                     f"({exact['kl_pq'].idxmin()}) to {exact['kl_pq'].max():.2f} ({exact['kl_pq'].idxmax()}) nats and "
                     f"KL[Q||P] from {exact['kl_qp'].min():.2f} ({exact['kl_qp'].idxmin()}) to "
                     f"{exact['kl_qp'].max():.2f} ({exact['kl_qp'].idxmax()})")
    estimates = evaluation[evaluation.target.isin(density_targets) & evaluation.error.notna()]
    for method, g in estimates.groupby("method"):
        numbers.append((f"density runs: median |error| of {method} estimates", float(g.error.abs().median()), NATS))
    return " Density runs (not in the verdict): " + "; ".join(parts) + ".", numbers
