"""swissroll-kl: a Swiss roll trained with the KL (logit) rule (catalogue.yaml, id swissroll-kl).

The blog's animation shows fixed-z samples of Q_t (green) over P's contours (red; here orange over blue, which
colour-blind readers can tell apart) beside the gradient
of the generator's objective. Here both come from one grid run's snapshots: the samples, and the
discriminator's logit on a probe grid, from which the per-sample descent direction -d loss_r(a(x))/dx
is taken by finite differences (`gandiv.figures.snapshot_field`). A snapshot grid (PNG) and an animated
GIF of every snapshot (ANIMATION).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.interpolate import RegularGridInterpolator

from scipy.stats import ttest_ind

from gandiv.figures.evidence import MDD_FORMULA, MIN_SEEDS, minimum_detectable_difference, pooled_sd
from gandiv.figures.gan_tables import as_bool, read_grid_evaluation
from gandiv.figures.grid_checks import check_trained
from gandiv.figures.recipe import Animation, Computed, Context, Needs, verdict
from gandiv.figures.snapshot_field import FIELD_UNIT, Run, descent_field, load_run
from gandiv.figures.snapshot_painter import Painter, animate, panels
from gandiv.figures.style import NATS, figure
from gandiv.gan import runs
from gandiv.results_io import read_gan_run
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
GAIN_NATS = 1.0  # "clear margin" for the rise of mean log P of the shown run (reported, see `gain`)
SHARE_MIN = 0.8  # share of the fixed-z samples inside P's 95% region at the last snapshot, seed mean of the kl rule
# Smallest shortfall of the kl rule's end share against the best other rule that matters: a tenth of the samples.
# "Not worse than the other rules" is only claimed where the seeds could have detected a shortfall this large.
SHARE_DIFF_MATTERS = 0.1
ALPHA = 0.05  # size of the one-sided test "another rule ends with a larger share"
EVALUATION_NAMES = {"kl_qp": "KL[Q||P]", "kl_pq": "KL[P||Q]", "js": "JS", "js_pi": "JS_pi"}


def inputs(config) -> dict:
    """The shown run's status and snapshots, its group's evaluation table, and the snapshots of every run of the
    same target, generator and pi (each rule and seed: the comparison the verdict reads)."""
    s = config["figures"][FIGURE_ID]
    run = runs.GanRun("grid", s["target"], s["generator"], s["rule"], "plain", s["pi"], s["seed"])
    peers = [r for r in runs.grid_runs(config, s["target"], s["generator"]) if r.pi == s["pi"]]
    return {"evaluation": run.evaluation_table, "snapshots": run.file("snapshots.npz"),
            "status": run.file("status.json"), "peer_snapshots": [r.file("snapshots.npz") for r in peers],
            "peer_statuses": [r.file("status.json") for r in peers]}


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
    shares = end_shares(ctx, ref["level"])
    rows = [{"step": int(run.steps[-1]), "samples": f"fixed z, {r.rule} rule, seed {r.seed}"
             + ("" if r.converged else " (not converged)"), "method": "exact log P",
             "quantity": "end share in P's 95% region", "value": r.share, "unit": "fraction"} for r in shares.itertuples()]
    table = pd.concat([table, pd.DataFrame(rows)], ignore_index=True)
    table["step"] = table["step"].astype("Int64")
    log_p = (target.log_prob(run.samples[0]), target.log_prob(run.samples[-1]))
    return Computed(table, {"run": run, "reference": ref, "log_p": log_p, "shares": shares})


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
    fig.suptitle(f"{s['target']}: {s['generator']} generator, {s['rule']} rule, π={s['pi']:g}, seed {s['seed']} "
                 f"(blue: P, dashed: P's 95% region; orange: samples)")
    return fig


def gain(first: np.ndarray, last: np.ndarray) -> tuple[float, float]:
    """The rise of the fixed-z samples' mean log P from the first to the last snapshot (paired by z) and its
    standard error, nats: the shown run's own progress (reported beside the verdict, not deciding)."""
    diff = last - first
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
    return float(diff.mean()), se


