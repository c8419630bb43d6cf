"""critic-w1: the WGAN critic's gap E_P f - E_Q f against the Wasserstein-1 distance, through training.

The sources (the lecture's Kantorovich-Rubinstein section, the intro post) say a critic kept Lipschitz, by
clipped weights or a gradient penalty, makes the GAN "fit the W-distance": by the duality
W1[P, Q] = sup over 1-Lipschitz f of E_P f - E_Q f, the trained critic's gap estimates W1. This figure puts the
two side by side for the objectives zoo's critic runs (gandiv.gan.runs, study `zoo`), at every snapshot:

- the gap: the critic's mean output on P's samples minus on Q's, as the run's history records it (averaged over
  the compiled chunk that ends at the snapshot, `real_logit - fake_logit`);
- W1 between P and the generator at the snapshot: exact for a Gaussian generator in 1-D (its mean and sd read
  off the fixed-noise snapshot, x = mu + sd z; W1 = int |F_P - F_Q| dx by quadrature, with the change on a grid
  twice as fine as its error); otherwise an estimate, the optimal-transport cost between the snapshot's samples
  and as many of P's (POT's exact network simplex, `ot.emd2`), with its error from a sample-size sweep at the
  final snapshot.

With clipping the critic is Lipschitz with an unknown constant K, so its gap can only track K W1; with the
gradient penalty it is softly 1-Lipschitz, so the gap should approach W1 from below as the critic converges.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from gandiv.config_error import ConfigError
from gandiv.exact import divergences as dv
from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.gan import runs as gan_runs
from gandiv.results_io import read_csv, read_gan_run, read_npz
from gandiv.samples.transport import ot_sweep, ot_w1
from gandiv.seeding import run_streams
from gandiv.update_rules import UpdateRule

ID = "critic-w1"
CRITIC_RULES = (UpdateRule.WGAN.value, UpdateRule.WGAN_GP.value)

SETTINGS = """
description: >-
  The critic's gap E_P f - E_Q f of the objectives zoo's critic runs against W1 between P and the generator,
  through training: exact for a Gaussian generator in 1-D, an optimal-transport estimate (POT) otherwise.
type: object
additionalProperties: false
properties:
  targets:
    description: Targets of the objectives zoo whose critic runs are read (its `targets` or density-run targets).
    type: array
    minItems: 1
    uniqueItems: true
    items: {$ref: "#/$defs/target_name"}
    default: [bimodal_1d, ring8, grid25]
  rules:
    description: The zoo's critic rules to read (each also in `figures.objectives-zoo.rules`).
    type: array
    minItems: 1
    uniqueItems: true
    items: {enum: [wgan, wgan_gp]}
    default: [wgan, wgan_gp]
  ot_samples:
    description: Samples of P and of the generator per optimal-transport estimate through training.
    type: integer
    minimum: 10
    default: 500
  min_runs:
    description: Runs with a finite history per (target, rule) below which its verdict is inconclusive.
    type: integer
    minimum: 2
    default: 5
"""
NEEDS = Needs(settings=None, config=("seed",), targets=("targets",))
TRACKS = 0.7  # Spearman rank correlation of gap and W1 over a cell's (run, snapshot) points at least this: tracks
POWER = (0.5, 2.0)  # the slope of log gap on log W1 within this: the gap grows like W1 (a multiple K W1 has slope 1)
SCALE = (0.5, 2.0)  # the gradient-penalty critic's median gap / W1 at the final snapshot within this: estimates W1
VARIES = 5.0  # W1's range over a cell must exceed 5x its largest error for the correlation to mean anything
MIN_POINTS = 10  # (run, snapshot) points per cell below which a rank correlation is not evidence (3 points: 1/6)
W1_GRIDS = (dv.KINKED_POINTS_PER_SD, 2 * dv.KINKED_POINTS_PER_SD)  # the 1-D quadrature and its refinement


def check(settings: Mapping, config: Mapping) -> None:
    """Targets and rules are among the objectives zoo's (ConfigError naming the key and the allowed values)."""
    zoo = config["figures"].get(gan_runs.ZOO)
    if zoo is None:
        raise ConfigError(f"figures.{ID}", "reads the objectives zoo's critic runs, but the config has no zoo",
                          f"a `figures.{gan_runs.ZOO}` section with wgan or wgan_gp among its rules")
    zoo_targets = zoo["targets"] + zoo["density_runs"]["targets"]
    for i, target in enumerate(settings["targets"]):
        if target not in zoo_targets:
            raise ConfigError(f"figures.{ID}.targets[{i}]", f"{target!r} has no zoo runs",
                              "targets of the objectives zoo: " + ", ".join(zoo_targets))
    for i, rule in enumerate(settings["rules"]):
        if rule not in zoo["rules"]:
            raise ConfigError(f"figures.{ID}.rules[{i}]", f"the zoo does not train {rule!r}",
                              "critic rules of `figures.objectives-zoo.rules`: "
                              + ", ".join(r for r in zoo["rules"] if r in CRITIC_RULES))


