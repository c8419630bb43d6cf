"""manifold-q: a generator on a lower-dimensional manifold (a line or curve in 2-D) against a 2-D P.

The update-rule post (closing section): a GAN's Q is "concentrated on a nonlinear manifold" of measure zero, so
unless it lines up with P, "the Jensen-Shannon divergence is always exactly 1 bit irrespective of parameters of G",
"the KL divergences are not even well defined", "there are infinitely many classifiers achieving optimal Bayes
risk"; and "the GAN idea still makes sense at a high level, partly because we limit the classifiers". Three parts:

- thin: Q_eps, the Gaussian on P's first principal line made eps thick (`gandiv.exact.line_gaussian`), against P as
  eps -> 0: JS_pi, KL[Q||P] and KL[P||Q] certified by quadrature in the line's frame, the two KLs also on
  independent routes, and the eps = 0 values in closed form (JS_pi = H(pi), both KL infinite);
- path: the line (eps = 0) shifted across P along its normal: JS_pi stays H(pi) at every shift (closed form, and the
  thinnest eps computed), while W1 (optimal transport on samples, POT, with its error from a sample-size sweep) and
  JS_pi after Gaussian noise of scale sigma is added to both P and Q (an exact mixture pair, certified) are finite
  and change with the shift: what a user would compare with;
- gan: GANs whose mlp generator has a 1-D latent (the `manifold` study, `gandiv.gan.runs`): their fixed-noise
  samples lie on a curve, so JS_pi[P||Q_theta] = H(pi) at every step, yet the curve moves onto P's mass: W1 to P and
  the mean log p of the samples through training, and the discriminator's logit on a grid at the end (finite, where
  the Bayes classifier's is +-infinity on and off the curve).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gandiv.config_error import ConfigError
from gandiv.exact import line_gaussian as lg
from gandiv.exact.densities import GaussianMixture
from gandiv.exact.divergences import binary_entropy
from gandiv.figures.gan_tables import as_bool
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, contours, figure
from gandiv.gan import runs as gan_runs
from gandiv.results_io import read_csv, read_gan_run
from gandiv.samples.transport import ot_sweep, ot_w1
from gandiv.seeding import run_streams
from gandiv.update_rules import UpdateRule

ID = "manifold-q"
SETTINGS = """
description: >-
  A Gaussian on a line, made eps thin, against a 2-D target as eps -> 0; the line shifted across the target with W1
  and noise-smoothed JS_pi beside JS_pi; GANs whose generator has a 1-D latent (the manifold study).
type: object
additionalProperties: false
required: [target]
properties:
  target:
    description: A 2-D target (P). Q's line is P's first principal axis, through P's mean.
    $ref: "#/$defs/target_name"
  pi:
    description: The discriminator's prior on real data, of JS_pi and of the manifold study's GANs.
    $ref: "#/$defs/probability"
    default: 0.5
  eps:
    description: Thicknesses of Q_eps (x units), in decreasing order; the smallest decides the limit.
    type: array
    minItems: 3
    items: {type: number, exclusiveMinimum: 0}
    default: [1.0, 0.1, 1.0e-2, 1.0e-3, 1.0e-4, 1.0e-5, 1.0e-6]
  offsets:
    description: Shifts of the line along its normal, in P's sds along that normal, for the path part.
    type: array
    minItems: 3
    uniqueItems: true
    items: {type: number}
    default: [-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0]
  sigmas:
    description: Scales (x units) of the Gaussian noise added to both P and Q for the smoothed JS_pi.
    type: array
    minItems: 1
    uniqueItems: true
    items: {type: number, exclusiveMinimum: 0}
    default: [0.1, 0.3, 1.0]
  path_samples:
    description: Samples of P and of the line per optimal-transport W1 on the path (a halving sweep gives its error).
    type: integer
    minimum: 64
    default: 2000
  rules:
    description: Update rules of the manifold study's GANs (logit rules).
    type: array
    minItems: 1
    uniqueItems: true
    items: {$ref: "#/$defs/gan_grid_rule"}
    default: [minimax, nonsaturating]
  seeds:
    description: Seeds of the manifold study's GANs, per rule.
    $ref: "#/$defs/seed_list"
    default: [0, 1, 2, 3, 4]
  latent_dim:
    description: The mlp generator's noise dimension; below the target's dimension, so Q lives on a curve.
    type: integer
    minimum: 1
    default: 1
  min_runs:
    description: Runs per rule (converged, not diverged) below which the GAN part is inconclusive.
    type: integer
    minimum: 2
    default: 5
