"""swissroll-kl: a Swiss roll trained with the KL (logit) rule (catalogue.yaml, id swissroll-kl).

The blog's animation shows fixed-z samples of Q_t (green) over P's contours (red) beside the gradient
of the generator's objective. Here both come from one grid run's snapshots: the samples, and the
discriminator's logit on a probe grid, from which the per-sample descent direction -d loss_r(a(x))/dx
is taken by finite differences (`gandiv.figures.snapshot_field`). A snapshot grid (PNG) and an animated
GIF of every snapshot (ANIMATION).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.interpolate import RegularGridInterpolator

from gandiv.figures.gan_tables import read_grid_evaluation
from gandiv.figures.grid_checks import check_trained
from gandiv.figures.recipe import Animation, Computed, Context, Needs, verdict
from gandiv.figures.snapshot_field import FIELD_UNIT, Run, descent_field, load_run
from gandiv.figures.snapshot_painter import Painter, animate, panels
from gandiv.figures.style import NATS, figure
from gandiv.gan import runs
from gandiv.samples.knn import knn_kl

FIGURE_ID = "swissroll-kl"
SETTINGS = """
description: >-
  Snapshots (PNG grid and animated GIF) of one GAN run at fixed noise over P's contours, with
  the gradient field of the generator's objective; the run must be in `gan.grid`.
type: object
additionalProperties: false
required: [target, generator]
properties:
  target:
    description: A 2-D target (the Swiss roll) trained in some `gan.grid` entry.
    $ref: "#/$defs/target_name"
  generator: {$ref: "#/$defs/gan_generator_kind"}
  rule:
    $ref: "#/$defs/gan_rule"
    default: kl
  pi:
    $ref: "#/$defs/probability"
    default: 0.5
  seed:
    description: Seed of the run to show.
    type: integer
    minimum: 0
    default: 0
"""
NEEDS = Needs(None, ("seed", "gan.evaluation.knn_k"), ("target",))

HDR_MASS = 0.95  # P's high-density region holds this share of P's mass
N_P_SAMPLES = 10_000  # Monte Carlo draws of P for the region's level, E_P log P and the k-NN reference
REACH_SD = 2.0  # a component of P counts as reached if a sample lies within this many (Mahalanobis) sds
N_PANELS = 4  # snapshots in the grid, first and last included
GAIN_NATS = 1.0  # "clear margin" for the rise of mean log P (see `decide`)
GAIN_SE = 3.0  # ... and it must exceed this many paired standard errors
SHARE_MIN = 0.8  # share of samples inside P's 95% region at the last snapshot
EVALUATION_NAMES = {"kl_qp": "KL[Q||P]", "kl_pq": "KL[P||Q]", "js": "JS", "js_pi": "JS_pi"}


def inputs(config) -> dict:
    """The run's status and snapshots, and its group's evaluation table."""
    s = config["figures"][FIGURE_ID]
    run = runs.GanRun("grid", s["target"], s["generator"], s["rule"], "plain", s["pi"], s["seed"])
    return {"evaluation": run.evaluation_table, "snapshots": run.file("snapshots.npz"),
            "status": run.file("status.json")}


def check(settings, config) -> None:
    """The run the settings name (target, generator, rule, pi, seed) is trained in `gan.grid`."""
    check_trained(FIGURE_ID, settings, config, "target", "generator")


def _run(ctx: Context) -> Run:
    return load_run(ctx.inputs["status"], ctx.inputs["snapshots"], ctx.settings)


def reference(target, seed: int) -> dict:
    """Monte Carlo facts about P from N_P_SAMPLES of its own draws (generator seeded with `seed`): the samples,
    the log P level of its HDR_MASS region, and the mean and sd of log P(X) (nats)."""
    p_samples = target.sample(N_P_SAMPLES, np.random.default_rng(seed))
    log_p = target.log_prob(p_samples)
    return {"samples": p_samples, "level": float(np.quantile(log_p, 1.0 - HDR_MASS)), "mean_log_p": float(log_p.mean()),
            "sd_log_p": float(log_p.std())}


def components_reached(target, samples: np.ndarray) -> int:
    """How many of P's components have a sample within REACH_SD of their mean (Mahalanobis)."""
    diffs = samples[:, None, :] - target.means[None]
    d2 = np.einsum("nki,kij,nkj->nk", diffs, np.linalg.inv(target.covariances), diffs)
    return int(np.sum(d2.min(axis=0) <= REACH_SD**2))


