"""nonsaturating-speed: does the non-saturating rule make the GAN converge faster than minimax?

The update-rule post (M-step): the non-saturating rule makes the algorithm "converge faster" than minimax (whose
gradient vanishes where the discriminator saturates, Goodfellow et al. 2014). The `speed` study
(`gandiv.gan.dynamics`) trains 1-D Gaussian GANs with both rules on a 1-D Gaussian P from the same fixed starts,
among them one where the discriminator saturates (the wgan-critic pair: P = N(0, 1), Q starting at N(10, 1)); each
run's steps to tolerance of the exact stationary point theta* = P is its rate (`gandiv.gan.trajectory`). Both rules'
runs train in one group, so the wall time per step is the same for both and the steps decide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.config_error import ConfigError
from gandiv.figures import dynamics_tables as dt
from gandiv.figures.evidence import MIN_SEEDS, RANK_FORMULA, smaller_p, smallest_rank_p
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.gan import dynamics
from gandiv.path_tokens import parse_number

ID = "nonsaturating-speed"
STUDY = "speed"
FAST, SLOW = "nonsaturating", "minimax"  # the claim: FAST converges in fewer steps than SLOW

SETTINGS = """
description: >-
  The non-saturating rule against minimax: steps to the stationary point from the same starts. Trains its own
  runs (the `speed` study): a Gaussian generator with both rules on the 1-D Gaussian `target`, with the `gan`
  section's settings except the steps, steps per call and start, from every start and seed.
type: object
additionalProperties: false
required: [target]
properties:
  target: {$ref: "#/$defs/dynamics_target"}
  start_means:
    description: >-
      The generator's initial means (x units; its sd starts at 1), no duplicates: near P, and far enough that
      the discriminator saturates (10 target sds: the wgan-critic pair).
    type: array
    minItems: 1
    uniqueItems: true
    items: {type: number}
    default: [2.0, 10.0]
  pi:
    $ref: "#/$defs/probability"
    default: 0.5
  seeds:
    $ref: "#/$defs/seed_list"
    default: [0, 1, 2, 3, 4]
  steps: {$ref: "#/$defs/dynamics_steps", default: 20000}
  steps_per_call: {$ref: "#/$defs/dynamics_steps_per_call", default: 100}
"""

NEEDS = Needs(("target", "start_means", "steps"), config=dt.CONFIG_KEYS, targets=("target",))


def check(settings, config) -> None:
    """The dynamics studies' rules (`dynamics.check_study`), and both rules' runs of a start in one training group
    (2 x seeds <= gan.group_size), so that they share the wall time per step (ConfigError naming the key)."""
    dynamics.check_study(ID, settings, config)
    size = config["gan"].get("group_size", 15)
    if 2 * len(settings["seeds"]) > size:
        raise ConfigError(f"figures.{ID}.seeds", f"{len(settings['seeds'])} seeds x 2 rules do not fit in one "
                                                 f"training group of gan.group_size {size}",
                          f"at most {size // 2} seeds (or a larger gan.group_size)")


def inputs(config) -> dict:
    """Every run's snapshots and status (`dynamics_tables.inputs`)."""
    return dt.inputs(config, STUDY)


def compute(ctx: Context) -> Computed:
    """The runs' outcome table (`dynamics_tables.outcome_table`; `variant` is start<m>); extras: the trajectories."""
    table, curves = dt.outcome_table(ctx.config, STUDY, ctx.inputs["snapshots"], ctx.inputs["status"])
    return Computed(table, extras={"curves": curves})


def start_of(variant: str) -> float:
    """m of a start<m> token (x units)."""
    return parse_number(variant.removeprefix("start"))


def wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per run, with its start mean."""
    return dt.runs_wide(table).assign(start=lambda w: w.variant.map(start_of))


def report_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per start and rule: runs, outcomes, median and range of steps and wall time to tolerance."""
    w = wide(table)
    n = dt.outcome_counts(w, ["start", "rule"]).reset_index()
    wall = w.groupby(["start", "rule"]).wall_s_to_tol.median().reset_index()
    return pd.DataFrame({"start mean (x units)": n.start, "rule": n.rule, "runs": n.runs, "converged": n.converged,
                         "oscillating or diverged": n.unstable,
                         "median steps to tolerance": n.median_steps_to_tol.round(0),
                         "range of steps": n.steps_range,
                         "median wall time to tolerance (s, group)": wall.wall_s_to_tol.round(1)})