"""
NEEDS = Needs(settings=None, config=("seed", "gan.evaluation.convergence.window_steps", "exact.quadrature_points_per_sd",
                                     "exact.quadrature_halfwidth_sd"), targets=("target",))

LIMIT_TOL = 1e-3  # H(pi) - JS_pi at the thinnest eps at most this share of H(pi): the limit is reached
KL_QP_SLOPE = (0.9, 1.1)  # KL[Q_eps||P] per unit of log(1/eps) at the thin end (theory: 1, from -H(Q_eps))
KL_PQ_SLOPE = (1.8, 2.2)  # log KL[P||Q_eps] per unit of log(1/eps) at the thin end (theory: 2, E_P[n^2] / 2 eps^2)
MOVED = 0.5  # a trained curve is on P's mass when W1 over its final window stays at most this share of its first
MOVED_SHARE = 0.8  # ... in at least this share of a rule's runs
ROUND_OFF = 1e-9  # relative slack when two certified routes are compared (float64 sums of ~1e5 terms)
COLUMNS = ["part", "rule", "seed", "step", "eps", "offset", "sigma", "quantity", "value", "unit", "error", "kind"]


def check(settings: Mapping, config: Mapping) -> None:
    """The target is 2-D, eps decreases, and the latent dimension is below the target's (ConfigError naming the key)."""
    from gandiv.exact.densities import target_dim

    dim = target_dim(config["targets"][settings["target"]])
    if dim != 2:
        raise ConfigError(f"figures.{ID}.target", f"{settings['target']!r} is {dim}-D", "a 2-D target")
    eps = list(settings["eps"])
    if eps != sorted(eps, reverse=True) or len(set(eps)) != len(eps):
        raise ConfigError(f"figures.{ID}.eps", f"{eps} is not strictly decreasing", "thicknesses in decreasing order")
    if settings["latent_dim"] >= dim:
        raise ConfigError(f"figures.{ID}.latent_dim", f"{settings['latent_dim']} is not below the target's "
                          f"dimension {dim}", f"an integer from 1 to {dim - 1}")


def study_runs(config: Mapping) -> list[gan_runs.GanRun]:
    """The manifold study's runs (`gandiv.gan.runs.manifold_runs`)."""
    return gan_runs.manifold_runs(config)


def inputs(config: Mapping) -> dict:
    """Every run's status, snapshots and history (same order), and the study's evaluation table (convergence)."""
    runs = study_runs(config)
    return {"statuses": [run.file("status.json") for run in runs],
            "snapshots": [run.file("snapshots.npz") for run in runs],
            "histories": [run.file("history.csv") for run in runs],
            "evaluation": gan_runs.evaluation_table("manifold", config["figures"][ID]["target"], "mlp")}


def principal_line(p: GaussianMixture) -> lg.LineGaussian:
    """The Gaussian on P's first principal axis: through P's mean, along the top eigenvector of P's covariance, with
    P's sd along it (the KL[P||Q]-optimal Gaussian with its minor variance set to 0). The eigenvector's sign is
    LAPACK's choice, so it is fixed here (largest-magnitude component positive): the path's offsets then mean the
    same side of P on every machine."""
    values, vectors = np.linalg.eigh(p.covariance())
    direction = vectors[:, -1]
    direction = direction * np.sign(direction[np.argmax(np.abs(direction))])
    return lg.LineGaussian(p.mean(), direction, float(np.sqrt(values[-1])))