def _snapshot_rows(run: Run, target, ref: dict, rule: str, knn_k: int) -> list[dict]:
    """Per snapshot, of the fixed-z samples: mean log P, share in P's 95% region, components reached, k-NN
    KL[Q||P] against P's draws (NaN for duplicate samples), and the descent field's size."""
    rows = []
    where = f"fixed z (n={run.samples.shape[1]})"
    for step, samples, logits in zip(run.steps, run.samples, run.logits):
        log_p = target.log_prob(samples)
        u, v = descent_field(logits, run.xs, run.ys, rule)
        norm = np.hypot(u, v)
        at_samples = RegularGridInterpolator((run.xs, run.ys), norm, bounds_error=False, fill_value=np.nan)(samples)
        try:
            kl = knn_kl(samples, ref["samples"], knn_k)
        except ValueError:  # exact duplicate samples (a collapsed generator): no k-NN estimate
            kl = np.nan
        for method, quantity, value, unit in (
                ("exact log P", "mean log P(x)", log_p.mean(), NATS),
                ("exact log P", "share in P's 95% region", np.mean(log_p >= ref["level"]), "fraction"),
                ("exact log P", "P components reached", components_reached(target, samples), "components"),
                ("knn", "KL[Q||P]", kl, NATS),
                ("finite differences", "mean |field| on grid", norm.mean(), FIELD_UNIT),
                ("finite differences", "mean |field| at samples on grid", np.nanmean(at_samples)
                 if np.isfinite(at_samples).any() else np.nan, FIELD_UNIT),
                ("finite differences", "share of samples on probe grid", np.isfinite(at_samples).mean(), "fraction")):
            rows.append({"step": int(step), "samples": where, "method": method, "quantity": quantity,
                         "value": float(value), "unit": unit})
    return rows


def _evaluation_rows(ctx: Context, step: int) -> list[dict]:
    """End-of-run divergences of this run from its group's evaluation table (fresh samples), at `step`."""
    table = read_grid_evaluation(ctx.inputs["evaluation"])
    s = ctx.settings
    mine = table[(table.target.astype(str) == str(s["target"])) & (table.generator.astype(str) == str(s["generator"]))
                 & (table.rule.astype(str) == str(s["rule"])) & np.isclose(table.pi.astype(float), float(s["pi"]))
                 & (table.seed.astype(int) == int(s["seed"]))]
    if mine.empty:
        raise ValueError(f"no rows in {ctx.inputs['evaluation']} for the run {s}")
    mine = mine[mine.quantity.isin(list(EVALUATION_NAMES)) & mine.value.notna()]
    return [{"step": step, "samples": "fresh (evaluation)", "method": r.method,
             "quantity": EVALUATION_NAMES[r.quantity], "value": float(r.value), "unit": NATS}
            for r in mine.itertuples()]


