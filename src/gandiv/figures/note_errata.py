"""note-errata: the sources' slips, each settled by a number computed here.

Every slip is a statement as written next to the statement that holds. Both are evaluated on known densities
(or a known joint table), with each value's error, and a slip is *confirmed* when the statement that holds does
so within its error and the one as written misses by more than SEPARATION times that error:

- `pi-gradient-order` (the note, before eq. 17): "the gradients with respect to pi at these two extremes
  [pi -> 0 and pi -> 1] recover KL[Q||P] and KL[P||Q], respectively". Eqs. 17-18 give the other order:
  d JS_pi / d pi = KL[P||Q] at pi = 0 and -KL[Q||P] at pi = 1. Slopes by extrapolating JS_t / t and
  JS_(1-t) / t (certified JS_pi, gandiv.exact.divergences) from t = h, h/2, h/4 in the order they show (Aitken).
- `eq4-eq5` (the note, section 4): eq. 4, KL[P1||Q1] + E_{y~P1} E_{z~Q1} KL[P2|y || Q2|z], is written equal to
  eq. 5, KL[P1||Q1] + E_{z~Q1} KL[P2 || Q2|z]. They differ by the constant I(x1; x2) of P (expand both: the
  cross terms agree because E_y P2|y = P2, and E_y H(P2|y) = H(x2 | x1)); shown on a joint table for random
  models Q.
- `pi-convention` (the note, after eq. 18): "for pi < 1/2 samples from the real distribution P are
  overrepresented", i.e. pi is Q's share. A classifier whose batches hold a share s of P reaches the expected
  log loss L*(s) = H(s) - JS_s[P||Q] (its Bayes-optimal D = s p / (s p + (1 - s) q)): by quadrature of L*
  itself, H(pi) - L*(pi) equals eq. 12's JS_pi (P's share is pi), while the sentence's reading,
  H(pi) - L*(1 - pi), does not.
- `lecture-c-of-g` (the lecture, "optimal generator"): C(G) = -log 4 + JS[P||Q]; the value of the game at the
  optimal discriminator, V = E_p log D* + E_q log(1 - D*), is -log 4 + 2 JS (Goodfellow et al. 2014, Thm 1;
  gan-optimal-value judges the same identity over a path of generators, this table states it as a slip).
- `lecture-cross-entropy` (the lecture, "Cross Entropy and KL Divergence"): H(p, q) = E_p log q and
  KL(p, q) = H(p) + H(p, q). With its own definition this gives H(p) + E_p log q = -KL; what holds is
  KL = H(p, q) - H(p) with H(p, q) = -E_p log q (two sign slips).

Natural logarithms (nats) throughout.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gandiv.config_error import domain_errors
from gandiv.exact import divergences as dv
from gandiv.exact import domain
from gandiv.exact.densities import GaussianMixture
from gandiv.exact.quadrature import Grid, grid_for, refined_grid
from gandiv.figures.pairs import check_pair, pair_label, pair_q
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import NATS, figure
from gandiv.seeding import run_streams
from gandiv.sequence.scheduled_sampling import kl_joint, marginals
from gandiv.update_rules.optimal import discriminator_value, optimal_logit

ID = "note-errata"

SETTINGS = """
description: >-
  The sources' slips, each with the number that settles it: the order of the JS_pi slopes at the ends of pi,
  eq. 4 against eq. 5, the pi convention, the lecture's C(G) and its cross-entropy identity.
