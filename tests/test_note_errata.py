"""note-errata: each slip's numbers against closed forms and independent computations, and a verdict that fails
on tables where a statement as written holds."""

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gandiv.exact import divergences as dv
from gandiv.exact.densities import gaussian
from gandiv.exact.quadrature import grid_for
from gandiv.figures import note_errata as ne
from gandiv.figures.recipe import Computed, Context
from gandiv.pipeline.config import ConfigError, load_schema, validate_config

REPO = Path(__file__).resolve().parents[1]
QUADRATURE = {"points_per_sd": 8, "halfwidth_sd": 12}
P, Q = gaussian([0.0], [[1.0]]), gaussian([1.0], [[2.25]])  # KL[P||Q] = 0.3499, KL[Q||P] = 0.7195 nats


def _kl_gauss(m1, s1, m2, s2):
    """KL[N(m1, s1^2) || N(m2, s2^2)] in nats (closed form)."""
    return np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def _logs(p, q, grid):
    return dv.log_density(p, grid.points), dv.log_density(q, grid.points)


@pytest.mark.parametrize("h", [1e-3, 1e-4])
def test_the_end_slopes_of_js_pi_are_kl_pq_at_zero_and_minus_kl_qp_at_one(h):
    slopes = ne.jspi_end_slopes(P, Q, h, QUADRATURE)
    (s0, e0), (s1, e1) = slopes["slope_at_pi0"], slopes["slope_at_pi1"]
    # the stated errors bound the true miss (the closed forms), and are small against the gap between the KLs
    assert abs(s0 - _kl_gauss(0, 1, 1, 1.5)) <= e0 < 0.01
    assert abs(s1 + _kl_gauss(1, 1.5, 0, 1)) <= e1 < 0.01


def _table(rng, k):
    table = rng.dirichlet(np.ones(k * k)).reshape(k, k)
    return table


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 5))
def test_eq4_minus_eq5_is_the_mutual_information_for_every_joint_and_model(seed, k):
    rng = np.random.default_rng(seed)
    joint = _table(rng, k)
    (q1, q2), = ne.random_models(k, 1, rng)
    eq4, eq5 = ne.eq4_eq5(joint, q1, q2)
    # eq. 4 by brute force over (y, z, x2): E_y E_z sum_x P(x|y) log(P(x|y) / Q(x|z))
    p1 = joint.sum(axis=1)
    cond = joint / p1[:, None]
    brute = np.sum(p1 * np.log(p1 / q1)) + sum(
        p1[y] * q1[z] * cond[y, x] * np.log(cond[y, x] / q2[z, x])
        for y in range(k) for z in range(k) for x in range(k))
    assert eq4 == pytest.approx(brute, rel=1e-12, abs=1e-12)
    # I(x1; x2) as H(x2) - H(x2 | x1), a route independent of KL[P || P1 P2]
    p2 = joint.sum(axis=0)
    info = -np.sum(p2 * np.log(p2)) + np.sum(joint * np.log(cond))
    assert ne.mutual_information(joint) == pytest.approx(info, abs=1e-12)
    assert eq4 - eq5 == pytest.approx(info, abs=1e-12)  # round-off of sums of ~k^3 terms of order 1


def test_a_factorised_joint_makes_eq4_and_eq5_equal():
    joint = np.outer([0.2, 0.8], [0.6, 0.4])
    (q1, q2), = ne.random_models(2, 1, np.random.default_rng(0))
    eq4, eq5 = ne.eq4_eq5(joint, q1, q2)
    assert ne.mutual_information(joint) == pytest.approx(0.0, abs=1e-15)
    assert eq4 == pytest.approx(eq5, abs=1e-14)


@pytest.mark.parametrize("share", [0.05, 0.3, 0.5, 0.9])
def test_the_best_classifiers_log_loss_is_h_minus_js_with_p_weighted_by_its_share(share):
    grid = grid_for(P, Q, **QUADRATURE)
    log_p, log_q = _logs(P, Q, grid)
    loss = ne.optimal_log_loss_on_grid(log_p, log_q, share, grid)
    js = dv.certified_divergences(P, Q, ("js_pi",), pi=share, **QUADRATURE)["js_pi"]
    assert dv.binary_entropy(share) - loss == pytest.approx(js.value, abs=1e-9)
    # swapping P and Q swaps the shares (eq. 13, JS_pi[P||Q] = JS_(1-pi)[Q||P])
    assert ne.optimal_log_loss_on_grid(log_q, log_p, 1 - share, grid) == pytest.approx(loss, abs=1e-12)
    # the sample says nothing when P = Q: the loss is the coin's entropy
    assert ne.optimal_log_loss_on_grid(log_p, log_p, share, grid) == pytest.approx(dv.binary_entropy(share),
                                                                                    abs=1e-12)


