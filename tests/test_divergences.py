"""Exact divergences against closed forms, independent formulas, symmetries and limits."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from gandiv.exact import divergences as dv
from gandiv.exact.densities import Discrete, GaussianMixture, gaussian
from gandiv.exact.quadrature import grid_for

# The accuracy requirement for numerical integration on Gaussian pairs.
QUAD_TOL = 1e-6

means = st.floats(-3.0, 3.0)
sds = st.floats(0.3, 3.0)
pis = st.floats(1e-3, 1 - 1e-3)


def gaussian_entropy(sd: float) -> float:
    return 0.5 * np.log(2 * np.pi * np.e * sd**2)


def test_kl_closed_form_matches_source_numbers():
    # the lecture's pair (catalogue id jspi-limits): P=N(0,1), Q=N(1,1.5^2) has KL[P||Q]=0.3499 and KL[Q||P]=0.7195 (4 decimals).
    p, q = gaussian(0.0, 1.0), gaussian(1.0, 2.25)
    assert dv.kl_pq(p, q) == pytest.approx(np.log(1.5) + 2 / 4.5 - 0.5, abs=1e-15)
    assert round(dv.kl_pq(p, q), 4) == 0.3499
    assert round(dv.kl_qp(p, q), 4) == 0.7195


@settings(max_examples=40, deadline=None)
@given(means, sds, means, sds)
def test_kl_on_grid_matches_closed_form_1d(m1, s1, m2, s2):
    p, q = gaussian(m1, s1**2), gaussian(m2, s2**2)
    assert abs(dv.kl_pq(p, q, method="grid") - dv.kl_gaussians(p, q)) < QUAD_TOL
    assert abs(dv.kl_qp(p, q, method="grid") - dv.kl_gaussians(q, p)) < QUAD_TOL


@settings(max_examples=15, deadline=None)
@given(means, means, sds, sds, st.floats(-0.8, 0.8))
def test_kl_on_grid_matches_closed_form_2d_full_covariance(m1, m2, s1, s2, rho):
    cov_p = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]])
    p = gaussian([m1, m2], cov_p)
    q = gaussian([m2, -m1], np.diag([s2**2, s1**2]))
    assert abs(dv.kl_pq(p, q, method="grid") - dv.kl_gaussians(p, q)) < QUAD_TOL
    assert abs(dv.kl_qp(p, q, method="grid") - dv.kl_gaussians(q, p)) < QUAD_TOL


@settings(max_examples=40, deadline=None)
@given(means, sds, means, sds, pis)
def test_js_pi_symmetry_and_bounds(m1, s1, m2, s2, pi):
    p, q = gaussian(m1, s1**2), gaussian(m2, s2**2)
    value = dv.js_pi(p, q, pi)
    # eq. 13: JS_pi[P||Q] = JS_{1-pi}[Q||P]; the two sums run over the same grid, so agree to rounding.
    assert value == pytest.approx(dv.js_pi(q, p, 1 - pi), abs=1e-12)
    # JS_pi is a mutual information between a pi-coin and the sample: 0 <= JS_pi <= H(pi).
    assert -1e-12 <= value <= dv.binary_entropy(pi) + 1e-12


@settings(max_examples=30, deadline=None)
@given(means, sds, means, sds, pis)
def test_js_pi_equals_entropy_form(m1, s1, m2, s2, pi):
    # Independent formula: JS_pi = H(M) - pi H(P) - (1-pi) H(Q), with the Gaussian entropies in closed form.
    p, q = gaussian(m1, s1**2), gaussian(m2, s2**2)
    grid = grid_for(p, q)
    log_m = dv.log_mixture(p.log_prob(grid.points), q.log_prob(grid.points), pi)
    entropy_m = grid.integrate(-np.exp(log_m) * log_m)
    expected = entropy_m - pi * gaussian_entropy(s1) - (1 - pi) * gaussian_entropy(s2)
    assert abs(dv.js_pi(p, q, pi) - expected) < QUAD_TOL


def test_js_pi_reaches_entropy_bound_for_disjoint_supports():
    # Gaussians 60 sds apart do not overlap in double precision, so the coin is fully revealed.
    p, q = gaussian(0.0, 1.0), gaussian(60.0, 1.0)
    for pi in (0.1, 0.5, 0.8):
        assert dv.js_pi(p, q, pi) == pytest.approx(dv.binary_entropy(pi), abs=1e-10)


@pytest.mark.parametrize("p, q", [(gaussian(0.0, 1.0), gaussian(1.0, 2.25)),
                                  (gaussian(0.0, 1.0), gaussian(0.5, 0.5)),
                                  (GaussianMixture([0.7, 0.3], [[-2.0], [2.0]], [[[0.36]], [[0.25]]]),
                                   gaussian(0.0, 1.0))])
def test_js_pi_limits_recover_both_kls(p, q):
    # eqs 17-18: JS_pi/pi -> KL[P||Q] as pi -> 0 and JS_{1-pi}/pi -> KL[Q||P]; errors shrink towards 0.
    kl_pq, kl_qp = dv.kl_pq(p, q, grid=grid_for(p, q)), dv.kl_qp(p, q, grid=grid_for(p, q))
    errors_pq = [abs(dv.js_pi(p, q, pi) / pi - kl_pq) for pi in (1e-2, 1e-3, 1e-4, 1e-5)]
    errors_qp = [abs(dv.js_pi(p, q, 1 - pi) / pi - kl_qp) for pi in (1e-2, 1e-3, 1e-4, 1e-5)]
    for errors in (errors_pq, errors_qp):
        assert all(a > b for a, b in zip(errors, errors[1:]))
        # Even the slowest (sublinear) rate seen here leaves < 1% of KL at pi = 1e-5.
        assert errors[-1] < 1e-2 * min(kl_pq, kl_qp)
    assert dv.js_pi(p, q, 1e-9) < 1e-8 and dv.js_pi(p, q, 1 - 1e-9) < 1e-8  # JS_pi -> 0 at both ends


@settings(max_examples=30, deadline=None)
@given(means, sds, means)
def test_tv_equal_variances_closed_form(m1, s, m2):
    # Equal-variance Gaussians cross at the midpoint: TV = 2 Phi(|m1 - m2| / (2 s)) - 1.
    p, q = gaussian(m1, s**2), gaussian(m2, s**2)
    assert abs(dv.tv(p, q) - (2 * ndtr(abs(m1 - m2) / (2 * s)) - 1)) < QUAD_TOL


@settings(max_examples=30, deadline=None)
@given(means, sds, sds)
def test_wasserstein_closed_forms(m, s1, s2):
    # Same mean: the quantile coupling gives W1 = |s1 - s2| E|Z| = |s1 - s2| sqrt(2/pi).
    assert dv.wasserstein1(gaussian(m, s1**2), gaussian(m, s2**2)) == pytest.approx(
        abs(s1 - s2) * np.sqrt(2 / np.pi), abs=1e-6)
    # Same scale: W1 is the shift.
    assert dv.wasserstein1(gaussian(m, s1**2), gaussian(m + 1.5, s1**2)) == pytest.approx(1.5, abs=1e-6)


def test_wasserstein_and_kl_discrete_lecture_pairs():
    support = np.arange(1, 6)
    p = Discrete(support, [0.6, 0.1, 0.1, 0.1, 0.1])
    q = Discrete(support, [0.1, 0.1, 0.1, 0.1, 0.6])
    q2 = Discrete(support, [0.1, 0.6, 0.1, 0.1, 0.1])
    # Moving 0.5 of mass from 1 to 5 costs 2.0; from 1 to 2 costs 0.5. KL = 0.5 log 6 for both.
    assert dv.wasserstein1(p, q) == pytest.approx(2.0, abs=1e-12)
    assert dv.wasserstein1(p, q2) == pytest.approx(0.5, abs=1e-12)
    assert dv.kl_pq(p, q) == pytest.approx(0.5 * np.log(6), abs=1e-12)
    assert dv.kl_pq(p, q2) == pytest.approx(0.5 * np.log(6), abs=1e-12)


def test_mmd_closed_form_matches_double_integral():
    # Independent check of the Gaussian-kernel expectations by a 2-D sum over a 1-D grid.
    p = GaussianMixture([0.7, 0.3], [[-2.0], [2.0]], [[[0.36]], [[0.25]]])
    q = gaussian(0.3, 1.7)
    bandwidth = 0.8
    grid = grid_for(p, q, points_per_sd=6)
    x = grid.points[:, 0]
    kernel = np.exp(-((x[:, None] - x[None, :]) ** 2) / (2 * bandwidth**2))
    diff = np.exp(p.log_prob(grid.points)) - np.exp(q.log_prob(grid.points))
    mmd2 = diff @ kernel @ diff * grid.cell**2
    assert dv.mmd(p, q, bandwidth) ** 2 == pytest.approx(mmd2, abs=1e-9)
    assert dv.mmd(p, p, bandwidth) == pytest.approx(0.0, abs=1e-7)  # sqrt of rounding-level mmd^2
    assert dv.mmd(p, q, bandwidth) == pytest.approx(dv.mmd(q, p, bandwidth), abs=1e-14)


def test_mixture_kl_matches_monte_carlo():
    # Independent estimate from 400k samples; tolerance 5 standard errors of the sample mean.
    p = GaussianMixture([0.5, 0.2, 0.3], [[-1.0, 0.0], [2.0, 1.0], [0.0, 3.0]],
                        [np.eye(2) * 0.5, [[1.0, 0.3], [0.3, 0.6]], np.eye(2)])
    q = gaussian([0.3, 1.0], [[2.0, 0.2], [0.2, 2.0]])
    x = p.sample(400_000, np.random.default_rng(0))
    log_ratio = p.log_prob(x) - q.log_prob(x)
    se = log_ratio.std() / np.sqrt(len(x))
    assert abs(dv.kl_pq(p, q) - log_ratio.mean()) < 5 * se


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4), st.lists(st.floats(0.01, 1.0), min_size=4,
                                                                      max_size=4), pis)
def test_discrete_divergences_match_direct_sums(a, b, pi):
    # Support given out of order on purpose; the divergences must not depend on it.
    support = np.array([3.0, 1.0, 4.0, 2.0])
    p, q = np.array(a) / sum(a), np.array(b) / sum(b)
    dp, dq = Discrete(support, p), Discrete(support, q)
    m = pi * p + (1 - pi) * q
    assert dv.kl_pq(dp, dq) == pytest.approx(np.sum(p * np.log(p / q)), abs=1e-12)
    assert dv.js_pi(dp, dq, pi) == pytest.approx(pi * np.sum(p * np.log(p / m)) + (1 - pi) * np.sum(q * np.log(q / m)),
                                                 abs=1e-12)
    assert dv.tv(dp, dq) == pytest.approx(0.5 * np.abs(p - q).sum(), abs=1e-12)
    kernel = np.exp(-((support[:, None] - support[None, :]) ** 2) / 2)
    assert dv.mmd(dp, dq, 1.0) == pytest.approx(np.sqrt(max((p - q) @ kernel @ (p - q), 0)), abs=1e-9)
    # W1 on the line: integral of |F_P - F_Q| over the sorted support (unit gaps here).
    order = np.argsort(support)
    assert dv.wasserstein1(dp, dq) == pytest.approx(np.abs(np.cumsum(p[order] - q[order]))[:-1].sum(), abs=1e-12)


def test_kl_is_infinite_where_q_misses_mass_of_p():
    p, q = Discrete([0.0, 1.0], [0.5, 0.5]), Discrete([0.0, 1.0, 2.0], [1.0, 0.0, 0.0])
    assert dv.kl_pq(p, q) == np.inf
    assert np.isfinite(dv.kl_qp(p, q))