def critic_runs(config: Mapping) -> list[gan_runs.GanRun]:
    """The zoo's runs this figure reads: its targets and rules, plain critics, every zoo seed."""
    settings = config["figures"][ID]
    return [run for run in gan_runs.zoo_runs(config) if run.target in settings["targets"]
            and run.update_rule in settings["rules"] and run.discriminator == "plain"]


def inputs(config: Mapping) -> dict:
    """Each critic run's status, snapshots and history (same order in the three lists)."""
    runs = critic_runs(config)
    return {"statuses": [run.file("status.json") for run in runs],
            "snapshots": [run.file("snapshots.npz") for run in runs],
            "histories": [run.file("history.csv") for run in runs]}


def gaussian_from_snapshot(samples: np.ndarray, noise: np.ndarray) -> GaussianMixture:
    """The 1-D Gaussian generator x = mu + sd z, read off its samples at known noise by least squares."""
    design = np.column_stack([np.ones(len(noise)), noise[:, 0]])
    (mu, sd), *_ = np.linalg.lstsq(design, samples[:, 0].astype(float), rcond=None)
    return gaussian([float(mu)], [[float(sd) ** 2]])


def exact_w1(p: GaussianMixture, q: GaussianMixture) -> tuple[float, float]:
    """W1 in 1-D by quadrature of |F_P - F_Q| (nats do not apply: units of x), with the change on a finer grid."""
    coarse, fine = (dv.wasserstein1(p, q, points_per_sd=n) for n in W1_GRIDS)
    return coarse, abs(fine - coarse)


def compute(ctx: Context) -> Computed:
    """Per run and snapshot: the critic's gap and W1 (exact or estimated), each with its error."""
    rows = []
    n_ot = ctx.settings["ot_samples"]
    for status_path, snap_path, hist_path in zip(ctx.inputs["statuses"], ctx.inputs["snapshots"],
                                                 ctx.inputs["histories"]):
        status, snaps = read_gan_run(status_path, snap_path)
        snaps |= read_npz(snap_path, required=("noise",))  # the fixed noise the snapshots are taken at
        history = read_csv(hist_path, required=("step", "real_logit", "fake_logit")).set_index("step")
        target, rule, seed = status["target"], status["rule"], int(status["seed"])
        p = ctx.target(target)
        base = {"target": target, "rule": rule, "seed": seed}
        exact = status["generator"] == "gaussian" and p.dim == 1
        if not exact:
            final = snaps["samples"][-1]
            rng = run_streams(ctx.seed, {"job": ID, **base}).numpy("evaluation")
            reference = p.sample(len(final), rng)  # P's samples: the first n are paired with the generator's first n
            n = min(n_ot, len(final))
            sweep = ot_sweep(final, reference, n)
            # the error measured at the final snapshot stands for every snapshot's (a sweep at each would cost
            # minutes per run): the bias depends on the two laws, which move little once training settles
            error = sweep["error_at_n_ot"]
            rows += [base | {"step": int(snaps["steps"][-1]), "quantity": f"w1_sweep_n{size}", "value": mean,
                             "unit": "x units", "error": spread, "kind": "estimate (POT, mean of disjoint repeats)"}
                     for size, (mean, spread) in sweep["sizes"].items()]
            rows.append(base | {"step": int(snaps["steps"][-1]), "quantity": "w1_large_sample_limit",
                                "value": sweep["w_inf"], "unit": "x units", "error": error,
                                "kind": "estimate (fit W_inf + c n^-1/2)"})
        for k, step in enumerate(snaps["steps"]):
            step = int(step)
            if step not in history.index:
                continue
            gap = float(history.loc[step, "real_logit"] - history.loc[step, "fake_logit"])
            samples = snaps["samples"][k]
            if not np.isfinite(samples).all() or not np.isfinite(gap):
                continue  # a diverged run's snapshot (gandiv.gan.recorder)
            if exact:
                w1, w1_error = exact_w1(p, gaussian_from_snapshot(samples, snaps["noise"]))
                kind = "exact"
            else:
                w1, w1_error, kind = ot_w1(samples[:n], reference[:n]), error, f"estimate (POT, n={n})"
            rows += [base | {"step": step, "quantity": "critic_gap", "value": gap, "unit": "x units", "error": np.nan,
                             "kind": "critic (history, chunk mean)"},
                     base | {"step": step, "quantity": "w1", "value": w1, "unit": "x units", "error": w1_error,
                             "kind": kind}]
    columns = ["target", "rule", "seed", "step", "quantity", "value", "unit", "error", "kind"]
    return Computed(pd.DataFrame(rows, columns=columns))