def shifted(line: lg.LineGaussian, p: GaussianMixture, offset: float) -> lg.LineGaussian:
    """The line moved by `offset` P-sds along its normal."""
    sd_normal = float(np.sqrt(line.normal @ p.covariance() @ line.normal))
    return lg.LineGaussian(line.centre + offset * sd_normal * line.normal, line.direction, line.scale)


def _row(part: str, quantity: str, value: float, error: float, kind: str, unit: str = NATS, **names) -> dict:
    base = {"part": part, "rule": "", "seed": -1, "step": -1, "eps": np.nan, "offset": np.nan, "sigma": np.nan}
    return base | names | {"quantity": quantity, "value": float(value), "unit": unit, "error": float(error),
                           "kind": kind}


def thin_rows(p: GaussianMixture, line: lg.LineGaussian, eps_values, pi: float, grid: dict) -> list[dict]:
    """Per eps: the certified JS_pi, KL[Q||P], KL[P||Q] (line-frame quadrature) and the two KLs on their independent
    routes; then eps = 0 in closed form."""
    entropy_p = lg.entropy(p, **grid)
    rows = []
    for eps in eps_values:
        values = lg.thin_divergences(p, line, eps, pi, **grid)
        rows += [_row("thin", name, c.value, c.error, c.method, eps=eps) for name, c in values.items()]
        checks = {"kl_qp_check": lg.kl_qp_entropy_route(p, line, eps), "kl_pq_check": lg.kl_pq_moments(p, line, eps,
                                                                                                      entropy_p)}
        rows += [_row("thin", name, c.value, c.error, c.method, eps=eps) for name, c in checks.items()]
    rows += [_row("thin", name, c.value, c.error, c.method, eps=0.0) for name, c in lg.singular_limit(pi).items()]
    return rows