def draw(computed: Computed, ctx: Context):
    """Per start: every run's distance to theta* against steps (log scale), coloured by rule."""
    starts = list(ctx.settings["start_means"])
    tol = dt.tolerance(ctx.config)[0]
    fig, axes = figure(ncols=len(starts), width=4.2, height=3.3)
    colours = {SLOW: "tab:blue", FAST: "tab:orange"}
    for ax, start in zip(axes[0], starts):
        for (rule, variant, _, _), (steps, distance) in computed.extras["curves"].items():
            if start_of(variant) == start:
                ax.plot(steps, np.maximum(distance, 1e-4), color=colours.get(rule, "0.5"), lw=0.7, alpha=0.8)
        ax.axhline(tol, color="0.3", ls="--", lw=0.8, label=f"tolerance {tol:g}")
        for rule, colour in colours.items():
            ax.plot([], [], color=colour, label=rule)
        ax.set_yscale("log")
        ax.set_xlabel("generator step")
        ax.set_ylabel("distance to θ* (target scales)")
        ax.set_title(f"start N({start:g}, 1), P = {ctx.settings['target']}", fontsize=9)
        ax.legend(fontsize=7)
    return fig


def start_reading(fast: np.ndarray, slow: np.ndarray) -> tuple[str, float, float]:
    """At one start: "faster" if the FAST rule's censored steps are smaller (RANK_FORMULA, p < 0.05), "slower" if
    larger, "no difference" otherwise, "untestable" if no run of either rule converged (every value ties at the
    budget); with both one-sided p values."""
    p_fast, p_slow = smaller_p(fast, slow), smaller_p(slow, fast)
    budget = max(np.max(fast, initial=0.0), np.max(slow, initial=0.0))
    if np.all(np.concatenate([fast, slow]) == budget) and budget > 0:
        return "untestable", p_fast, p_slow
    return ("faster" if p_fast < 0.05 else "slower" if p_slow < 0.05 else "no difference"), p_fast, p_slow


def judge(computed: Computed, ctx: Context) -> dict:
    """At each start, the runs' steps to tolerance (runs that did not converge count as slower than every run that
    did) of the non-saturating rule against minimax, by a one-sided rank test each way (`start_reading`).
    Reproduced if non-saturating is faster at every start, partly if at some, not reproduced if at none (with at
    least MIN_SEEDS runs per rule and start, enough for p < 0.05 on a complete separation), inconclusive if a cell
    has fewer runs or, with no start faster, no run converged at some start (nothing to compare there)."""
    w, budget = wide(computed.table), int(ctx.settings["steps"])
    starts = list(ctx.settings["start_means"])
    readings, numbers = {}, []
    fewest = int(w.groupby(["start", "rule"]).size().min()) if len(w) else 0
    numbers.append(("fewest runs per rule and start", fewest, "runs", f">= {MIN_SEEDS}", fewest >= MIN_SEEDS))
    for start in starts:
        fast, slow = (w[(w.start == start) & (w.rule == rule)] for rule in (FAST, SLOW))
        reading, p_fast, p_slow = start_reading(dt.censored(fast, budget), dt.censored(slow, budget))
        readings[start] = reading
        numbers += [(f"start {start:g}: {FAST} median steps to tolerance", fast.steps_to_tol.median(), "steps"),
                    (f"start {start:g}: {SLOW} median steps to tolerance", slow.steps_to_tol.median(), "steps"),
                    (f"start {start:g}: converged runs, {FAST} / {SLOW}",
                     int((fast.outcome == "converged").sum()), f"/ {int((slow.outcome == 'converged').sum())}"),
                    (f"start {start:g}: p that {FAST} is faster ({RANK_FORMULA})", p_fast, "p", "< 0.05",
                     p_fast < 0.05),
                    (f"start {start:g}: p that {SLOW} is faster", p_slow, "p"),
                    (f"start {start:g}: smallest p the runs allow", smallest_rank_p(len(fast), len(slow)), "p")]
    faster = [s for s, r in readings.items() if r == "faster"]
    said = "; ".join(f"from N({s:g}, 1) no run of either rule converged" if r == "untestable" else
                     f"from N({s:g}, 1) {FAST} is {'as fast as' if r == 'no difference' else r + ' than'} {SLOW}"
                     for s, r in readings.items())
    if fewest < MIN_SEEDS:
        status, text = "inconclusive", f"a (rule, start) cell has {fewest} runs ({MIN_SEEDS} needed)"
    elif len(faster) == len(starts):
        status, text = "reproduced", said
    elif faster:
        status, text = "partly", said
    elif "untestable" in readings.values():
        status, text = "inconclusive", said
    else:
        status, text = "not reproduced", said
    summary = f"{len(w)} runs on {ctx.settings['target']}, steps to within the tolerance of θ* = P: {text}."
    return verdict(ID, status, summary, numbers)