def compute(ctx: Context) -> Computed:
    """Tidy table (step, samples, method, quantity, value, unit): per-snapshot numbers of the fixed-z samples,
    the run's end-of-run evaluation, and P's own Monte Carlo reference. Extras: the run, the reference, and
    log P of the fixed-z samples at the first and last snapshot (paired by z, for the verdict's gain)."""
    target = ctx.target(ctx.settings["target"])
    run = _run(ctx)
    ref = reference(target, ctx.seed)
    rows = _snapshot_rows(run, target, ref, ctx.settings["rule"], int(ctx.config["gan"]["evaluation"]["knn_k"]))
    rows += _evaluation_rows(ctx, int(run.steps[-1]))
    rows += [{"step": pd.NA, "samples": f"P itself (n={N_P_SAMPLES})", "method": "monte carlo", "quantity": q,
              "value": v, "unit": u} for q, v, u in (("mean log P(x)", ref["mean_log_p"], NATS),
                                                     ("sd log P(x)", ref["sd_log_p"], NATS),
                                                     ("log P level of P's 95% region", ref["level"], NATS))]
    table = pd.DataFrame(rows)
    table["step"] = table["step"].astype("Int64")
    log_p = (target.log_prob(run.samples[0]), target.log_prob(run.samples[-1]))
    return Computed(table, {"run": run, "reference": ref, "log_p": log_p})


def draw(computed: Computed, ctx: Context):
    """Snapshot grid: top, the samples over P; bottom, the descent field (arrows clipped, common colour scale)."""
    s, run = ctx.settings, computed.extras["run"]
    painter = Painter(run, ctx.target(s["target"]), computed.extras["reference"]["level"], s["rule"])
    cols = panels(len(run.steps), N_PANELS)
    fig, axes = figure(ncols=len(cols), nrows=2, width=3.0, height=3.0)
    quiver = None
    for ax_top, ax_bottom, i in zip(axes[0], axes[1], cols):
        painter.contours(ax_top)
        painter.samples(ax_top, i)
        ax_top.set_title(f"step {run.steps[i]}")
        painter.contours(ax_bottom)
        painter.samples(ax_bottom, i, alpha=0.25, size=2.0)
        quiver = painter.quiver(ax_bottom, i)
        ax_bottom.set_xlabel("x1")
    axes[0, 0].set_ylabel("samples of Q_t (fixed z)\nx2")
    axes[1, 0].set_ylabel("descent field -d loss/dx\nx2")
    fig.colorbar(quiver, ax=axes[1, :], shrink=0.85, label=f"|field| ({FIELD_UNIT}; arrows clipped)")
    fig.suptitle(f"{s['target']}: {s['generator']} generator, {s['rule']} rule, pi={s['pi']:g}, seed {s['seed']} "
                 f"(red: P, dashed: P's 95% region)")
    return fig


def decide(first: np.ndarray, last: np.ndarray, share_last: float, diverged: bool) -> tuple[str, float, float]:
    """Verdict, gain and its standard error from the fixed-z samples' log P at the first and last snapshot
    (paired by z).

    Reproduced: mean log P rose by >= GAIN_NATS (the typical density at the samples grew e-fold; about
    1.2 sd of log P(X) under P itself for the configured Swiss roll) and by >= GAIN_SE paired standard
    errors, and >= SHARE_MIN of the samples lie in P's 95% region. Partly: a rise beyond the noise that
    misses either bar, or a run that met them but diverged. Not reproduced: no clear rise.
    """
    diff = last - first
    gain = float(diff.mean())
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
    improved = gain > GAIN_SE * se and gain > 0
    if improved and gain >= GAIN_NATS and share_last >= SHARE_MIN and not diverged:
        return "reproduced", gain, se
    return ("partly" if improved else "not reproduced"), gain, se


def _end_of_run(table: pd.DataFrame) -> dict:
    """KL[Q||P] of the run's evaluation (fresh samples) by method, k-NN first, where the table has it."""
    fresh = table[(table.samples == "fresh (evaluation)") & (table.quantity == "KL[Q||P]")]
    return {method: float(fresh[fresh.method == method].value.iloc[0]) for method in ("knn", "exact")
            if (fresh.method == method).any()}


