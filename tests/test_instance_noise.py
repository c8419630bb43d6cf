"""Instance noise and the JS_pi path: the smoothed family against finite differences, the smoothed divergence
against Monte Carlo with an independent convolution, sigma -> 0 against today's path, and the merge point of the
branches against a direct search."""

import numpy as np
import pytest
from scipy.ndimage import minimum_filter
from scipy.special import logsumexp

from gandiv.exact.densities import GaussianMixture
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.fitting import Objective, fit_problem
from gandiv.exact.instance_noise import SmoothedFamily, bistable, merge_point, noise_path, smoothed_problem_parts
from gandiv.exact.pi_path import run_path

BIMODAL = GaussianMixture(np.array([0.7, 0.3]), np.array([[-2.0], [2.0]]), np.array([[[0.36]], [[0.25]]]))
PIS = np.array([0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999, 0.9999])
QUAD = {"points_per_sd": 8, "halfwidth_sd": 9}


def test_smoothed_family_score_and_its_zero_noise_limit():
    x = np.linspace(-5, 5, 11)[None]
    theta = np.array([0.4, np.log(0.7)])
    family = SmoothedFamily(1, Family.ISOTROPIC, 0.6)
    log_q, score = family.log_prob_and_score_by_coordinate(theta, x)
    h = 1e-6  # central differences: error ~h^2 ~ 1e-12 plus round-off ~1e-10
    fd = np.array([(family.log_prob_and_score_by_coordinate(theta + h * e, x)[0]
                    - family.log_prob_and_score_by_coordinate(theta - h * e, x)[0]) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(score, fd, atol=1e-8)
    np.testing.assert_allclose(log_q, family.density(theta).log_prob(x.T), atol=1e-12)
    # the variance is s^2 + sigma^2
    assert family.variance(theta) == pytest.approx(0.49 + 0.36)
    plain = GaussianFamily(1, Family.ISOTROPIC)
    for a, b in zip(SmoothedFamily(1, Family.ISOTROPIC, 0.0).log_prob_and_score_by_coordinate(theta, x),
                    plain.log_prob_and_score_by_coordinate(theta, x)):
        np.testing.assert_allclose(a, b, atol=1e-12)
    with pytest.raises(ValueError, match="noise_sd"):
        SmoothedFamily(1, Family.ISOTROPIC, -0.1)


def _convolved_log_density(mixture: GaussianMixture, sigma: float, x: np.ndarray) -> np.ndarray:
    """log of (density * N(0, sigma^2))(x) by 60-point Gauss-Hermite over the noise (error below 1e-8 here):
    independent of the closed form (covariances plus sigma^2)."""
    e, w = np.polynomial.hermite_e.hermegauss(60)
    log_w = np.log(w / w.sum())
    values = mixture.log_prob((x[:, None] - sigma * e[None]).reshape(-1, 1)).reshape(len(x), len(e))
    return logsumexp(values + log_w, axis=1)


@pytest.mark.parametrize("pi, sigma", [(0.3, 0.5), (0.8, 1.2)])
def test_smoothed_js_pi_against_monte_carlo(pi, sigma):
    # JS_pi[P_sigma || Q_sigma] by quadrature on the closed-form smoothed pair, against 100,000 noisy samples of
    # each side scored with numerically convolved densities: within 5 standard errors
    theta = np.array([-0.5, np.log(1.3)])
    seen, family = smoothed_problem_parts(BIMODAL, sigma)
    value = fit_problem(seen, family, Objective.JS_PI, pi=pi, **QUAD).value_and_grad(theta)[0]
    rng = np.random.default_rng(1)
    n = 100_000
    generator = family.generator(theta)
    x_p = BIMODAL.sample(n, rng)[:, 0] + sigma * rng.standard_normal(n)
    x_q = generator.sample(n, rng)[:, 0] + sigma * rng.standard_normal(n)

    def log_ratio(x, own):
        log_p, log_q = _convolved_log_density(BIMODAL, sigma, x), _convolved_log_density(generator, sigma, x)
        log_m = np.logaddexp(np.log(pi) + log_p, np.log1p(-pi) + log_q)
        return (log_p if own == "p" else log_q) - log_m

    a, b = log_ratio(x_p, "p"), log_ratio(x_q, "q")
    estimate = pi * a.mean() + (1 - pi) * b.mean()
    se = np.sqrt(pi**2 * a.var() / n + (1 - pi) ** 2 * b.var() / n)
    assert abs(value - estimate) < 5 * se
    assert 0 <= value <= -(pi * np.log(pi) + (1 - pi) * np.log1p(-pi))  # 0 <= JS_pi <= H(pi)


def test_zero_noise_recovers_todays_path_and_small_noise_stays_near_it():
    family = GaussianFamily(1, Family.ISOTROPIC)
    today, summary = run_path(BIMODAL, "bimodal", family, PIS, 8, 0, quad=QUAD)
    table, crossings = noise_path(BIMODAL, 0.0, PIS, 8, 0, quad=QUAD)
    np.testing.assert_allclose(table.js_pi.to_numpy(), today.js_pi.to_numpy(), atol=1e-12)
    np.testing.assert_allclose(table.mean_0.to_numpy(), today.mean_0.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(table.scale.to_numpy(), today.scale.to_numpy(), atol=1e-9)
    assert [c.pi for c in crossings] == pytest.approx([c["pi"] for c in summary["crossings"]], abs=1e-9)
    assert crossings[0].pi == pytest.approx(0.228, abs=1e-3)  # the jump of the jspi-interpolation figure
    tiny = noise_path(BIMODAL, 1e-3, PIS, 8, 0, quad=QUAD)[1]
    assert tiny[0].pi == pytest.approx(crossings[0].pi, abs=1e-3)
    # noise moves the jump towards larger pi
    assert noise_path(BIMODAL, 0.5, PIS, 8, 0, quad=QUAD)[1][0].pi > crossings[0].pi + 0.1


def _grid_minima(sigma: float, pi: float) -> int:
    """Local minima of JS_pi[P_sigma || Q_sigma] on a 141 x 91 grid over (mean, log sd), found directly: grid
    points lower than their 8 neighbours (the edges excluded)."""
    seen, family = smoothed_problem_parts(BIMODAL, sigma)
    problem = fit_problem(seen, family, Objective.JS_PI, pi=pi, **QUAD)
    means, logs = np.linspace(-3.5, 3.5, 141), np.linspace(np.log(0.2), np.log(4.0), 91)
    values = np.array([[problem.value_and_grad(np.array([m, u]))[0] for u in logs] for m in means])
    low = values == minimum_filter(values, size=3, mode="nearest")
    low[[0, -1], :] = False
    low[:, [0, -1]] = False
    return int(low.sum())


def test_merge_point_against_a_direct_search():
    merge = merge_point(BIMODAL, 0.5, 1.0, PIS, 8, 0, tol=5e-3, quad=QUAD)
    assert merge["sigma_above"] - merge["sigma_below"] <= 5e-3
    pi = merge["bistable_pi_max"]
    # just below the merge the direct search sees both branches, just above one
    assert _grid_minima(merge["sigma_below"] - 0.02, pi) == 2
    assert _grid_minima(merge["sigma_above"] + 0.02, pi) == 1
    # and the path itself agrees on both sides
    assert len(bistable(noise_path(BIMODAL, merge["sigma_below"], PIS, 8, 0, quad=QUAD)[0]))
    assert not len(bistable(noise_path(BIMODAL, merge["sigma_above"], PIS, 8, 0, quad=QUAD)[0]))
    with pytest.raises(ValueError, match="no merge"):
        merge_point(BIMODAL, 0.9, 1.0, PIS, 8, 0, quad=QUAD)