type: object
additionalProperties: false
properties:
  pair:
    $ref: "#/$defs/target_gaussian_pair"
    description: "(P, Q) on which the divergence slips are evaluated; KL[P||Q] and KL[Q||P] must differ."
    default: {p: bimodal_1d, q: {mean: [0.0], covariance: [[1.0]]}}
  pi_step:
    description: "h of the slopes at the ends of pi: JS_t / t and JS_(1-t) / t at t = h, h/2, h/4, extrapolated."
    type: number
    exclusiveMinimum: 0
    maximum: 0.01
    default: 0.0001
  pi:
    description: The prior pi at which the convention is settled (away from 1/2, where both readings agree).
    $ref: "#/$defs/probability"
    default: 0.1
  joint:
    description: "Joint table of (x1, x2) for eq. 4 against eq. 5 (rows x1, columns x2; K x K, sums to 1)."
    type: array
    minItems: 2
    items: {type: array, minItems: 2, items: {type: number, minimum: 0}}
    default: [[0.30, 0.05, 0.00], [0.02, 0.25, 0.03], [0.05, 0.00, 0.30]]
  n_models:
    description: Random autoregressive models Q (Q1 and the rows of Q2|1 drawn from a flat Dirichlet).
    type: integer
    minimum: 1
    default: 20
  quadrature_points_per_sd: {$ref: "#/$defs/figure_grid_points_per_sd", default: 8}
  quadrature_halfwidth_sd: {$ref: "#/$defs/figure_grid_halfwidth_sd", default: 12}
"""

NEEDS = Needs(settings=None, config=("seed",), targets=("pair.p",))
SLIPS = ("pi-gradient-order", "eq4-eq5", "pi-convention", "lecture-c-of-g", "lecture-cross-entropy")
SEPARATION = 10.0  # the statement as written must miss by more than 10x the error allowed to the one that holds
FLOAT_SLACK = 1e-12  # nats: round-off of sums over ~1e6 grid cells, below any quadrature error we report


def check(settings: Mapping, config: Mapping) -> None:
    """The pair's Q is a Gaussian of P's dimension and the joint is a joint table (ConfigError naming the key)."""
    check_pair(f"figures.{ID}.pair", settings["pair"], config)
    with domain_errors(f"figures.{ID}.joint", "joint"):
        domain.joint_table("joint", settings["joint"])


def inputs(config: Mapping) -> dict:
    """No upstream results: every number is computed from the densities in the figure's job."""
    return {}


# ---------------------------------------------------------------- the numbers of each slip


def jspi_end_slopes(p: GaussianMixture, q: GaussianMixture, h: float, quadrature: Mapping) -> dict:
    """d JS_pi / d pi at pi = 0 and at pi = 1 (nats), each (value, error).

    JS_0 = JS_1 = 0, so the slopes are the limits of s(t) = JS_t / t and of -JS_(1-t) / t as t -> 0. s(t) approaches
    its limit like c t^k with an order k that depends on the pair (k = 1 when the density ratio is bounded; less
    when one tail is heavier, e.g. about 0.6 at the KL[Q||P] end of N(0,1) vs N(1,1.5^2), see jspi-limits), so the
    order is estimated from s at t = h, h/2, h/4 (Aitken): k = log2((s(h) - s(h/2)) / (s(h/2) - s(h/4))), and the
    limit is s(h/4) - (s(h/2) - s(h/4)) / (2^k - 1). The error is the size of that correction plus the certified
    errors of the JS values over t, amplified as the correction amplifies them; where the three points show no
    order (k not > 0) the value is s(h/4) with an infinite error, which leaves the slip undecided.
    """
    out = {}
    for end, sign in (("slope_at_pi0", 1.0), ("slope_at_pi1", -1.0)):
        steps = (h, h / 2, h / 4)
        values = [dv.certified_divergences(p, q, ("js_pi",), pi=(t if sign > 0 else 1 - t), **quadrature)["js_pi"]
                  for t in steps]
        s1, s2, s4 = (v.value / t for v, t in zip(values, steps))
        ratio = (s1 - s2) / (s2 - s4) if s2 != s4 else 0.0
        if ratio <= 1.0:  # the three points do not shrink towards a limit: no order, no honest error
            out[end] = (sign * s4, np.inf)
            continue
        amplification = 1.0 / (2.0 ** np.log2(ratio) - 1.0)
        limit = s4 - (s2 - s4) * amplification
        # the correction's size, plus the JS values' certified errors carried through s4 and the correction
        error = abs(limit - s4) + (1.0 + 2.0 * amplification) * sum(v.error / t for v, t in zip(values, steps))
        out[end] = (sign * limit, error)
    return out


