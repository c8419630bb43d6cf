"""jspi-limits: the symmetry of JS_pi and its limits at the ends of pi (the note, eqs 12-18).

JS_pi[P||Q] = pi KL[P||M] + (1 - pi) KL[Q||M] with M = pi P + (1 - pi) Q (nats). The note claims
JS_pi[P||Q] = JS_(1-pi)[Q||P], JS_pi / pi -> KL[P||Q] as pi -> 0 and JS_(1-pi) / pi -> KL[Q||P] (the
limit at pi -> 1, written with pi -> 0), and JS_pi <= H(pi), the binary entropy. Every value is
certified by quadrature (gandiv.exact.divergences), and its error estimate is carried into the table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact import divergences as dv
from gandiv.exact.densities import gaussian
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, figure
from gandiv.config_error import ConfigError
from gandiv.exact.densities import target_dim

ID = "jspi-limits"

SETTINGS = """
description: JS_pi / pi -> KL and JS_pi / (1 - pi) -> reverse KL limits on a 1-D mixture.
type: object
additionalProperties: false
required: [mixture_target]
properties:
  mixture_target:
    description: A 1-D target.
    $ref: "#/$defs/target_name"
  pi_min:
    description: Smallest pi of the limit plot.
    type: number
    exclusiveMinimum: 0
    exclusiveMaximum: 0.5
    default: 1.0e-6
  n_pi:
    description: Number of pi values.
    type: integer
    minimum: 1
    default: 25
  quadrature_points_per_sd: {$ref: "#/$defs/figure_grid_points_per_sd", default: 8}
  quadrature_halfwidth_sd: {$ref: "#/$defs/figure_grid_halfwidth_sd", default: 9}
