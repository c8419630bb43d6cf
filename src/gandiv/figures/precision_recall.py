"""precision-recall: mode covering and mode seeking as exact precision and recall (Sajjadi et al. 2018).

Beyond the sources. The note argues that maximum likelihood covers modes at the cost of sample quality and
KL[Q||P] the reverse. On a 1-D target the PRD curve of every exact Gaussian fit is computed exactly
(`gandiv.exact.precision_recall`): the KL[P||Q] and KL[Q||P] optima and the JS_pi global minimiser at every pi of
the exact stage's path, the MMD fit, and the grid's trained Gaussian generators (each run's (mean, sd) from its
evaluation); beside each, compare_gan's estimate from samples (`gandiv.samples.precision_recall`), so the
estimator's bias is measured. The summaries are compare_gan's F_8 (recall-weighted) and F_1/8 (precision-weighted).
The grid's flow generators also have densities; their curves are not built yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.config_error import ConfigError
from gandiv.exact.densities import gaussian, target_dim
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.fitting import mmd_fit
from gandiv.exact.precision_recall import prd_curve
from gandiv.figures.gan_tables import read_grid_evaluation
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.gan import runs
from gandiv.results_io import read_csv, read_json
from gandiv.samples.precision_recall import estimate_prd
from gandiv.seeding import run_streams

ID = "precision-recall"

SETTINGS = """
description: >-
  Exact PRD curves (precision and recall for distributions) of the exact Gaussian fits and the grid's trained
  Gaussian generators on a 1-D target, beside compare_gan's sample estimate.
