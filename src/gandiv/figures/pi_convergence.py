"""pi-convergence: does moving pi away from 1/2 harm the convergence of GAN training?

The note, right after eq. 18: moving pi away from 1/2 "may have adverse effects on the convergence properties of the
algorithm, which we have not investigated". The `piconv` study (`gandiv.gan.dynamics`) investigates it: 1-D Gaussian
GANs on a 1-D Gaussian P (where theta* = P for every pi, so pi changes the dynamics, not the destination) from one
fixed start, at every pi of its grid, with pi as loss weights and as the real share of each batch; each run's outcome
and rate are measured by `gandiv.gan.trajectory`. An adverse effect at an end pi is more unstable runs (oscillating
or diverged) or more steps to tolerance than at the pi nearest 1/2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.config_error import ConfigError
from gandiv.figures import dynamics_tables as dt
from gandiv.figures.evidence import (FISHER_FORMULA, MIN_SEEDS, RANK_FORMULA, share_smaller_p, smaller_p,
                                     smallest_rank_p)
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.gan import dynamics
from gandiv.gan.trajectory import UNSTABLE

ID = "pi-convergence"
STUDY = "piconv"
SIZE = 0.05  # family-wise: each comparison is tested at SIZE / (number of comparisons), Bonferroni

SETTINGS = """
description: >-
  Convergence against pi. Trains its own runs (the `piconv` study): a Gaussian generator with each rule on the
  1-D Gaussian `target`, with the `gan` section's settings except pi_mode, the steps, steps per call and start,
  at every pi, pi mode and seed.
type: object
additionalProperties: false
required: [target]
properties:
  target: {$ref: "#/$defs/dynamics_target"}
  rules:
    description: Update rules to train, no duplicates.
    type: array
    minItems: 1
    uniqueItems: true
    items: {$ref: "#/$defs/gan_grid_rule"}
    default: [minimax]
  pi:
    description: >-
      Priors to train at, increasing, no duplicates; the two ends are compared with the one nearest 1/2.
    type: array
    minItems: 3
    uniqueItems: true
    items: {$ref: "#/$defs/probability"}
    default: [0.1, 0.3, 0.5, 0.7, 0.9]
  pi_modes:
    description: How pi enters the discriminator's training (as `gan.pi_mode`), no duplicates.
    type: array
    minItems: 1
    uniqueItems: true
    items: {type: string, enum: [weights, batch]}
    default: [weights, batch]
  seeds:
    $ref: "#/$defs/seed_list"
    default: [0, 1, 2, 3, 4]
  start_mean: {$ref: "#/$defs/dynamics_start_mean", default: 2.0}
  steps: {$ref: "#/$defs/dynamics_steps", default: 12000}
  steps_per_call: {$ref: "#/$defs/dynamics_steps_per_call", default: 100}
"""

NEEDS = Needs(("target", "rules", "pi", "pi_modes", "start_mean", "steps"), config=dt.CONFIG_KEYS,
              targets=("target",))


def check(settings, config) -> None:
    """The dynamics studies' rules (`dynamics.check_study`) and an increasing pi grid (ConfigError naming the key)."""
    dynamics.check_study(ID, settings, config)
    if list(settings["pi"]) != sorted(settings["pi"]):
        raise ConfigError(f"figures.{ID}.pi", f"{settings['pi']} is not increasing", "an increasing list of pi")


def inputs(config) -> dict:
    """Every run's snapshots and status (`dynamics_tables.inputs`)."""
    return dt.inputs(config, STUDY)


def compute(ctx: Context) -> Computed:
    """The runs' outcome table (`dynamics_tables.outcome_table`; `variant` is the pi mode); extras: the
    trajectories."""
    table, curves = dt.outcome_table(ctx.config, STUDY, ctx.inputs["snapshots"], ctx.inputs["status"])
    return Computed(table, extras={"curves": curves})