def test_the_games_value_at_the_optimal_discriminator_spans_minus_log4_to_zero():
    same = grid_for(P, P, **QUADRATURE)
    log_p, _ = _logs(P, P, same)
    assert ne.game_value_on_grid(log_p, log_p, same) == pytest.approx(-np.log(4), abs=1e-12)  # P = Q
    far = gaussian([40.0], [[1.0]])  # nearly disjoint: JS -> log 2, V -> -log 4 + 2 log 2 = 0
    grid = grid_for(P, far, **QUADRATURE)
    assert ne.game_value_on_grid(*_logs(P, far, grid), grid) == pytest.approx(0.0, abs=1e-12)


def test_entropy_and_cross_entropy_of_gaussians_against_closed_forms():
    grid = grid_for(P, Q, **QUADRATURE)
    entropy, cross = ne.entropies_on_grid(*_logs(P, Q, grid), grid)
    assert entropy == pytest.approx(0.5 * np.log(2 * np.pi * np.e), abs=1e-10)
    # H(p, q) = -E_p log q = 0.5 log(2 pi s_q^2) + (s_p^2 + (m_p - m_q)^2) / (2 s_q^2)
    assert cross == pytest.approx(0.5 * np.log(2 * np.pi * 2.25) + (1 + 1) / (2 * 2.25), abs=1e-10)
    assert cross - entropy == pytest.approx(_kl_gauss(0, 1, 1, 1.5), abs=1e-10)


# ---------------------------------------------------------------- the figure and its verdict


def _smoke_context(**changes) -> Context:
    config = validate_config(yaml.safe_load((REPO / "config" / "smoke.yaml").read_text()), load_schema())
    config["figures"]["note-errata"] |= changes
    return Context(config=config, settings=config["figures"]["note-errata"])


@pytest.fixture(scope="module")
def computed():
    return ne.compute(_smoke_context())


def test_every_slip_is_confirmed_on_the_configured_pair(computed):
    record = ne.judge(computed)
    assert record["verdict"] == "reproduced", record["summary"]
    assert {ne.outcome(c) for c in ne.slip_checks(computed.table).values()} == {"confirmed"}


def _set(table, slip, quantity, value):
    table = table.copy()
    table.loc[(table.slip == slip) & (table.quantity == quantity), "value"] = value
    return table


def _as_written_holds(table, slip):
    """The table changed in its deciding quantity only, so that the statement as written holds for `slip`."""
    v = lambda q: float(table[(table.slip == slip) & (table.quantity == q)].value.iloc[0])  # noqa: E731
    if slip == "pi-gradient-order":  # the slopes come out in the sentence's order
        table = _set(table, slip, "slope_at_pi0", v("kl_qp"))
        return _set(table, slip, "slope_at_pi1", -v("kl_pq"))
    if slip == "eq4-eq5":  # eq. 4 = eq. 5 for every model
        return _set(table, slip, "eq4_minus_eq5", 0.0)
    if slip == "pi-convention":  # the classifier reaches JS_pi when P's share is 1 - pi
        return _set(table, slip, "js_pi", v("h_minus_loss_p_share_1_minus_pi"))
    if slip == "lecture-c-of-g":  # the game's value is -log 4 + JS
        return _set(table, slip, "game_value_at_optimal_d", v("minus_log4_plus_js"))
    return _set(table, slip, "kl_pq", v("entropy_plus_e_p_log_q"))  # KL = H(p) + E_p log q


@pytest.mark.parametrize("slip", ne.SLIPS)
def test_a_table_where_one_statement_holds_as_written_is_not_reproduced(computed, slip):
    table = _as_written_holds(computed.table, slip)
    outcomes = {s: ne.outcome(c) for s, c in ne.slip_checks(table).items()}
    assert outcomes[slip] == "refuted" and all(o == "confirmed" for s, o in outcomes.items() if s != slip)
    assert ne.judge(Computed(table))["verdict"] == "partly"


