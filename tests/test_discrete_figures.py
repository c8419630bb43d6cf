"""The lecture's discrete figures (w-vs-kl, tv-trials, cramer-bernoulli): their numbers against closed forms,
and each verdict rule on a table where the claim is true and on one where it is false."""

from __future__ import annotations

import numpy as np
import pytest

from gandiv.figures import cramer_bernoulli, tv_trials, w_vs_kl
from gandiv.figures.recipe import Computed, Context

ROUNDOFF = 1e-12  # sums of a handful of terms of size <= 1: a few ulp


def _ctx(settings: dict) -> Context:
    return Context(config={"seed": 0}, settings=settings)


def _passed(record: dict, name: str):
    """The `passed` flag of the verdict's deciding number `name`."""
    (number,) = [n for n in record["numbers"] if n["name"] == name]
    return number["passed"]


def _set(table, mask, value):
    """A copy of the table with `value` written into the masked rows."""
    out = table.copy()
    out.loc[mask, "value"] = value
    return out


# ------------------------------------------------------------- w-vs-kl


def test_w_vs_kl_matches_the_lectures_closed_forms():
    computed = w_vs_kl.compute(_ctx({}))
    value = computed.table.set_index(["pair", "quantity"]).value
    # Both KL[P||Q] = 0.6 log(0.6/0.1) + 0.1 log(0.1/0.6) = 0.5 log 6 (the other atoms cancel).
    for pair in ("P vs Q", "P vs Q2"):
        assert value[pair, "KL[P||Q]"] == pytest.approx(0.5 * np.log(6.0), abs=ROUNDOFF)
    # W1: 0.5 of the mass moves 4 steps (Q) or 1 step (Q2).
    assert value["P vs Q", "W1"] == pytest.approx(2.0, abs=ROUNDOFF)
    assert value["P vs Q2", "W1"] == pytest.approx(0.5, abs=ROUNDOFF)
    record = w_vs_kl.judge(computed, _ctx({}))
    assert record["verdict"] == "reproduced"
    w_vs_kl.draw(computed, _ctx({}))


def test_w_vs_kl_verdict_fails_when_a_distance_differs_from_the_lecture():
    computed = w_vs_kl.compute(_ctx({}))
    t = computed.table
    record = w_vs_kl.judge(computed, _ctx({}))
    for name in ("W(P, Q)", "KL[P||Q]", "W(P, Q2)", "KL[P||Q2]"):
        assert _passed(record, name) is True
    # One number changed at a time; only its own check fails.
    for pair, quantity, value, name in (("P vs Q2", "W1", 1.0, "W(P, Q2)"),
                                        ("P vs Q", "KL[P||Q]", 0.8959 + 1e-4, "KL[P||Q]")):  # beyond 4 decimals
        wrong = w_vs_kl.judge(Computed(_set(t, (t.pair == pair) & (t.quantity == quantity), value)), _ctx({}))
        assert wrong["verdict"] == "not reproduced"
        assert [n["name"] for n in wrong["numbers"] if n["passed"] is False] == [name]
        assert f"Failed: {name} = " in wrong["summary"]


# ------------------------------------------------------------- tv-trials

TV_SETTINGS = {"p": 0.5, "q": 0.6, "n_max": 60}


@pytest.fixture(scope="module")
def tv():
    return tv_trials.compute(_ctx(TV_SETTINGS))


def test_tv_trials_rows_match_closed_forms(tv):
    wide = tv.table.pivot(index="n", columns="quantity", values="value")
    assert wide.index[0] == 1 and wide.index[-1] == 60
    delta = abs(0.6 - 0.5)  # TV of one Bernoulli trial is |p - q|
    assert wide[tv_trials.TV_N].loc[1] == pytest.approx(delta, abs=ROUNDOFF)
    n = wide.index.to_numpy()
    np.testing.assert_allclose(wide[tv_trials.BOUND], 1 - 2 * np.exp(-n * delta**2 / 2), rtol=0, atol=ROUNDOFF)
    # An atomic law against a density: mutually singular, TV = 1 up to the round-off of summing the atoms.
    np.testing.assert_allclose(wide[tv_trials.TV_CLT], 1.0, rtol=0, atol=ROUNDOFF)
    # Berry-Esseen for the Rademacher sum (sd 1, third absolute moment 1), constant C <= 0.4748 (Shevtsova 2011).
    assert np.all(wide[tv_trials.KOLMOGOROV] <= 0.4748 / np.sqrt(n))


MARGIN, DROP = "smallest TV - bound over n", "largest decrease of TV from one n to the next"


