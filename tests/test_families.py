"""Gaussian families: log density and analytic score, parameter packing, and Adam maximum likelihood."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

from gandiv.exact.families import Family, GaussianFamily
from gandiv.samples.likelihood import adam_maximum_likelihood

FAMILIES = [GaussianFamily(dim, kind) for dim in (1, 2) for kind in Family]
IDS = [f"{f.kind.value}-{f.dim}d" for f in FAMILIES]
FAST = settings(max_examples=30, deadline=None)


def _random_theta(family: GaussianFamily, rng: np.random.Generator) -> np.ndarray:
    """Means in [-2, 2]; log-scales and Cholesky off-diagonals in [-1, 1] (well-conditioned Sigma)."""
    return np.concatenate([rng.uniform(-2, 2, family.dim), rng.uniform(-1, 1, family.n_scale)])


def test_parameter_counts():
    counts = {(f.dim, f.kind): f.n_params for f in FAMILIES}
    assert counts == {(1, Family.ISOTROPIC): 2, (1, Family.DIAGONAL): 2, (1, Family.FULL): 2,
                      (2, Family.ISOTROPIC): 3, (2, Family.DIAGONAL): 4, (2, Family.FULL): 5}


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
@FAST
@given(seed=st.integers(0, 2**32 - 1))
def test_log_prob_matches_scipy(family, seed):
    rng = np.random.default_rng(seed)
    theta = _random_theta(family, rng)
    x = rng.normal(0, 3, size=(25, family.dim))
    log_q, score = family.log_prob_and_score(theta, x)
    dens = family.density(theta)
    expected = multivariate_normal(dens.means[0], dens.covariances[0]).logpdf(x)
    # Two independent O(1)-conditioned linear-algebra routes: agreement to ~1e-13; use 1e-10.
    np.testing.assert_allclose(log_q, np.atleast_1d(expected), rtol=1e-10, atol=1e-10)
    # ... and the mixture's own log density (a third route) agrees.
    np.testing.assert_allclose(log_q, dens.log_prob(x), rtol=1e-10, atol=1e-10)
    assert score.shape == (25, family.n_params)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
@FAST
@given(seed=st.integers(0, 2**32 - 1))
def test_score_is_finite_difference_of_log_prob(family, seed):
    rng = np.random.default_rng(seed)
    theta = _random_theta(family, rng)
    x = rng.normal(0, 3, size=(25, family.dim))
    _, score = family.log_prob_and_score(theta, x)
    h = 1e-6
    fd = np.empty_like(score)
    for j in range(family.n_params):
        e = np.zeros(family.n_params)
        e[j] = h
        fd[:, j] = (family.log_prob_and_score(theta + e, x)[0] - family.log_prob_and_score(theta - e, x)[0]) / (2 * h)
    # Central difference: truncation h^2 |f'''| / 6 ~ 1e-12 * O(100) here; round-off
    # eps |log q| / h ~ 1e-16 * 100 / 1e-6 = 1e-8. Hence ~1e-6 relative with a 1e-6 floor.
    np.testing.assert_allclose(score, fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_score_has_zero_mean_under_the_model(family):
    # E_q[d log q / d theta] = 0 (differentiate int q = 1). Monte-Carlo with 200k draws:
    # each score coordinate has sd O(1-3) here, so 5 standard errors ~ 5 * 3 / sqrt(2e5) ~ 0.034.
    rng = np.random.default_rng(7)
    theta = _random_theta(family, rng)
    x = family.density(theta).sample(200_000, rng)
    _, score = family.log_prob_and_score(theta, x)
    se = score.std(axis=0, ddof=1) / np.sqrt(len(x))
    assert np.all(np.abs(score.mean(axis=0)) <= 5 * se)


# ------------------------------------------------------------------- packing


def _random_spd(dim: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.normal(size=(dim, dim))
    return a @ a.T + 0.3 * np.eye(dim)


@pytest.mark.parametrize("dim", [1, 2])
@FAST
@given(seed=st.integers(0, 2**32 - 1))
def test_pack_round_trips(dim, seed):
    rng = np.random.default_rng(seed)
    mean = rng.normal(size=dim)
    cov = _random_spd(dim, rng)
    # Float round trip through log/exp and Cholesky of a matrix with condition number < ~1e4: 1e-10.
    tol = dict(rtol=1e-10, atol=1e-12)

    full = GaussianFamily(dim, Family.FULL)
    theta = full.pack(mean, cov)
    assert theta.shape == (full.n_params,)
    np.testing.assert_allclose(full.density(theta).means[0], mean, **tol)
    np.testing.assert_allclose(full.density(theta).covariances[0], cov, **tol)
    chol = full.cholesky(theta)
    np.testing.assert_allclose(chol, np.tril(chol), **tol)  # lower triangular
    assert np.all(np.diag(chol) > 0)
    np.testing.assert_allclose(chol @ chol.T, cov, **tol)

    diag = GaussianFamily(dim, Family.DIAGONAL)
    np.testing.assert_allclose(diag.density(diag.pack(mean, cov)).covariances[0], np.diag(np.diag(cov)), **tol)

    iso = GaussianFamily(dim, Family.ISOTROPIC)
    iso_theta = iso.pack(mean, cov)
    np.testing.assert_allclose(iso.density(iso_theta).covariances[0], np.trace(cov) / dim * np.eye(dim), **tol)
    np.testing.assert_allclose(iso.density(iso_theta).means[0], mean, **tol)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_pack_is_inverse_of_density(family):
    rng = np.random.default_rng(3)
    theta = _random_theta(family, rng)
    dens = family.density(theta)
    np.testing.assert_allclose(family.pack(dens.means[0], dens.covariances[0]), theta, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------- Adam maximum likelihood


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(2024)
    mean = np.array([1.0, -1.0])
    cov = np.array([[2.0, 0.8], [0.8, 1.0]])
    return rng.multivariate_normal(mean, cov, size=2000)


ADAM = dict(steps=3000, batch_size=100, learning_rate=0.01)


def _fit(samples, seed):
    family = GaussianFamily(2, Family.FULL)
    return family, adam_maximum_likelihood(samples, family, np.zeros(family.n_params),
                                           rng=np.random.default_rng(seed), record_every=10, **ADAM)


def test_adam_converges_to_sample_mle(data):
    family, trajectory = _fit(data, seed=11)
    mle_mean = data.mean(axis=0)
    mle_cov = np.cov(data.T, bias=True)  # the Gaussian MLE uses the biased (1/n) covariance
    target = family.pack(mle_mean, mle_cov)
    start = trajectory[0][1]
    final = trajectory[-1][1]
    assert trajectory[-1][0] == ADAM["steps"]
    assert np.abs(start - target).max() > 0.9  # started far away: the test can fail
    # Stationary jitter of constant-step Adam: the normalised step lr * m / sqrt(v) acts like
    # unit-variance noise times lr, against a restoring rate k ~ lr * H / sd(grad) = lr sqrt(H B)
    # (H ~ 0.4-1.9 the Fisher information, B = 100 the batch), so sd(theta) ~ lr / sqrt(2 k) ~ 0.027
    # (0.017-0.027 measured over 30 seeds). Last iterate: 4 sd = 0.11.
    np.testing.assert_allclose(final, target, rtol=0, atol=0.11)
    # Averaging the last 50 recorded iterates (500 steps, ~35 correlation times of 1/k ~ 14 steps)
    # cuts the sd ~6x (0.003-0.006 measured): 4 sd = 0.025.
    tail = np.mean([theta for _, theta in trajectory[-50:]], axis=0)
    np.testing.assert_allclose(tail, target, rtol=0, atol=0.025)
    # In moment space: d Sigma = dL L^T + L dL^T with |L_ij| <= 1.4 roughly triples the error.
    dens = family.density(tail)
    np.testing.assert_allclose(dens.means[0], mle_mean, atol=0.025)
    np.testing.assert_allclose(dens.covariances[0], mle_cov, atol=0.08)
    # The average log-likelihood is within a hair of its maximum: the gap is quadratic,
    # ~ 1/2 dtheta' I dtheta with dtheta ~ 0.025 and I = O(1-4): well under 5e-3.
    ll_final = family.log_prob_and_score(tail, data)[0].mean()
    ll_mle = family.log_prob_and_score(target, data)[0].mean()
    assert ll_final <= ll_mle + 1e-12
    assert ll_mle - ll_final < 5e-3


def test_adam_mle_score_vanishes_at_sample_mle(data):
    # Independent of Adam: the sample MLE is a stationary point of the mean log-likelihood.
    family = GaussianFamily(2, Family.FULL)
    target = family.pack(data.mean(axis=0), np.cov(data.T, bias=True))
    _, score = family.log_prob_and_score(target, data)
    np.testing.assert_allclose(score.mean(axis=0), 0.0, atol=1e-10)  # round-off in a 2000-term mean


def test_adam_is_deterministic_given_seed(data):
    small = data[:500]
    family = GaussianFamily(2, Family.FULL)
    run = lambda seed: adam_maximum_likelihood(small, family, np.zeros(5), steps=200, batch_size=32,  # noqa: E731
                                               learning_rate=0.05, rng=np.random.default_rng(seed),
                                               record_every=7)
    a, b, c = run(5), run(5), run(6)
    assert [s for s, _ in a] == [s for s, _ in b] == list(range(0, 200, 7)) + [200]
    for (_, ta), (_, tb) in zip(a, b):
        assert np.array_equal(ta, tb)  # bit for bit
    assert not np.array_equal(a[-1][1], c[-1][1])  # the seed actually matters