"""

NEEDS = Needs(None, (), ("mixture_target",))

# The closed-form pair of src/gandiv/figures/catalogue.yaml (jspi-limits, build): P = N(0,1), Q = N(1, 1.5^2),
# with KL values as printed there (4 decimals, nats).
LIMIT_PAIR_NAME = "N(0,1) vs N(1,1.5^2)"
LIMIT_PAIR = (gaussian(0.0, 1.0), gaussian(1.0, 1.5**2))
SOURCE_KL = {"KL[P||Q]": 0.3499, "KL[Q||P]": 0.7195}
LIMITS = ("|JS_pi/pi - KL[P||Q]|", "|JS_(1-pi)/pi - KL[Q||P]|")  # the two limits' absolute errors
SYMMETRY = "|JS_pi[P||Q] - JS_(1-pi)[Q||P]|"
ENTROPY_RATIO = "JS_pi / H(pi)"
LEGEND = {LIMITS[0]: "|JS_π/π - KL[P||Q]|", LIMITS[1]: "|JS_(1-π)/π - KL[Q||P]|",
          SYMMETRY: "|JS_π[P||Q] - JS_(1-π)[Q||P]|"}  # the drawn quantities, with the Greek letter
# Thresholds of the verdict rule (catalogue.yaml, jspi-limits).
SMALL_PI = 1e-2  # the limits are fitted over pi <= SMALL_PI
MIN_SLOPE = 0.3  # the limit errors decay at least like pi^0.3 there
LIMIT_SHARE = 1e-2  # ... and are below this share of the smallest KL at the smallest pi
SYMMETRY_TOLERANCE = 1e-12  # nats: both sides are sums on one grid, equal up to round-off
KL_DIGITS = 5e-5  # half the last digit the source prints (4 decimals)


def check(settings, config) -> None:
    """The mixture target is 1-D (the limits are computed by 1-D quadrature against N(0,1)); ConfigError if not."""
    targets = config["targets"]
    ref = settings["mixture_target"]
    if target_dim(targets[ref]) != 1:
        ok = [n for n, t in targets.items() if target_dim(t) == 1]
        raise ConfigError("figures.jspi-limits.mixture_target", f"target {ref!r} is {target_dim(targets[ref])}-D",
                          "a 1-D target: " + (", ".join(ok) or "none defined"))


def inputs(config) -> dict:
    """None: every value is computed here."""
    return {}


def compute(ctx: Context) -> Computed:
    """Per pair and pi on a log grid [pi_min, 1/2]: both limits' errors, the symmetry residual and JS_pi / H(pi);
    per pair both KLs (and the closed form where P is one Gaussian). Columns pair, pi (NaN for per-pair values),
    quantity, value, exact_error (the certified values' error estimates, propagated), unit (nats)."""
    pis = np.geomspace(ctx.settings["pi_min"], 0.5, ctx.settings["n_pi"])
    pairs = {LIMIT_PAIR_NAME: LIMIT_PAIR,
             f"{ctx.settings['mixture_target']} vs N(0,1)": (ctx.target(ctx.settings["mixture_target"]),
                                                              gaussian(0.0, 1.0))}
    rows = []
    for pair, (p, q) in pairs.items():
        closed = dv.kl_gaussians(p, q) if p.n_components == 1 else None
        kl = dv.certified_divergences(p, q, ("kl_pq", "kl_qp"), **ctx.certified_grid)
        kl_pq, kl_qp = kl["kl_pq"], kl["kl_qp"]
        for pi in pis:
            low, high = (dv.certified_divergences(p, q, ("js_pi",), pi=x, **ctx.certified_grid)["js_pi"]
                         for x in (pi, 1.0 - pi))
            swapped = dv.certified_divergences(q, p, ("js_pi",), pi=1.0 - pi, **ctx.certified_grid)["js_pi"]
            rows += [
                {"pair": pair, "pi": pi, "quantity": LIMITS[0], "value": abs(low.value / pi - kl_pq.value),
                 "exact_error": low.error / pi + kl_pq.error},
                {"pair": pair, "pi": pi, "quantity": LIMITS[1],
                 "value": abs(high.value / pi - kl_qp.value), "exact_error": high.error / pi + kl_qp.error},
                {"pair": pair, "pi": pi, "quantity": SYMMETRY,
                 "value": abs(low.value - swapped.value), "exact_error": low.error + swapped.error},
                {"pair": pair, "pi": pi, "quantity": ENTROPY_RATIO, "value": low.value / dv.binary_entropy(pi),
                 "exact_error": low.error / dv.binary_entropy(pi)},
            ]
        rows += [{"pair": pair, "pi": np.nan, "quantity": "KL[P||Q]", "value": kl_pq.value, "exact_error": kl_pq.error},
                 {"pair": pair, "pi": np.nan, "quantity": "KL[Q||P]", "value": kl_qp.value, "exact_error": kl_qp.error}]
        if closed is not None:
            rows.append({"pair": pair, "pi": np.nan, "quantity": "KL[P||Q] closed form", "value": closed,
                         "exact_error": 0.0})
    return Computed(pd.DataFrame(rows).assign(unit=NATS))


def draw(computed: Computed, ctx: Context):
    """One log-log panel per pair: both limits' errors and the symmetry residual against pi."""
    data = computed.table
    fig, axes = figure(ncols=2, width=5.0, height=3.8)
    for ax, pair in zip(axes[0], data.pair.unique()):
        sub = data[(data.pair == pair) & data.pi.notna() & (data.quantity != ENTROPY_RATIO)]
        for quantity, g in sub.groupby("quantity", sort=False):
            ax.loglog(g.pi, np.maximum(g.value, 1e-18), "o-", ms=3, label=LEGEND[quantity])
        ax.set_xlabel("π")
        ax.set_ylabel("absolute error (nats)")
        ax.set_title(pair)
        ax.legend(fontsize=7)
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """Reproduced if, for both pairs, both limits' errors shrink monotonically for pi <= 0.01 with log-log slope
    above 0.3 and are below 1% of the smallest KL (over both pairs) at the smallest pi, the symmetry residual is
    below 1e-12 nats, JS_pi <= H(pi) throughout, and the closed-form pair's KLs match the source's to its printed
    digits (5e-5); else not reproduced. Every one of these is a deciding number."""
    data = computed.table
    kl_scale = data[data.pi.isna() & data.quantity.isin(["KL[P||Q]", "KL[Q||P]"])].value.min()  # over both pairs
    limit_bound = LIMIT_SHARE * kl_scale
    numbers, slopes = [], []
    for pair in data.pair.unique():
        for quantity in LIMITS:
            g = data[(data.pair == pair) & (data.quantity == quantity)].sort_values("pi")
            small = g[g.pi <= SMALL_PI]
            slope = np.polyfit(np.log(small.pi), np.log(small.value), 1)[0]
            slopes.append(slope)
            # The error shrinks monotonically as pi -> 0: it rises at every step up the pi grid.
            not_shrinking = int(np.sum(~(np.diff(small.value.to_numpy()) > 0)))
            numbers += [(f"{pair}: {quantity} at pi={g.pi.min():.0e}", g.value.iloc[0], NATS,
                         f"< {limit_bound:.3g} (1% of the smallest KL)", g.value.iloc[0] < limit_bound),
                        (f"{pair}: log-log slope of {quantity}", slope, "", f"> {MIN_SLOPE:g}", slope > MIN_SLOPE),
                        (f"{pair}: steps of {quantity} that do not shrink towards pi -> 0 (pi <= {SMALL_PI:g})",
                         not_shrinking, "", "= 0", not_shrinking == 0)]
        sym = data[(data.pair == pair) & (data.quantity == SYMMETRY)].value.max()
        ratio = data[(data.pair == pair) & (data.quantity == ENTROPY_RATIO)].value.max()
        numbers += [(f"{pair}: max symmetry residual", sym, NATS, f"< {SYMMETRY_TOLERANCE:g}",
                     sym < SYMMETRY_TOLERANCE),
                    (f"{pair}: max JS_pi / H(pi)", ratio, "", "<= 1", ratio <= 1.0)]
    kl_pair = data[(data.pair == LIMIT_PAIR_NAME) & data.pi.isna()].set_index("quantity").value
    numbers += [(f"{quantity} for N(0,1), N(1,1.5^2)", kl_pair[quantity], NATS,
                 f"within {KL_DIGITS:g} of {claimed}", abs(kl_pair[quantity] - claimed) < KL_DIGITS)
                for quantity, claimed in SOURCE_KL.items()]
    failed = [f"{name} = {value:.3g} (needs {threshold})" for name, value, _, threshold, passed in numbers
              if not passed]
    ok = not failed
    worst = max(value for name, value, *_ in numbers if " at pi=" in name)
    summary = (f"{'Both limits hold' if ok else 'The limits are not all confirmed'}: at pi={data.pi.min():.0e} the "
               f"limits' errors are at most {worst:.1e} nats. The rate is not always linear: log-log slopes "
               f"{', '.join(f'{s:.2f}' for s in slopes)} (sublinear where Q has heavier tails than P, since q/p is "
               f"unbounded). KL[P||Q] = {kl_pair['KL[P||Q]']:.4f}, KL[Q||P] = {kl_pair['KL[Q||P]']:.4f} against the "
               f"source's {SOURCE_KL['KL[P||Q]']}, {SOURCE_KL['KL[Q||P]']}."
               + (f" Failed: {'; '.join(failed)}." if failed else
                  " The symmetry and JS_pi <= H(pi) hold on the whole grid."))
    return verdict(ID, "reproduced" if ok else "not reproduced", summary, numbers)
