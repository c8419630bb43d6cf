"""Exact fits: gradients, known optima, multiple local minima, and the JS_pi path."""

import numpy as np
import pytest

from gandiv.exact import divergences as dv
from gandiv.pipeline.config import pi_grid
from gandiv.exact.densities import GaussianMixture, gaussian, theis2016_mixture
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.fitting import Objective, fit, fit_problem
from gandiv.exact.pi_path import find_crossings, local_minima_path

BIMODAL = GaussianMixture([0.7, 0.3], [[-2.0], [2.0]], [[[0.36]], [[0.25]]])
TRIMODAL = GaussianMixture([0.4, 0.35, 0.25], [[-3.0, 0.0], [2.5, 2.5], [2.0, -3.0]],
                           [[[1.0, 0.4], [0.4, 0.6]], [[0.7, -0.3], [-0.3, 0.9]], np.eye(2) * 0.5])
QUAD = {"points_per_sd": 4, "halfwidth_sd": 9}


@pytest.mark.parametrize("kind", list(Family))
@pytest.mark.parametrize("objective, pi", [(Objective.KL_PQ, None), (Objective.KL_QP, None),
                                           (Objective.JS_PI, 0.3), (Objective.TV, None)])
def test_exact_gradient_matches_finite_differences(kind, objective, pi):
    family = GaussianFamily(2, kind)
    problem = fit_problem(TRIMODAL, family, objective, pi=pi, **QUAD)
    theta = np.random.default_rng(1).normal(0, 0.3, family.n_params)
    _, grad = problem.value_and_grad(theta)
    eps = 1e-6
    numeric = [(problem.value_and_grad(theta + eps * e)[0] - problem.value_and_grad(theta - eps * e)[0]) / (2 * eps)
               for e in np.eye(family.n_params)]
    # TV's integrand has kinks where p = q: the quadrature derivative is exact only away from them,
    # so it gets a looser (still informative) tolerance; smooth objectives agree to FD error ~1e-8.
    assert np.allclose(grad, numeric, atol=1e-3 if objective is Objective.TV else 1e-7)


def test_maximum_likelihood_fit_is_moment_matching():
    # KL[P||Q] over all Gaussians is minimised by P's mean and covariance (closed form).
    family = GaussianFamily(2, Family.FULL)
    best = fit(fit_problem(TRIMODAL, family, Objective.KL_PQ, **QUAD), n_starts=3).best
    q = family.density(best.theta)
    assert np.allclose(q.means[0], TRIMODAL.mean(), atol=1e-6)
    assert np.allclose(q.covariances[0], TRIMODAL.covariance(), atol=1e-6)


def test_isotropic_maximum_likelihood_uses_average_variance():
    family = GaussianFamily(2, Family.ISOTROPIC)
    mixture = theis2016_mixture()
    q = family.density(fit(fit_problem(mixture, family, Objective.KL_PQ, **QUAD), n_starts=2).best.theta)
    assert np.allclose(q.means[0], mixture.mean(), atol=1e-6)
    assert q.covariances[0, 0, 0] == pytest.approx(np.trace(mixture.covariance()) / 2, abs=1e-6)


@pytest.mark.parametrize("objective, pi", [(Objective.KL_QP, None), (Objective.JS_PI, 0.5)])
def test_every_divergence_recovers_p_when_it_is_in_the_family(objective, pi):
    # A proper divergence is minimised (at 0) by Q = P.
    p = gaussian([1.0, -0.5], [[2.0, 1.2], [1.2, 1.0]])
    family = GaussianFamily(2, Family.FULL)
    best = fit(fit_problem(p, family, objective, pi=pi, **QUAD), n_starts=3).best
    assert best.value == pytest.approx(0.0, abs=1e-9)
    assert dv.kl_gaussians(p, family.density(best.theta)) < 1e-8


def test_reverse_kl_has_a_local_minimum_per_mode():
    family = GaussianFamily(1, Family.ISOTROPIC)
    result = fit(fit_problem(BIMODAL, family, Objective.KL_QP, **QUAD), n_starts=12)
    means = sorted(family.density(m.theta).means[0, 0] for m in result.minima)
    assert len(result.minima) == 2
    assert means == pytest.approx([-2.0, 2.0], abs=0.01)  # each sits on a mode (tiny pull from the other)
    assert family.density(result.best.theta).means[0, 0] == pytest.approx(-2.0, abs=0.01)  # the heavier one


def test_js_pi_fits_approach_both_kl_fits_at_the_ends():
    family = GaussianFamily(1, Family.ISOTROPIC)
    ml = fit(fit_problem(BIMODAL, family, Objective.KL_PQ, **QUAD), n_starts=4).best.theta
    rkl = fit(fit_problem(BIMODAL, family, Objective.KL_QP, **QUAD), n_starts=8).best.theta
    low = fit(fit_problem(BIMODAL, family, Objective.JS_PI, pi=1e-4, **QUAD), n_starts=8).best.theta
    high = fit(fit_problem(BIMODAL, family, Objective.JS_PI, pi=1 - 1e-4, **QUAD), n_starts=8).best.theta
    # JS_pi = pi KL + O(pi^2), so the minimiser moves by O(pi) from the KL optimum.
    assert np.allclose(low, ml, atol=1e-3)
    assert np.allclose(high, rkl, atol=1e-3)


def test_js_pi_minimiser_jumps_between_branches_on_bimodal_target():
    family = GaussianFamily(1, Family.ISOTROPIC)
    pis = pi_grid({"pi_min": 1e-3, "n_tail": 3, "n_middle": 7})
    minima = local_minima_path(BIMODAL, family, pis, n_starts=6, seed=0, quad=QUAD)
    crossings = find_crossings(BIMODAL, family, pis, minima, quad=QUAD)
    assert len(crossings) == 1
    crossing = crossings[0]
    assert 0.1 < crossing.pi < 0.4
    # At the crossing both branches are distinct minima: the broad one near P's mean, the narrow one on a mode.
    assert crossing.jump > 1.0
    # Just below and above, the global minimiser sits on different branches.
    below = max(p for p in pis if p < crossing.pi)
    above = min(p for p in pis if p > crossing.pi)
    assert family.density(minima[below][0].theta).covariances[0, 0, 0] > 2.0
    assert family.density(minima[above][0].theta).covariances[0, 0, 0] < 0.5


def test_fit_is_deterministic():
    family = GaussianFamily(2, Family.ISOTROPIC)
    runs = [fit(fit_problem(TRIMODAL, family, Objective.KL_QP, **QUAD), n_starts=4, seed=3) for _ in range(2)]
    assert [m.theta.tobytes() for m in runs[0].minima] == [m.theta.tobytes() for m in runs[1].minima]
