"""The critics' joint dynamics: WGAN-GP's penalty with its kinks against Monte Carlo and finite differences, the
Jacobians on the free coordinates against the (clipped) update maps, WGAN's box equilibrium against the moment match,
and the Dirac-GAN's WGAN eigenvalues against their closed form."""

import numpy as np
import pytest

from gandiv.exact.densities import GaussianMixture
from gandiv.update_rules import UpdateRule, joint, joint_sgd
from gandiv.update_rules.joint_penalty import GradientPenalty

OVERLAPPING = GaussianMixture(np.array([0.7, 0.3]), np.array([[-2.0], [2.0]]), np.array([[[1.0]], [[1.0]]]))
MOMENT_MATCH = np.array([OVERLAPPING.mean()[0], 0.5 * np.log(OVERLAPPING.covariance()[0, 0])])  # (-0.8, log 2.088)
Z = np.array([-0.7, np.log(1.6), 0.0, 0.2, -0.15, 0.9])  # the critic's slope changes sign three times here
H = 1e-5  # central differences: truncation ~h^2 |v'''| ~ 1e-10, round-off ~1e-16 / h ~ 1e-11


def _fd(fn, z, h=H):
    return np.array([(fn(z + h * e) - fn(z - h * e)) / (2 * h) for e in np.eye(len(z))]).T


def test_penalty_against_monte_carlo():
    # lambda E (|f'(x_hat)| - 1)^2 from 10^6 interpolates of fresh pairs: within 5 standard errors
    gp = GradientPenalty(OVERLAPPING, 1.0)
    theta, w = Z[:2], Z[2:]
    rng = np.random.default_rng(0)
    n = 1_000_000
    real = OVERLAPPING.sample(n, rng)[:, 0]
    fake = theta[0] + np.exp(theta[1]) * rng.standard_normal(n)
    mix = rng.random(n)
    slope = w @ GradientPenalty._psi(OVERLAPPING, mix * real + (1 - mix) * fake)[0]
    draws = (np.abs(slope) - 1) ** 2
    assert abs(gp.terms(theta, w)["value"] - draws.mean()) < 5 * draws.std() / np.sqrt(n)
    # and the quadrature's own error: twice the nodes move it by less than 1e-10
    refined = GradientPenalty(OVERLAPPING, 1.0, scale=2).terms(theta, w)["value"]
    assert abs(refined - gp.terms(theta, w)["value"]) < 1e-10


def test_penalty_derivatives_with_the_kink_term_against_finite_differences():
    gp = GradientPenalty(OVERLAPPING, 2.5)
    theta, w = Z[:2], Z[2:]
    terms = gp.terms(theta, w)
    assert len(gp.roots(theta, w)) == 3  # the slope changes sign on the interpolates' support
    np.testing.assert_allclose(terms["grad"], _fd(lambda v: np.array([gp.terms(theta, v)["value"]]), w)[0], atol=1e-8)
    fd_hess = _fd(lambda v: gp.terms(theta, v)["grad"], w)
    np.testing.assert_allclose(terms["hess"], fd_hess, atol=1e-7)
    np.testing.assert_allclose(terms["cross"], _fd(lambda t: gp.terms(t, w)["grad"], theta), atol=1e-7)
    # the kink term is what makes the Hessian right: without it the smooth part alone is off by O(1)
    y, wy, _ = gp.nodes(theta, w)
    psi = GradientPenalty._psi(OVERLAPPING, y)[0]
    smooth = 2 * 2.5 * np.einsum("in,jn,n->ij", psi, psi, wy * gp.density(theta, y)[0])
    assert np.abs(smooth - fd_hess).max() > 0.1


def test_interpolate_density_is_normalised_with_the_right_mean():
    # E x_hat = E t E x_r + E (1 - t) E x_f = (mean P + m) / 2, and the density integrates to 1
    gp = GradientPenalty(OVERLAPPING, 1.0)
    theta = Z[:2]
    y, wy, _ = gp.nodes(theta, np.array([0.0, 1.0, 0.0, 0.0]))  # a slope without roots: one piece
    rho = gp.density(theta, y)[0]
    assert wy @ rho == pytest.approx(1.0, abs=1e-12)
    assert wy @ (rho * y) == pytest.approx((OVERLAPPING.mean()[0] + theta[0]) / 2, abs=1e-12)


@pytest.mark.parametrize("rule, strength", [(UpdateRule.WGAN, {"clip": 0.5}), (UpdateRule.WGAN_GP, {"gp": 2.0}),
                                            (UpdateRule.WGAN_GP, {"gp": 10.0})])
def test_critic_jacobian_and_field_against_finite_differences(rule, strength):
    problem = joint.JointProblem.around(OVERLAPPING, rule, 0.5, Z[:2], **strength)
    np.testing.assert_allclose(problem.jacobian(Z), _fd(problem.field, Z), rtol=1e-6, atol=1e-7)
    fd_g = _fd(lambda t: np.array([problem.loss_values(np.concatenate([t, Z[2:]]))[0]]), Z[:2])[0]
    fd_d = _fd(lambda w: np.array([problem.loss_values(np.concatenate([Z[:2], w]))[1]]), Z[2:])[0]
    np.testing.assert_allclose(problem.field(Z), -np.concatenate([fd_g, fd_d]), rtol=1e-6, atol=1e-9)
    # a critic has no prior: pi does not enter, and its constant w_0 enters neither loss (held)
    other = joint.JointProblem.around(OVERLAPPING, rule, 0.1, Z[:2], **strength)
    np.testing.assert_allclose(other.field(Z), problem.field(Z), atol=1e-15)
    assert problem.field(Z)[2] == 0.0 and not problem.free(Z)[2]