def test_tv_trials_verdict(tv):
    ctx = _ctx(TV_SETTINGS)
    record = tv_trials.judge(tv, ctx)
    assert record["verdict"] == "reproduced"
    assert record["numbers"][0]["value"] == pytest.approx(0.1, abs=ROUNDOFF)
    assert _passed(record, MARGIN) is True and _passed(record, DROP) is True
    tv_trials.draw(tv, ctx)
    t = tv.table
    wide = t.pivot(index="n", columns="quantity", values="value")
    last, before = wide.index[-1], wide.index[-2]
    # A TV that drops 0.01 at the last n (still far above the bound, which is negative at n = 60).
    dropping = _set(t, (t.n == last) & (t.quantity == tv_trials.TV_N), wide[tv_trials.TV_N].loc[before] - 0.01)
    failed = tv_trials.judge(Computed(dropping), ctx)
    assert failed["verdict"] == "not reproduced"
    assert _passed(failed, DROP) is False and _passed(failed, MARGIN) is True
    assert {n["name"]: n["value"] for n in failed["numbers"]}[DROP] == pytest.approx(0.01, abs=ROUNDOFF)
    # A bound above the TV at the last n (TV itself unchanged).
    above_tv = _set(t, (t.n == last) & (t.quantity == tv_trials.BOUND), 1.0)
    failed = tv_trials.judge(Computed(above_tv), ctx)
    assert failed["verdict"] == "not reproduced"
    assert _passed(failed, MARGIN) is False and _passed(failed, DROP) is True
    assert "Failed: TV falls below the bound" in failed["summary"]


# ------------------------------------------------------------- cramer-bernoulli

CRAMER_SETTINGS = {"theta_star": [0.6], "minibatch_sizes": [1, 5], "sgd_steps": 4000, "sgd_learning_rate": 0.1,
                   "sgd_seeds": 2}


@pytest.fixture(scope="module")
def cramer():
    return cramer_bernoulli.compute(_ctx(CRAMER_SETTINGS))


def _minimiser(table, loss, m):
    rows = table[(table.quantity == cramer_bernoulli.MINIMISER) & (table.loss == loss) & (table.minibatch == m)]
    return rows.value.item()


def test_cramer_bernoulli_minimisers(cramer):
    t = cramer.table
    # One draw: E|theta - x| over x ~ Bernoulli(0.6) is minimised at its median, 1.
    assert _minimiser(t, "wasserstein", 1) == pytest.approx(1.0, abs=ROUNDOFF)
    # The Cramér sample gradient is unbiased: its minimiser is theta* (bounded scalar search, tolerance ~1e-8).
    for m in CRAMER_SETTINGS["minibatch_sizes"]:
        assert _minimiser(t, "cramer", m) == pytest.approx(0.6, abs=1e-6)
    ends = t[t.quantity == cramer_bernoulli.SGD_END]
    assert len(ends) == 2 * 2 * CRAMER_SETTINGS["sgd_seeds"]  # losses x minibatch sizes x seeds
    assert ends.value.between(0, 1).all()


W_BIAS, C_BIAS, SGD = ("largest |Wasserstein optimum - theta*|", "largest |Cramer optimum - theta*|",
                       "largest |SGD end - exact minimiser| over all runs")


def test_cramer_bernoulli_verdict_rules(cramer):
    ctx = _ctx(CRAMER_SETTINGS)
    t = cramer.table
    sgd = t.quantity == cramer_bernoulli.SGD_END
    # SGD runs that end exactly at their minimiser: the whole claim holds.
    exact = t.copy()
    for loss in ("wasserstein", "cramer"):
        for m in CRAMER_SETTINGS["minibatch_sizes"]:
            exact.loc[sgd & (t.loss == loss) & (t.minibatch == m), "value"] = _minimiser(t, loss, m)
    record = cramer_bernoulli.judge(Computed(exact), ctx)
    assert record["verdict"] == "reproduced"
    assert [_passed(record, name) for name in (W_BIAS, C_BIAS, SGD)] == [True, True, True]
    # One run 0.05 off its minimiser (> 0.02): only the exact part holds.
    off = exact.copy()
    off.loc[off[sgd].index[0], "value"] += 0.05
    # A Cramér minimiser away from theta*: the exact part fails.
    biased = _set(exact, (t.quantity == cramer_bernoulli.MINIMISER) & (t.loss == "cramer"), 0.5)
    # Wasserstein minimisers at theta* (no bias to show): the exact part fails too.
    unbiased = _set(exact, (t.quantity == cramer_bernoulli.MINIMISER) & (t.loss == "wasserstein"), 0.6)
    for table, verdict, name in ((off, "partly", SGD), (biased, "not reproduced", C_BIAS),
                                 (unbiased, "not reproduced", W_BIAS)):
        failed = cramer_bernoulli.judge(Computed(table), ctx)
        assert failed["verdict"] == verdict, name
        assert _passed(failed, name) is False
        # the other exact check is untouched (SGD ends are measured from the minimisers, so moving one moves both)
        assert all(_passed(failed, n) for n in (W_BIAS, C_BIAS) if n != name)
        assert "Failed: " in failed["summary"]
    cramer_bernoulli.draw(cramer, ctx)