def report_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per pi mode and pi: runs, outcomes, median steps to tolerance."""
    n = dt.outcome_counts(dt.runs_wide(table), ["variant", "pi"]).reset_index()
    return pd.DataFrame({"π enters as": n.variant, "π": n.pi, "runs": n.runs, "converged": n.converged,
                         "oscillating": n.oscillating, "diverged": n.diverged,
                         "travelling or stalled": n.travelling + n.stalled,
                         "median steps to tolerance (converged)": n.median_steps_to_tol.round(0),
                         "range over seeds": n.steps_range})


def draw(computed: Computed, ctx: Context):
    """Per pi mode: each run's steps to tolerance against pi (crosses at the budget: did not converge) with each
    rule's median, and on a second axis the share of unstable runs (oscillating or diverged) per pi."""
    modes, budget = list(ctx.settings["pi_modes"]), int(ctx.settings["steps"])
    w = dt.runs_wide(computed.table)
    fig, axes = figure(ncols=len(modes), width=4.4, height=3.3)
    for ax, mode in zip(axes[0], modes):
        rows = w[w.variant == mode]
        twin = ax.twinx()
        for rule, colour in zip(ctx.settings["rules"], ["tab:blue", "tab:orange", "tab:green"]):
            r = rows[rows.rule == rule]
            done = r[r.outcome == "converged"]
            ax.plot(done.pi, done.steps_to_tol, "o", ms=3, color=colour, alpha=0.7)
            missed = r[r.outcome != "converged"]
            if len(missed):
                ax.plot(missed.pi, np.full(len(missed), budget), "x", color=colour, label=f"{rule}: not converged")
            med = done.groupby("pi").steps_to_tol.median()
            ax.plot(med.index, med.to_numpy(), "-", color=colour, label=f"{rule}: median steps to tolerance")
            unstable = r.groupby("pi").outcome.apply(lambda o: float(o.isin(UNSTABLE).mean()))
            twin.plot(unstable.index, unstable.to_numpy(), "s:", ms=3, color=colour, alpha=0.6,
                      label=f"{rule}: unstable share")
        twin.set_ylim(-0.05, 1.05)
        twin.set_ylabel("share oscillating or diverged")
        ax.set_xlabel("π")
        ax.set_ylabel("steps to tolerance" + (" (× at the budget)" if (rows.outcome != "converged").any() else ""))
        ax.set_title(f"π as {'loss weights' if mode == 'weights' else 'the real share of each batch'}", fontsize=9)
        ax.legend(fontsize=7, loc="upper center")
        twin.legend(fontsize=7, loc="center right")
    return fig


def comparisons(w: pd.DataFrame, settings, budget: int) -> list[dict]:
    """For each rule, pi mode and end pi: its unstable runs and censored steps against those at the pi nearest 1/2,
    with the one-sided p of each adverse effect (more unstable: FISHER_FORMULA; slower: RANK_FORMULA)."""
    pis = list(settings["pi"])
    centre = min(pis, key=lambda p: (abs(p - 0.5), p))
    found = []
    for rule in settings["rules"]:
        for mode in settings["pi_modes"]:
            at = {pi: w[(w.rule == rule) & (w.variant == mode) & (w.pi == pi)] for pi in pis}
            base = at[centre]
            u_base = int(base.outcome.isin(UNSTABLE).sum())
            for end in (pis[0], pis[-1]):
                if end == centre:
                    continue
                cell = at[end]
                u_end = int(cell.outcome.isin(UNSTABLE).sum())
                found.append({"rule": rule, "mode": mode, "pi": end, "centre": centre, "runs": len(cell),
                              "centre_runs": len(base), "unstable": u_end, "centre_unstable": u_base,
                              "converged": int((cell.outcome == "converged").sum()),
                              "centre_converged": int((base.outcome == "converged").sum()),
                              "p_unstable": share_smaller_p(u_base, len(base), u_end, len(cell)),
                              "p_slower": smaller_p(dt.censored(base, budget), dt.censored(cell, budget)),
                              "p_faster": smaller_p(dt.censored(cell, budget), dt.censored(base, budget)),
                              "median": cell.steps_to_tol.median(), "centre_median": base.steps_to_tol.median()})
    return found