def eq4_eq5(joint: np.ndarray, q1: np.ndarray, q2_given_1: np.ndarray) -> tuple[float, float]:
    """The note's eq. 4 and eq. 5 for P = `joint` and the model (Q1, Q2|1), in nats (section 4's D_alternative)."""
    p1, p2, p2_given_1 = marginals(joint)
    kl = kl_joint  # KL between two tables (here distributions over one symbol), 0 log 0 = 0
    head = kl(p1, q1)
    eq4 = head + sum(p1[y] * q1[z] * kl(p2_given_1[y], q2_given_1[z])
                     for y in range(len(p1)) for z in range(len(q1)))
    eq5 = head + sum(q1[z] * kl(p2, q2_given_1[z]) for z in range(len(q1)))
    return eq4, eq5


def mutual_information(joint: np.ndarray) -> float:
    """I(x1; x2) = KL[P || P1 P2] of a joint table, in nats."""
    p1, p2, _ = marginals(joint)
    return kl_joint(np.asarray(joint, dtype=float), np.outer(p1, p2))


def optimal_log_loss_on_grid(log_p: np.ndarray, log_q: np.ndarray, share: float, grid: Grid) -> float:
    """L*(s) = -int [s p log D + (1 - s) q log(1 - D)] dx at the Bayes-optimal D = s p / (s p + (1 - s) q): the
    expected log loss of the best classifier whose inputs are from P with probability s (nats)."""
    return -discriminator_value(log_p, log_q, optimal_logit(log_p, log_q, share), grid, pi=share)


def game_value_on_grid(log_p: np.ndarray, log_q: np.ndarray, grid: Grid) -> float:
    """V(G, D*) = E_p log D* + E_q log(1 - D*) with D* = p / (p + q) (Goodfellow et al. 2014, eq. 1), nats."""
    return discriminator_value(log_p, log_q, optimal_logit(log_p, log_q), grid)


def entropies_on_grid(log_p: np.ndarray, log_q: np.ndarray, grid: Grid) -> tuple[float, float]:
    """H(p) = -E_p log p and the cross-entropy H(p, q) = -E_p log q (nats)."""
    p = np.exp(log_p)
    return -grid.integrate(p * log_p), -grid.integrate(p * log_q)


def _on_grids(p: GaussianMixture, q: GaussianMixture, quadrature: Mapping, compute) -> list[tuple[float, float]]:
    """`compute(log_p, log_q, grid)` -> tuple of values, on the pair's grid and on its refinement: each value
    with the change between the two as its error."""
    grid = grid_for(p, q, **quadrature)
    refined = refined_grid(grid, p, q, halfwidth_sd=quadrature["halfwidth_sd"])
    coarse, fine = (compute(dv.log_density(p, g.points), dv.log_density(q, g.points), g) for g in (grid, refined))
    return [(c, abs(f - c)) for c, f in zip(coarse, fine)]


def random_models(k: int, n: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """n autoregressive models on K symbols: Q1 and each row of Q2|1 from a flat Dirichlet."""
    return [(rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k), size=k)) for _ in range(n)]


