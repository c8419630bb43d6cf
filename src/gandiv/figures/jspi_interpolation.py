"""jspi-interpolation: the minimiser of JS_pi over pi, from maximum likelihood (pi -> 0) to KL[Q||P] (pi -> 1).

The claim (src/gandiv/figures/catalogue.yaml, jspi-interpolation; the blog of Nov 2015 and the
note, eq. 12): varying pi moves the JS_pi-optimal Gaussian from the KL[P||Q] fit to the KL[Q||P] fit.
The exact stage's JS_pi path (gandiv.exact.pi_path: every local minimum per pi, the jumps of the
global one, both KL optima) is drawn per target; where minimax GANs with a Gaussian generator were
trained on the target, their seed-averaged parameters are compared with the exact global JS_pi fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact.densities import gaussian
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.fitting import Objective, fit, fit_problem
from gandiv.figures.gan_tables import distance_to_fit, gaussian_generators, read_grid_evaluation
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, contours, density_image, figure, long_table
from gandiv.gan import runs
from gandiv.results_io import read_csv, read_json

ID = "jspi-interpolation"

SETTINGS = """
description: JS_pi fits interpolating between KL and reverse KL as pi varies.
type: object
additionalProperties: false
required: [targets]
properties:
  targets:
    description: Targets to fit, one panel each.
    type: array
    minItems: 1
    uniqueItems: true
    items: {$ref: "#/$defs/target_name"}
  family: {$ref: "#/$defs/family", default: isotropic}