CELL_COLUMNS = ["target", "rule", "runs", "points", "spearman", "loglog_slope", "w1_range_over_error",
                "median_gap_over_w1"]


def cell_numbers(table: pd.DataFrame, targets: list[str], rules: list[str]) -> pd.DataFrame:
    """Per configured (target, rule), in settings order: runs and (run, snapshot) points with a finite gap and W1,
    the Spearman rank correlation of gap and W1 over the points, the least-squares slope of log gap on log W1 (NaN
    when a gap is not positive: a distance estimate must be), W1's range over its largest error, and the median
    gap / W1 at each run's final snapshot. A cell without points has NaN numbers."""
    points = table[table.quantity.isin(["critic_gap", "w1"])]
    out = []
    for target in targets:
        for rule in rules:
            cell = points[(points.target == target) & (points.rule == rule)]
            row = {"target": target, "rule": rule, "runs": 0, "points": 0, "spearman": np.nan,
                   "loglog_slope": np.nan, "w1_range_over_error": np.nan, "median_gap_over_w1": np.nan}
            if not cell.empty:
                wide = cell.pivot_table(index=["seed", "step"], columns="quantity", values=["value", "error"])
                gap, w1, w1_error = wide["value"]["critic_gap"], wide["value"]["w1"], wide["error"]["w1"]
                positive = bool((gap > 0).all() and (w1 > 0).all()) and len(wide) > 1
                final = wide.groupby(level="seed").tail(1)
                row |= {"runs": int(wide.index.get_level_values("seed").nunique()), "points": len(wide),
                        "spearman": float(spearmanr(gap, w1).statistic) if len(wide) > 2 else np.nan,
                        "loglog_slope": float(np.polyfit(np.log(w1), np.log(gap), 1)[0]) if positive else np.nan,
                        "w1_range_over_error": float((w1.max() - w1.min()) / max(w1_error.max(), 1e-15)),
                        "median_gap_over_w1": float(np.median(final["value"]["critic_gap"] / final["value"]["w1"]))}
            out.append(row)
    return pd.DataFrame(out, columns=CELL_COLUMNS)