def compute(ctx: Context) -> Computed:
    """Per slip: the value that holds, the statement as written, the statement that holds, with their errors."""
    s = ctx.settings
    p, q = ctx.target(s["pair"]["p"]), pair_q(s["pair"])
    pair = pair_label(s["pair"])
    rows = []

    def add(slip, quantity, value, error, unit=NATS, case=pair):
        rows.append({"slip": slip, "case": case, "quantity": quantity, "value": float(value), "unit": unit,
                     "error": float(error)})

    kls = dv.certified_divergences(p, q, ("kl_pq", "kl_qp"), **ctx.certified_grid)
    slopes = jspi_end_slopes(p, q, s["pi_step"], ctx.certified_grid)
    for name in ("kl_pq", "kl_qp"):
        add("pi-gradient-order", name, kls[name].value, kls[name].error)
    for name, (value, error) in slopes.items():
        add("pi-gradient-order", name, value, error)

    joint = np.asarray(s["joint"], dtype=float)
    info = mutual_information(joint)
    for k, (q1, q2) in enumerate(random_models(len(joint), s["n_models"],
                                               run_streams(ctx.seed, {"job": ID}).numpy("evaluation"))):
        eq4, eq5 = eq4_eq5(joint, q1, q2)
        for name, value in (("eq4", eq4), ("eq5", eq5), ("eq4_minus_eq5", eq4 - eq5)):
            add("eq4-eq5", name, value, FLOAT_SLACK, case=f"model {k}")
    add("eq4-eq5", "mutual_information", info, FLOAT_SLACK, case="P")

    pi = s["pi"]
    js = dv.certified_divergences(p, q, ("js_pi",), pi=pi, **ctx.certified_grid)["js_pi"]
    (loss_p_share, e1), (loss_q_share, e2) = _on_grids(p, q, ctx.certified_grid, lambda lp, lq, g: (
        optimal_log_loss_on_grid(lp, lq, pi, g), optimal_log_loss_on_grid(lp, lq, 1 - pi, g)))
    h = dv.binary_entropy(pi)
    add("pi-convention", "js_pi", js.value, js.error)
    add("pi-convention", "h_minus_loss_p_share_pi", h - loss_p_share, e1)
    add("pi-convention", "h_minus_loss_p_share_1_minus_pi", h - loss_q_share, e2)

    js_half = dv.certified_divergences(p, q, ("js",), **ctx.certified_grid)["js"]
    ((value, e_value),) = _on_grids(p, q, ctx.certified_grid, lambda lp, lq, g: (game_value_on_grid(lp, lq, g),))
    add("lecture-c-of-g", "game_value_at_optimal_d", value, e_value)
    add("lecture-c-of-g", "minus_log4_plus_2js", -np.log(4) + 2 * js_half.value, 2 * js_half.error)
    add("lecture-c-of-g", "minus_log4_plus_js", -np.log(4) + js_half.value, js_half.error)

    (entropy, e_h), (cross, e_ce) = _on_grids(p, q, ctx.certified_grid, lambda lp, lq, g: entropies_on_grid(lp, lq, g))
    add("lecture-cross-entropy", "kl_pq", kls["kl_pq"].value, kls["kl_pq"].error)
    add("lecture-cross-entropy", "cross_entropy_minus_entropy", cross - entropy, e_h + e_ce)
    add("lecture-cross-entropy", "entropy_plus_e_p_log_q", entropy - cross, e_h + e_ce)
    return Computed(pd.DataFrame(rows)[["slip", "case", "quantity", "value", "unit", "error"]])


# ---------------------------------------------------------------- the verdict


def _value(table: pd.DataFrame, slip: str, quantity: str) -> tuple[float, float]:
    row = table[(table.slip == slip) & (table.quantity == quantity)]
    return float(row.value.iloc[0]), float(row.error.iloc[0])


def _check(truth: tuple, holds: tuple, written: tuple) -> dict:
    """How far the value the statement that holds gives and the one the statement as written gives are from the
    measured value `truth`, each over the errors allowed to the two values compared ((value, error) pairs)."""
    allowed = truth[1] + holds[1] + FLOAT_SLACK
    return {"holds": abs(holds[0] - truth[0]) / allowed, "written": abs(written[0] - truth[0]) / (
        truth[1] + written[1] + FLOAT_SLACK)}


