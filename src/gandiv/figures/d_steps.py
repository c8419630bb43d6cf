"""d-steps: do a few discriminator steps per generator step regularise and stabilise GAN training?

The update-rule post (D-step): "a single or a few gradient steps ... act as a regulariser preventing D from
overfitting and stabilise the algorithm somewhat". The `dsteps` study (`gandiv.gan.dynamics`) trains 1-D Gaussian
GANs on a 1-D Gaussian P from one fixed start with k discriminator steps per generator step, for every k, rule and
seed; each run's outcome and rate are measured against the exact stationary point theta* = P
(`gandiv.gan.trajectory`). If few D-steps stabilise training, runs with the fewest are less often unstable
(oscillating or diverged) than runs with the most.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from gandiv.config_error import ConfigError
from gandiv.figures import dynamics_tables as dt
from gandiv.figures.evidence import FISHER_FORMULA, MIN_SEEDS, fewest_for_share_difference, share_smaller_p
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.gan import dynamics

ID = "d-steps"
STUDY = "dsteps"

SETTINGS = """
description: >-
  Discriminator steps per generator step as a regulariser. Trains its own runs (the `dsteps` study): a Gaussian
  generator with each rule on the 1-D Gaussian `target`, with the `gan` section's settings except the D-steps,
  steps, steps per call and start, for every number of D-steps and seed.
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
    default: [minimax, nonsaturating]
  d_steps:
    description: Discriminator steps per generator step, increasing (the first and last decide the verdict).
    type: array
    minItems: 2
    uniqueItems: true
    items: {type: integer, minimum: 1, maximum: 50}  # unrolled inside the compiled step (gandiv.gan.model)
    default: [1, 2, 5, 20]
  pi:
    $ref: "#/$defs/probability"
    default: 0.5
  seeds:
    $ref: "#/$defs/seed_list"
    default: [0, 1, 2, 3, 4]
  start_mean: {$ref: "#/$defs/dynamics_start_mean", default: 2.0}
  steps: {$ref: "#/$defs/dynamics_steps", default: 8000}
  steps_per_call: {$ref: "#/$defs/dynamics_steps_per_call", default: 100}
"""

NEEDS = Needs(("target", "rules", "d_steps", "pi", "start_mean", "steps", "steps_per_call"),
              config=(*dt.CONFIG_KEYS, "gan.optimizer"), targets=("target",))


def check(settings, config) -> None:
    """The dynamics studies' rules (`dynamics.check_study`) and increasing d_steps (ConfigError naming the key)."""
    dynamics.check_study(ID, settings, config)
    if list(settings["d_steps"]) != sorted(settings["d_steps"]):
        raise ConfigError(f"figures.{ID}.d_steps", f"{settings['d_steps']} is not increasing",
                          "an increasing list of D-steps")


def inputs(config) -> dict:
    """Every run's snapshots and status (`dynamics_tables.inputs`)."""
    return dt.inputs(config, STUDY)


def compute(ctx: Context) -> Computed:
    """The runs' outcome table (`dynamics_tables.outcome_table`; `variant` is dsteps<k>) and, as the limit of many
    D-steps, each rule's path with the ideal discriminator (`dynamics_tables.ideal_outcomes`, variant `ideal`);
    extras: the trajectories."""
    table, curves = dt.outcome_table(ctx.config, STUDY, ctx.inputs["snapshots"], ctx.inputs["status"])
    ideal, ideal_curves = dt.ideal_outcomes(ctx.config, STUDY, ctx.settings["rules"], ctx.settings["pi"],
                                            ctx.settings["start_mean"])
    return Computed(pd.concat([table, ideal], ignore_index=True), extras={"curves": curves | ideal_curves})


def d_of(variant: str) -> int:
    """k of a dsteps<k> token."""
    return int(variant.removeprefix("dsteps"))


def counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per (rule, D-steps) cell of the trained runs: `dynamics_tables.outcome_counts`."""
    wide = dt.runs_wide(table)
    wide = wide[wide.variant != dt.IDEAL].assign(d_steps=lambda w: w.variant.map(d_of))
    return dt.outcome_counts(wide, ["rule", "d_steps"])


def report_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per rule and D-steps: runs, each outcome, median steps to tolerance; then each rule's ideal discriminator."""
    n = counts(table).reset_index()
    wide = dt.runs_wide(table)
    ideal = dt.outcome_counts(wide[wide.variant == dt.IDEAL], ["rule"]).reset_index().assign(d_steps="ideal D")
    n = pd.concat([n, ideal], ignore_index=True)
    return pd.DataFrame({"rule": n.rule, "D-steps per G-step": n.d_steps, "runs": n.runs,
                         "converged": n.converged, "oscillating": n.oscillating, "diverged": n.diverged,
                         "travelling or stalled": n.travelling + n.stalled,
                         "median steps to tolerance (converged)": n.median_steps_to_tol.round(0),
                         "range over seeds": n.steps_range})


