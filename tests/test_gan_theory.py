"""GAN theory with known densities: generator losses on logits, the Bayes-optimal discriminator, V(D*)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, log_expit

from gandiv.exact.densities import gaussian
from gandiv.exact.divergences import binary_entropy, js_pi_on_grid
from gandiv.update_rules import LOGIT_RULES, UpdateRule, discriminator_value, optimal_logit, unit
from gandiv.exact.quadrature import grid_for

FAST = settings(max_examples=50, deadline=None)
MODERATE = st.floats(min_value=-20.0, max_value=20.0, allow_nan=False)
ALL_RULES = list(LOGIT_RULES)  # the rules that act on a classifier's logit


def _naive_loss(rule: UpdateRule, a: np.ndarray) -> np.ndarray:
    d = 1.0 / (1.0 + np.exp(-a))
    if rule is UpdateRule.MINIMAX:
        return np.log(1.0 - d)
    if rule is UpdateRule.NONSATURATING:
        return -np.log(d)
    return np.log((1.0 - d) / d)


# ------------------------------------------------------------- generator losses


@FAST
@given(a=st.lists(MODERATE, min_size=1, max_size=20))
@pytest.mark.parametrize("rule", ALL_RULES)
def test_generator_loss_matches_naive_formula(rule, a):
    a = np.array(a)
    # The naive 1 - D loses absolute accuracy eps ~ 1.1e-16 in 1 - D; through the log that is an
    # absolute error eps / (1 - D) <= 1.1e-16 * (1 + e^20) ~ 5e-8 for |a| < 20 (same for D).
    np.testing.assert_allclose(unit(rule).logit_loss(a), _naive_loss(rule, a), rtol=0, atol=1e-6)


@pytest.mark.parametrize("rule", ALL_RULES)
def test_generator_loss_is_stable_for_extreme_logits(rule):
    a = np.concatenate([-np.logspace(0, np.log10(700), 40), [0.0], np.logspace(0, np.log10(700), 40)])
    with np.errstate(all="raise"):  # no overflow / divide warnings either
        loss = unit(rule).logit_loss(a)
        grad = unit(rule).logit_loss_grad(a)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))


def test_generator_loss_asymptotes():
    # For a >= 40, log(1 + e^-a) < 5e-18, below the ulp of a, so log(1 - D) = -a - log(1 + e^-a)
    # equals -a to relative 1e-15, and -log D = log(1 + e^-a) ~ e^-a (relative accuracy 1e-15 too).
    a = np.linspace(40.0, 700.0, 50)
    np.testing.assert_allclose(unit(UpdateRule.MINIMAX).logit_loss(a), -a, rtol=1e-15)
    np.testing.assert_allclose(unit(UpdateRule.NONSATURATING).logit_loss(-a), a, rtol=1e-15)
    np.testing.assert_allclose(unit(UpdateRule.NONSATURATING).logit_loss(a), np.exp(-a), rtol=1e-12)
    np.testing.assert_allclose(unit(UpdateRule.MINIMAX).logit_loss(-a), -np.exp(-a), rtol=1e-12)
    # The saturation that motivates the non-saturating rule: minimax gradient vanishes where
    # D is confident the sample is fake (a -> -inf), the non-saturating one tends to -1.
    np.testing.assert_allclose(unit(UpdateRule.MINIMAX).logit_loss_grad(-a), -np.exp(-a), rtol=1e-12)
    np.testing.assert_allclose(unit(UpdateRule.NONSATURATING).logit_loss_grad(-a), -1.0, rtol=1e-15)


@FAST
@given(a=st.lists(MODERATE, min_size=1, max_size=20))
@pytest.mark.parametrize("rule", ALL_RULES)
def test_generator_loss_grad_is_finite_difference(rule, a):
    a = np.array(a)
    h = 1e-5
    fd = (unit(rule).logit_loss(a + h) - unit(rule).logit_loss(a - h)) / (2 * h)
    # Truncation h^2 |f'''| / 6 <= 1e-10 * 0.1 / 6 (|f'''| <= 0.1 for log-sigmoid);
    # round-off eps |f| / h <= 1.1e-16 * 20 / 1e-5 ~ 2e-10. So 1e-8 is a generous bound.
    np.testing.assert_allclose(unit(rule).logit_loss_grad(a), fd, rtol=0, atol=1e-8)


@FAST
@given(a=st.lists(st.floats(min_value=-700.0, max_value=700.0, allow_nan=False), min_size=1, max_size=20))
def test_minimax_plus_nonsaturating_is_kl(a):
    # log(1 - D) + (-log D) = log((1 - D)/D) = -a: the KL rule is the sum of the two updates.
    a = np.array(a)
    total = unit(UpdateRule.MINIMAX).logit_loss(a) + unit(UpdateRule.NONSATURATING).logit_loss(a)
    # Sum of two terms of size up to |a|: round-off a few ulps of |a|.
    assert np.all(np.abs(total - unit(UpdateRule.KL).logit_loss(a)) <= 1e-13 * (1 + np.abs(a)))
    np.testing.assert_allclose(unit(UpdateRule.KL).logit_loss(a), -a, rtol=0, atol=0)
    grad_total = unit(UpdateRule.MINIMAX).logit_loss_grad(a) + unit(UpdateRule.NONSATURATING).logit_loss_grad(a)
    np.testing.assert_allclose(grad_total, unit(UpdateRule.KL).logit_loss_grad(a), rtol=0, atol=1e-15)


def test_unknown_rule_rejected():
    with pytest.raises(ValueError, match="not an UpdateRule"):
        unit("minimax")  # a plain string is not the enum member
    with pytest.raises(ValueError, match="'lsgan' has no generator loss on a classifier's logit; rules with one: "
                                         "minimax, nonsaturating, kl"):
        unit(UpdateRule.LSGAN).logit_loss_grad(np.zeros(2))


# ------------------------------------------------------- optimal discriminator


@FAST
@given(seed=st.integers(0, 2**32 - 1), pi=st.floats(min_value=0.01, max_value=0.99))
def test_optimal_logit_is_bayes_posterior(seed, pi):
    rng = np.random.default_rng(seed)
    p = rng.uniform(1e-3, 5.0, size=30)
    q = rng.uniform(1e-3, 5.0, size=30)
    d_star = expit(optimal_logit(np.log(p), np.log(q), pi))
    # A few flops in log space then expit: relative round-off ~1e-15; 1e-12 is ample.
    np.testing.assert_allclose(d_star, pi * p / (pi * p + (1 - pi) * q), rtol=1e-12)
    # Default prior is 1/2: D* = p / (p + q).
    np.testing.assert_allclose(expit(optimal_logit(np.log(p), np.log(q))), p / (p + q), rtol=1e-12)


# -------------------------------------------------------- V(D*) and the JS link


@pytest.fixture(scope="module")
def setup():
    p = gaussian(0.0, 1.0)
    q = gaussian(1.5, 0.7**2)
    grid = grid_for(p, q)
    return grid, p.log_prob(grid.points), q.log_prob(grid.points)


def test_optimal_value_unweighted_is_minus_log4_plus_2js(setup):
    grid, log_p, log_q = setup
    v = discriminator_value(log_p, log_q, optimal_logit(log_p, log_q), grid)
    js = js_pi_on_grid(log_p, log_q, 0.5, grid)
    assert 0.05 < js < np.log(2)  # a genuinely intermediate overlap, so the identity is not trivial
    # Both sides are sums on the same grid; they differ only through int p, int q on the grid,
    # which the trapezoid rule gets to ~1e-15 for Gaussians 9 sds inside the box.
    assert v == pytest.approx(-np.log(4) + 2 * js, abs=1e-10)


@pytest.mark.parametrize("pi", [0.1, 0.3, 0.5, 0.8])
def test_optimal_value_weighted_is_jspi_minus_entropy(setup, pi):
    grid, log_p, log_q = setup
    v = discriminator_value(log_p, log_q, optimal_logit(log_p, log_q, pi), grid, pi=pi)
    # pi int p log(pi p / M) + (1-pi) int q log((1-pi) q / M) = JS_pi + pi log pi + (1-pi) log(1-pi).
    assert v == pytest.approx(js_pi_on_grid(log_p, log_q, pi, grid) - binary_entropy(pi), abs=1e-10)


def test_grid_integrates_densities_to_one(setup):
    # The premise of the 1e-10 tolerance above.
    grid, log_p, log_q = setup
    assert grid.integrate(np.exp(log_p)) == pytest.approx(1.0, abs=1e-12)
    assert grid.integrate(np.exp(log_q)) == pytest.approx(1.0, abs=1e-12)


def _bernoulli_kl(logit_star, logit):
    """KL(Bern(sigmoid(s)) || Bern(sigmoid(o))) on logits: stable where D* saturates in the tails."""
    return (expit(logit_star) * (log_expit(logit_star) - log_expit(logit))
            + expit(-logit_star) * (log_expit(-logit_star) - log_expit(-logit)))


@settings(max_examples=30, deadline=None)
@given(shift=st.floats(min_value=-3.0, max_value=3.0), slope=st.floats(min_value=-2.0, max_value=2.0),
       pi=st.one_of(st.none(), st.floats(min_value=0.05, max_value=0.95)))
def test_optimal_discriminator_is_the_maximiser(setup, shift, slope, pi):
    grid, log_p, log_q = setup
    x = grid.points[:, 0]
    star = optimal_logit(log_p, log_q, 0.5 if pi is None else pi)
    other = star + shift + slope * x
    v_star = discriminator_value(log_p, log_q, star, grid, pi=pi)
    v_other = discriminator_value(log_p, log_q, other, grid, pi=pi)
    # Pointwise, w_p p log D + w_q q log(1-D) = max - (w_p p + w_q q) KL(Bern(D*) || Bern(D)),
    # so the gap is an integral of a non-negative function, computed here independently.
    w_p, w_q = (1.0, 1.0) if pi is None else (pi, 1 - pi)
    weight = w_p * np.exp(log_p) + w_q * np.exp(log_q)
    gap = grid.integrate(weight * _bernoulli_kl(star, other))
    assert v_other <= v_star + 1e-12
    # Same grid sums on both sides; 1e-9 covers round-off in sums of ~1e4 terms of size <= 10.
    assert v_star - v_other == pytest.approx(gap, abs=1e-9)
    if abs(shift) > 0.1 or abs(slope) > 0.1:
        assert v_star - v_other > 1e-6  # strictly worse, not merely tied