def path_rows(p: GaussianMixture, line: lg.LineGaussian, settings: Mapping, grid: dict,
              rng: np.random.Generator) -> list[dict]:
    """Per offset of the line: JS_pi in the limit (closed form) and at the thinnest eps; W1 by optimal transport
    (the estimate at path_samples / 2 points with its sweep error); JS_pi of the pair smoothed by each sigma."""
    pi, eps_min, n = settings["pi"], min(settings["eps"]), settings["path_samples"]
    rows = []
    for offset in settings["offsets"]:
        moved = shifted(line, p, offset)
        rows.append(_row("path", "js_pi_limit", binary_entropy(pi), 0.0, "closed form (mutually singular)",
                         offset=offset))
        thin = lg.thin_divergences(p, moved, eps_min, pi, ("js_pi",), **grid)["js_pi"]
        rows.append(_row("path", "js_pi_thinnest", thin.value, thin.error, thin.method, offset=offset, eps=eps_min))
        sweep = ot_sweep(moved.sample(n, rng), p.sample(n, rng), n // 2)
        rows.append(_row("path", "w1", sweep["sizes"][n // 2][0], sweep["error_at_n_ot"],
                         f"estimate (POT, n={n // 2}; error from a sweep to n={n})", "x units", offset=offset))
        for sigma in settings["sigmas"]:
            # Q_0 + noise is the widened line sigma thick: certified in the line's frame, whatever sigma
            smoothed = lg.thin_divergences(lg.smoothed_target(p, sigma), moved.widened(sigma), sigma, pi, ("js_pi",),
                                           **grid)["js_pi"]
            rows.append(_row("path", "js_pi_smoothed", smoothed.value, smoothed.error, smoothed.method,
                             offset=offset, sigma=sigma))
    return rows


def run_rows(ctx: Context, p: GaussianMixture) -> list[dict]:
    """Per run and snapshot: W1 between the fixed-noise samples and as many of P's (POT; at the first and final
    snapshots with a sweep error), the samples' mean log p with its standard error, and JS_pi = H(pi) (closed form:
    the samples' curve has measure 0); per run at the end: the critic's chunk-mean logits on P's and Q's batches and
    the logit's range on the probe grid; whether the run converged and diverged."""
    pi = ctx.settings["pi"]
    evaluation = read_csv(ctx.inputs["evaluation"], required=("rule", "seed", "converged", "diverged"))
    flags = evaluation.drop_duplicates(["rule", "seed"]).set_index(["rule", "seed"])
    rows = []
    for status_path, snap_path, hist_path in zip(ctx.inputs["statuses"], ctx.inputs["snapshots"],
                                                 ctx.inputs["histories"]):
        status, snaps = read_gan_run(status_path, snap_path)
        history = read_csv(hist_path, required=("step", "real_logit", "fake_logit")).set_index("step")
        rule, seed = status["rule"], int(status["seed"])
        names = {"rule": rule, "seed": seed}
        rng = run_streams(ctx.seed, {"job": ID, **names}).numpy("evaluation")
        reference = p.sample(len(snaps["samples"][0]), rng)
        finite = [k for k, samples in enumerate(snaps["samples"]) if np.isfinite(samples).all()]
        n = len(reference) // 2  # the OT sample size; the sweep at the first and final snapshots goes up to 2n
        for k in finite:
            step, samples = int(snaps["steps"][k]), snaps["samples"][k].astype(float)
            if k in (finite[0], finite[-1]):
                sweep = ot_sweep(samples, reference, n)
                w1, error = sweep["sizes"][n][0], sweep["error_at_n_ot"]
            else:
                w1, error = ot_w1(samples[:n], reference[:n]), np.nan
            log_p = p.log_prob(samples)
            rows += [_row("gan", "w1", w1, error, "estimate (POT on the fixed-noise samples)", "x units",
                          step=step, **names),
                     _row("gan", "mean_log_p", log_p.mean(), log_p.std(ddof=1) / np.sqrt(len(log_p)),
                          "Monte Carlo (fixed-noise samples)", step=step, **names),
                     _row("gan", "js_pi", binary_entropy(pi), 0.0, "closed form (Q on a curve)", step=step, **names)]
        last = int(snaps["steps"][finite[-1]]) if finite else -1
        if last in history.index:
            rows += [_row("gan", f"{side}_logit_final", history.loc[last, f"{side}_logit"], np.nan,
                          "history (chunk mean)", step=last, **names) for side in ("real", "fake")]
            logits = snaps["probe_logits"][finite[-1]]
            rows += [_row("gan", f"probe_logit_{end}", fn(logits), 0.0, "discriminator on the probe grid",
                          step=last, **names) for end, fn in (("min", np.min), ("max", np.max))]
        flag = flags.loc[(rule, seed)] if (rule, seed) in flags.index else None
        for name in ("converged", "diverged"):
            value = bool(as_bool([flag[name]])[0]) if flag is not None else False
            rows.append(_row("gan", name, float(value), 0.0, "evaluation table", "", **names))
    return rows


def compute(ctx: Context) -> Computed:
    """The three parts' rows (module docstring), in one tidy table; the last snapshot's samples and probe logits
    of each rule's first run, for the drawing."""
    p = ctx.target(ctx.settings["target"])
    line = principal_line(p)
    grid = ctx.quadrature  # the exact stage's grid settings, for the line frame and the smoothed pairs alike
    rng = run_streams(ctx.seed, {"job": ID, "part": "path"}).numpy("evaluation")
    rows = thin_rows(p, line, ctx.settings["eps"], ctx.settings["pi"], grid)
    rows += path_rows(p, line, ctx.settings, grid, rng)
    rows += run_rows(ctx, p)
    shown = {}
    for status_path, snap_path in zip(ctx.inputs["statuses"], ctx.inputs["snapshots"]):
        status, snaps = read_gan_run(status_path, snap_path)
        finite = [k for k, samples in enumerate(snaps["samples"]) if np.isfinite(samples).all()]
        if status["rule"] not in shown and finite:  # a diverged run's last finite state, as run_rows reads it
            shown[status["rule"]] = {"first": snaps["samples"][finite[0]], "last": snaps["samples"][finite[-1]],
                                     "probe_points": snaps["probe_points"],
                                     "probe_logits": snaps["probe_logits"][finite[-1]], "seed": int(status["seed"])}
    return Computed(pd.DataFrame(rows, columns=COLUMNS), {"shown": shown})


def _thin(table: pd.DataFrame, quantity: str) -> pd.DataFrame:
    """The thin part's rows of one quantity at eps > 0, thickest first."""
    rows = table[(table.part == "thin") & (table.quantity == quantity) & (table.eps > 0)]
    return rows.sort_values("eps", ascending=False)


def limit_numbers(table: pd.DataFrame, pi: float) -> dict:
    """What the thin part shows: the deficits H(pi) - JS_pi (nats) and whether each thinner eps's is smaller by more
    than the two errors; the thinnest deficit over H(pi); the slopes of KL[Q||P] and of log KL[P||Q] in log(1/eps)
    between the two thinnest eps; the largest disagreement of the two KLs with their independent routes, in units
    of the summed errors (plus ROUND_OFF relative)."""
    js = _thin(table, "js_pi")
    deficit = binary_entropy(pi) - js.value.to_numpy()
    errors = js.error.to_numpy()
    shrinks = bool(np.all(deficit[1:] < deficit[:-1] - (errors[1:] + errors[:-1])))
    kl_qp, kl_pq = _thin(table, "kl_qp"), _thin(table, "kl_pq")
    span = float(np.log(kl_qp.eps.iloc[-2] / kl_qp.eps.iloc[-1]))
    worst = 0.0
    for name in ("kl_qp", "kl_pq"):
        a, b = _thin(table, name).set_index("eps"), _thin(table, f"{name}_check").set_index("eps")
        gap = (a.value - b.value).abs() / (a.error + b.error + ROUND_OFF * a.value.abs())
        worst = max(worst, float(gap.max()))
    return {"deficits": deficit, "shrinks": shrinks, "thinnest_share": float(deficit[-1] / binary_entropy(pi)),
            "kl_qp_slope": float((kl_qp.value.iloc[-1] - kl_qp.value.iloc[-2]) / span),
            "kl_pq_slope": float((np.log(kl_pq.value.iloc[-1]) - np.log(kl_pq.value.iloc[-2])) / span),
            "routes": worst}


def path_numbers(table: pd.DataFrame, pi: float) -> dict:
    """What the path part shows: the largest share of H(pi) JS_pi at the thinnest eps falls short by over the
    offsets (the claim: JS is H(pi) irrespective of the generator's parameters), and, for W1 and each sigma's
    smoothed JS_pi, the range over the offsets and the range over the largest error."""
    path = table[table.part == "path"]
    thinnest = path[path.quantity == "js_pi_thinnest"]
    out = {"thinnest_share": float((binary_entropy(pi) - thinnest.value).max() / binary_entropy(pi)), "moves": {}}
    pieces = [("W1", path[path.quantity == "w1"])]
    pieces += [(f"JS_pi smoothed by sigma {s:g}", rows) for s, rows in
               path[path.quantity == "js_pi_smoothed"].groupby("sigma")]
    for label, rows in pieces:
        spread = float(rows.value.max() - rows.value.min())
        out["moves"][label] = (spread, spread / max(float(rows.error.max()), 1e-15))
    return out


RUN_COLUMNS = ["rule", "seed", "converged", "diverged", "w1_first", "w1_first_error", "w1_final", "w1_window_max",
               "w1_final_error", "log_p_first", "log_p_final", "moved"]


def run_numbers(table: pd.DataFrame, window_steps: int) -> pd.DataFrame:
    """Per run: converged and diverged flags, W1 at the first and final snapshots, the largest W1 over the final
    `window_steps` of training, the errors (the sweeps' at the first and final snapshots; the final one stands for
    the window's), the samples' mean log p at the first and final snapshots, and whether the curve moved onto P's mass
    and stayed there: the window's largest W1 + the final error <= MOVED x (first W1 - its error)."""
    gan = table[table.part == "gan"]
    out = []
    for (rule, seed), run in gan.groupby(["rule", "seed"], sort=False):
        flags = run.set_index("quantity").value
        w1 = run[run.quantity == "w1"].sort_values("step")
        log_p = run[run.quantity == "mean_log_p"].sort_values("step")
        row = {"rule": rule, "seed": int(seed), "converged": bool(flags.get("converged", 0.0)),
               "diverged": bool(flags.get("diverged", 0.0))}
        if len(w1) >= 2:
            first, final = w1.iloc[0], w1.iloc[-1]
            window = float(w1[w1.step >= final.step - window_steps].value.max())
            row |= {"w1_first": first.value, "w1_first_error": first.error, "w1_final": final.value,
                    "w1_window_max": window, "w1_final_error": final.error, "log_p_first": log_p.value.iloc[0],
                    "log_p_final": log_p.value.iloc[-1],
                    "moved": bool(window + final.error <= MOVED * (first.value - first.error))}
        out.append(row)
    return pd.DataFrame(out, columns=RUN_COLUMNS)


def judge(computed: Computed, ctx: Context) -> dict:
    """Two parts. The singular limit holds when H(pi) - JS_pi shrinks with every thinner eps beyond the errors and at
    the thinnest is <= LIMIT_TOL of H(pi), at every offset of the path too (JS irrespective of the parameters),
    KL[Q||P] grows like log(1/eps) (slope in KL_QP_SLOPE) and KL[P||Q] like eps^-2 (slope of its log in
    KL_PQ_SLOPE), and the KLs agree with their independent routes. The GANs learn when, for every rule with at least
    min_runs undiverged runs, at least MOVED_SHARE of them keep W1 below MOVED of their first over the final window
    (`run_numbers`). A curve cannot match a 2-D P, so no generator parameter is a resting point and the samples need
    not stop moving: the window, not the last snapshot, stands for the end, and how many runs met the convergence
    criterion is reported, not required.
    reproduced: both hold; partly: one holds and the other fails; not reproduced: one fails and neither holds;
    inconclusive: the limit holds and some rule has too few usable runs, none failing."""
    pi, min_runs = ctx.settings["pi"], ctx.settings["min_runs"]
    table = computed.table
    limit, path = limit_numbers(table, pi), path_numbers(table, pi)
    limit_checks = {"shrinks": limit["shrinks"], "thinnest": limit["thinnest_share"] <= LIMIT_TOL,
                    "path": path["thinnest_share"] <= LIMIT_TOL,
                    "kl_qp": KL_QP_SLOPE[0] <= limit["kl_qp_slope"] <= KL_QP_SLOPE[1],
                    "kl_pq": KL_PQ_SLOPE[0] <= limit["kl_pq_slope"] <= KL_PQ_SLOPE[1], "routes": limit["routes"] <= 1.0}
    limit_holds = all(limit_checks.values())
    numbers = [("H(pi) - JS_pi shrinks with every thinner eps, beyond the errors", float(limit["shrinks"]), "",
                "= 1", limit_checks["shrinks"]),
               ("(H(pi) - JS_pi) / H(pi) at the thinnest eps", limit["thinnest_share"], "", f"<= {LIMIT_TOL:g}",
                limit_checks["thinnest"]),
               ("largest (H(pi) - JS_pi) / H(pi) over the path's offsets, thinnest eps", path["thinnest_share"], "",
                f"<= {LIMIT_TOL:g}", limit_checks["path"]),
               ("d KL[Q||P] / d log(1/eps), thinnest two eps", limit["kl_qp_slope"], NATS,
                f"in [{KL_QP_SLOPE[0]}, {KL_QP_SLOPE[1]}]", limit_checks["kl_qp"]),
               ("d log KL[P||Q] / d log(1/eps), thinnest two eps", limit["kl_pq_slope"], "",
                f"in [{KL_PQ_SLOPE[0]}, {KL_PQ_SLOPE[1]}]", limit_checks["kl_pq"]),
               ("largest KL disagreement with the independent routes / summed errors", limit["routes"], "", "<= 1",
                limit_checks["routes"])]
    numbers += [(f"{label}: range over the path's offsets / largest error", ratio, "")
                for label, (_, ratio) in path["moves"].items()]
    runs = run_numbers(table, ctx.config["gan"]["evaluation"]["convergence"]["window_steps"])
    usable = runs[~runs.diverged & runs.moved.notna()]
    rule_holds, decided, parts = [], [], []
    for rule in ctx.settings["rules"]:
        mine, everyone = usable[usable.rule == rule], runs[runs.rule == rule]
        enough = len(mine) >= min_runs
        share = float(mine.moved.astype(bool).mean()) if len(mine) else np.nan
        decided.append(enough)
        rule_holds.append(bool(enough and share >= MOVED_SHARE))
        numbers += [(f"{rule}: undiverged runs", len(mine), "runs", f">= {min_runs}", enough),
                    (f"{rule}: share of them whose W1 stays <= {MOVED:g} x first over the final window", share, "",
                     f">= {MOVED_SHARE:g}", bool(share >= MOVED_SHARE) if enough else None),
                    (f"{rule}: median final-window max / first W1", float(np.median(mine.w1_window_max / mine.w1_first))
                     if len(mine) else np.nan, ""),
                    (f"{rule}: runs that met the convergence criterion", int(everyone.converged.sum()), "runs")]
        parts.append(f"{rule}: median W1 {mine.w1_first.median():.3g} -> {mine.w1_final.median():.3g} x units over "
                     f"{len(mine)} runs ({int(everyone.converged.sum())} met the convergence criterion)")
    gan_holds = all(decided) and all(rule_holds)
    gan_fails = any(d and not h for d, h in zip(decided, rule_holds))
    holds, fails = [limit_holds, gan_holds], [not limit_holds, gan_fails]
    if all(holds):
        status = "reproduced"
    elif any(fails):
        status = "partly" if any(holds) else "not reproduced"
    else:
        status = "inconclusive"
    deficits = ", ".join(f"{d:.2g}" for d in limit["deficits"])
    summary = (f"Q_eps on P's principal line against P ({ctx.settings['target']}, pi = {pi:g}): H(pi) - JS_pi = "
               f"{deficits} nats as eps falls from {max(ctx.settings['eps']):g} to {min(ctx.settings['eps']):g}; "
               f"KL[Q||P] gains {limit['kl_qp_slope']:.3f} nats per unit of log(1/eps), KL[P||Q] grows like "
               f"eps^-{limit['kl_pq_slope']:.2f}. Along the path JS_pi stays H(pi) while W1 and the smoothed JS_pi "
               f"change. GANs with a {ctx.settings['latent_dim']}-D latent: " + "; ".join(parts) + ".")
    return verdict(ID, status, summary, numbers)


def draw(computed: Computed, ctx: Context):
    """Top: the thin limit (H(pi) - JS_pi and both KLs against eps, log-log), the path (JS_pi, smoothed JS_pi and W1
    against the line's offset). Bottom: the first run of the first rule at its last snapshot, its curve (and its
    first one) over the discriminator's logit and P's contours; W1 and the samples' mean log p through training, every
    run."""
    table, pi = computed.table, ctx.settings["pi"]
    p = ctx.target(ctx.settings["target"])
    fig, axes = figure(ncols=3, nrows=2, width=4.4, height=3.6)
    ax = axes[0][0]
    js = _thin(table, "js_pi")
    ax.loglog(js.eps, binary_entropy(pi) - js.value, "o-", label="H(π) − JS_π")
    ax.set(title="JS_π → H(π) as Q thins (eps = 0: equal)", xlabel="thickness eps of Q (x units)", ylabel=NATS)
    ax.invert_xaxis()
    ax.legend(fontsize=8)
    ax = axes[0][1]
    for quantity, label in (("kl_qp", "KL[Q‖P] (≈ log 1/eps)"), ("kl_pq", "KL[P‖Q] (≈ eps⁻²)")):
        rows = _thin(table, quantity)
        ax.loglog(rows.eps, rows.value, "o-", label=label)
    ax.set(title="both KLs → ∞ (undefined at eps = 0)", xlabel="thickness eps of Q (x units)", ylabel=NATS)
    ax.invert_xaxis()
    ax.legend(fontsize=8)
    ax = axes[0][2]
    path = table[table.part == "path"]
    limit = path[path.quantity == "js_pi_limit"]
    ax.plot(limit.offset, limit.value, "k-", label="JS_π, Q on the line: H(π)")
    thin = path[path.quantity == "js_pi_thinnest"]
    ax.plot(thin.offset, thin.value, "kx", label=f"JS_π at eps = {min(ctx.settings['eps']):g}")
    for k, (sigma, rows) in enumerate(path[path.quantity == "js_pi_smoothed"].groupby("sigma")):
        ax.plot(rows.offset, rows.value, "o-", color=f"C{k}", ms=3, label=f"JS_π, noise σ = {sigma:g}")
    ax.set(title="along the line's shift", xlabel="offset of the line (P's sds along its normal)", ylabel=NATS)
    twin = ax.twinx()
    w1 = path[path.quantity == "w1"]
    twin.errorbar(w1.offset, w1.value, yerr=w1.error, fmt="s--", color="C7", ms=3, label="W1 (POT), x units")
    twin.set_ylabel("W1 (x units)")
    twin.grid(False)
    ax.legend(fontsize=6, loc="center left")
    twin.legend(fontsize=6, loc="lower right")
    shown = computed.extras.get("shown", {})
    ax = axes[1][0]
    if shown:
        rule, run = next(iter(shown.items()))
        points, logits = run["probe_points"], run["probe_logits"]
        side = int(round(np.sqrt(len(points))))
        xs, ys = points[:, 0].reshape(side, side), points[:, 1].reshape(side, side)
        limit_abs = float(np.nanmax(np.abs(logits))) or 1.0
        mesh = ax.pcolormesh(xs, ys, logits.reshape(side, side), cmap="RdBu", vmin=-limit_abs, vmax=limit_abs,
                             shading="auto")
        fig.colorbar(mesh, ax=ax, label="discriminator logit (nats)")
        bounds = np.array([[xs.min(), xs.max()], [ys.min(), ys.max()]])
        contours(ax, p, bounds, color="k", levels=3, linewidths=0.8)
        ax.plot(*run["first"].T, ".", color="C7", ms=1.5, label="Q's samples, first snapshot")
        ax.plot(*run["last"].T, ".", color="C2", ms=1.5, label="Q's samples, last snapshot")
        ax.set(title=f"{rule}, seed {run['seed']}: logit at the end", xlabel="x₁", ylabel="x₂",
               xlim=bounds[0], ylim=bounds[1])
        ax.legend(fontsize=6, loc="upper left", markerscale=4)
    else:
        ax.text(0.5, 0.5, "no GAN run", ha="center", transform=ax.transAxes)
    gan = table[table.part == "gan"]
    for ax, quantity, label in ((axes[1][1], "w1", "W1 to P (x units)"),
                                (axes[1][2], "mean_log_p", "mean log p of Q's samples (nats)")):
        title = "W1 to P, every run" if quantity == "w1" else "mean log p of Q's samples, every run"
        for k, rule in enumerate(ctx.settings["rules"]):
            rows = gan[(gan.rule == rule) & (gan.quantity == quantity)]
            for j, (seed, run) in enumerate(rows.groupby("seed")):
                ax.plot(run.step, run.value, "-", color=f"C{k}", alpha=0.7, label=rule if j == 0 else None)
        ax.set(title=title, xlabel="training step (JS_π = H(π) at every step)", ylabel=label)
        if quantity == "w1":
            ax.set_yscale("log")
        ax.legend(fontsize=7)
    return fig
