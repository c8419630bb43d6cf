"""Joint generator-discriminator dynamics: the analytic Jacobian against finite differences, the equilibrium's
generator part against the ideal-discriminator stationary points, and the Dirac-GAN against its closed forms."""

import numpy as np
import pytest

from gandiv.exact.densities import GaussianMixture
from gandiv.exact.families import Family, GaussianFamily
from gandiv.update_rules import UpdateRule
from gandiv.update_rules import joint
from gandiv.update_rules.stationary import stationary_points

OVERLAPPING = GaussianMixture(np.array([0.7, 0.3]), np.array([[-2.0], [2.0]]), np.array([[[1.0]], [[1.0]]]))
LINE = GaussianFamily(1, Family.FULL)
RULES = [UpdateRule.MINIMAX, UpdateRule.NONSATURATING, UpdateRule.KL]
H = 1e-5  # central differences: truncation ~h^2 |v'''| ~ 1e-10, round-off ~1e-16 / h ~ 1e-11


def _fd(fn, z, h=H):
    return np.array([(fn(z + h * e) - fn(z - h * e)) / (2 * h) for e in np.eye(len(z))]).T


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("pi", [0.2, 0.5])
def test_analytic_jacobian_matches_finite_differences_of_the_field(rule, pi):
    # away from any equilibrium, so every term of the Jacobian is exercised
    z = np.array([-0.7, np.log(1.6), 0.3, 0.2, -0.15, 0.9])
    problem = joint.JointProblem.around(OVERLAPPING, rule, pi, z[:2])
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