def judge(computed: Computed, ctx: Context) -> dict:
    """Per configured (target, rule) cell: decided when it has at least min_runs runs, MIN_POINTS points and W1
    varies by more than VARIES times its error; then it holds when the gap tracks W1 (Spearman >= TRACKS), grows
    like it (log-log slope in POWER: a gap that merely decays through training, as W1 does, ranks alike but grows
    at another power) and, for the gradient penalty, the median final gap / W1 lies in SCALE (with clipping the multiple
    K is unknown). reproduced: every cell decided and holding; partly: some decided cells hold, some fail; not
    reproduced: decided cells fail, none holds; inconclusive: no decided cell fails and some cell is undecided."""
    cells = cell_numbers(computed.table, list(ctx.settings["targets"]), list(ctx.settings["rules"]))
    min_runs = ctx.settings["min_runs"]
    numbers, holds, decided = [], [], []
    for row in cells.itertuples():
        label = f"{row.target} {row.rule}"
        gp = row.rule == UpdateRule.WGAN_GP.value
        power = row.runs >= min_runs and row.points >= MIN_POINTS and row.w1_range_over_error > VARIES
        tracks, steady = row.spearman >= TRACKS, POWER[0] <= row.loglog_slope <= POWER[1]
        scaled = not gp or SCALE[0] <= row.median_gap_over_w1 <= SCALE[1]
        decided.append(power)
        holds.append(bool(tracks and steady and scaled))
        shown = lambda ok: bool(ok) if power else None  # noqa: E731
        numbers += [(f"{label}: runs", row.runs, "runs", f">= {min_runs}", row.runs >= min_runs),
                    (f"{label}: (run, snapshot) points", row.points, "", f">= {MIN_POINTS}", row.points >= MIN_POINTS),
                    (f"{label}: W1 range / its error", row.w1_range_over_error, "", f"> {VARIES:g}",
                     row.w1_range_over_error > VARIES),
                    (f"{label}: Spearman(gap, W1)", row.spearman, "", f">= {TRACKS}", shown(tracks)),
                    (f"{label}: slope of log gap on log W1", row.loglog_slope, "", f"in [{POWER[0]}, {POWER[1]}]",
                     shown(steady))]
        numbers.append((f"{label}: median final gap / W1", row.median_gap_over_w1, "", f"in [{SCALE[0]}, {SCALE[1]}]",
                        shown(scaled)) if gp else
                       (f"{label}: median final gap / W1 (clipping: the multiple K)", row.median_gap_over_w1, ""))
    judged = [h for h, d in zip(holds, decided) if d]
    if all(decided) and all(holds):
        status = "reproduced"
    elif not all(judged):
        status = "partly" if any(judged) else "not reproduced"
    else:
        status = "inconclusive"
    parts = [f"{r.target} {r.rule}: Spearman {r.spearman:.2f}, log-log slope {r.loglog_slope:.2f}, median "
             f"final gap/W1 {r.median_gap_over_w1:.3g} ({r.runs} runs, {r.points} points)" for r in cells.itertuples()]
    summary = ("The critic's gap E_P f - E_Q f against W1 through training, per (target, rule): " + "; ".join(parts)
               + ". With clipping the gap can only follow K W1 (K unknown); with the gradient penalty it should "
               "approach W1.")
    return verdict(ID, status, summary, numbers)


def draw(computed: Computed, ctx: Context):
    """Per target: W1 (dashed) and the critic's gap (solid) against training step, one colour per rule, every seed;
    log scale, since a clipped critic's gap is K W1 with K of order 1e-4 (a gap <= 0 is not drawn)."""
    table = computed.table[computed.table.quantity.isin(["critic_gap", "w1"])]
    targets = list(dict.fromkeys(table.target))
    fig, axes = figure(ncols=max(len(targets), 1), width=4.2)
    if not targets:
        axes[0][0].text(0.5, 0.5, "no finite snapshot in any critic run", ha="center", transform=axes[0][0].transAxes)
    for ax, target in zip(axes[0], targets):
        for k, rule in enumerate(dict.fromkeys(table.rule)):
            cell = table[(table.target == target) & (table.rule == rule)]
            for seed, run in cell.groupby("seed"):
                gap = run[run.quantity == "critic_gap"]
                w1 = run[run.quantity == "w1"]
                first = seed == cell.seed.min()
                ax.plot(gap.step, gap.value, "-", color=f"C{k}", alpha=0.7, label=f"{rule}: gap" if first else None)
                ax.plot(w1.step, w1.value, "--", color=f"C{k}", alpha=0.7, label=f"{rule}: W1" if first else None)
        kind = table[(table.target == target) & (table.quantity == "w1")].kind.iloc[0]
        ax.set(title=f"{target} (W1 {kind})", xlabel="training step", ylabel="x units (log scale)", yscale="log")
        ax.legend(fontsize=7)
    return fig
