"""Where the generator stops with an optimal discriminator: the field F of each update rule and its roots.

Reference values come from independent code: the exact fit gradients of
`fitting` (which never forms a discriminator), finite differences of
`divergences`, and multi-start minimisation by `fitting.fit`.
"""

from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.exact.divergences import kl_on_grid, log_mixture
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.fitting import Objective, fit, fit_problem
from gandiv.update_rules import LOGIT_RULES, UpdateRule
from gandiv.update_rules.stationary import field_jacobian, generator_field, stationary_points

BIMODAL = GaussianMixture([0.7, 0.3], [[-2.0], [2.0]], [[[0.36]], [[0.25]]])
TRIMODAL = GaussianMixture([0.4, 0.35, 0.25], [[-3.0, 0.0], [2.5, 2.5], [2.0, -3.0]],
                           [[[1.0, 0.4], [0.4, 0.6]], [[0.7, -0.3], [-0.3, 0.9]], np.eye(2) * 0.5])
QUAD = {"points_per_sd": 4, "halfwidth_sd": 9}
LINE = GaussianFamily(1, Family.FULL)
PLANE = GaussianFamily(2, Family.FULL)
PIS = (0.1, 0.5, 0.9)

# The field and the fit gradients are the same integrand up to a constant times the grid sum of
# q * score, whose exact integral is 0. For a Gaussian sampled at >= 2 points per sd the
# trapezoid error of that sum is ~exp(-2 pi^2 (sd/h)^2) < 1e-30, so only round-off (~1e-16 per
# term, a few thousand terms) separates them: 1e-8 is generous and still far below |F| ~ 0.1.
IDENTITY_TOL = 1e-8


def _random_thetas(target, family, n, seed):
    """Q's spread over P's range with scales comparable to P's components (resolved by the grid)."""
    rng = np.random.default_rng(seed)
    lo, hi = target.means.min(axis=0), target.means.max(axis=0)
    thetas = []
    for _ in range(n):
        theta = np.zeros(family.n_params)
        theta[: family.dim] = rng.uniform(lo, hi)
        rows, cols = np.tril_indices(family.dim)
        theta[family.dim:] = np.where(rows == cols, rng.uniform(np.log(0.6), np.log(2.0), len(rows)),
                                      rng.normal(0.0, 0.3, len(rows)))
        thetas.append(theta)
    return thetas


def _cases():
    return [(BIMODAL, LINE), (TRIMODAL, PLANE)]


@lru_cache(maxsize=None)
def _problem(case, objective, pi=None):
    """Fit problems of one case share a grid (it depends on P only), built once."""
    target, family = _cases()[case]
    if objective is Objective.KL_PQ:
        return fit_problem(target, family, objective, **QUAD)
    return replace(_problem(case, Objective.KL_PQ), objective=objective, pi=pi)


@pytest.mark.parametrize("pi", PIS)
@pytest.mark.parametrize("case", range(2))
def test_minimax_field_is_js_pi_gradient_over_one_minus_pi(case, pi):
    # Envelope theorem: with D* frozen, E_Q log(1 - D*) differentiates like JS_pi / (1 - pi).
    target, family = _cases()[case]
    problem = _problem(case, Objective.JS_PI, pi)
    for theta in _random_thetas(target, family, 3, seed=case):
        field = generator_field(problem.log_p, problem.grid, family, theta, UpdateRule.MINIMAX, pi)
        expected = problem.value_and_grad(theta)[1] / (1.0 - pi)
        np.testing.assert_allclose(field, expected, rtol=0, atol=IDENTITY_TOL)
        assert np.linalg.norm(field) > 1e-3  # a non-trivial comparison


@pytest.mark.parametrize("pi", PIS)
@pytest.mark.parametrize("case", range(2))
def test_kl_field_is_reverse_kl_gradient_whatever_pi(case, pi):
    # -logit D* = log q - log p + const, and the constant log((1-pi)/pi) multiplies E_Q[score] = 0.
    target, family = _cases()[case]
    problem = _problem(case, Objective.KL_QP)
    for theta in _random_thetas(target, family, 3, seed=10 + case):
        field = generator_field(problem.log_p, problem.grid, family, theta, UpdateRule.KL, pi)
        np.testing.assert_allclose(field, problem.value_and_grad(theta)[1], rtol=0, atol=IDENTITY_TOL)


