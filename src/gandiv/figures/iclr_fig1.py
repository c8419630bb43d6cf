"""The note's Fig. 1: fits of one isotropic Gaussian Q to a 2-D mixture of ten Gaussians P.

Huszár (2015), Fig. 1 (catalogue entry `iclr-fig1`): maximum likelihood (KL[P||Q]) spreads Q over every
mode, KL[Q||P] sits on one mode, and the JS fit behaves more like KL[Q||P] than like KL[P||Q]. The KL,
JS and reverse-KL fits are the exact fit stage's global minima (results/fits/...); the MMD fit (panel E,
an addition) minimises the closed-form MMD from the same starts and bounds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact import divergences as dv
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.fitting import density_from_record, mmd_fit
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, contours, density_image, figure
from gandiv.results_io import read_json

ID = "iclr-fig1"

SETTINGS = """
description: Huszár (2015) Fig. 1 - fits of Q to a 2-D mixture under several divergences.
type: object
additionalProperties: false
required: [target]
properties:
  target: {$ref: "#/$defs/target_name"}
  family: {$ref: "#/$defs/family", default: isotropic}
  mmd_bandwidth:
    description: Gaussian-kernel bandwidth of the MMD fit.
    type: number
    exclusiveMinimum: 0
    default: 1.0
  quadrature_points_per_sd: {$ref: "#/$defs/figure_grid_points_per_sd", default: 8}
  quadrature_halfwidth_sd: {$ref: "#/$defs/figure_grid_halfwidth_sd", default: 9}
"""
NEEDS = Needs(None, ("seed", "exact.n_starts", "exact.quadrature_points_per_sd", "exact.quadrature_halfwidth_sd"),
              ("target",))

AREA = np.array([[-5.0, 7.0], [-5.0, 7.0]])  # the note's plotting box [-5, 7]^2
FIT_PANELS = (("kl_pq", "B: KL[P||Q] (max. likelihood)"), ("js", "C: JS[P||Q]"), ("kl_qp", "D: KL[Q||P]"))
DIVERGENCES = ("kl_pq", "js", "kl_qp")


def inputs(config) -> dict:
    """The exact fit records of the three divergences, by objective name."""
    settings = config["figures"][ID]
    return {name: f"results/fits/{settings['target']}/{settings['family']}/{name}.json" for name, _ in FIT_PANELS}


def compute(ctx: Context) -> Computed:
    """Per fit (kl_pq, js, kl_qp, mmd): its mean and sd (x units), its KL[P||Q], JS, KL[Q||P] (nats, certified)
    and MMD, and for the exact fits the number of local minima found: rows fit, quantity, value, unit,
    exact_error.

    extras: "fits", {fit: the fitted Q}.
    """
    target = ctx.target(ctx.settings["target"])
    records = {name: read_json(ctx.inputs[name], required=("minima",)) for name, _ in FIT_PANELS}
    fitted = {name: density_from_record(rec["minima"][0]) for name, rec in records.items()}
    family = GaussianFamily(2, Family(ctx.settings["family"]))
    bandwidth = ctx.settings["mmd_bandwidth"]
    fitted["mmd"], _ = mmd_fit(target, family, bandwidth, ctx.config["exact"]["n_starts"], ctx.seed, ctx.quadrature)
    rows = []
    for name, q in fitted.items():
        params = {"mean_x1": q.means[0, 0], "mean_x2": q.means[0, 1], "sd": np.sqrt(q.covariances[0, 0, 0])}
        exact = dv.certified_divergences(target, q, DIVERGENCES, **ctx.certified_grid) | {
            "mmd": dv.Certified(dv.mmd(target, q, bandwidth), 0.0, "closed form")}
        values = {key: c.value for key, c in exact.items()}
        if name in records:
            values["local minima found"] = len(records[name]["minima"])
        for key, value in (params | values).items():
            unit = "x units" if key in params else NATS if key in DIVERGENCES else ""
            rows.append({"fit": name, "quantity": key, "value": value, "unit": unit,
                         "exact_error": exact[key].error if key in exact else np.nan})
    return Computed(pd.DataFrame(rows), {"fits": fitted})


def draw(computed: Computed, ctx: Context):
    """P's density (A), then each fit's contours over it (B-E), on the note's box."""
    target, fitted = ctx.target(ctx.settings["target"]), computed.extras["fits"]
    bandwidth = ctx.settings["mmd_bandwidth"]
    fig, axes = figure(ncols=5, width=3.3, height=3.4)
    density_image(axes[0, 0], target, AREA)
    axes[0, 0].set_title("A: P (10-component mixture)")
    for ax, (name, title) in zip(axes[0, 1:], FIT_PANELS + (("mmd", f"E: MMD (RBF, l={bandwidth:g})"),)):
        density_image(ax, target, AREA)
        contours(ax, fitted[name], AREA, color="white", linewidths=0.9)
        ax.set_title(title)
    for ax in axes[0]:
        ax.set_xlim(*AREA[0])
        ax.set_ylim(*AREA[1])
        ax.set_xlabel("x1")
        ax.grid(False)
    axes[0, 0].set_ylabel("x2")
    return fig


def _theta(q) -> np.ndarray:
    """A single isotropic Gaussian's (mean, log sd)."""
    return np.array([q.means[0, 0], q.means[0, 1], 0.5 * np.log(q.covariances[0, 0, 0])])


def judge(computed: Computed, ctx: Context) -> dict:
    """The ratio d(JS fit, KL[Q||P] fit) / d(JS fit, KL[P||Q] fit) in (mean, log sd): below 1 (the JS fit nearer the
    reverse-KL fit) reproduces the claim, otherwise not reproduced.

    The distances use the fitted Qs (extras), whose log sd is computed from the variance, not from the table's
    sd; the numbers of local minima come from the table.
    """
    fitted, table = computed.extras["fits"], computed.table
    minima = table[table.quantity == "local minima found"].set_index("fit").value
    d_rkl = np.linalg.norm(_theta(fitted["js"]) - _theta(fitted["kl_qp"]))
    d_kl = np.linalg.norm(_theta(fitted["js"]) - _theta(fitted["kl_pq"]))
    ratio = d_rkl / d_kl
    ok = ratio < 1
    summary = (f"The global JS fit lies {d_rkl:.3f} from the reverse-KL fit and {d_kl:.3f} from the "
               f"maximum-likelihood fit in (mean, log sd); JS behaves like KL[Q||P] "
               f"{'as the note claims' if ok else 'contrary to what the note claims'}"
               f"{'' if ok else f' (failed: the distance ratio {ratio:.2f} is not below 1)'}. The ML fit has sd "
               f"{np.sqrt(fitted['kl_pq'].covariances[0, 0, 0]):.2f}, the reverse-KL fit "
               f"{np.sqrt(fitted['kl_qp'].covariances[0, 0, 0]):.2f}.")
    return verdict(ID, "reproduced" if ok else "not reproduced", summary, [
        ("distance(JS fit, KL[Q||P] fit)", d_rkl, "(mean, log sd)"),
        ("distance(JS fit, KL[P||Q] fit)", d_kl, "(mean, log sd)"),
        ("ratio", ratio, "", "< 1", ok),
        ("local minima of JS found", minima["js"], ""),
        ("local minima of KL[Q||P] found", minima["kl_qp"], ""),
    ])
