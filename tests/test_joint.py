"""Joint generator-discriminator dynamics: the analytic Jacobian against finite differences, the equilibrium's
generator part against the ideal-discriminator stationary points, and the Dirac-GAN against its closed forms."""

import numpy as np
import pytest

from gandiv.exact.densities import GaussianMixture
from gandiv.exact.families import Family, GaussianFamily
from gandiv.update_rules import UpdateRule
from gandiv.update_rules import joint
from gandiv.update_rules.joint_penalty import log_p_derivatives
from gandiv.update_rules.stationary import stationary_points

OVERLAPPING = GaussianMixture(np.array([0.7, 0.3]), np.array([[-2.0], [2.0]]), np.array([[[1.0]], [[1.0]]]))
LINE = GaussianFamily(1, Family.FULL)
RULES = [UpdateRule.MINIMAX, UpdateRule.NONSATURATING, UpdateRule.KL]  # the rules with ideal-D stationary points
H = 1e-5  # central differences: truncation ~h^2 |v'''| ~ 1e-10, round-off ~1e-16 / h ~ 1e-11


def _fd(fn, z, h=H):
    return np.array([(fn(z + h * e) - fn(z - h * e)) / (2 * h) for e in np.eye(len(z))]).T


@pytest.mark.parametrize("rule", joint.CLASSIFIER_RULES)
@pytest.mark.parametrize("pi, r1, noise_sd", [(0.2, 0.0, 0.0), (0.5, 0.0, 0.0), (0.5, 0.7, 0.0), (0.3, 0.0, 0.6),
                                              (0.7, 0.4, 0.3)])
