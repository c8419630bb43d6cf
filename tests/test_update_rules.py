"""Every update rule's unit, formula by formula: each formula against an independent computation of the same thing.

The TensorFlow losses against the numpy losses, the numpy slope against finite differences, the potential
against the ideal-discriminator field and its roots (`stationary`), the D-step's minimiser against the
Bayes-optimal discriminator, and the plug-ins at the optimal discriminator against exact divergences.
Rules without a formula must refuse it, naming themselves and the rules that have it.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.optimize import minimize_scalar  # noqa: E402
from scipy.special import expit, ndtri  # noqa: E402

from gandiv.exact import divergences as dv  # noqa: E402
from gandiv.exact.densities import GaussianMixture, gaussian  # noqa: E402
from gandiv.exact.families import Family, GaussianFamily  # noqa: E402
from gandiv.exact.fitting import Objective, fit_problem  # noqa: E402
from gandiv.update_rules.stationary import FIELD_TOL, generator_field, stationary_points  # noqa: E402
from gandiv.update_rules import CRITIC_RULES, LOGIT_RULES, UpdateRule, optimal_logit, rules_with, unit  # noqa: E402
from gandiv.update_rules.base import register, registered  # noqa: E402

ALL = list(UpdateRule)
BIMODAL = GaussianMixture([0.7, 0.3], [[-2.0], [2.0]], [[[0.36]], [[0.25]]])
LINE = GaussianFamily(1, Family.FULL)
QUAD = {"points_per_sd": 4, "halfwidth_sd": 9}
P, Q = gaussian(0.0, 1.0), gaussian(1.0, 1.5**2)  # overlapping, unequal spreads: every divergence non-trivial


def tensor(x):
    """Network outputs of one run, as the losses take them: shape (runs=1, n, 1)."""
    return keras.ops.convert_to_tensor(np.asarray(x, dtype=float).reshape(1, -1, 1), dtype="float64")


def refuses(rule, formula, call):
    """`call` must raise a ValueError naming the rule and every rule that has `formula`."""
    holders = rules_with(formula)
    assert rule not in holders and holders  # the refusal is the rule's own, and someone has the formula
    with pytest.raises(ValueError, match=f"'{rule.value}' has no .*; rules with one: "
                                         + ", ".join(r.value for r in holders) + "$"):
        call()


# ------------------------------------------------------------------ the registry


def test_every_rule_has_exactly_one_unit_in_enum_order():
    assert [u.rule for u in registered()] == ALL
    assert all(unit(rule).rule is rule for rule in ALL)
    with pytest.raises(ValueError, match="'kl' is already registered"):
        register(unit(UpdateRule.KL))  # one unit per rule
    assert LOGIT_RULES == (UpdateRule.MINIMAX, UpdateRule.NONSATURATING, UpdateRule.KL)  # config / wildcard values
    assert CRITIC_RULES == (UpdateRule.WGAN, UpdateRule.WGAN_GP)
    descriptions = [unit(rule).description for rule in ALL]
    assert len(set(descriptions)) == len(ALL) and all(d and "\n" not in d for d in descriptions)
    # A figure can write a potential exactly for the rules that have one.
    assert [r for r in ALL if unit(r).potential_text] == list(rules_with("potential"))


# ------------------------------------------------------------------ generator losses


@pytest.mark.parametrize("rule", ALL)
def test_tensorflow_generator_loss_is_the_mean_of_the_numpy_loss(rule):
    logits = np.random.default_rng(0).normal(0.0, 3.0, 1000)
    if rule not in rules_with("logit_loss"):
        refuses(rule, "logit_loss", lambda: unit(rule).logit_loss(logits))
        return
    value = float(unit(rule).generator_loss(tensor(logits))[0])
    # Both in float64: softplus against log_expit differ by a few ulps per term, and the two means sum
    # 1000 terms of size <= ~10 in different orders: ~1e-13 absolute at most.
    assert value == pytest.approx(unit(rule).logit_loss(logits).mean(), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("rule", ALL)
def test_numpy_slope_is_the_finite_difference_of_the_numpy_loss(rule):
    a = np.random.default_rng(1).uniform(-20.0, 20.0, 200)
    if rule not in rules_with("logit_loss_grad"):
        refuses(rule, "logit_loss_grad", lambda: unit(rule).logit_loss_grad(a))
        return
    h = 1e-5
    fd = (unit(rule).logit_loss(a + h) - unit(rule).logit_loss(a - h)) / (2 * h)
    # Truncation h^2 |f'''| / 6 < 1e-11 (|f'''| <= 0.1 for log-sigmoid); round-off eps |f| / h < 3e-10 (|f| <= 20).
    np.testing.assert_allclose(unit(rule).logit_loss_grad(a), fd, rtol=0, atol=1e-8)


# ------------------------------------------------------------------ the potential of the ideal-D field


@pytest.mark.parametrize("rule", ALL)
def test_stationary_points_of_the_ideal_field_are_stationary_points_of_the_potential(rule):
    pi = 0.3  # pi != 1/2: it enters the minimax and non-saturating potentials
    problem = fit_problem(BIMODAL, LINE, Objective.KL_PQ, **QUAD)  # the grid `stationary_points` uses
    grid, log_p = problem.grid, problem.log_p
    if rule not in rules_with("potential"):
        refuses(rule, "potential", lambda: unit(rule).potential(log_p, log_p, grid, pi))
        return

    def grad_potential(theta, eps=1e-5):
        def v(t):
            return unit(rule).potential(log_p, LINE.log_prob_and_score_by_coordinate(t, grid.coords)[0], grid, pi)
        return np.array([(v(theta + eps * e) - v(theta - eps * e)) / (2 * eps) for e in np.eye(LINE.n_params)])

    roots = stationary_points(BIMODAL, LINE, rule, pi, n_starts=6, seed=0, quad=QUAD)
    assert roots
    # grad V = F up to round-off in the grid sums (~1e-8 at most, see test_stationary's IDENTITY_TOL);
    # central differences add eps^2 |V'''| + 1e-16 |V| / eps < 1e-9 (measured ~1e-11). So where |F| < FIELD_TOL,
    # |grad V| < FIELD_TOL + 1e-8 + 1e-9 < 2 FIELD_TOL.
    for r in roots:
        assert np.max(np.abs(grad_potential(r.theta))) < 2 * FIELD_TOL
        assert r.value == unit(rule).potential(log_p, LINE.log_prob_and_score_by_coordinate(r.theta, grid.coords)[0],
                                               grid, pi)
        # Away from the root the same comparison is not trivial: V's slope is the field, of size ~0.1.
        off = r.theta + np.array([0.3, 0.2])
        field = generator_field(log_p, grid, LINE, off, rule, pi)
        assert np.linalg.norm(field) > 1e-3
        np.testing.assert_allclose(grad_potential(off), field, rtol=0, atol=1e-7)


# ------------------------------------------------------------------ the D-step's optimum


@pytest.mark.parametrize("rule", ALL)
def test_the_discriminator_loss_is_minimised_by_the_optimal_discriminator(rule):
    # At one point x, the expected D-loss pi p l_real(o) + (1-pi) q l_fake(o) is proportional to
    # D* l_real(o) + (1-D*) l_fake(o): the weighted loss on one real and one generated sample, both
    # with output o, at prior D* = pi p / (pi p + (1-pi) q).
    x = np.linspace(-2.0, 3.0, 6)[:, None]
    pi = 0.3
    star = optimal_logit(P.log_prob(x), Q.log_prob(x), pi)
    if rule not in rules_with("implied_logit"):
        refuses(rule, "implied_logit", lambda: unit(rule).implied_logit(star))
        return

    def minimiser(d_star):
        def loss(o):
            return float(unit(rule).discriminator_loss(tensor([o]), tensor([o]), d_star, True)[0])
        return minimize_scalar(loss, bracket=(-1.0, 1.0), method="brent", options={"xtol": 1e-12}).x

    found = np.array([minimiser(d) for d in expit(star)])
    expected = 2.0 * expit(star) - 1.0 if rule is UpdateRule.LSGAN else star  # lsgan: 2 D* - 1; logit rules: a*
    # The loss is flat to round-off eps |loss| within sqrt(2 eps |loss| / curvature) of its minimum; the
    # curvature D*(1-D*) >= 0.016 here (1 for lsgan) and |loss| < 1, so o is fixed to ~1e-7; 1e-6 allows for it.
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-6)
    # The implied logit undoes the output map: lsgan's d logit / d score = 2 / (1 - s^2) <= 30 here.
    np.testing.assert_allclose(unit(rule).implied_logit(found), star, rtol=0, atol=3e-5)


@pytest.mark.parametrize("rule", ALL)
def test_the_prior_enters_by_weights_or_by_batch_shares_alike(rule):
    # 3 real and 7 generated samples: the unweighted mean over the batch weighs them 0.3 : 0.7, the same as the
    # weighted loss at pi = 0.3. A critic has no prior: neither pi nor the mode changes its loss.
    rng = np.random.default_rng(2)
    real, fake = tensor(rng.normal(size=(3, 1))), tensor(rng.normal(size=(7, 1)))
    d_loss = unit(rule).discriminator_loss
    batch = float(d_loss(real, fake, 0.3, False)[0])
    if rule in CRITIC_RULES:
        assert batch == float(d_loss(real, fake, 0.8, True)[0]) == float(d_loss(real, fake, 0.1, False)[0])
        return
    assert batch == pytest.approx(float(d_loss(real, fake, 0.3, True)[0]), rel=1e-14)  # float64 round-off
    assert abs(batch - float(d_loss(real, fake, 0.5, True)[0])) > 1e-3  # and pi does matter


# ------------------------------------------------------------------ plug-in estimates


def quantile_points(law, n):
    """n equal-mass 'samples' of a 1-D Gaussian at the midpoints of its quantiles: equal-weight means of them are
    deterministic quadratures of expectations."""
    return law.means[0, 0] + np.sqrt(law.covariances[0, 0, 0]) * ndtri((np.arange(n) + 0.5) / n)[:, None]


@pytest.mark.parametrize("pi", [0.3, 0.5])
@pytest.mark.parametrize("rule", ALL)
def test_plug_ins_at_the_optimal_discriminator_are_the_exact_divergences(rule, pi):
    n = 200_000
    xp, xq = quantile_points(P, n), quantile_points(Q, n)
    if rule in CRITIC_RULES:
        # P = N(0,1), Q = N(2,1): f(x) = -x is 1-Lipschitz and optimal, so E_P f - E_Q f = W1 = 2 (pi plays no part);
        # the same quantile points shifted by 2 make the gap exact to round-off.
        gap = unit(rule).plug_ins(-xp[:, 0], -(2.0 + xp[:, 0]), pi)["critic_gap"]
        assert gap == pytest.approx(2.0, abs=1e-12)
        return
    star = {x: optimal_logit(P.log_prob(pts), Q.log_prob(pts), pi) for x, pts in (("p", xp), ("q", xq))}
    output = {k: (2.0 * expit(a) - 1.0 if rule is UpdateRule.LSGAN else a) for k, a in star.items()}
    plug_ins = unit(rule).plug_ins(output["p"], output["q"], pi)
    # The quantile-midpoint mean of a function growing like x^2 misses O(1/n) in the tails: measured 4e-6 nats
    # at n = 2e5 (a quarter of that at 4 n); 2e-5 is five times it. Exact: closed-form KLs, JS_pi by quadrature.
    assert plug_ins["kl_pq"] == pytest.approx(dv.kl_pq(P, Q), abs=2e-5)
    assert plug_ins["kl_qp"] == pytest.approx(dv.kl_qp(P, Q), abs=2e-5)
    assert plug_ins["js_pi"] == pytest.approx(dv.js_pi(P, Q, pi), abs=2e-5)
    if rule is UpdateRule.LSGAN:
        assert plug_ins["lsgan_scores_clipped_share"] == 0.0  # every optimal score lies inside (-1, 1)