"""

NEEDS = Needs(("targets",), ("seed", "exact.n_starts", "exact.quadrature_points_per_sd",
                             "exact.quadrature_halfwidth_sd"), ("targets",))

GAN_RULE = "minimax"  # the GANs compared with the exact fits
END_TOLERANCE = 1e-2  # the ends reach the KL optima within this many optimum sds


def inputs(config) -> dict:
    """Per target (in settings order) its JS_pi path table and summary; the grid evaluation tables of the targets
    with minimax-trained Gaussian generators, if any."""
    settings = config["figures"][ID]
    folders = [f"results/jspi/{target}/{settings['family']}" for target in settings["targets"]]
    found = {"paths": [f"{folder}/path.csv" for folder in folders],
             "summaries": [f"{folder}/summary.json" for folder in folders]}
    evaluations = [runs.evaluation_table("grid", target, "gaussian") for target in settings["targets"]
                   if any(run.update_rule == GAN_RULE for run in runs.grid_runs(config, target, "gaussian"))]
    return found | ({"evaluations": evaluations} if evaluations else {})


def compute(ctx: Context) -> Computed:
    """The path tables of every target as one long table (target, pi, rank, is_global, quantity, value, unit), and
    in extras by target: `paths` (the wide path tables), `summaries` (KL optima and jumps), `gans` (per pi seed
    averages of the minimax Gaussian generators, gandiv.figures.gan_tables.gaussian_generators) and `gaps`
    ((pi, distance of the GAN seed average to the exact global JS_pi fit at that pi, in the fit's sds))."""
    names = ctx.settings["targets"]
    paths = {name: read_csv(path, required=("pi", "is_global")) for name, path in zip(names, ctx.inputs["paths"])}
    summaries = {name: read_json(path, required=("kl_pq", "kl_qp", "crossings"))
                 for name, path in zip(names, ctx.inputs["summaries"])}
    gans = {}
    for path in ctx.inputs.get("evaluations", []):
        table = read_grid_evaluation(path)
        gans[table.target.iloc[0]] = gaussian_generators(table, GAN_RULE)
    gaps = {name: _gan_vs_exact(ctx.target(name), gans[name], ctx) for name in names if name in gans}
    wide = pd.concat([paths[name] for name in names], ignore_index=True)
    units = {"js_pi": NATS, "scale": "x units", "grad_norm": "nats per parameter", "n_starts": "count"}
    units |= {c: "x units" for c in wide.columns if c.startswith("mean_")}
    return Computed(long_table(wide, ["target", "pi", "rank", "is_global"], units),
                    {"paths": paths, "summaries": summaries, "gans": gans, "gaps": gaps})


def _gan_vs_exact(target, gans: pd.DataFrame, ctx: Context) -> list[tuple[float, float]]:
    """Distance (in the exact fit's sds, over mean and log sd) from each GAN seed-mean to the exact global fit."""
    family = GaussianFamily(1, Family.ISOTROPIC)
    gaps = []
    for _, g in gans.iterrows():
        best = fit(fit_problem(target, family, Objective.JS_PI, pi=float(g.pi), **ctx.quadrature),
                   ctx.config["exact"]["n_starts"], ctx.seed).best
        q = family.density(best.theta)
        optimum = {"mean_0": q.means[0, 0], "scale": float(np.sqrt(q.covariances[0, 0, 0]))}
        gaps.append((float(g.pi), distance_to_fit(g["mean"], g["sd"], optimum)))
    return gaps


def _global_fits(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """The global minimiser of JS_pi per pi for one target, one row per pi (increasing), one column per quantity."""
    rows = table[(table.target == name) & table.is_global]
    return rows.pivot(index="pi", columns="quantity", values="value")


def draw(computed: Computed, ctx: Context):
    """Per target (one row): P with the global fits at a few pi; the fitted mean (along the axis where the two KL
    optima differ most) and the fitted sd against logit(pi), with the local minima, the jumps, both KL optima and
    the GANs' seed averages."""
    targets = ctx.settings["targets"]
    fig, axes = figure(ncols=3, nrows=len(targets), width=4.3, height=3.5)
    for row, name in zip(axes, targets):
        target = ctx.target(name)
        path, summary = computed.extras["paths"][name], computed.extras["summaries"][name]
        gans = computed.extras["gans"].get(name)
        best = path[path.is_global].sort_values("pi")
        kl_pq, kl_qp = summary["kl_pq"], summary["kl_qp"]
        _draw_fits(row[0], target, best, name)
        mean_cols = [c for c in path.columns if c.startswith("mean_")]
        axis = max(mean_cols, key=lambda c: abs(kl_pq[c] - kl_qp[c]))
        for ax, col, label in ((row[1], axis, f"fitted mean (x{int(axis[-1]) + 1})"), (row[2], "scale", "fitted sd")):
            local = path[~path.is_global]
            ax.scatter(_logit(local.pi), local[col], s=8, color="0.6", label="other local minima")
            ax.plot(*_broken_at(best.pi.to_numpy(), best[col].to_numpy(), summary["crossings"]), "o-", ms=3,
                    label="global minimum")
            ax.axhline(kl_pq[col], color="C2", ls="--", label="KL[P||Q] optimum")
            ax.axhline(kl_qp[col], color="C3", ls=":", label="KL[Q||P] optimum")
            for c in summary["crossings"]:
                ax.axvline(_logit(c["pi"]), color="k", lw=0.6)
            if gans is not None and col in ("mean_0", "scale"):
                value, spread = ("mean", "mean_spread") if col == "mean_0" else ("sd", "sd_spread")
                ax.errorbar(_logit(gans.pi), gans[value], yerr=gans[spread].fillna(0), fmt="s", color="C4", ms=4,
                            capsize=3, label="minimax GAN, mean ± sd over seeds")
            ax.set_xlabel("logit(π)")
            ax.set_ylabel(f"{label} (x units)")
            ax.legend(fontsize=7)
    return fig


def _draw_fits(ax, target, best: pd.DataFrame, name: str) -> None:
    """P (density, or image for 2-D) with the global JS_pi fits at six pi spread over the grid, a legend naming
    each fit's pi."""
    shown = best.iloc[np.unique(np.linspace(0, len(best) - 1, 6).round().astype(int))]
    colours = dict(zip(shown.pi, np.linspace(0.1, 0.9, len(shown))))
    if target.dim == 1:
        x = np.linspace(*target.bounds(4.0)[0], 600)
        ax.fill_between(x, np.exp(target.log_prob(x[:, None])), color="0.8", label="P")
        for _, r in shown.iterrows():
            q = gaussian(r.mean_0, r.scale**2)
            ax.plot(x, np.exp(q.log_prob(x[:, None])), color=_cmap(colours[r.pi]), label=f"π={r.pi:.4g}")
        ax.set_xlabel("x")
        ax.set_ylabel("density")
    else:
        bounds = np.array([[-5.0, 7.0], [-5.0, 7.0]])
        density_image(ax, target, bounds)
        for _, r in shown.iterrows():
            q = gaussian([r.mean_0, r.mean_1], r.scale**2 * np.eye(2))
            contours(ax, q, bounds, color=[_cmap(colours[r.pi])], levels=1, linewidths=1.2)
            ax.plot([], [], color=_cmap(colours[r.pi]), label=f"π={r.pi:.4g}")  # contours have no legend entry
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.grid(False)
    ax.legend(fontsize=7)
    ax.set_title(f"{name}: global JS_π fits")


def judge(computed: Computed, ctx: Context) -> dict:
    """Per target, the distance of the global fit at the smallest pi from the KL[P||Q] optimum and at the largest pi
    from the KL[Q||P] optimum (in the optimum's sd, the largest over every mean coordinate and the sd), and the
    jumps of the global minimiser. Reproduced if every end is below END_TOLERANCE and nothing jumps; partly if
    the ends hold but the minimiser jumps; not reproduced otherwise. The summary names the pi of every jump (the
    exact stage's bisection) and the grid points of the path table that bracket it."""
    numbers, jumps, end_errors, gan_gaps, failed_ends = [], [], [], [], []
    for name in ctx.settings["targets"]:
        summary = computed.extras["summaries"][name]
        kl_pq, kl_qp = summary["kl_pq"], summary["kl_qp"]
        mean_cols = [c for c in kl_pq if c.startswith("mean_")]
        best = _global_fits(computed.table, name)
        low, high = best.iloc[0], best.iloc[-1]
        # distance to the KL optima in units of the optimum's sd, over every mean coordinate and the sd
        err_low = max(abs(low[c] - kl_pq[c]) / kl_pq["scale"] for c in mean_cols + ["scale"])
        err_high = max(abs(high[c] - kl_qp[c]) / kl_qp["scale"] for c in mean_cols + ["scale"])
        end_errors += [err_low, err_high]
        ends = ((f"{name}: fit at pi={low.name:.1e} vs KL[P||Q] optimum", err_low),
                (f"{name}: fit at pi=1-{1 - high.name:.1e} vs KL[Q||P] optimum", err_high))
        numbers += [(label, err, "rel.", f"< {END_TOLERANCE:g}", err < END_TOLERANCE) for label, err in ends]
        failed_ends += [f"{label} is {err:.1e} optimum sds (needs < {END_TOLERANCE:g})" for label, err in ends
                        if not err < END_TOLERANCE]
        crossings = summary["crossings"]
        numbers.append((f"{name}: jumps of the global minimiser", len(crossings), "", "0 (a jump makes it partly)",
                        not crossings))
        for i, c in enumerate(crossings, 1):
            before, after = best.index[best.index < c["pi"]].max(), best.index[best.index > c["pi"]].min()
            jumps.append((name, c, before, after))
            numbers += [(f"{name}: pi of jump {i} of the global minimiser", c["pi"], ""),
                        (f"{name}: jump at pi={c['pi']:.4f}, size", c["jump"], "x units")]
        if name in computed.extras["gaps"]:
            gaps = computed.extras["gaps"][name]
            gan_gaps += gaps
            numbers += [(f"{name}: minimax GAN at pi={pi:g}, distance to exact global JS_pi fit", gap, "fit sds")
                        for pi, gap in gaps]

    ends_ok = max(end_errors) < END_TOLERANCE
    jump_text = "; ".join(f"{n}: the global minimiser jumps at pi = {c['pi']:.4f} (between the path's grid points "
                          f"pi = {a:.4g} and {b:.4g}; its mean moves {c['jump']:.2f})" for n, c, a, b in jumps)
    if ends_ok and not jumps:
        status, shape = "reproduced", "moves gradually (no switch of the global minimiser)"
    elif ends_ok:
        status, shape = "partly", f"switches between branches of local minima. Failed: a gradual path ({jump_text})"
    else:
        status = "not reproduced"
        shape = ("does not reach both KL optima at the ends of the pi grid. Failed: " + "; ".join(failed_ends)
                 + (f". It also jumps: {jump_text}" if jumps else ""))
    summary_text = (f"At the ends of the pi grid the global JS_pi minimiser lies within {max(end_errors):.1e} optimum "
                    f"sds of the maximum-likelihood fit (smallest pi) and the KL[Q||P] fit (largest pi), "
                    f"{END_TOLERANCE:g} allowed; in between it {shape}.")
    if gan_gaps:
        near = sum(gap < 1.0 for _, gap in gan_gaps)
        summary_text += (f" Minimax GANs with a Gaussian generator land within one fit-sd of the exact global JS_pi "
                         f"fit at {near} of {len(gan_gaps)} pi values.")
    return verdict(ID, status, summary_text, numbers)


def _logit(pi):
    return np.log(pi) - np.log1p(-pi)


def _broken_at(pis, values, crossings):
    """logit(pi) and values with a gap at every jump, so a jump is not drawn as a slope."""
    for c in sorted(crossings, key=lambda c: c["pi"], reverse=True):
        i = int(np.searchsorted(pis, c["pi"]))
        pis, values = np.insert(pis, i, c["pi"]), np.insert(values, i, np.nan)
    return _logit(pis), values


def _cmap(value):
    import matplotlib

    return matplotlib.colormaps["viridis"](value)