def test_wgan_box_equilibrium_is_the_moment_match_and_its_map_jacobian_the_clipped_maps():
    clip = 0.05
    problem = joint.JointProblem.around(OVERLAPPING, UpdateRule.WGAN, 0.5, MOMENT_MATCH, clip=clip)
    found = problem.box_equilibria(MOMENT_MATCH[None])
    z = found[0]
    # the least-value equilibrium: the critic's x and x^2 weights inside the box, so E_Q x = E_P x and
    # E_Q x^2 = E_P x^2 (their gradients vanish): Q is P's moment-matched Gaussian; log p's weight is on a face
    np.testing.assert_allclose(z[:2], MOMENT_MATCH, atol=1e-9)
    assert problem.free(z).tolist() == [True, True, False, True, True, False] and abs(z[5]) == clip
    assert problem.field(z)[5] * np.sign(z[5]) > 0  # the critic's gradient pushes it outward: the clip holds it
    h = 0.05

    def clipped_simultaneous(y):
        out = y + h * problem.field(y)
        out[2:] = np.clip(out[2:], -clip, clip)
        out[2] = y[2]  # the held constant (its gradient is 0 anyway)
        return out

    free = problem.free(z)
    fd = _fd(clipped_simultaneous, z, h=1e-6)
    got = joint.simultaneous_map_jacobian(problem.jacobian(z), h, h, free)
    np.testing.assert_allclose(got, fd[np.ix_(free, free)], atol=1e-7)
    assert np.abs(fd[~free][:, free]).max() < 1e-9  # the face weight stays on its face


def test_wgan_gp_equilibrium_is_a_root_and_the_critic_a_local_maximum_there():
    problem = joint.JointProblem.around(OVERLAPPING, UpdateRule.WGAN_GP, 0.5, MOMENT_MATCH, gp=1.0)
    z = problem.penalty_equilibrium(MOMENT_MATCH)
    assert np.abs(problem.field(z)[problem.free(z)]).max() < joint.ROOT_TOL
    # the critic's loss is at a local minimum in w_1..w_3 (its Hessian, the kink term included, positive definite)
    assert np.linalg.eigvalsh(-problem.jacobian(z)[3:, 3:]).min() > 0
    # the generator is at rest: E_Q f' = 0 (its mean's gradient), so the critic's slope changes sign on Q's support
    assert len(problem.penalty.roots(z[:2], z[2:])) >= 1


def test_dirac_wgan_eigenvalues_are_purely_imaginary():
    # f(t) = t: f'(0) = 1, f''(0) = 0, so +-i whatever the instance noise (Mescheder et al. 2018: WGAN does not
    # converge on the Dirac-GAN)
    for noise in (0.0, 0.7):
        jac = _fd(lambda z: joint.dirac_field(z, noise_sd=noise, loss="wgan"), np.zeros(2))
        np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(jac)),
                                   np.sort_complex(joint.dirac_eigenvalues(1.0, 0.0, noise_sd=noise)), atol=1e-7)
    np.testing.assert_allclose(np.sort_complex(joint.dirac_eigenvalues(1.0, 0.0)), [-1j, 1j])
    with pytest.raises(ValueError, match="hinge"):
        joint.dirac_field(np.zeros(2), loss="hinge")


def test_critic_minibatch_gradients_are_unbiased_and_wgan_stays_in_its_box():
    problem = joint.JointProblem.around(OVERLAPPING, UpdateRule.WGAN_GP, 0.5, Z[:2], gp=2.0)
    rngs = [np.random.default_rng(k) for k in range(40)]
    draws = joint_sgd.gradient_estimates(problem, np.tile(Z, (40, 1)), 5000, rngs)
    se = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - problem.field(Z)) < 5 * se + 1e-12)
    box = joint.JointProblem.around(OVERLAPPING, UpdateRule.WGAN, 0.5, Z[:2], clip=0.1)
    _, states = joint_sgd.train(box, np.tile(Z, (2, 1)), 0.05, 0.05, "alternating", 30, 64, 10,
                                [np.random.default_rng(0), np.random.default_rng(1)])
    assert np.abs(states[1:, :, 2:]).max() <= 0.1


@pytest.mark.parametrize("rule, kwargs, message", [
    (UpdateRule.WGAN, {}, "clip > 0"), (UpdateRule.WGAN_GP, {"clip": 0.1}, "gp > 0"),
    (UpdateRule.WGAN, {"clip": 0.1, "r1": 0.1}, "no r1"), (UpdateRule.MINIMAX, {"gp": 1.0}, "clip = gp = 0"),
    (UpdateRule.WGAN_GP, {"gp": -1.0}, ">= 0")])
def test_a_constraint_that_is_not_the_rules_own_is_refused(rule, kwargs, message):
    with pytest.raises(ValueError, match=message):
        joint.JointProblem.around(OVERLAPPING, rule, 0.5, Z[:2], **kwargs)
