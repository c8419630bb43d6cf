"""Precision and recall for distributions: the exact curve against its closed form for two Gaussians of equal
variance and against brute force on a fine grid, its symmetries and limits; compare_gan's estimator on a case with
a known curve."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.exact.precision_recall import PRDCurve, equal_variance_closed_form, lambdas, prd_curve
from gandiv.samples.precision_recall import estimate_prd, histogram_prd

BIMODAL = GaussianMixture(np.array([0.7, 0.3]), np.array([[-2.0], [2.0]]), np.array([[[0.36]], [[0.25]]]))


@settings(max_examples=15, deadline=None)
@given(shift=st.floats(0.05, 6.0), sd=st.floats(0.2, 3.0))
def test_equal_variance_gaussians_match_the_closed_form(shift, sd):
    # the crossings are found to 1e-14 and the masses are exact CDFs: agreement to round-off
    curve = prd_curve(gaussian([0.0], [[sd**2]]), gaussian([shift], [[sd**2]]), n_angles=101)
    alpha, beta = equal_variance_closed_form(shift, sd, curve.lambdas)
    np.testing.assert_allclose(curve.precision, alpha, atol=1e-12)
    np.testing.assert_allclose(curve.recall, np.clip(beta, 0, 1), atol=1e-12)


def test_exact_curve_against_brute_force_on_a_fine_grid():
    # int min(lambda p, q) by the trapezoid rule on 400,001 points: the kinks where lambda p = q cost O(h^2) ~ 1e-9
    q = GaussianMixture(np.array([0.5, 0.5]), np.array([[-1.0], [1.5]]), np.array([[[0.8]], [[0.3]]]))
    curve = prd_curve(BIMODAL, q, n_angles=41)
    x = np.linspace(-12, 12, 400_001)
    p_x, q_x = np.exp(BIMODAL.log_prob(x[:, None])), np.exp(q.log_prob(x[:, None]))
    brute = np.array([np.trapezoid(np.minimum(lam * p_x, q_x), x) for lam in curve.lambdas])
    np.testing.assert_allclose(curve.precision, brute, atol=1e-8)


def test_symmetries_and_limits():
    q = gaussian([0.5], [[2.0]])
    curve = prd_curve(BIMODAL, q, n_angles=201)
    swapped = prd_curve(q, BIMODAL, n_angles=201)
    # swapping P and Q swaps precision and recall at the reciprocal lambda (the lambdas are symmetric in angle)
    np.testing.assert_allclose(swapped.precision, curve.recall[::-1], atol=1e-10)
    # alpha rises with lambda and beta falls
    assert np.all(np.diff(curve.precision) >= -1e-15) and np.all(np.diff(curve.recall) <= 1e-15)
    # to 1 at the ends where neither density's tails outweigh the other's by 1e10 within their mass (equal
    # variances: the crossing at lambda = 1e10 lies 46 sds out); here Q's wider tails keep alpha(1e10) below 1
    ends = prd_curve(gaussian([0.0], [[1.0]]), gaussian([0.5], [[1.0]]), n_angles=101)
    assert ends.precision[-1] == pytest.approx(1.0, abs=1e-12) and ends.recall[0] == pytest.approx(1.0, abs=1e-12)
    assert curve.precision[-1] < 1 - 1e-5
    # Q = P: the curve is the full square corner, F_beta = 1 for every beta
    same = prd_curve(BIMODAL, BIMODAL, n_angles=101)
    assert same.f_beta(8) == pytest.approx(1.0, abs=1e-12) and same.f_beta(1 / 8) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="1-D"):
        prd_curve(gaussian([0.0, 0.0], np.eye(2)), gaussian([0.0, 0.0], np.eye(2)))


def test_mode_covering_buys_recall_and_mode_seeking_precision():
    # the two local JS_pi minimisers on bimodal_1d: the broad one covers both modes, the narrow one sits on one
    broad, narrow = prd_curve(BIMODAL, gaussian([-0.8], [[1.84**2]])), prd_curve(BIMODAL, gaussian([-2.0], [[0.36]]))
    assert broad.f_beta(8) > narrow.f_beta(8) and broad.f_beta(1 / 8) < narrow.f_beta(1 / 8)
    # a Q on P's heavier mode has precision 1 and recall 0.7 at best
    assert narrow.f_beta(1 / 8) > 0.99 and max(narrow.recall[narrow.precision > 0.999]) == pytest.approx(0.7, abs=1e-3)


def test_f_beta_of_a_known_curve():
    lam = np.array([1.0])
    curve = PRDCurve(lam, np.array([0.5]), np.array([0.25]), 0.0)
    # (1 + b^2) a r / (b^2 a + r): b = 1 gives the harmonic mean 1/3
    assert curve.f_beta(1.0) == pytest.approx(1 / 3)
    assert curve.f_beta(8) == pytest.approx(65 * 0.125 / (64 * 0.5 + 0.25))


def test_the_estimator_recovers_a_known_curve_on_separated_clusters():
    # 20 tight, well-separated clusters: every k-means run finds them, so the histograms are the sampled weights
    # and the estimate is the exact discrete curve up to multinomial noise (20,000 samples: sd ~ 0.004 per cell)
    rng = np.random.default_rng(0)
    centres = 10.0 * np.arange(20)
    data_w, model_w = rng.dirichlet(np.full(20, 10.0)), rng.dirichlet(np.full(20, 10.0))  # no cell nearly empty
    n = 20_000

    def draw(weights):
        return (centres[rng.choice(20, n, p=weights)] + 0.01 * rng.standard_normal(n))[:, None]

    estimate = estimate_prd(draw(model_w), draw(data_w), rng, n_runs=3, n_angles=101)
    alpha, beta = histogram_prd(model_w, data_w, estimate.lambdas)
    np.testing.assert_allclose(estimate.precision, alpha, atol=0.03)
    np.testing.assert_allclose(estimate.recall, beta, atol=0.03)
    assert np.isnan(estimate.error)
    with pytest.raises(ValueError, match="equally many"):
        estimate_prd(draw(model_w)[:10], draw(data_w), rng)
    assert len(lambdas(7)) == 7
