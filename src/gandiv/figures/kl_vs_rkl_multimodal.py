"""KL covers the modes, reverse KL picks one: exact Gaussian fits to a multimodal P from several starts.

The lecture (catalogue entry `kl-vs-rkl-multimodal`): fitting one Gaussian by KL[P||Q] puts mass between
P's modes, while KL[Q||P] settles on one mode, which one depending on where it starts. Both objectives are
minimised exactly (quadrature, `gandiv.exact.fitting`) from the same starts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.fitting import Objective, fit_problem, minimise_from, starting_points, value_error
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, contours, density_image, figure, long_table

ID = "kl-vs-rkl-multimodal"

SETTINGS = """
description: KL vs reverse-KL fits of a Gaussian to a multimodal target.
type: object
additionalProperties: false
required: [target]
properties:
  target: {$ref: "#/$defs/target_name"}
  family: {$ref: "#/$defs/family", default: full}
  n_starts:
    description: Starts of the multi-start reverse-KL optimisation.
    type: integer
    minimum: 1
    default: 12
"""
NEEDS = Needs(None, ("seed", "exact.max_iter", "exact.quadrature_points_per_sd", "exact.quadrature_halfwidth_sd"),
              ("target",))

UNITS = {"start_mean_x1": "x units", "start_mean_x2": "x units", "mean_x1": "x units", "mean_x2": "x units",
         "cov_11": "x units^2", "cov_12": "x units^2", "cov_22": "x units^2", "divergence": NATS,
         "divergence_error": NATS, "grad_norm": "nats per parameter"}
OBJECTIVES = (("kl_pq", "KL[P||Q] from each start"), ("kl_qp", "KL[Q||P] from each start"))
# Fits from different starts count as one solution when their means lie within this (x units): the
# optimiser's own convergence tolerance is far below it.
ONE_SOLUTION = 1e-3
MIN_MODES = 2  # reverse-KL fits on at least this many modes: the mode found depends on the start


def inputs(config) -> dict:
    """No upstream results: the fits run here."""
    return {}


def nearest_mode(target, mean) -> int:
    """Index of the component of P whose mean is nearest to `mean` (in that component's Mahalanobis metric)."""
    diffs = target.means - mean
    dists = np.einsum("ki,kij,kj->k", diffs, np.linalg.inv(target.covariances), diffs)
    return int(np.argmin(dists))


def compute(ctx: Context) -> Computed:
    """Each objective's fit from each of n_starts starts (the same starts for both): start and fitted mean,
    covariance, the divergence reached with its error, the gradient norm there, and the mode of P nearest
    the fit; rows objective, start, mode, quantity, value, unit.

    extras: "fits", {objective: [(start Q, fitted Q) per start]}.
    """
    target = ctx.target(ctx.settings["target"])
    family = GaussianFamily(target.dim, Family(ctx.settings["family"]))
    rows, fits = [], {}
    for objective in (Objective.KL_PQ, Objective.KL_QP):
        problem = fit_problem(target, family, objective, **ctx.quadrature)
        starts = starting_points(problem, ctx.settings["n_starts"], np.random.default_rng(ctx.seed))
        for i, theta0 in enumerate(starts):
            theta, value, grad_norm = minimise_from(problem, theta0, ctx.config["exact"]["max_iter"])
            q = family.density(theta)
            fits.setdefault(objective.value, []).append((family.density(theta0), q))
            rows.append({"objective": objective.value, "start": i, "mode": nearest_mode(target, q.means[0]),
                         "start_mean_x1": theta0[0], "start_mean_x2": theta0[1], "mean_x1": q.means[0, 0],
                         "mean_x2": q.means[0, 1], "cov_11": q.covariances[0, 0, 0],
                         "cov_12": q.covariances[0, 0, 1], "cov_22": q.covariances[0, 1, 1],
                         "divergence": value, "divergence_error": value_error(problem, theta, value),
                         "grad_norm": grad_norm})
    return Computed(long_table(pd.DataFrame(rows), ["objective", "start", "mode"], UNITS), {"fits": fits})


def draw(computed: Computed, ctx: Context):
    """P's density with each fit's contours, a dotted line from its start, for KL[P||Q] (left) and KL[Q||P]."""
    target = ctx.target(ctx.settings["target"])
    bounds = target.bounds(3.0)
    fig, axes = figure(ncols=2, width=4.4, height=4.2)
    for ax, (name, title) in zip(axes[0], OBJECTIVES):
        density_image(ax, target, bounds)
        for start, q in computed.extras["fits"][name]:
            contours(ax, q, bounds, color="cyan", levels=2, linewidths=0.8)
            ax.plot([start.means[0, 0], q.means[0, 0]], [start.means[0, 1], q.means[0, 1]], "w:", lw=0.8)
            ax.plot(*q.means[0], "c*", ms=8)
        ax.set_title(title)
        ax.set_xlabel("x1")
        ax.grid(False)
    axes[0, 0].set_ylabel("x2")
    return fig


def _per_start(table: pd.DataFrame, objective: str) -> pd.DataFrame:
    """One objective's fits, one row per start (in start order): its mode and each quantity as a column."""
    rows = table[table.objective == objective]
    wide = rows.pivot(index="start", columns="quantity", values="value")
    return wide.assign(mode=rows.drop_duplicates("start").set_index("start")["mode"])


def judge(computed: Computed, ctx: Context) -> dict:
    """Three checks: the KL[P||Q] fits agree over starts (spread of their means below 1e-3 x units), P's density at
    their mean is below that at every mode's centre (ratio to the lowest below 1: mass between modes), and the
    KL[Q||P] fits reach at least 2 distinct modes. All hold: reproduced; some: partly; none: not reproduced."""
    target = ctx.target(ctx.settings["target"])
    kl_rows, rkl_rows = _per_start(computed.table, "kl_pq"), _per_start(computed.table, "kl_qp")
    kl_spread = float(np.hypot(kl_rows.mean_x1 - kl_rows.mean_x1.mean(), kl_rows.mean_x2 - kl_rows.mean_x2.mean()).max())
    rkl_modes = sorted(set(rkl_rows["mode"]))
    density_at_ml_mean = float(np.exp(target.log_prob(kl_rows[["mean_x1", "mean_x2"]].to_numpy()[:1]))[0])
    density_at_modes = np.exp(target.log_prob(target.means))
    density_ratio = density_at_ml_mean / density_at_modes.min()
    one_solution, between, several = kl_spread < ONE_SOLUTION, density_ratio < 1, len(rkl_modes) >= MIN_MODES
    checks = [one_solution, between, several]
    status = "reproduced" if all(checks) else "partly" if any(checks) else "not reproduced"
    failed = [text for ok, text in ((one_solution, f"the maximum-likelihood fits spread {kl_spread:.1e} over starts "
                                                   f"(needs < {ONE_SOLUTION:g})"),
                                    (between, "the maximum-likelihood fit's mean is not below every mode in P "
                                              "density"),
                                    (several, f"the reverse-KL fits reach {len(rkl_modes)} mode(s) (needs "
                                              f">= {MIN_MODES})")) if not ok]
    summary = (f"The {len(kl_rows)} maximum-likelihood fits end at "
               f"{'one Gaussian' if one_solution else 'different Gaussians'} (spread {kl_spread:.1e}); "
               f"its mean has P density {density_at_ml_mean:.3f}, {'below' if between else 'not below'} that at "
               f"every mode (lowest {density_at_modes.min():.3f}); the reverse-KL fits from the same starts land on "
               f"{len(rkl_modes)} different mode(s) of P ({', '.join(str(m) for m in rkl_modes)})"
               f"{', so the mode found depends on the start' if several else ''}."
               + (f" Failed: {'; '.join(failed)}." if failed else ""))
    return verdict(ID, status, summary, [
        ("spread of KL[P||Q] fit means over starts", kl_spread, "x units", f"< {ONE_SOLUTION:g}", one_solution),
        ("P density at the KL[P||Q] fit's mean / lowest at a mode's centre", density_ratio, "", "< 1", between),
        ("P density at the KL[P||Q] fit's mean", density_at_ml_mean, "per x unit^2"),
        ("lowest P density at a mode's centre", density_at_modes.min(), "per x unit^2"),
        ("distinct modes reached by KL[Q||P] fits", len(rkl_modes), "modes", f">= {MIN_MODES}", several),
        ("modes of P", target.n_components, "modes"),
    ])