@pytest.mark.parametrize("pi", PIS)
@pytest.mark.parametrize("case", range(2))
def test_nonsaturating_field_is_gradient_of_kl_mixture_to_p(case, pi):
    # -log D* = log(m / p) - log pi with M = pi P + (1-pi) Q, and dm/dtheta = (1-pi) q score, so
    # F_NS = grad KL[M||P] / (1-pi) = grad (KL[Q||P] - JS_pi / (1-pi)) (the loss is the KL loss
    # minus the minimax loss). For pi = 1/2 this is Arjovsky & Bottou's KL[Q||P] - 2 JS.
    target, family = _cases()[case]
    js, kl = _problem(case, Objective.JS_PI, pi), _problem(case, Objective.KL_QP)
    grid, log_p = js.grid, js.log_p

    def potential(theta):
        log_q = family.log_prob_and_score_by_coordinate(theta, grid.coords)[0]
        return kl_on_grid(log_mixture(log_p, log_q, pi), log_p, grid) / (1.0 - pi)

    eps = 1e-6
    for theta in _random_thetas(target, family, 1, seed=20 + case):
        field = generator_field(log_p, grid, family, theta, UpdateRule.NONSATURATING, pi)
        combined = kl.value_and_grad(theta)[1] - js.value_and_grad(theta)[1] / (1.0 - pi)
        np.testing.assert_allclose(field, combined, rtol=0, atol=IDENTITY_TOL)
        # Central differences: truncation eps^2 |V'''| ~ 1e-12, round-off 1e-16 |V| / eps ~ 1e-10.
        numeric = [(potential(theta + eps * e) - potential(theta - eps * e)) / (2 * eps)
                   for e in np.eye(family.n_params)]
        np.testing.assert_allclose(field, numeric, rtol=0, atol=1e-7)


@lru_cache(maxsize=None)
def _bimodal_roots(rule: UpdateRule, pi: float):
    return stationary_points(BIMODAL, LINE, rule, pi, n_starts=12, seed=0, quad=QUAD)


def _same_sets(roots, minima, tol):
    """Every root matches one minimum and vice versa (largest parameter difference below tol)."""
    assert len(roots) == len(minima), (roots, minima)
    for r in roots:
        assert min(np.max(np.abs(r.theta - m.theta)) for m in minima) < tol


# Root and minimiser positions: |F| ~ 1e-16 at the roots and L-BFGS-B stops at |grad| ~ 1e-10,
# i.e. within |grad| / (smallest curvature ~ 0.02) ~ 5e-9 of the minimum; 1e-5 is generous.
POSITION_TOL = 1e-5


@pytest.mark.parametrize("pi", PIS)
def test_minimax_stable_roots_are_the_js_pi_local_minima(pi):
    roots = _bimodal_roots(UpdateRule.MINIMAX, pi)
    stable = [r for r in roots if r.stable]
    minima = fit(fit_problem(BIMODAL, LINE, Objective.JS_PI, pi=pi, **QUAD), n_starts=12).minima
    _same_sets(stable, minima, POSITION_TOL)
    # Same ordering, same values: the potential of the minimax rule is JS_pi / (1 - pi).
    np.testing.assert_allclose([r.value * (1.0 - pi) for r in stable], [m.value for m in minima], atol=1e-10)
    # Unstable roots are saddles of JS_pi: one negative eigenvalue.
    assert all(np.sum(r.eigenvalues.real < 0) == 1 for r in roots if not r.stable)


def test_kl_roots_are_reverse_kl_minima_for_every_pi():
    minima = fit(fit_problem(BIMODAL, LINE, Objective.KL_QP, **QUAD), n_starts=12).minima
    by_pi = [[r for r in _bimodal_roots(UpdateRule.KL, pi) if r.stable] for pi in (0.1, 0.9)]
    for stable in by_pi:
        _same_sets(stable, minima, POSITION_TOL)
    # The field does not depend on pi at all, so neither do its roots (to root-finding accuracy).
    for a, b in zip(*by_pi):
        np.testing.assert_allclose(a.theta, b.theta, atol=1e-9)


def _fisher(family, theta, grid):
    log_q, score = family.log_prob_and_score_by_coordinate(theta, grid.coords)
    return (score * np.exp(log_q)) @ score.T * grid.cell


# Near Q = P each potential is a multiple of chi^2 / 2, so dF/dtheta = c * Fisher information:
# minimax JS_pi / (1-pi) ~ pi chi^2 / 2; KL[Q||P] ~ chi^2 / 2; KL[M||P] / (1-pi) ~ (1-pi) chi^2 / 2.
CURVATURE = {UpdateRule.MINIMAX: lambda pi: pi, UpdateRule.KL: lambda pi: 1.0,
             UpdateRule.NONSATURATING: lambda pi: 1.0 - pi}


