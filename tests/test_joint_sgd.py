"""Minibatch gradient descent on the joint-dynamics family: unbiased gradients, and the eigenvalues' prediction."""

import numpy as np
import pytest

from gandiv.exact.densities import GaussianMixture
from gandiv.exact.families import Family, GaussianFamily
from gandiv.update_rules import UpdateRule, joint, joint_sgd
from gandiv.update_rules.stationary import stationary_points

OVERLAPPING = GaussianMixture(np.array([0.7, 0.3]), np.array([[-2.0], [2.0]]), np.array([[[1.0]], [[1.0]]]))
LINE = GaussianFamily(1, Family.FULL)


@pytest.mark.parametrize("rule, r1, noise_sd", [(UpdateRule.MINIMAX, 0.0, 0.0), (UpdateRule.NONSATURATING, 0.5, 0.0),
                                                (UpdateRule.KL, 0.0, 0.4), (UpdateRule.LSGAN, 0.3, 0.3)])
def test_minibatch_gradients_are_unbiased_estimates_of_the_field(rule, r1, noise_sd):
    # 40 estimates of 5,000 samples each: their mean lies within 5 standard errors of the quadrature field
    z = np.array([-0.7, np.log(1.6), 0.3, 0.2, -0.15, 0.9])
    problem = joint.JointProblem.around(OVERLAPPING, rule, 0.4, z[:2], r1=r1, noise_sd=noise_sd)
    rngs = [np.random.default_rng(k) for k in range(40)]  # 40 runs at the same state: 40 independent estimates
    draws = joint_sgd.gradient_estimates(problem, np.tile(z, (40, 1)), 5000, rngs)
    se = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - problem.field(z)) < 5 * se + 1e-12)


def _run(rule, seeds=(0, 1, 2), steps=1200):
    theta = stationary_points(OVERLAPPING, LINE, rule, 0.5, n_starts=4, seed=0)[0].theta
    z_star = np.concatenate([theta, joint.optimal_weights(theta, 0.5)])
    problem = joint.JointProblem.around(OVERLAPPING, rule, 0.5, theta)
    rngs = [np.random.default_rng(seed) for seed in seeds]
    starts = z_star + 0.05 * np.stack([rng.standard_normal(6) for rng in rngs])
    _, states = joint_sgd.train(problem, starts, 0.05, 0.05, "simultaneous", steps, 128, 400, rngs)
    return problem.jacobian(z_star), np.linalg.norm(states - z_star, axis=2)  # (K, runs)


def test_trainings_do_what_the_eigenvalues_predict():
    # non-saturating at pi = 1/2 on overlapping_1d: an eigenvalue pair with real part +0.079, so the equilibrium
    # repels (rho = 1.004 per step at h = 0.05: e^(0.079 * 0.05 * 1200) = 114-fold growth, capped by the nonlinearity);
    # minimax: every real part <= -0.016, so the runs stay in a noise ball around it
    jac, away = _run(UpdateRule.NONSATURATING)
    assert np.linalg.eigvals(jac).real.max() > 0.05 and np.all(away[-1] > 5 * away[0])
    jac, near = _run(UpdateRule.MINIMAX)
    assert np.linalg.eigvals(jac).real.max() < -0.01 and np.all(near.max(axis=0) < 2 * near[0])


def test_a_run_that_blows_up_ends_in_nan_rows():
    problem = joint.JointProblem.around(OVERLAPPING, UpdateRule.MINIMAX, 0.5, np.array([0.0, 0.0]))
    starts = np.zeros((2, 6))
    steps, states = joint_sgd.train(problem, starts, 1e4, 1e4, "alternating", 50, 16, 10,
                                    [np.random.default_rng(0), np.random.default_rng(1)])
    assert len(steps) == len(states) == 6 and np.isnan(states[-1]).all()
    # a run's stream is its own: run 0 alone draws what it draws beside run 1
    problem_ok = joint.JointProblem.around(OVERLAPPING, UpdateRule.KL, 0.5, np.array([0.0, 0.0]))
    both = joint_sgd.train(problem_ok, starts, 0.01, 0.01, "simultaneous", 20, 16, 10,
                           [np.random.default_rng(0), np.random.default_rng(1)])[1]
    alone = joint_sgd.train(problem_ok, starts[:1], 0.01, 0.01, "simultaneous", 20, 16, 10,
                            [np.random.default_rng(0)])[1]
    np.testing.assert_allclose(both[:, 0], alone[:, 0], rtol=1e-12)
    with pytest.raises(ValueError, match="scheme"):
        joint_sgd.train(problem, starts, 0.1, 0.1, "adam", 10, 16, 5, [np.random.default_rng(0)] * 2)
