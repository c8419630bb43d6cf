"""The GAN theory figures (gan-optimal-value, update-rules): their numbers against closed forms, and each
verdict rule on a table where the claim is true and on one where it is false."""

from __future__ import annotations

import numpy as np
import pytest

from gandiv.figures import gan_optimal_value, update_rules
from gandiv.figures.recipe import Computed, Context

BIMODAL = {"kind": "gaussian_mixture", "weights": [0.7, 0.3], "means": [[-2.0], [2.0]],
           "covariances": [[[0.36]], [[0.25]]]}


def _passed(record: dict, name: str):
    """The `passed` flag of the verdict's deciding number `name`."""
    (number,) = [n for n in record["numbers"] if n["name"] == name]
    return number["passed"]


def _set(table, mask, value):
    """A copy of the table with `value` written into the masked rows."""
    out = table.copy()
    out.loc[mask, "value"] = value
    return out


# ------------------------------------------------------------- gan-optimal-value

GOV = Context(config={"targets": {"bimodal": BIMODAL}}, settings={"target": "bimodal", "n_models": 3,
                                                                    "quadrature_points_per_sd": 8, "quadrature_halfwidth_sd": 9})


@pytest.fixture(scope="module")
def gov():
    return gan_optimal_value.compute(GOV)


def test_optimal_value_is_minus_log4_plus_twice_js(gov):
    wide = gov.table.pivot(index="model_mean", columns="quantity", values="value")
    # Both sides are quadrature sums on one grid: they agree to round-off, ~1e-14 nats.
    np.testing.assert_allclose(wide[gan_optimal_value.VALUE], wide[gan_optimal_value.PAPER], rtol=0, atol=1e-12)
    # V(G, D*) >= -log 4 with equality only at Q = P; no model of the family is P, so JS > 0 strictly.
    assert np.all(wide[gan_optimal_value.VALUE] > -np.log(4.0))
    # The models' means run from mean(P) - 2 sd(P) to mean(P) + 2 sd(P): mean(P) = 0.7 * -2 + 0.3 * 2 = -0.8.
    sd = np.sqrt(0.7 * (0.36 + 4) + 0.3 * (0.25 + 4) - 0.8**2)
    np.testing.assert_allclose(wide.index, [-0.8 - 2 * sd, -0.8, -0.8 + 2 * sd], rtol=0, atol=1e-12)
    assert (gov.table.exact_error < 1e-9).all()  # refined grid changes nothing beyond round-off


LECTURE_RESIDUAL = "max |V - (-log 4 + JS)| (the lecture's formula)"
PAPER_RESIDUAL = "max |V - (-log 4 + 2 JS)| (the GAN paper's formula)"


def test_optimal_value_verdict_rules(gov):
    t = gov.table
    record = gan_optimal_value.judge(gov, GOV)
    assert record["verdict"] == "partly"  # the paper's 2 JS holds, the lecture's JS does not
    assert _passed(record, LECTURE_RESIDUAL) is False and _passed(record, PAPER_RESIDUAL) is True
    assert "Failed: the lecture's -log 4 + JS is off" in record["summary"]
    gan_optimal_value.draw(gov, GOV)
    # The same table with V equal to the lecture's -log 4 + JS (only the V rows change): reproduced.
    lecture = t[t.quantity == gan_optimal_value.LECTURE].value.to_numpy()
    as_lecture = gan_optimal_value.judge(Computed(_set(t, t.quantity == gan_optimal_value.VALUE, lecture)), GOV)
    assert as_lecture["verdict"] == "reproduced"
    assert _passed(as_lecture, LECTURE_RESIDUAL) is True
    assert "Failed" not in as_lecture["summary"]
    # A V that matches neither formula.
    neither = gan_optimal_value.judge(Computed(_set(t, t.quantity == gan_optimal_value.VALUE, 0.0)), GOV)
    assert neither["verdict"] == "not reproduced"
    assert _passed(neither, LECTURE_RESIDUAL) is False and _passed(neither, PAPER_RESIDUAL) is False


# ------------------------------------------------------------- update-rules

RULES = Context(config={}, settings={})


@pytest.fixture(scope="module")
def rules():
    return update_rules.compute(RULES)


def test_update_rule_losses_match_closed_forms(rules):
    t = rules.table
    assert set(t.rule) == {"minimax", "nonsaturating", "kl"}
    for rule, loss in (("minimax", lambda d: np.log1p(-d)), ("nonsaturating", lambda d: -np.log(d)),
                       ("kl", lambda d: np.log((1 - d) / d))):
        rows = t[(t.rule == rule) & (t.quantity == update_rules.LOSS)]
        # log1p / log of D in [1e-4, 1 - 1e-4]: relative accuracy ~1e-16 on values up to ~9.2 nats; the
        # 1 - d of the naive forms loses at most eps / 1e-4 ~ 1e-12.
        np.testing.assert_allclose(rows.value, loss(rows.D.to_numpy()), rtol=0, atol=1e-10)
    # d/da of -a is -1: the KL rule never saturates.
    kl_slope = t[(t.rule == "kl") & (t.quantity == update_rules.SLOPE)].value
    np.testing.assert_allclose(kl_slope, -1.0, rtol=0, atol=1e-15)
    # Closed-form slopes at D = 0.001: minimax -D, non-saturating -(1 - D).
    slopes = rules.extras["slopes"]
    assert slopes["minimax"] == pytest.approx(1e-3, rel=1e-12)
    assert slopes["nonsaturating"] == pytest.approx(0.999, rel=1e-12)


def test_update_rules_verdict_rules(rules):
    record = update_rules.judge(rules, RULES)
    assert record["verdict"] == "reproduced"
    assert all(n["passed"] for n in record["numbers"])
    assert [n["threshold"] for n in record["numbers"]] == ["< 0.01", "> 0.9", "> 0.9", "< 1e-09"]
    update_rules.draw(rules, RULES)
    # A minimax rule that does not saturate (only its slope changes) contradicts the claim.
    live = rules.extras | {"slopes": rules.extras["slopes"] | {"minimax": 0.5}}
    failed = update_rules.judge(Computed(rules.table, live), RULES)
    assert failed["verdict"] == "not reproduced"
    assert [n["name"] for n in failed["numbers"] if not n["passed"]] == ["|slope| of minimax at D=0.001"]
    assert "not saturated" in failed["summary"] and "Failed: |slope| of minimax" in failed["summary"]
    # A KL-rule loss that is not the sum of the other two (only the KL rule's loss rows change).
    t = rules.table
    shifted = t.copy()
    mask = (t.rule == "kl") & (t.quantity == update_rules.LOSS)
    shifted.loc[mask, "value"] += 1e-6
    failed = update_rules.judge(Computed(shifted, rules.extras), RULES)
    assert failed["verdict"] == "not reproduced"
    assert [n["name"] for n in failed["numbers"] if not n["passed"]] == ["max |minimax + non-saturating - KL rule|"]