def test_every_statement_holding_as_written_is_not_reproduced(computed):
    table = computed.table
    for slip in ne.SLIPS:
        table = _as_written_holds(table, slip)
    assert ne.judge(Computed(table))["verdict"] == "not reproduced"


def test_a_pair_whose_kls_agree_cannot_settle_the_slope_order():
    # P = N(0, 1), Q = N(1, 1): KL[P||Q] = KL[Q||P] = 0.5, so the two readings give the same slopes
    config = validate_config(yaml.safe_load((REPO / "config" / "smoke.yaml").read_text()), load_schema())
    config["targets"]["unit"] = {"kind": "gaussian", "mean": [0.0], "covariance": [[1.0]]}
    pair = {"p": "unit", "q": {"mean": [1.0], "covariance": [[1.0]]}}
    ctx = Context(config=config, settings=config["figures"]["note-errata"] | {"pair": pair})
    computed = ne.compute(ctx)
    outcomes = {s: ne.outcome(c) for s, c in ne.slip_checks(computed.table).items()}
    assert outcomes["pi-gradient-order"] == "undecided"  # both readings hold: the pair cannot show the slip
    assert ne.judge(computed)["verdict"] == "inconclusive"


@pytest.mark.parametrize("change, slip", [
    ({"pi": 0.5}, "pi-convention"),  # at pi = 1/2 both readings of pi give JS
    ({"joint": [[0.12, 0.28], [0.18, 0.42]]}, "eq4-eq5"),  # a factorised joint: I = 0, eq. 4 = eq. 5
])
def test_settings_where_both_readings_agree_leave_the_slip_undecided(change, slip):
    computed = ne.compute(_smoke_context(**change))
    assert ne.outcome(ne.slip_checks(computed.table)[slip]) == "undecided"
    assert ne.judge(computed)["verdict"] == "inconclusive"


def test_slopes_without_an_order_carry_an_infinite_error(monkeypatch):
    from gandiv.exact.divergences import Certified

    # JS_t / t constant in t: the three points show no convergence order
    monkeypatch.setattr(ne.dv, "certified_divergences", lambda p, q, quantities, pi, **grid: {
        "js_pi": Certified(value=0.3 * min(pi, 1 - pi), error=0.0, method="closed form")})
    slopes = ne.jspi_end_slopes(P, Q, 1e-3, QUADRATURE)
    assert slopes["slope_at_pi0"][1] == np.inf and slopes["slope_at_pi1"][1] == np.inf


def test_the_table_is_deterministic_and_the_seed_draws_other_models():
    a, b = ne.compute(_smoke_context()).table, ne.compute(_smoke_context()).table
    assert a.equals(b)
    ctx = _smoke_context()
    other = Context(config=ctx.config | {"seed": 1}, settings=ctx.settings)
    moved = ne.compute(other).table
    eq = lambda t: t[(t.slip == "eq4-eq5") & (t.quantity == "eq4")].value.to_numpy()  # noqa: E731
    assert not np.allclose(eq(a), eq(moved))


@pytest.mark.parametrize("change, key", [
    ({"pair": {"p": "bimodal_1d", "q": {"mean": [0.0, 1.0], "covariance": [[1.0]]}}}, "figures.note-errata.pair.q.mean"),
    ({"pair": {"p": "bimodal_1d", "q": {"mean": [0.0], "covariance": [[-1.0]]}}},
     "figures.note-errata.pair.q.covariance"),
    ({"joint": [[0.5, 0.5], [0.5, 0.5]]}, "figures.note-errata.joint"),
    ({"pair": {"p": "nowhere", "q": {"mean": [0.0], "covariance": [[1.0]]}}}, "figures.note-errata"),
])
def test_bad_settings_are_refused_naming_the_key(change, key):
    raw = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    raw = copy.deepcopy(raw)
    raw["figures"]["note-errata"] = change
    with pytest.raises(ConfigError, match=key.replace(".", r"\.").replace("[", r"\[")):
        validate_config(raw, load_schema())