def test_analytic_jacobian_matches_finite_differences_of_the_field(rule, pi, r1, noise_sd):
    # away from any equilibrium, so every term of the Jacobian is exercised
    z = np.array([-0.7, np.log(1.6), 0.3, 0.2, -0.15, 0.9])
    problem = joint.JointProblem.around(OVERLAPPING, rule, pi, z[:2], r1=r1, noise_sd=noise_sd)
    np.testing.assert_allclose(problem.jacobian(z), _fd(problem.field, z), rtol=1e-6, atol=1e-8)
    # and the field is the gradient of the two losses (descended by each player)
    fd_g = _fd(lambda t: np.array([problem.loss_values(np.concatenate([t, z[2:]]))[0]]), z[:2])[0]
    fd_d = _fd(lambda w: np.array([problem.loss_values(np.concatenate([z[:2], w]))[1]]), z[2:])[0]
    np.testing.assert_allclose(problem.field(z), -np.concatenate([fd_g, fd_d]), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("rule", RULES)
def test_the_equilibrium_is_the_rules_stationary_point_with_the_optimal_logit(rule):
    pi = 0.3
    root = stationary_points(OVERLAPPING, LINE, rule, pi, n_starts=4, seed=0)[0]
    theta = np.array([root.theta[0], root.theta[1]])  # (mean, log sd) in both parametrisations
    z = np.concatenate([theta, joint.optimal_weights(theta, pi)])
    problem = joint.JointProblem.around(OVERLAPPING, rule, pi, theta)
    # |v| at the equilibrium: the root's tolerance (1e-7) plus quadrature error
    assert np.abs(problem.field(z)).max() < 1e-6
    # any other generator is not at rest against its optimal discriminator
    moved = theta + np.array([0.3, 0.0])
    assert np.abs(problem.field(np.concatenate([moved, joint.optimal_weights(moved, pi)]))[:2]).max() > 1e-3


def test_update_map_jacobians_match_finite_differences_of_the_update_maps():
    rule, pi = UpdateRule.NONSATURATING, 0.5
    root = stationary_points(OVERLAPPING, LINE, rule, pi, n_starts=4, seed=0)[0]
    z0 = np.concatenate([root.theta, joint.optimal_weights(root.theta, pi)])
    problem = joint.JointProblem.around(OVERLAPPING, rule, pi, root.theta)
    h_g, h_d = 0.05, 0.2

    def simultaneous(z):
        return z + np.array([h_g] * 2 + [h_d] * 4) * problem.field(z)

    def alternating(z):
        after_d = np.concatenate([z[:2], z[2:] + h_d * problem.field(z)[2:]])
        return np.concatenate([after_d[:2] + h_g * problem.field(after_d)[:2], after_d[2:]])

    jac = problem.jacobian(z0)
    np.testing.assert_allclose(joint.simultaneous_map_jacobian(jac, h_g, h_d), _fd(simultaneous, z0), atol=1e-7)
    np.testing.assert_allclose(joint.alternating_map_jacobian(jac, h_g, h_d), _fd(alternating, z0), atol=1e-7)


@pytest.mark.parametrize("r1, noise_sd", [(0.0, 0.0), (0.3, 0.0), (2.0, 0.0), (0.0, 0.7), (0.0, 3.0)])
def test_dirac_gan_eigenvalues_match_their_closed_forms(r1, noise_sd):
    # the closed forms (Mescheder et al. 2018) against the finite-difference Jacobian of the Dirac-GAN's own field
    jac = _fd(lambda z: joint.dirac_field(z, r1=r1, noise_sd=noise_sd), np.zeros(2))
    got = np.sort_complex(np.linalg.eigvals(jac))
    np.testing.assert_allclose(got, np.sort_complex(joint.dirac_eigenvalues(r1=r1, noise_sd=noise_sd)), atol=1e-7)


def test_dirac_gan_converges_exactly_where_the_paper_says():
    # unregularised: simultaneous gradient descent spirals out (|1 + h i f'(0)| > 1 for every h), alternating circles
    # (|lambda| = 1); R1 and instance noise make the equilibrium attracting for small steps
    for h in (0.01, 0.1, 1.0):
        lam = joint.dirac_eigenvalues()
        assert np.all(np.abs(1 + h * lam) > 1)
        jac = np.array([[0.0, -0.5], [0.5, 0.0]])
        alt = (np.eye(2) + h * np.diag([1.0, 0.0]) @ jac) @ (np.eye(2) + h * np.diag([0.0, 1.0]) @ jac)
        assert joint.spectral_radius(alt) == pytest.approx(1.0, abs=1e-12)
    for lam in (joint.dirac_eigenvalues(r1=0.3), joint.dirac_eigenvalues(noise_sd=0.7)):
        assert np.all(lam.real < 0) and np.all(np.abs(1 + 0.1 * lam) < 1)


@pytest.mark.parametrize("rule", joint.CLASSIFIER_RULES)
@pytest.mark.parametrize("noise_sd", [0.0, 0.5])
def test_the_family_holds_every_rules_optimal_discriminator_for_any_generator(rule, noise_sd):
    # at w*(theta) the discriminator's gradient vanishes whatever theta: cross-entropy's optimum is the optimal logit,
    # least squares' is tanh of its half (module docstring); with instance noise, of the smoothed pair
    for theta in (np.array([0.4, np.log(0.8)]), np.array([-1.5, np.log(2.0)])):
        problem = joint.JointProblem.around(OVERLAPPING, rule, 0.35, theta, noise_sd=noise_sd)
        z = np.concatenate([theta, joint.optimal_weights(theta, 0.35, noise_sd)])
        assert np.abs(problem.field(z)[2:]).max() < 1e-9


def test_score_and_slope_helpers_against_finite_differences():
    x = np.linspace(-4, 4, 9)
    theta = np.array([0.3, np.log(1.3)])
    for noise_sd in (0.0, 0.8):
        log_q, score, d_score = joint.log_q_terms(theta, x, noise_sd)
        fd = _fd(lambda t: joint.log_q_terms(t, x, noise_sd)[0], theta)
        np.testing.assert_allclose(score, fd.T, atol=1e-8)
        fd2 = np.stack([_fd(lambda t, i=i: joint.log_q_terms(t, x, noise_sd)[1][i], theta).T for i in range(2)])
        np.testing.assert_allclose(d_score, fd2, atol=1e-7)
    slope, curvature = log_p_derivatives(OVERLAPPING, x)
    fd = (OVERLAPPING.log_prob((x + H)[:, None]) - OVERLAPPING.log_prob((x - H)[:, None])) / (2 * H)
    np.testing.assert_allclose(slope, fd, atol=1e-8)
    fd2 = (log_p_derivatives(OVERLAPPING, x + H)[0] - log_p_derivatives(OVERLAPPING, x - H)[0]) / (2 * H)
    np.testing.assert_allclose(curvature, fd2, atol=1e-7)


def test_regularised_equilibria_are_found_and_least_squares_has_its_own():
    theta = stationary_points(OVERLAPPING, LINE, UpdateRule.MINIMAX, 0.5, n_starts=4, seed=0)[0].theta
    start = np.concatenate([theta, joint.optimal_weights(theta, 0.5)])
    for rule, r1, noise_sd in ((UpdateRule.MINIMAX, 1.0, 0.0), (UpdateRule.MINIMAX, 0.0, 0.5),
                               (UpdateRule.LSGAN, 0.0, 0.0)):
        problem = joint.JointProblem.around(OVERLAPPING, rule, 0.5, theta, r1=r1, noise_sd=noise_sd)
        z = problem.equilibrium(start)
        assert np.abs(problem.field(z)).max() < joint.ROOT_TOL
        if r1 == 0:  # without R1 the discriminator at the equilibrium is the optimal one for its generator
            np.testing.assert_allclose(z[2:], joint.optimal_weights(z[:2], 0.5, noise_sd), atol=1e-7)
    with pytest.raises(ValueError, match="hinge"):
        joint.losses("hinge")


def test_convergent_steps_follow_the_spectral_radius():
    # a stable field: small steps converge, steps beyond 2 / the largest |eigenvalue| do not
    jac = -np.diag([1.0, 2.0, 0.5, 0.5, 4.0, 1.0])
    ok = joint.convergent_steps(jac, "simultaneous", np.array([0.1, 0.4, 0.49, 0.51, 1.0]))
    assert ok.tolist() == [True, True, True, False, False]


def test_collapsed_or_unresolved_generators_are_refused_and_a_grid_around_them_resolves():
    wide = joint.JointProblem.around(OVERLAPPING, UpdateRule.MINIMAX, 0.5, np.array([0.0, 0.0]),
                                     quad={"points_per_sd": 4})
    narrow = np.array([0.0, np.log(0.1), 0.0, 0.0, 0.0, 1.0])  # sd 0.1 < the spacing 0.25 of a grid for sd 1
    with pytest.raises(RuntimeError, match="spacing"):
        wide._check_resolved(narrow)
    joint.JointProblem.around(OVERLAPPING, UpdateRule.MINIMAX, 0.5, narrow[:2],
                              quad={"points_per_sd": 4})._check_resolved(narrow)  # laid around it: resolved
    with pytest.raises(RuntimeError, match="collapsed"):
        wide._check_resolved(np.array([0.0, np.log(1e-4), 0.0, 0.0, 0.0, 1.0]), against_grid=False)