def draw(computed: Computed, ctx: Context):
    """Per rule: every run's distance to theta* against steps (log scale), coloured by its D-steps; last panel: the
    share of unstable runs and the median steps to tolerance against D-steps."""
    rules, ds = list(ctx.settings["rules"]), list(ctx.settings["d_steps"])
    tol = dt.tolerance(ctx.config)[0]
    fig, axes = figure(ncols=len(rules) + 1, width=4.0, height=3.3)
    colours = dict(zip(ds, plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(ds)))))
    for ax, rule in zip(axes[0], rules):
        for (r, variant, _, _), (steps, distance) in computed.extras["curves"].items():
            if r == rule and variant == dt.IDEAL:
                ax.plot(steps, np.maximum(distance, 1e-4), color="k", lw=1.5, ls="--", label="ideal D (quadrature)")
            elif r == rule:
                ax.plot(steps, np.maximum(distance, 1e-4), color=colours[d_of(variant)], lw=0.7, alpha=0.8)
        ax.axhline(tol, color="0.3", ls="--", lw=0.8)
        for d in ds:
            ax.plot([], [], color=colours[d], label=f"{d} D-step{'s' if d > 1 else ''}")
        ax.set_yscale("log")
        ax.set_xlabel("generator step")
        ax.set_ylabel("distance to θ* (target scales; floor 1e-4)")
        ax.set_title(f"{rule}: runs from N({ctx.settings['start_mean']:g}, 1)", fontsize=9)
        ax.legend(fontsize=7)
    n = counts(computed.table).reset_index()
    ax = axes[0, -1]
    for rule, marker in zip(rules, "os^"):
        cell = n[n.rule == rule]
        ax.plot(cell.d_steps, cell.unstable / cell.runs, marker + "-", label=f"{rule}: unstable share")
    ax.set_xscale("log")
    ax.set_xticks(ds, [str(d) for d in ds])
    ax.minorticks_off()
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("D-steps per generator step")
    ax.set_ylabel("share of runs oscillating or diverged")
    twin = ax.twinx()
    for rule, marker in zip(rules, "os^"):
        cell = n[n.rule == rule]
        twin.plot(cell.d_steps, cell.median_steps_to_tol, marker + ":", color="0.4",
                  label=f"{rule}: median steps to tol.")
    twin.set_ylabel("median steps to tolerance (converged runs)")
    ax.legend(fontsize=7, loc="upper left")
    twin.legend(fontsize=7, loc="lower right")
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """Pooled over rules, the unstable runs (oscillating or diverged) with the fewest D-steps against those with the
    most, by a one-sided Fisher exact test (FISHER_FORMULA): reproduced if fewer with the fewest (p < 0.05); not
    reproduced if their share is no smaller; inconclusive if it is smaller but not significantly, or if a
    (rule, D-steps) cell has fewer than MIN_SEEDS runs."""
    n = counts(computed.table)
    few, many = min(ctx.settings["d_steps"]), max(ctx.settings["d_steps"])
    at = {d: n.xs(d, level="d_steps") for d in (few, many)}
    u_few, n_few = int(at[few].unstable.sum()), int(at[few].runs.sum())
    u_many, n_many = int(at[many].unstable.sum()), int(at[many].runs.sum())
    p = share_smaller_p(u_few, n_few, u_many, n_many)
    fewest_cell = int(n.runs.min()) if len(n) else 0
    fewest = fewest_for_share_difference(n_few, n_many)
    numbers = [("fewest runs in a (rule, D-steps) cell", fewest_cell, "runs", f">= {MIN_SEEDS}",
                fewest_cell >= MIN_SEEDS),
               (f"unstable runs with {few} D-step(s)", u_few, f"of {n_few}"),
               (f"unstable runs with {many} D-steps", u_many, f"of {n_many}"),
               (f"p that {few} D-step(s) are less often unstable than {many} ({FISHER_FORMULA})", p, "p", "< 0.05",
                p < 0.05),
               (f"power: fewest unstable of {n_many} runs with {many} D-steps that p < 0.05 needs when none with "
                f"{few} is", np.nan if fewest is None else fewest, "runs")]
    for (rule, d), row in n.iterrows():
        numbers += [(f"{rule}, {d} D-steps: converged", int(row.converged), f"of {int(row.runs)}"),
                    (f"{rule}, {d} D-steps: median steps to tolerance", row.median_steps_to_tol, "steps")]
    wide = dt.runs_wide(computed.table)
    for _, row in wide[wide.variant == dt.IDEAL].iterrows():
        numbers += [(f"{row.rule}, ideal discriminator (gradients by quadrature): steps to tolerance ({row.outcome})",
                     row.steps_to_tol, "steps"),
                    (f"{row.rule}, ideal discriminator: largest change of its path on a grid twice as fine",
                     row.quadrature_error, "target scales")]
    share_few, share_many = u_few / max(n_few, 1), u_many / max(n_many, 1)
    if fewest_cell < MIN_SEEDS:
        status, text = "inconclusive", f"a cell has {fewest_cell} runs ({MIN_SEEDS} needed)"
    elif p < 0.05:
        status, text = "reproduced", (f"{u_few} of {n_few} runs with {few} D-step(s) are unstable against {u_many} of "
                                      f"{n_many} with {many}: few D-steps stabilise training")
    elif share_few >= share_many:
        status = "not reproduced"
        if u_many == 0:
            text = (f"no run was unstable with {few} or with {many} D-steps: many D-steps did not destabilise "
                    f"training, so there was nothing for few to prevent"
                    + (f" ({fewest} unstable of {n_many} with {many} would have shown an effect)" if fewest else ""))
        elif share_few > share_many:
            text = (f"runs with {few} D-step(s) were more often unstable ({u_few} of {n_few}) than with {many} "
                    f"({u_many} of {n_many})")
        else:
            text = f"runs were as often unstable with {few} D-step(s) as with {many} ({u_few} of {n_few} each)"
    else:
        status, text = "inconclusive", (f"fewer unstable runs with {few} D-step(s) ({u_few}/{n_few}) than with {many} "
                                        f"({u_many}/{n_many}), but not significantly (p = {p:.2g})")
    summary = (f"{int(n.runs.sum())} runs on {ctx.settings['target']} from N({ctx.settings['start_mean']:g}, 1), "
               f"D-steps {', '.join(map(str, ctx.settings['d_steps']))}: {text}.")
    return verdict(ID, status, summary, numbers)
