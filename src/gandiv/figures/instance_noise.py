"""instance-noise: what instance noise does to the JS_pi path, exactly, and where GANs trained with it land.

Beyond the sources (Sønderby et al. 2016; the author's later post on instance noise). With noise of scale sigma
before the discriminator, the minimax generator with an ideal discriminator minimises JS_pi between the smoothed
pair P * N(0, sigma^2) and Q * N(0, sigma^2), exact for mixtures (`gandiv.exact.instance_noise`). Over a sigma grid
this figure computes the JS_pi path with every branch of local minima at each pi of the exact stage's grid, the
jump line pi_c(sigma) of the global minimiser and the merge point above which one minimum is left at every pi; then
reads the `noise` study's GANs (`gandiv.gan.dynamics`: minimax, a Gaussian generator, instance noise `gan_sigmas`)
and compares where they land with the exact minima of their (pi, sigma).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gandiv.config_error import ConfigError
from gandiv.exact.instance_noise import bistable, merge_point, noise_path
from gandiv.exact.pi_path import pi_grid
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.gan import dynamics, runs, trajectory
from gandiv.results_io import read_json, read_npz

ID = "instance-noise"
STUDY = "noise"

SETTINGS = """
description: >-
  The exact JS_pi path of the noise-smoothed pair over a (pi, sigma) grid, its jump line and merge point, and GANs
  trained with instance noise (the `noise` study: minimax, a Gaussian generator on the 1-D mixture `target`, with
  the `gan` section's settings except the steps, steps per call and start) at `pi` x `gan_sigmas` x `seeds`.
type: object
additionalProperties: false
required: [target]
properties:
  target:
    description: A 1-D mixture of at least two components (where the JS_pi path has two branches).
    $ref: "#/$defs/target_name"
  sigmas:
    description: Instance-noise scales of the exact diagram (x units), increasing, the first 0 (today's path).
    type: array
    minItems: 2
    uniqueItems: true
    items: {type: number, minimum: 0}
    default: [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
  merge_tol:
    description: Bisection tolerance of the merge point (x units).
    type: number
    exclusiveMinimum: 0
    default: 1.0e-3
  pi:
    description: Priors the GANs train at, no duplicates.
    type: array
    minItems: 1
    uniqueItems: true
    items: {$ref: "#/$defs/probability"}
    default: [0.5, 0.8]
  gan_sigmas:
    description: Instance-noise scales the GANs train with (x units), each one of `sigmas`, no duplicates.
    type: array
    minItems: 1
    uniqueItems: true
    items: {type: number, minimum: 0}
    default: [0.0, 0.5, 1.0]
  seeds:
    $ref: "#/$defs/seed_list"
    default: [0, 1, 2, 3, 4]
  start_mean: {$ref: "#/$defs/dynamics_start_mean", default: 0.0}
  steps: {$ref: "#/$defs/dynamics_steps", default: 12000}
  steps_per_call: {$ref: "#/$defs/dynamics_steps_per_call", default: 100}
"""

NEEDS = Needs(None, ("seed", "exact.pi_grid", "exact.path_starts", "exact.max_iter", "exact.quadrature_points_per_sd",
                     "exact.quadrature_halfwidth_sd", "gan.evaluation.convergence.window_steps"), ("target",))
MIN_SEEDS = 3  # a (pi, sigma) point's landing needs at least this many seeds to be judged
FLOOR = 0.05  # x units, per parameter: the landing may sit this far beyond 3 seed sds (finite discriminator, Adam)
MOVED = 1e-3  # pi: the jump line moved where pi_c(sigma) differs from pi_c(0) by more (crossings are found to 1e-6)


def side(pi: float, pi_c: float) -> str:
    """Which branch is global at (pi, sigma) with jump pi_c(sigma): "mode-seeking" above the jump, "covering"
    below it or where the minimiser does not jump (pi_c NaN)."""
    return "mode-seeking" if np.isfinite(pi_c) and pi > pi_c else "covering"


def check(settings, config) -> None:
    """The dynamics studies' rules (`dynamics.check_study`: a 1-D mixture, whole calls, a budget past the window);
    sigmas increasing from 0; every GAN sigma on the exact grid (ConfigError naming the key)."""
    dynamics.check_study(ID, settings, config)
    sigmas = settings["sigmas"]
    if sigmas[0] != 0 or any(b <= a for a, b in zip(sigmas, sigmas[1:])):
        raise ConfigError(f"figures.{ID}.sigmas", f"{sigmas} does not increase from 0", "0 first, then increasing")
    off = [s for s in settings["gan_sigmas"] if s not in sigmas]
    if off:
        raise ConfigError(f"figures.{ID}.gan_sigmas", f"{off} not in sigmas", f"values of sigmas: {sigmas}")


def inputs(config) -> dict:
    """Every run's snapshots and status, in run order."""
    members = runs.dynamics_runs(config, STUDY)
    return {"snapshots": [run.file("snapshots.npz") for run in members],
            "status": [run.file("status.json") for run in members]}


def landing(snapshot_file: str, window: int) -> np.ndarray:
    """A run's (mean, sd) averaged over the snapshots of its final `window` steps (x units), from its fixed-noise
    samples (`trajectory.parameters`)."""
    snapshots = read_npz(snapshot_file)
    theta = trajectory.parameters(snapshots["samples"], snapshots["noise"])
    steps = np.asarray(snapshots["steps"])
    return theta[steps >= steps[-1] - window].mean(axis=0)


def compute(ctx: Context) -> Computed:
    """One tidy table (part, sigma, pi, rank, seed, quantity, value, unit): the path's local minima per (sigma, pi)
    (`path`: mean, scale, js_pi and its error, is_global), the crossings (`crossing`: the jump's size), the merge
    point (`merge`), and per GAN run its landing, the nearest exact minimum's rank and the distance to each
    (`gan`)."""
    s, config = ctx.settings, ctx.config
    exact = config["exact"]
    target = ctx.target(s["target"])
    quad = {"points_per_sd": exact["quadrature_points_per_sd"], "halfwidth_sd": exact["quadrature_halfwidth_sd"]}
    pis = np.unique(np.concatenate([pi_grid(exact["pi_grid"]), s["pi"]]))
    rows, minima = [], {}
    for sigma in s["sigmas"]:
        table, crossings = noise_path(target, sigma, pis, exact["path_starts"], config["seed"], exact["max_iter"],
                                      quad)
        for _, r in table.iterrows():
            base = {"part": "path", "sigma": sigma, "pi": r.pi, "rank": int(r["rank"]), "seed": -1}
            rows += [base | {"quantity": q, "value": float(r[q]), "unit": u} for q, u in (
                ("mean_0", "x units"), ("scale", "x units"), ("js_pi", "nats"), ("js_pi_error", "nats"),
                ("is_global", "1 = global"))]
            minima.setdefault((sigma, float(r.pi)), []).append((int(r["rank"]), r.mean_0, r.scale))
        rows += [{"part": "crossing", "sigma": sigma, "pi": c.pi, "rank": -1, "seed": -1, "quantity": "jump",
                  "value": c.jump, "unit": "x units"} for c in crossings]
        rows.append({"part": "bistable", "sigma": sigma, "pi": np.nan, "rank": -1, "seed": -1,
                     "quantity": "bistable_pi", "value": float(len(bistable(table))), "unit": "grid points"})
    counts = {sigma: sum(r["value"] for r in rows if r["part"] == "bistable" and r["sigma"] == sigma)
              for sigma in s["sigmas"]}
    two = [sigma for sigma in s["sigmas"] if counts[sigma] > 0]
    above = [sigma for sigma in s["sigmas"] if two and sigma > max(two) and counts[sigma] == 0]
    if two and above:
        merge = merge_point(target, max(two), min(above), pis, exact["path_starts"], config["seed"], s["merge_tol"],
                            exact["max_iter"], quad)
        rows += [{"part": "merge", "sigma": np.nan, "pi": np.nan, "rank": -1, "seed": -1, "quantity": q,
                  "value": float(v), "unit": "x units" if "sigma" in q or q == "jump" else "pi"}
                 for q, v in merge.items()]
    window = int(config["gan"]["evaluation"]["convergence"]["window_steps"])
    for snapshot_file, status_file in zip(ctx.inputs["snapshots"], ctx.inputs["status"]):
        run = runs.GanRun.from_folder(str(Path(snapshot_file).parent))
        sigma = dynamics.instance_noise_of(run.discriminator)
        diverged = bool(read_json(status_file, required=("diverged",))["diverged"])
        mean, sd = landing(snapshot_file, window) if not diverged else (np.nan, np.nan)
        found = sorted(minima[(sigma, float(run.pi))])
        gaps = [float(np.hypot(mean - m, sd - sc)) for _, m, sc in found]
        base = {"part": "gan", "sigma": sigma, "pi": run.pi, "rank": -1, "seed": run.seed}
        rows += [base | {"quantity": "mean", "value": mean, "unit": "x units"},
                 base | {"quantity": "sd", "value": sd, "unit": "x units"},
                 base | {"quantity": "nearest_rank", "value": float(np.argmin(gaps)) if np.isfinite(mean) else np.nan,
                         "unit": "rank (0 = global)"},
                 base | {"quantity": "distance_to_global", "value": gaps[0], "unit": "x units"}]
    return Computed(pd.DataFrame(rows, columns=["part", "sigma", "pi", "rank", "seed", "quantity", "value", "unit"]))


def gan_points(table: pd.DataFrame) -> pd.DataFrame:
    """Per GAN (pi, sigma): seeds, the seeds' mean and sd of the landing's mean and sd, the exact global minimiser,
    how many seeds landed nearest to it, and whether the point matches: at least MIN_SEEDS seeds, most nearest to
    the global minimiser, and its mean and sd each within 3 seed sds + FLOOR of the seeds' average. Reported
    beside it: whether the seeds land so at some exact local minimum (`at_a_local_minimum`, the rank most seeds
    are nearest to: `nearest_rank`), where gradient descent from the start may stop."""
    gan = table[table.part == "gan"].pivot_table(index=["pi", "sigma", "seed"], columns="quantity",
                                                 values="value").reset_index()
    path = table[table.part == "path"].pivot_table(index=["pi", "sigma", "rank"], columns="quantity",
                                                   values="value")
    out = []
    for (pi, sigma), g in gan.groupby(["pi", "sigma"]):
        n = len(g)
        spread_m, spread_s = (g["mean"].std(ddof=1), g["sd"].std(ddof=1)) if n > 1 else (np.nan, np.nan)

        def close(rank, g=g, spread_m=spread_m, spread_s=spread_s, pi=pi, sigma=sigma):
            exact = path.loc[(pi, sigma, rank)]
            return bool(abs(g["mean"].mean() - exact.mean_0) <= 3 * spread_m + FLOOR
                        and abs(g["sd"].mean() - exact.scale) <= 3 * spread_s + FLOOR)

        best = path.loc[(pi, sigma, 0)]
        at_global = int((g.nearest_rank == 0).sum())
        nearest = int(g.nearest_rank.mode().iloc[0]) if g.nearest_rank.notna().any() else -1
        out.append({"pi": pi, "sigma": sigma, "seeds": n, "mean": g["mean"].mean(), "mean_spread": spread_m,
                    "sd": g["sd"].mean(), "sd_spread": spread_s, "exact_mean": best.mean_0, "exact_sd": best.scale,
                    "at_global": at_global, "judged": n >= MIN_SEEDS,
                    "matches": bool(n >= MIN_SEEDS and at_global > n / 2 and close(0)),
                    "at_a_local_minimum": bool(n >= MIN_SEEDS and nearest >= 0
                                               and (g.nearest_rank == nearest).sum() > n / 2 and close(nearest)),
                    "nearest_rank": nearest})
    return pd.DataFrame(out)


def jump_line(table: pd.DataFrame) -> pd.DataFrame:
    """Per sigma of the grid: pi_c of the largest jump and its size (NaN where the minimiser does not jump)."""
    cross = table[table.part == "crossing"]
    sigmas = sorted(table[table.part == "path"].sigma.unique())
    rows = []
    for sigma in sigmas:
        c = cross[cross.sigma == sigma]
        top = c.loc[c.value.idxmax()] if len(c) else None
        rows.append({"sigma": sigma, "pi_c": top.pi if top is not None else np.nan,
                     "jump": top.value if top is not None else np.nan})
    return pd.DataFrame(rows)


def report_table(table: pd.DataFrame) -> pd.DataFrame:
    """The jump line per sigma, then the GAN points against the exact global minimiser."""
    line = jump_line(table)
    points = gan_points(table)
    return pd.concat([
        pd.DataFrame({"σ": line.sigma, "π": "—", "jump at π_c": line.pi_c.map(lambda v: "none" if np.isnan(v) else
                                                                            f"{v:.4f}"),
                      "jump size (x units)": line.jump.map(lambda v: "" if np.isnan(v) else f"{v:.3f}")}),
        pd.DataFrame({"σ": points.sigma, "π": points.pi,
                      "GAN landing (mean, sd) ± seed sd": [f"{m:.3f} ± {sm:.3f}, {d:.3f} ± {sd:.3f}" for m, sm, d, sd
                                                           in zip(points["mean"], points.mean_spread, points["sd"],
                                                                  points.sd_spread)],
                      "exact global minimiser (mean, sd)": [f"{m:.3f}, {d:.3f}" for m, d in
                                                            zip(points.exact_mean, points.exact_sd)],
                      "seeds at the global branch": [f"{a} of {n}" for a, n in zip(points.at_global, points.seeds)],
                      "matches": points.matches.map({True: "yes", False: "no"}),
                      "lands at local minimum (rank)": [f"yes ({r})" if ok else "no" for ok, r
                                                        in zip(points.at_a_local_minimum, points.nearest_rank)]})],
                     ignore_index=True).fillna("")


def draw(computed: Computed, ctx: Context):
    """Left: the phase diagram in (pi, sigma): bistable grid points, the jump line and the merge point, and the GAN
    points (filled where they match). Middle: the global minimiser's mean against pi, one line per sigma. Right:
    every GAN run's landing mean against sigma per pi, beside the exact minima there (o global, x other)."""
    table, s = computed.table, ctx.settings
    fig, axes = figure(ncols=3, width=4.3, height=3.6)
    path = table[table.part == "path"].pivot_table(index=["sigma", "pi", "rank"], columns="quantity",
                                                   values="value").reset_index()
    ax = axes[0, 0]
    two = path[path["rank"] == 1]
    ax.plot(two.pi, two.sigma, ".", color="0.7", ms=3, label="two local minima")
    line = jump_line(table).dropna()
    ax.plot(line.pi_c, line.sigma, "o-", color="tab:red", ms=4, label="jump of the global minimiser")
    merge = table[table.part == "merge"].set_index("quantity").value
    if len(merge):
        ax.axhline(merge["sigma_above"], color="tab:purple", ls="--", lw=0.8,
                   label=f"merge: σ = {merge['sigma_above']:.3f}")
    points = gan_points(table)
    for _, p in points.iterrows():
        ax.plot(p.pi, p.sigma, "s", ms=7, mfc="tab:green" if p.matches else "none", mec="tab:green")
    ax.plot([], [], "s", mfc="tab:green", mec="tab:green", label="GANs landing at the global minimiser")
    ax.set_xscale("logit")
    ax.set_xlabel("π")
    ax.set_ylabel("instance noise σ (x units)")
    ax.set_title(f"{s['target']}: JS_π of the smoothed pair", fontsize=8)
    ax.legend(fontsize=6)
    ax = axes[0, 1]
    glob = path[path["rank"] == 0]
    for sigma, g in glob.groupby("sigma"):
        ax.plot(g.pi, g.mean_0, "-", lw=1, label=f"σ = {sigma:g}")
    ax.set_xscale("logit")
    ax.set_xlabel("π")
    ax.set_ylabel("global minimiser's mean (x units)")
    ax.legend(fontsize=5, ncol=2)
    ax = axes[0, 2]
    gan = table[(table.part == "gan") & (table.quantity == "mean")]
    colours = dict(zip(s["pi"], ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"] * 4))
    for pi, g in gan.groupby("pi"):
        ax.plot(g.sigma, g.value, ".", color=colours[pi], alpha=0.6, label=f"GANs, π = {pi:g}")
        for sigma in s["gan_sigmas"]:
            here = path[(path.pi == pi) & (path.sigma == sigma)]
            ax.plot([sigma] * len(here), here.mean_0, "x", color=colours[pi], ms=6)
            best = here[here["rank"] == 0]
            ax.plot(best.sigma, best.mean_0, "o", mfc="none", mec=colours[pi], ms=9)
    ax.set_xlabel("instance noise σ (x units)")
    ax.set_ylabel("generator mean (x units)")
    ax.set_title("o exact global minimiser, x other local minima", fontsize=8)
    ax.legend(fontsize=6)
    return fig


def jump_text(pi_c: float) -> str:
    """pi_c to 3 decimals, or "none" where the minimiser does not jump."""
    return "none" if np.isnan(pi_c) else f"{pi_c:.3f}"


def judge(computed: Computed, ctx: Context) -> dict:
    """Two parts. GANs: each (pi, sigma) point with at least MIN_SEEDS seeds matches when most seeds land nearest
    to the exact global minimiser of the smoothed JS_pi and the seeds' average is within 3 seed sds + FLOOR of it
    (`gan_points`). Jump line: pi_c(sigma) at some sigma > 0 differs from pi_c(0) by more than MOVED
    there, or the jump disappears (the line moved as computed). Reproduced if every judged point matches, the
    judged points lie on both sides of the jump line (`side`) and the line moved; partly if some judged points
    match; not reproduced if none does; inconclusive if no point has MIN_SEEDS seeds."""
    table = computed.table
    points = gan_points(table)
    judged = points[points.judged]
    line = jump_line(table)
    zero = line.iloc[0]
    later = line[line.sigma > 0]
    moved = bool(np.isfinite(zero.pi_c) and (later.pi_c.isna() | ((later.pi_c - zero.pi_c).abs() > MOVED)).any())
    sides = {side(p.pi, line.set_index("sigma").pi_c[p.sigma]) for _, p in judged.iterrows()}
    n_match = int(judged.matches.sum())
    merge = table[table.part == "merge"].set_index("quantity").value
    numbers = [("GAN points with >= 3 seeds", len(judged), "points", ">= 1", len(judged) >= 1),
               ("of them landing at the exact global minimiser", n_match, f"of {len(judged)}", "all",
                bool(len(judged) and n_match == len(judged))),
               ("sides of the jump line the judged points lie on", len(sides), "of 2 (mode-seeking, covering)",
                "= 2", len(sides) == 2),
               ("jump line pi_c(σ=0)", float(zero.pi_c), "pi"),
               ("jump line moved with σ", float(moved), "1 = moved", "= 1", moved)]
    numbers += [(f"pi_c at σ = {r.sigma:g}", float(r.pi_c), "pi (NaN: no jump)") for _, r in line.iterrows()]
    if len(merge):
        numbers.append(("merge point: one local minimum at every pi above σ", float(merge["sigma_above"]), "x units"))
    numbers.append(("judged points whose seeds land at some exact local minimum (global or not)",
                    int(judged.at_a_local_minimum.sum()), f"of {len(judged)}"))
    for _, p in points.iterrows():
        numbers.append((f"π={p.pi:g}, σ={p.sigma:g}: |GAN mean - exact global|", abs(p["mean"] - p.exact_mean),
                        "x units"))
    if not len(judged):
        status = "inconclusive"
    elif n_match == len(judged) and len(sides) == 2 and moved:
        status = "reproduced"
    elif n_match:
        status = "partly"
    else:
        status = "not reproduced"
    merge_text = (f"one minimum at every pi above σ = {merge['sigma_above']:.3f}" if len(merge)
                  else "no merge within the σ grid")
    summary = (f"On {ctx.settings['target']} the global JS_π minimiser jumps at π = {zero.pi_c:.3f} without noise; "
               f"the jump line {'moves' if moved else 'does not move'} with σ "
               f"({', '.join(f'σ={r.sigma:g}: ' + jump_text(r.pi_c) for _, r in line.iterrows())}); "
               f"{merge_text}. GANs with instance noise: {n_match} of {len(judged)} judged (π, σ) points land at the "
               f"exact global minimiser, {int(judged.at_a_local_minimum.sum())} at some exact local minimum.")
    return verdict(ID, status, summary, numbers)