def end_shares(ctx: Context, level: float) -> pd.DataFrame:
    """Per run of the comparison (every rule and seed at the shown run's target, generator and pi): rule, seed,
    converged (from the evaluation table) and the share of its last snapshot's fixed-z samples inside P's
    HDR_MASS region (log P >= `level`)."""
    table = read_grid_evaluation(ctx.inputs["evaluation"])
    table = table[np.isclose(table.pi.astype(float), float(ctx.settings["pi"]))].drop_duplicates(["rule", "seed"])
    converged = {(str(r.rule), int(r.seed)): bool(c) for r, c in zip(table.itertuples(),
                                                                     as_bool(table.converged) & ~as_bool(table.diverged))}
    target, rows = ctx.target(ctx.settings["target"]), []
    for status_path, snapshots_path in zip(ctx.inputs["peer_statuses"], ctx.inputs["peer_snapshots"]):
        status, snapshots = read_gan_run(status_path, snapshots_path)
        key = (str(status["rule"]), int(status["seed"]))
        rows.append({"rule": key[0], "seed": key[1], "converged": converged.get(key, False),
                     "share": float(np.mean(target.log_prob(snapshots["samples"][-1]) >= level))})
    return pd.DataFrame(rows, columns=["rule", "seed", "converged", "share"])


def decide(shares: pd.DataFrame, rule: str) -> tuple[str, list[tuple], str]:
    """The verdict from the comparison runs' end shares (converged runs only), its deciding numbers and a sentence.

    Inconclusive: the kl rule has fewer than MIN_SEEDS converged seeds, or (its share reaching SHARE_MIN) the seeds
    could not detect a shortfall of SHARE_DIFF_MATTERS against the best other rule (minimum detectable difference,
    evidence.MDD_FORMULA). Not reproduced: the kl rule's mean end share is below SHARE_MIN. Partly: it reaches
    SHARE_MIN but the best other rule ends significantly higher (one-sided Welch test, p < ALPHA). Reproduced: it
    reaches SHARE_MIN and no other rule ends significantly higher, with enough power to have seen it.
    """
    good = shares[shares.converged]
    mine = good[good.rule == rule].share.to_numpy()
    n = len(mine)
    numbers = [(f"converged seeds of the {rule} rule", n, "seeds", f">= {MIN_SEEDS}", n >= MIN_SEEDS)]
    mean = float(mine.mean()) if n else float("nan")
    numbers.append((f"end share in P's 95% region, {rule} rule (seed mean)", mean, "fraction", f">= {SHARE_MIN:g}",
                    bool(mean >= SHARE_MIN)))
    others = {r: g.share.to_numpy() for r, g in good[good.rule != rule].groupby("rule") if len(g) >= 2}
    best = max(others, key=lambda r: others[r].mean()) if others else None
    p, mdd = float("nan"), float("inf")
    if best is not None and n >= 2:
        p = float(ttest_ind(others[best], mine, equal_var=False, alternative="greater").pvalue)
        mdd = minimum_detectable_difference(pooled_sd([mine, others[best]]), n, len(others[best]))
        numbers += [(f"end share of the best other rule ({best}, seed mean)", float(others[best].mean()), "fraction"),
                    (f"p-value that {best} ends higher than {rule} (Welch, one-sided)", p, "", f">= {ALPHA:g}",
                     bool(p >= ALPHA)),
                    (f"minimum detectable shortfall ({MDD_FORMULA})", mdd, "fraction",
                     f"<= {SHARE_DIFF_MATTERS:g}", bool(mdd <= SHARE_DIFF_MATTERS))]
    for r, g in shares.groupby("rule"):
        numbers.append((f"runs of the {r} rule: converged / trained", float(g.converged.sum()), f"of {len(g)}"))
    if n < MIN_SEEDS:
        return "inconclusive", numbers, f"only {n} converged seeds of the {rule} rule ({MIN_SEEDS} needed)"
    if not mean >= SHARE_MIN:
        return "not reproduced", numbers, f"the {rule} rule's samples end {mean:.2f} inside P's 95% region"
    if best is None:
        return "inconclusive", numbers, "no other rule with 2 converged seeds to compare with"
    if p < ALPHA:
        return "partly", numbers, (f"the {rule} rule reaches the roll ({mean:.2f}) but {best} ends significantly "
                                   f"higher ({others[best].mean():.2f}, p = {p:.3g})")
    if mdd > SHARE_DIFF_MATTERS:
        return "inconclusive", numbers, (f"no rule ends significantly higher, but the seeds could only detect a "
                                         f"shortfall of {mdd:.2f} (> {SHARE_DIFF_MATTERS:g})")
    return "reproduced", numbers, (f"the {rule} rule's samples end on the roll ({mean:.2f}) and no rule ends "
                                   f"significantly higher (best other: {best}, {others[best].mean():.2f}; p = "
                                   f"{p:.3g}; detectable shortfall {mdd:.2f})")