def judge(computed: Computed, ctx: Context) -> dict:
    """The rise of mean log P of the fixed-z samples and their share in P's 95% region (`decide`)."""
    s, table, status = ctx.settings, computed.table, computed.extras["run"].status
    log_first, log_last = computed.extras["log_p"]
    snap = table[table.samples.str.startswith("fixed z")]

    def at(step, quantity):
        return float(snap[(snap.step == step) & (snap.quantity == quantity)].value.iloc[0])

    def of_p(quantity):
        return float(table[table.samples.str.startswith("P itself") & (table.quantity == quantity)].value.iloc[0])

    first_step, last_step = int(snap.step.iloc[0]), int(snap.step.iloc[-1])
    share_first, share_last = (at(step, "share in P's 95% region") for step in (first_step, last_step))
    diverged = bool(status.get("diverged", False))
    verdict_status, gain, se = decide(log_first, log_last, share_last, diverged)
    reached, k = at(last_step, "P components reached"), ctx.target(s["target"]).n_components
    mean_first, mean_last = at(first_step, "mean log P(x)"), at(last_step, "mean log P(x)")
    mean_p = of_p("mean log P(x)")
    numbers = [("mean log P of samples, first snapshot", mean_first, NATS),
               ("mean log P of samples, last snapshot", mean_last, NATS),
               ("gain in mean log P", gain, NATS), ("paired standard error of the gain", se, NATS),
               ("gain threshold", GAIN_NATS, NATS), ("E_P log P (P's own samples)", mean_p, NATS),
               ("share in P's 95% region, first snapshot", share_first, "fraction"),
               ("share in P's 95% region, last snapshot", share_last, "fraction"),
               ("share threshold", SHARE_MIN, "fraction"),
               ("P components reached, last snapshot", reached, "components"),
               ("P components", k, "components"),
               ("k-NN KL[Q||P] of fixed-z samples, first snapshot", at(first_step, "KL[Q||P]"), NATS),
               ("k-NN KL[Q||P] of fixed-z samples, last snapshot", at(last_step, "KL[Q||P]"), NATS),
               ("mean |field| at samples, first snapshot", at(first_step, "mean |field| at samples on grid"),
                FIELD_UNIT),
               ("mean |field| at samples, last snapshot", at(last_step, "mean |field| at samples on grid"),
                FIELD_UNIT),
               ("last step", last_step, "steps")]
    end = _end_of_run(table)
    numbers += [(f"KL[Q||P] at the end ({method}, evaluation)", value, NATS) for method, value in end.items()]
    end_text = ", ".join(f"{m} {v:.3f}" for m, v in end.items()) or "not in the evaluation table"
    fully = share_last >= HDR_MASS and reached == k
    summary = (f"With the {s['rule']} rule ({s['generator']} generator, seed {s['seed']}), the mean log P of the "
               f"{len(log_first)} fixed-z samples went from {mean_first:.2f} to {mean_last:.2f} "
               f"nats over {last_step} steps (gain {gain:.2f} +- {se:.2f}; threshold {GAIN_NATS:g} nats; P's own "
               f"samples average {mean_p:.2f}) and the share inside P's 95% region from "
               f"{share_first:.2f} to {share_last:.2f} (threshold {SHARE_MIN:g}); {int(reached)} of {k} components "
               f"of P have a sample within {REACH_SD:g} sd at the end. KL[Q||P] at the end: {end_text} nats. "
               + ("As in the blog, training does not converge all the way (samples outside P's 95% region or "
                  "parts of the roll unreached)." if not fully else
                  "Unlike the blog's remark, the samples cover P's roll fully at the end.")
               + (f" The run diverged at step {status.get('diverged_at')}; the last finite state is shown."
                  if diverged else ""))
    return verdict(FIGURE_ID, verdict_status, summary, numbers)


def render(ctx: Context, out_gif: str) -> None:
    """Animated GIF of every snapshot of the run (samples over P | descent field), see `snapshot_painter.animate`."""
    s = ctx.settings
    target = ctx.target(s["target"])
    painter = Painter(_run(ctx), target, reference(target, ctx.seed)["level"], s["rule"])
    animate(painter, out_gif, f"descent field of the {s['rule']} rule",
            lambda step: f"{s['target']}, {s['generator']} generator, {s['rule']} rule: step {step}")

ANIMATION = Animation(Needs(None, ("seed",), ("target",)), render)