def slip_checks(table: pd.DataFrame) -> dict[str, dict]:
    """Per slip, {"holds": miss of the statement that holds / its allowed error, "written": miss of the statement
    as written / its allowed error} (the slip is confirmed when holds <= 1 and written > SEPARATION)."""
    v = lambda slip, quantity: _value(table, slip, quantity)  # noqa: E731
    # the measured slopes against the KL each reading says they recover (eqs. 17-18, and the sentence as written)
    kl_pq, kl_qp = v("pi-gradient-order", "kl_pq"), v("pi-gradient-order", "kl_qp")
    negative = lambda pair: (-pair[0], pair[1])  # noqa: E731
    order = [_check(v("pi-gradient-order", "slope_at_pi0"), kl_pq, kl_qp),
             _check(v("pi-gradient-order", "slope_at_pi1"), negative(kl_qp), negative(kl_pq))]
    rows = table[(table.slip == "eq4-eq5") & (table.quantity == "eq4_minus_eq5")]
    info = v("eq4-eq5", "mutual_information")[0]
    # eq. 4 - eq. 5 is I(x1; x2) for every model (holds) and not 0 (as written); round-off of sums of ~K^3 terms
    eq = {"holds": float(np.abs(rows.value - info).max()) / FLOAT_SLACK,
          "written": float(np.abs(rows.value).min()) / FLOAT_SLACK}
    return {
        "pi-gradient-order": {"holds": max(c["holds"] for c in order), "written": min(c["written"] for c in order)},
        "eq4-eq5": eq,
        "pi-convention": _check(v("pi-convention", "js_pi"), v("pi-convention", "h_minus_loss_p_share_pi"),
                                v("pi-convention", "h_minus_loss_p_share_1_minus_pi")),
        "lecture-c-of-g": _check(v("lecture-c-of-g", "game_value_at_optimal_d"),
                                 v("lecture-c-of-g", "minus_log4_plus_2js"), v("lecture-c-of-g", "minus_log4_plus_js")),
        "lecture-cross-entropy": _check(v("lecture-cross-entropy", "kl_pq"),
                                        v("lecture-cross-entropy", "cross_entropy_minus_entropy"),
                                        v("lecture-cross-entropy", "entropy_plus_e_p_log_q")),
    }


def outcome(check: Mapping) -> str:
    """confirmed (what holds does, within its error; as written misses by > SEPARATION x its error), refuted (as
    written holds within its error and what should hold does not: no slip), or undecided (otherwise: both hold, as
    on a pair whose two readings agree, or the errors are too large to tell)."""
    if check["holds"] <= 1.0 and check["written"] > SEPARATION:
        return "confirmed"
    return "refuted" if check["written"] <= 1.0 < check["holds"] else "undecided"


def judge(computed: Computed, ctx: Context | None = None) -> dict:
    """reproduced: every slip confirmed; partly: some confirmed, some refuted; not reproduced: some refuted, none
    confirmed; inconclusive: none refuted and not all confirmed (some undecided)."""
    checks = slip_checks(computed.table)
    outcomes = {slip: outcome(c) for slip, c in checks.items()}
    confirmed = [s for s in SLIPS if outcomes[s] == "confirmed"]
    refuted = [s for s in SLIPS if outcomes[s] == "refuted"]
    if len(confirmed) == len(SLIPS):
        status = "reproduced"
    elif refuted:
        status = "partly" if confirmed else "not reproduced"
    else:
        status = "inconclusive"
    t = computed.table
    info = _value(t, "eq4-eq5", "mutual_information")[0]
    summary = (f"{len(confirmed)} of {len(SLIPS)} slips confirmed ({', '.join(confirmed) or 'none'}"
               f"{'; refuted: ' + ', '.join(refuted) if refuted else ''}). "
               f"The JS_pi slope is {_value(t, 'pi-gradient-order', 'slope_at_pi0')[0]:.4f} nats at pi -> 0 "
               f"(KL[P||Q] = {_value(t, 'pi-gradient-order', 'kl_pq')[0]:.4f}) and "
               f"{_value(t, 'pi-gradient-order', 'slope_at_pi1')[0]:.4f} at pi -> 1 (-KL[Q||P] = "
               f"{-_value(t, 'pi-gradient-order', 'kl_qp')[0]:.4f}), the order of eqs. 17-18; eq. 4 - eq. 5 = "
               f"I(x1; x2) = {info:.4f} nats for every model; a classifier with P's share pi reaches "
               f"H(pi) - JS_pi; V(G, D*) = -log 4 + 2 JS; KL = H(p, q) - H(p) with H(p, q) = -E_p log q.")
    numbers = []
    for slip in SLIPS:
        c = checks[slip]
        numbers += [(f"{slip}: miss of what holds / its error", c["holds"], "", "<= 1", c["holds"] <= 1.0),
                    (f"{slip}: miss as written / its error", c["written"], "", f"> {SEPARATION:g}",
                     c["written"] > SEPARATION)]
    return verdict(ID, status, summary, numbers)