type: object
additionalProperties: false
required: [target]
properties:
  target:
    description: A 1-D target whose JS_pi path the exact stage computes (it is one of jspi-interpolation's targets).
    $ref: "#/$defs/target_name"
  mmd_bandwidth:
    description: Gaussian-kernel bandwidth of the MMD fit (x units).
    type: number
    exclusiveMinimum: 0
    default: 1.0
  samples:
    description: Samples of P and of each Q for compare_gan's estimate (equal counts, as compare_gan enforces).
    type: integer
    minimum: 100
    default: 10000
  clusters:
    description: k-means clusters of the estimate (compare_gan's num_clusters).
    type: integer
    minimum: 2
    default: 20
  runs:
    description: Clusterings averaged by the estimate (compare_gan's num_runs).
    type: integer
    minimum: 1
    default: 10
"""

NEEDS = Needs(None, ("seed", "exact.n_starts", "exact.quadrature_points_per_sd", "exact.quadrature_halfwidth_sd"),
              ("target",))
FAMILY = "isotropic"
GAN_GENERATOR = "gaussian"
ENDS = 0.1  # the JS_pi minimiser's scores at the pi grid's ends lie within this share of the KL fits' gap of theirs


def check(settings, config) -> None:
    """A 1-D target (ConfigError naming the key)."""
    if target_dim(config["targets"][settings["target"]]) != 1:
        raise ConfigError(f"figures.{ID}.target", f"target {settings['target']!r} is not 1-D",
                          "a 1-D target (the exact PRD curve splits the line at the densities' crossings)")


def inputs(config) -> dict:
    """The target's JS_pi path and summary (its KL optima); the grid's Gaussian evaluation table on the target,
    if the grid trains Gaussian generators there."""
    target = config["figures"][ID]["target"]
    folder = f"results/jspi/{target}/{FAMILY}"
    found = {"path": f"{folder}/path.csv", "summary": f"{folder}/summary.json"}
    if runs.grid_runs(config, target, GAN_GENERATOR):
        found["evaluation"] = runs.evaluation_table("grid", target, GAN_GENERATOR)
    return found


def models(ctx: Context) -> list[dict]:
    """Every Q with its name: kind (kl_pq, kl_qp, mmd, js_pi, gan), pi (NaN where none), rule and seed (GANs),
    mean and sd (x units)."""
    s = ctx.settings
    target = ctx.target(s["target"])
    summary = read_json(ctx.inputs["summary"], required=("kl_pq", "kl_qp"))
    path = read_csv(ctx.inputs["path"], required=("pi", "is_global", "mean_0", "scale"))
    out = [{"kind": kind, "pi": np.nan, "rule": "", "seed": -1, "mean": summary[kind]["mean_0"],
            "sd": summary[kind]["scale"]} for kind in ("kl_pq", "kl_qp")]
    q, _ = mmd_fit(target, GaussianFamily(1, Family.ISOTROPIC), s["mmd_bandwidth"], ctx.config["exact"]["n_starts"],
                   ctx.seed, ctx.quadrature)
    out.append({"kind": "mmd", "pi": np.nan, "rule": "", "seed": -1, "mean": float(q.means[0, 0]),
                "sd": float(np.sqrt(q.covariances[0, 0, 0]))})
    glob = path[path.is_global.astype(str).str.lower().isin(["true", "1"])].sort_values("pi")
    out += [{"kind": "js_pi", "pi": float(r.pi), "rule": "", "seed": -1, "mean": float(r.mean_0),
             "sd": float(r.scale)} for _, r in glob.iterrows()]
    if "evaluation" in ctx.inputs:
        table = read_grid_evaluation(ctx.inputs["evaluation"])
        params = table[table.method == "parameters"].pivot_table(index=["rule", "pi", "seed"], columns="quantity",
                                                                  values="value").reset_index()
        out += [{"kind": "gan", "pi": float(r.pi), "rule": r.rule, "seed": int(r.seed),
                 "mean": float(r.generator_mean_0), "sd": float(np.sqrt(r.generator_cov_00))}
                for _, r in params.iterrows() if np.isfinite(r.generator_mean_0) and r.generator_cov_00 > 0]
    return out


def compute(ctx: Context) -> Computed:
    """Per model: the exact curve's F_8 and F_1/8, its error bound, compare_gan's estimate's F_8 and F_1/8 and the
    estimate's largest gap to the exact curve (precision and recall); tidy (kind, pi, rule, seed, quantity, value,
    unit). Extras: the curves of the fits and the estimates of the KL fits, for drawing."""
    s = ctx.settings
    target = ctx.target(s["target"])
    rows, curves = [], {}
    for m in models(ctx):
        q = gaussian([m["mean"]], [[m["sd"] ** 2]])
        exact = prd_curve(target, q)
        rng = run_streams(ctx.seed, {"job": ID, "kind": m["kind"], "pi": m["pi"] if np.isfinite(m["pi"]) else -1,
                                     "rule": m["rule"], "seed": m["seed"]}).numpy("evaluation")
        estimate = estimate_prd(q.sample(s["samples"], rng), target.sample(s["samples"], rng), rng, s["clusters"],
                                s["runs"])
        gap = max(np.abs(estimate.precision - exact.precision).max(), np.abs(estimate.recall - exact.recall).max())
        names = {k: m[k] for k in ("kind", "pi", "rule", "seed")}
        rows += [names | {"quantity": q_, "value": float(v), "unit": u} for q_, v, u in (
            ("mean", m["mean"], "x units"), ("sd", m["sd"], "x units"),
            ("f8", exact.f_beta(8), "score"), ("f1_8", exact.f_beta(1 / 8), "score"),
            ("error_bound", exact.error, "probability"),
            ("estimate_f8", estimate.f_beta(8), "score"), ("estimate_f1_8", estimate.f_beta(1 / 8), "score"),
            ("estimate_gap", gap, "probability"))]
        if m["kind"] in ("kl_pq", "kl_qp", "mmd"):
            curves[m["kind"]] = (exact, estimate)
    return Computed(pd.DataFrame(rows), extras={"curves": curves})


def wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per model, one column per quantity."""
    t = table.assign(pi=table.pi.fillna(-1.0), rule=table.rule.fillna(""))  # pivoting drops NaN keys
    out = t.pivot_table(index=["kind", "pi", "rule", "seed"], columns="quantity", values="value").reset_index()
    return out.assign(pi=out.pi.where(out.pi >= 0))


def js_path(table: pd.DataFrame) -> pd.DataFrame:
    """The JS_pi global minimisers' scores in increasing pi."""
    w = wide(table)
    return w[w.kind == "js_pi"].sort_values("pi").reset_index(drop=True)


def report_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per fit (and per GAN rule and pi, seed-averaged): F_8, F_1/8, and the estimate's."""
    w = wide(table)
    fits = w[w.kind != "gan"]
    gans = w[w.kind == "gan"].groupby(["rule", "pi"], as_index=False).mean(numeric_only=True).assign(kind="gan")
    both = pd.concat([fits, gans], ignore_index=True)
    return pd.DataFrame({"model": [f"{k}" + (f" ({r})" if r else "") for k, r in zip(both.kind, both.rule.fillna(""))],
                         "π": both.pi.map(lambda v: "—" if np.isnan(v) else f"{v:.4g}"),
                         "F_8 (recall), exact": both.f8.round(4), "F_1/8 (precision), exact": both.f1_8.round(4),
                         "F_8, estimate": both.estimate_f8.round(4), "F_1/8, estimate": both.estimate_f1_8.round(4),
                         "estimate's largest gap": both.estimate_gap.round(4)})


def draw(computed: Computed, ctx: Context):
    """Left: the exact PRD curves of the KL[P||Q], KL[Q||P] and MMD fits (solid) and compare_gan's estimates
    (dashed). Middle: F_8 and F_1/8 of the JS_pi global minimiser against pi, with the GANs' (dots). Right: every
    model in the (F_1/8, F_8) plane."""
    table = computed.table
    fig, axes = figure(ncols=3, width=4.3, height=3.6)
    colours = {"kl_pq": "tab:blue", "kl_qp": "tab:red", "mmd": "tab:green"}
    ax = axes[0, 0]
    for kind, (exact, estimate) in computed.extras["curves"].items():
        ax.plot(exact.recall, exact.precision, "-", color=colours[kind], label=f"{kind} (exact)")
        ax.plot(estimate.recall, estimate.precision, "--", color=colours[kind], lw=0.8)
    ax.set_xlabel("recall β(λ)")
    ax.set_ylabel("precision α(λ)")
    ax.set_title(f"{ctx.settings['target']}: exact (—) and compare_gan estimate (--)", fontsize=8)
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    path = js_path(table)
    ax.plot(path.pi, path.f8, "-", color="tab:blue", label="F_8 (recall), JS_π fit")
    ax.plot(path.pi, path.f1_8, "-", color="tab:red", label="F_1/8 (precision), JS_π fit")
    w = wide(table)
    gans = w[w.kind == "gan"]
    ax.plot(gans.pi, gans.f8, ".", color="tab:blue", alpha=0.5, label="GANs (each run)")
    ax.plot(gans.pi, gans.f1_8, ".", color="tab:red", alpha=0.5)
    ax.set_xscale("logit")
    ax.set_xlabel("π")
    ax.set_ylabel("score")
    ax.legend(fontsize=6)
    ax = axes[0, 2]
    for kind, marker in (("kl_pq", "o"), ("kl_qp", "s"), ("mmd", "^")):
        r = w[w.kind == kind]
        ax.plot(r.f1_8, r.f8, marker, color=colours[kind], ms=8, label=kind)
    ax.scatter(path.f1_8, path.f8, c=np.log(path.pi / (1 - path.pi)), cmap="viridis", s=12, label="JS_π (colour: π)")
    ax.plot(gans.f1_8, gans.f8, ".", color="0.5", alpha=0.5, label="GANs")
    ax.set_xlabel("F_1/8 (precision)")
    ax.set_ylabel("F_8 (recall)")
    ax.legend(fontsize=6)
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """Two exact parts. KL: the KL[P||Q] fit has the larger F_8 (recall) and the smaller F_1/8 (precision) than the
    KL[Q||P] fit. JS_pi: the global minimiser's F_8 and F_1/8 at the smallest pi of the grid lie within ENDS of the
    KL fits' gap of the KL[P||Q] fit's and at the largest pi of the KL[Q||P] fit's (it moves from one to the other),
    and the largest single step of each along pi lies across the path's jump (the grid step where the global
    minimiser changes branch; with no jump this part needs only the ends). Within a branch the scores may drift
    either way (a Q narrowing onto one mode gains recall up to that mode's weight).
    Reproduced if both hold, partly if one, not reproduced if neither. The estimates and the GANs are reported."""
    table = computed.table
    w = wide(table)
    ml, rkl = w[w.kind == "kl_pq"].iloc[0], w[w.kind == "kl_qp"].iloc[0]
    kl_ok = bool(ml.f8 > rkl.f8 and ml.f1_8 < rkl.f1_8)
    path = js_path(table)
    slack = float(path.error_bound.max())
    gap8, gap1 = abs(ml.f8 - rkl.f8), abs(ml.f1_8 - rkl.f1_8)
    ends = max(abs(path.f8.iloc[0] - ml.f8) / gap8, abs(path.f1_8.iloc[0] - ml.f1_8) / gap1,
               abs(path.f8.iloc[-1] - rkl.f8) / gap8, abs(path.f1_8.iloc[-1] - rkl.f1_8) / gap1)  # in units of the gap
    moves = bool(ends <= ENDS)
    jumps = np.flatnonzero(np.abs(np.diff(path["mean"])) > 0.5 * path.sd.min())  # branch changes between grid pis
    step_f8, step_f1 = np.abs(np.diff(path.f8)), np.abs(np.diff(path.f1_8))
    at_jump = bool(not len(jumps) or (np.argmax(step_f8) in jumps and np.argmax(step_f1) in jumps))
    js_ok = moves and at_jump
    numbers = [("KL[P||Q] fit: F_8 (recall)", float(ml.f8), "score"),
               ("KL[Q||P] fit: F_8 (recall)", float(rkl.f8), "score"),
               ("KL[P||Q] fit: F_1/8 (precision)", float(ml.f1_8), "score"),
               ("KL[Q||P] fit: F_1/8 (precision)", float(rkl.f1_8), "score"),
               ("ML buys recall at the cost of precision, KL[Q||P] the reverse", float(kl_ok), "1 = holds", "= 1",
                kl_ok),
               ("JS_π minimiser at the ends of the π grid: largest distance of its F_8 and F_1/8 from the KL fits'",
                ends, "of the KL fits' gap", f"<= {ENDS}", moves),
               ("JS_π minimiser: the largest steps lie across the path's jump", float(at_jump), "1 = holds", "= 1",
                at_jump),
               ("largest error bound of an exact curve", slack, "probability"),
               ("compare_gan estimate: largest gap to the exact curve (any model)", float(w.estimate_gap.max()),
                "probability"),
               ("compare_gan estimate: median gap", float(w.estimate_gap.median()), "probability")]
    mmd = w[w.kind == "mmd"].iloc[0]
    numbers += [("MMD fit: F_8", float(mmd.f8), "score"), ("MMD fit: F_1/8", float(mmd.f1_8), "score")]
    gans = w[w.kind == "gan"]
    for (rule, pi), g in gans.groupby(["rule", "pi"]):
        numbers.append((f"GAN {rule} π={pi:g}: F_8 / F_1/8 (seed mean)", float(g.f8.mean()), "score"))
    if kl_ok and js_ok:
        status = "reproduced"
    elif kl_ok or js_ok:
        status = "partly"
    else:
        status = "not reproduced"
    jump_text = (f"its largest steps at π ≈ {path.pi.iloc[jumps[0]]:.3g}–{path.pi.iloc[jumps[0] + 1]:.3g}, "
                 "where the path jumps" if len(jumps) else "no jump on the path")
    summary = (f"On {ctx.settings['target']}: KL[P‖Q] fit F_8 = {ml.f8:.3f}, F_1/8 = {ml.f1_8:.3f}; KL[Q‖P] fit "
               f"F_8 = {rkl.f8:.3f}, F_1/8 = {rkl.f1_8:.3f}. The JS_π minimiser moves from one to the other with π "
               f"({'ends at the KL fits' if moves else 'ends away from the KL fits'}; {jump_text}). compare_gan's "
               f"estimate is off the exact curve by up to {w.estimate_gap.max():.3f} "
               f"(median {w.estimate_gap.median():.3f}).")
    return verdict(ID, status, summary, numbers)