def reachable(c: dict, level: float) -> bool:
    """Whether a comparison (`comparisons`) could show an adverse effect at `level`: the smaller of the smallest p
    of its rank test (`smallest_rank_p`) and of its Fisher test (none unstable near 1/2, all at the end) is below
    it."""
    fisher = share_smaller_p(0, c["centre_runs"], c["runs"], c["runs"])
    return min(smallest_rank_p(c["runs"], c["centre_runs"]), fisher) < level


def judge(computed: Computed, ctx: Context) -> dict:
    """Each end pi against the pi nearest 1/2, per rule and pi mode, for more unstable runs (FISHER_FORMULA) and more
    steps to tolerance (RANK_FORMULA, runs that did not converge counting as slowest), every test at SIZE divided by
    the number of tests (Bonferroni). Reproduced if some end pi has an adverse effect; not reproduced if none has;
    inconclusive if a cell has fewer than MIN_SEEDS runs, or, with no adverse effect found, if some comparison could
    not have found one: its runs cannot reach the corrected level even when completely separated (`reachable`), or
    none of them converged or was unstable (nothing to compare)."""
    w, budget = dt.runs_wide(computed.table), int(ctx.settings["steps"])
    found = comparisons(w, ctx.settings, budget)
    level = SIZE / max(2 * len(found), 1)
    fewest = int(w.groupby(["rule", "variant", "pi"]).size().min()) if len(w) else 0
    numbers = [("fewest runs in a (rule, π mode, π) cell", fewest, "runs", f">= {MIN_SEEDS}", fewest >= MIN_SEEDS),
               ("level of each test (0.05 / tests, Bonferroni)", level, "p")]
    adverse, helped = [], []
    for c in found:
        name = f"{c['rule']}, π as {c['mode']}, π={c['pi']:g} against π={c['centre']:g}"
        numbers += [(f"{name}: unstable runs", c["unstable"], f"of {c['runs']} (against {c['centre_unstable']} of "
                                                             f"{c['centre_runs']})"),
                    (f"{name}: p of more unstable runs ({FISHER_FORMULA})", c["p_unstable"], "p", f"< {level:.3g}",
                     c["p_unstable"] < level),
                    (f"{name}: median steps to tolerance", c["median"], f"steps (against {c['centre_median']:.0f})"),
                    (f"{name}: p of more steps ({RANK_FORMULA})", c["p_slower"], "p", f"< {level:.3g}",
                     c["p_slower"] < level),
                    (f"{name}: p of fewer steps", c["p_faster"], "p"),
                    (f"{name}: smallest p the runs allow", smallest_rank_p(c["runs"], c["centre_runs"]), "p")]
        if c["p_unstable"] < level or c["p_slower"] < level:
            adverse.append(name)
        elif c["p_faster"] < level:
            helped.append(name)
    blind = [c for c in found if not reachable(c, level)]
    idle = [c for c in found if c["converged"] + c["centre_converged"] + c["unstable"] + c["centre_unstable"] == 0]
    if fewest < MIN_SEEDS:
        status, text = "inconclusive", f"a cell has {fewest} runs ({MIN_SEEDS} needed)"
    elif adverse:
        status, text = "reproduced", "adverse effects: " + "; ".join(adverse)
    elif blind:
        status, text = "inconclusive", (f"no adverse effect found, but {len(blind)} comparison(s) cannot reach the "
                                        f"corrected level {level:.3g} even on a complete separation: more seeds needed")
    elif idle:
        status, text = "inconclusive", (f"no adverse effect found, but in {len(idle)} comparison(s) no run converged "
                                        f"or was unstable: nothing to compare")
    else:
        status = "not reproduced"
        text = ("no end π converges less often or more slowly than π near 1/2"
                + (f"; faster: {'; '.join(helped)}" if helped else ""))
    summary = (f"{len(w)} runs on {ctx.settings['target']} from N({ctx.settings['start_mean']:g}, 1), π "
               f"{', '.join(f'{p:g}' for p in ctx.settings['pi'])}: {text}.")
    return verdict(ID, status, summary, numbers)