def draw(computed: Computed, ctx: Context | None = None):
    """One panel per slip: the true value, the statement as written and the one that holds."""
    t = computed.table
    fig, axes = figure(ncols=3, nrows=2, width=3.6)
    panels = axes.ravel()
    bars = {
        "pi-gradient-order": [("slope at π→0", "slope_at_pi0"), ("KL[P‖Q]", "kl_pq"), ("KL[Q‖P]", "kl_qp"),
                              ("slope at π→1", "slope_at_pi1")],
        "pi-convention": [("JS_π (eq. 12)", "js_pi"), ("H(π) − L*(P share π)", "h_minus_loss_p_share_pi"),
                          ("H(π) − L*(P share 1−π)", "h_minus_loss_p_share_1_minus_pi")],
        "lecture-c-of-g": [("V(G, D*)", "game_value_at_optimal_d"), ("−log 4 + 2 JS", "minus_log4_plus_2js"),
                           ("−log 4 + JS (lecture)", "minus_log4_plus_js")],
        "lecture-cross-entropy": [("KL[p‖q]", "kl_pq"), ("H(p,q) − H(p)", "cross_entropy_minus_entropy"),
                                  ("H(p) + E_p log q (lecture)", "entropy_plus_e_p_log_q")],
    }
    for ax, (slip, items) in zip(panels[[0, 2, 3, 4]], bars.items()):
        values = [_value(t, slip, quantity) for _, quantity in items]
        ax.bar(range(len(items)), [v for v, _ in values], yerr=[e for _, e in values], color=[f"C{i}" for i in
                                                                                          range(len(items))])
        ax.set_xticks(range(len(items)), [label for label, _ in items], rotation=20, ha="right", fontsize=7)
        ax.axhline(0, color="k", lw=0.5)
        ax.set(title=slip, ylabel=NATS)
    ax = panels[1]
    rows = t[(t.slip == "eq4-eq5")].pivot_table(index="case", columns="quantity", values="value", sort=False)
    models = rows.drop(index="P")
    ax.plot(models.eq5, models.eq4, "o", label="models Q")
    lims = np.array([models.eq5.min(), models.eq5.max()])
    info = rows.loc["P", "mutual_information"]
    ax.plot(lims, lims, "k:", label="eq. 4 = eq. 5 (as written)")
    ax.plot(lims, lims + info, "C3-", label=f"eq. 4 = eq. 5 + I(x1;x2), I = {info:.3f}")
    ax.set(xlabel="eq. 5, nats", ylabel="eq. 4, nats", title="eq4-eq5")
    ax.legend(fontsize=7)
    ax = panels[5]
    ax.axis("off")
    lines = [f"{slip}: {outcome(check)}" for slip, check in slip_checks(t).items()]
    ax.text(0.0, 1.0, "Outcome per slip\n\n" + "\n".join(lines), va="top", ha="left", fontsize=9,
            transform=ax.transAxes)
    return fig