@pytest.mark.parametrize("pi", PIS)
@pytest.mark.parametrize("rule", LOGIT_RULES)  # the rules with a prior pi and an ideal-D field
def test_every_rule_stops_at_p_when_p_is_in_the_family(rule, pi):
    # At Q = P, a* = log(pi / (1-pi)) is constant, so F = const * E_Q[score] = 0 for every rule.
    p = gaussian([0.7], [[1.7]])
    theta_p = LINE.pack(p.means[0], p.covariances[0])
    roots = stationary_points(p, LINE, rule, pi, n_starts=4, seed=1, quad=QUAD)
    assert len(roots) == 1 and roots[0].stable and roots[0].n_starts == 4  # every start ends at P
    np.testing.assert_allclose(roots[0].theta, theta_p, atol=1e-8)
    problem = fit_problem(p, LINE, Objective.KL_PQ, **QUAD)

    def field(theta):
        return generator_field(problem.log_p, problem.grid, LINE, theta, rule, pi)

    # Central differences on F: error ~ eps^2 |F'''| + 1e-16 / eps ~ 1e-10; 1e-6 relative is generous.
    np.testing.assert_allclose(field_jacobian(field, theta_p), CURVATURE[rule](pi) * _fisher(LINE, theta_p,
                               problem.grid), rtol=1e-6, atol=1e-9)


def test_nonsaturating_rule_recovers_a_correlated_gaussian_with_the_full_family():
    p = gaussian([1.0, -0.5], [[2.0, 1.2], [1.2, 1.0]])
    # Two starts: P's own moments (a fixed point by the argument above) and a random one.
    roots = stationary_points(p, PLANE, UpdateRule.NONSATURATING, 0.5, n_starts=2, seed=0, quad=QUAD)
    assert len(roots) == 1 and roots[0].stable and roots[0].n_starts == 2
    np.testing.assert_allclose(roots[0].theta, PLANE.pack(p.means[0], p.covariances[0]), atol=1e-8)
    assert roots[0].kl_pq < 1e-12 and roots[0].js_pi < 1e-12


def _sd(theta):
    return float(np.exp(theta[1]))


def test_nonsaturating_rule_on_the_bimodal_target_is_more_mode_seeking_than_reverse_kl():
    # Numbers (pi = 1/2, checked converged to 1e-7 with 8 and 16 points per sd):
    #   left mode  (-2, sd 0.6):  JS_pi  mu -1.99886 sd 0.60220 | KL[Q||P] -1.99929 0.60134 | NS -1.99958 0.60075
    #   right mode ( 2, sd 0.5):  JS_pi  mu  1.99761 sd 0.50441 | KL[Q||P]  1.99882 0.50206 | NS  1.99917 0.50139
    #   minimax also has a broad, mode-covering minimum (mu -0.930, sd 1.838); NS and KL do not.
    # So NS does not lie between JS and reverse KL: it hugs each component more tightly than
    # reverse KL does. Differences are ~5e-4, against root accuracy ~1e-10 and quadrature error < 1e-7.
    pi = 0.5
    ns = [r for r in _bimodal_roots(UpdateRule.NONSATURATING, pi) if r.stable]
    kl = [r for r in _bimodal_roots(UpdateRule.KL, pi) if r.stable]
    js = [r for r in _bimodal_roots(UpdateRule.MINIMAX, pi) if r.stable]
    assert len(ns) == 2 and len(kl) == 2 and len(js) == 3
    assert ns[0].theta[0] < 0 < ns[1].theta[0]  # the heavier (left) mode is the better one for NS too
    for k, (mode, sd) in enumerate([(-2.0, 0.6), (2.0, 0.5)]):
        def near(roots):
            return min(roots, key=lambda r: abs(r.theta[0] - mode))
        n, r, j = near(ns), near(kl), near(js)
        assert sd < _sd(n.theta) < _sd(r.theta) < _sd(j.theta) < sd + 0.01
        assert abs(n.theta[0] - mode) < abs(r.theta[0] - mode) < abs(j.theta[0] - mode) < 0.01
    # Minimax's extra root is broad (covers both modes); no NS root is.
    assert max(_sd(r.theta) for r in js) > 1.5 and max(_sd(r.theta) for r in ns) < 0.61


def test_nonsaturating_fit_tightens_as_pi_grows():
    # V = KL[M||P] / (1-pi) tends to KL[Q||P] as pi -> 0 and to (1-pi) chi^2(Q||P) / 2 as pi -> 1,
    # an ever more mode-seeking criterion: the left-mode root's sd falls monotonically towards 0.6
    # (0.60101, 0.60075, 0.60062 for pi = 0.1, 0.5, 0.9), staying below reverse KL's 0.60134.
    kl_sd = _sd([r for r in _bimodal_roots(UpdateRule.KL, 0.5) if r.stable][0].theta)
    sds = [_sd([r for r in _bimodal_roots(UpdateRule.NONSATURATING, pi) if r.stable][0].theta) for pi in PIS]
    assert kl_sd > sds[0] > sds[1] > sds[2] > 0.6