def _end_of_run(table: pd.DataFrame) -> dict:
    """KL[Q||P] of the run's evaluation (fresh samples) by method, k-NN first, where the table has it."""
    fresh = table[(table.samples == "fresh (evaluation)") & (table.quantity == "KL[Q||P]")]
    return {method: float(fresh[fresh.method == method].value.iloc[0]) for method in ("knn", "exact")
            if (fresh.method == method).any()}


def judge(computed: Computed, ctx: Context) -> dict:
    """The kl rule against the other rules on the same target and budget (`decide`), with the shown run's own
    progress (the rise of mean log P of its fixed-z samples, its share in P's 95% region) reported beside it."""
    s, table, status = ctx.settings, computed.table, computed.extras["run"].status
    log_first, log_last = computed.extras["log_p"]
    snap = table[table.samples == next(v for v in table.samples if v.startswith("fixed z (n="))]

    def at(step, quantity):
        return float(snap[(snap.step == step) & (snap.quantity == quantity)].value.iloc[0])

    def of_p(quantity):
        return float(table[table.samples.str.startswith("P itself") & (table.quantity == quantity)].value.iloc[0])

    first_step, last_step = int(snap.step.iloc[0]), int(snap.step.iloc[-1])
    share_first, share_last = (at(step, "share in P's 95% region") for step in (first_step, last_step))
    diverged = bool(status.get("diverged", False))
    verdict_status, numbers, because = decide(computed.extras["shares"], s["rule"])
    rise, se = gain(log_first, log_last)
    reached, k = at(last_step, "P components reached"), ctx.target(s["target"]).n_components
    mean_first, mean_last = at(first_step, "mean log P(x)"), at(last_step, "mean log P(x)")
    mean_p = of_p("mean log P(x)")
    numbers += [("shown run: mean log P of samples, first snapshot", mean_first, NATS),
                ("shown run: mean log P of samples, last snapshot", mean_last, NATS),
                ("shown run: gain in mean log P", rise, NATS), ("shown run: paired standard error of the gain", se, NATS),
                ("E_P log P (P's own samples)", mean_p, NATS),
                ("shown run: share in P's 95% region, first snapshot", share_first, "fraction"),
                ("shown run: share in P's 95% region, last snapshot", share_last, "fraction"),
                ("shown run: P components reached, last snapshot", reached, "components"),
                ("P components", k, "components"),
                ("shown run: k-NN KL[Q||P] of fixed-z samples, last snapshot", at(last_step, "KL[Q||P]"), NATS),
                ("last step", last_step, "steps")]
    end = _end_of_run(table)
    numbers += [(f"shown run: KL[Q||P] at the end ({method}, evaluation)", value, NATS) for method, value in end.items()]
    fully = share_last >= HDR_MASS and reached == k
    summary = (f"Over seeds and rules at π={s['pi']:g} ({s['generator']} generator, converged runs only): {because}. "
               f"The shown run ({s['rule']} rule, seed {s['seed']}) moved the mean log P of its "
               f"{len(log_first)} fixed-z samples from {mean_first:.2f} to {mean_last:.2f} nats over {last_step} steps "
               f"(gain {rise:.2f} +- {se:.2f}; P's own samples average {mean_p:.2f}) and the share inside P's 95% "
               f"region from {share_first:.2f} to {share_last:.2f}; {int(reached)} of {k} components of P have a "
               f"sample within {REACH_SD:g} sd at the end. "
               + ("As in the blog, training does not converge all the way (samples outside P's 95% region or "
                  "parts of the roll unreached)." if not fully else
                  "Unlike the blog's remark, the samples cover P's roll fully at the end.")
               + (f" The shown run diverged at step {status.get('diverged_at')}; the last finite state is shown."
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
