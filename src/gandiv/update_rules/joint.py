"""Joint dynamics of a 1-D Gaussian generator and a discriminator whose family holds the optimal logit.

Mescheder, Geiger & Nowozin (2018), "Which training methods for GANs actually converge?", study the generator and
discriminator together: gradient descent on both is locally convergent at an equilibrium exactly when the Jacobian
of its update map has spectral radius below 1. Their Dirac-GAN (a point-mass generator, a linear discriminator) has
no pi and no KL rule; here the same analysis runs on this project's targets, rules and pi.

Generator Q_theta = N(m, s^2) with theta = (m, log s), the Keras GaussianGenerator's own parameters. Discriminator
logit a_w(x) = w . phi(x), phi(x) = (1, x, x^2, log p(x)): for a Gaussian Q the family holds the optimal logit
    log(pi p / ((1 - pi) q_theta)) = log(pi / (1 - pi)) + log s + log(2 pi) / 2 + (x - m)^2 / (2 s^2) + log p,
so at theta* (a rule's stationary point with the ideal discriminator, `gandiv.update_rules.stationary`) the pair
(theta*, w*(theta*)) is an equilibrium of every logit rule (`optimal_weights`). P must not be Gaussian: then log p is
itself quadratic, the features are collinear and no equilibrium is isolated.

Population losses by quadrature on a grid over P and Q (`JointProblem`):
    L_D(w, theta) = pi E_P[softplus(-a)] + (1 - pi) E_Q[softplus(a)]  (the cross-entropy every logit rule's D uses)
    L_G(theta, w) = E_Q[loss(a)]                                      (a frozen: theta enters through Q only)
with loss the rule's generator loss on the logit (`RuleUnit.logit_loss`). The field is v(z) = -(dL_G/dtheta,
dL_D/dw) at z = (theta, w) (6 entries), its Jacobian J (6 x 6) is analytic (`jacobian`; tested against finite
differences). Gradient descent with learning rates h_g, h_d: simultaneous z' = z + H v(z), Jacobian I + H J;
alternating (D first) w' = w + h_d v_w(theta, w), theta' = theta + h_g v_theta(theta, w'), Jacobian
(I + h_g E_g J)(I + h_d E_d J) at an equilibrium (E_g, E_d select the generator's and discriminator's rows).

The groundwork of the `local-convergence` figure (issue 18: not built yet; the critics, least squares, the
regularisers on this family and the trainings that check the eigenvalues' predictions are still to come).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit

from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.exact.quadrature import Grid, grid_for
from gandiv.update_rules import UpdateRule, unit

N_THETA, N_W = 2, 4  # generator (m, log s) and discriminator weights (1, x, x^2, log p)


def features(x: np.ndarray, log_p: np.ndarray) -> np.ndarray:
    """phi(x) = (1, x, x^2, log p(x)) at points x (n,): shape (4, n)."""
    return np.stack([np.ones_like(x), x, x * x, log_p])


def optimal_weights(theta: np.ndarray, pi: float) -> np.ndarray:
    """w with a_w = log(pi p / ((1 - pi) q_theta)) exactly (module docstring), shape (4,)."""
    m, s = theta[0], np.exp(theta[1])
    return np.array([np.log(pi) - np.log1p(-pi) + theta[1] + 0.5 * np.log(2 * np.pi) + m * m / (2 * s * s),
                     -m / (s * s), 1.0 / (2 * s * s), 1.0])


def _log_q_and_derivatives(theta: np.ndarray, x: np.ndarray):
    """log q_theta(x) (n,), its score (2, n) and the score's derivative d score_i / d theta_j (2, 2, n)."""
    m, u = theta
    s2 = np.exp(2 * u)
    r = x - m
    log_q = -u - 0.5 * np.log(2 * np.pi) - r * r / (2 * s2)
    score = np.stack([r / s2, r * r / s2 - 1.0])
    d_score = np.array([[-np.ones_like(x) / s2, -2 * r / s2], [-2 * r / s2, -2 * r * r / s2]])
    return log_q, score, d_score


@dataclass(frozen=True)
class JointProblem:
    """One target, update rule (minimax, nonsaturating or kl) and prior pi on a fixed quadrature grid."""

    target: GaussianMixture
    rule: UpdateRule
    pi: float
    grid: Grid

    @classmethod
    def around(cls, target: GaussianMixture, rule: UpdateRule, pi: float, theta: np.ndarray,
               quad: dict | None = None) -> JointProblem:
        """The problem on a grid covering P and Q_theta with twice its sd (`gandiv.exact.quadrature.grid_for`)."""
        if target.dim != 1:
            raise ValueError(f"the joint dynamics are for 1-D targets; got a {target.dim}-D one")
        unit(UpdateRule(rule)).logit_loss(np.zeros(1))  # ValueError for a rule without a loss on the logit
        q = gaussian([theta[0]], [[(2.0 * np.exp(theta[1])) ** 2]])
        return cls(target, UpdateRule(rule), pi, grid_for(target, q, **(quad or {})))

    def _terms(self, theta: np.ndarray, w: np.ndarray):
        x = self.grid.points[:, 0]
        log_p = self.target.log_prob(self.grid.points)
        phi = features(x, log_p)
        log_q, score, d_score = _log_q_and_derivatives(theta, x)
        return phi, w @ phi, np.exp(log_p) * self.grid.cell, np.exp(log_q) * self.grid.cell, score, d_score

    def field(self, z: np.ndarray) -> np.ndarray:
        """v(z) = -(dL_G/dtheta, dL_D/dw), shape (6,)."""
        theta, w = z[:N_THETA], z[N_THETA:]
        phi, a, p_dx, q_dx, score, _ = self._terms(theta, w)
        loss = unit(self.rule).logit_loss(a)
        g_grad = score @ (q_dx * loss)
        d_grad = -self.pi * phi @ (p_dx * expit(-a)) + (1 - self.pi) * phi @ (q_dx * expit(a))
        return -np.concatenate([g_grad, d_grad])

    def jacobian(self, z: np.ndarray) -> np.ndarray:
        """dv/dz (6 x 6), analytic: the derivatives of the two gradients in `field` under the integral."""
        theta, w = z[:N_THETA], z[N_THETA:]
        phi, a, p_dx, q_dx, score, d_score = self._terms(theta, w)
        u = unit(self.rule)
        loss, slope = u.logit_loss(a), u.logit_loss_grad(a)
        sig = expit(a)
        curvature = sig * (1 - sig)
        # generator rows: d/dtheta int q score loss = int q (score score^T + d score) loss; d/dw = int q score loss' phi
        gg = np.einsum("in,jn,n->ij", score, score, q_dx * loss) + np.einsum("ijn,n->ij", d_score, q_dx * loss)
        gw = np.einsum("in,jn,n->ij", score, phi, q_dx * slope)
        # discriminator rows: d/dw of the cross-entropy's gradient, and d/dtheta through Q
        dw = np.einsum("in,jn,n->ij", phi, phi, (self.pi * p_dx + (1 - self.pi) * q_dx) * curvature)
        dg = (1 - self.pi) * np.einsum("in,jn,n->ij", phi, score, q_dx * sig)
        return -np.block([[gg, gw], [dg, dw]])

    def loss_values(self, z: np.ndarray) -> tuple[float, float]:
        """(L_G, L_D) at z, nats: what the field descends (for checks)."""
        theta, w = z[:N_THETA], z[N_THETA:]
        _, a, p_dx, q_dx, _, _ = self._terms(theta, w)
        l_g = float(q_dx @ unit(self.rule).logit_loss(a))
        l_d = float(self.pi * p_dx @ -log_expit(a) + (1 - self.pi) * q_dx @ -log_expit(-a))
        return l_g, l_d


def simultaneous_map_jacobian(jacobian: np.ndarray, h_g: float, h_d: float) -> np.ndarray:
    """Jacobian of z' = z + H v(z) at an equilibrium: I + H J, H = diag(h_g (x2), h_d (x4))."""
    steps = np.array([h_g] * N_THETA + [h_d] * N_W)
    return np.eye(len(steps)) + steps[:, None] * jacobian


def alternating_map_jacobian(jacobian: np.ndarray, h_g: float, h_d: float) -> np.ndarray:
    """Jacobian of one D step then one G step at an equilibrium (v = 0 there, so each step's Jacobian is taken at
    the same point): (I + h_g E_g J)(I + h_d E_d J)."""
    n = N_THETA + N_W
    d_rows, g_rows = np.zeros((n, n)), np.zeros((n, n))
    d_rows[N_THETA:] = jacobian[N_THETA:]
    g_rows[:N_THETA] = jacobian[:N_THETA]
    return (np.eye(n) + h_g * g_rows) @ (np.eye(n) + h_d * d_rows)


def spectral_radius(matrix: np.ndarray) -> float:
    """Largest |eigenvalue|: below 1, the iteration is locally convergent."""
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def dirac_field(z: np.ndarray, r1: float = 0.0, noise_sd: float = 0.0, nodes: int = 40) -> np.ndarray:
    """The Dirac-GAN's gradient field (Mescheder et al. 2018, sec. 2): P = delta_0, Q = delta_theta, D_psi(x) = psi x,
    L(theta, psi) = E f(psi (theta + e1)) + E f(psi e2) with the standard GAN's f(t) = log sigmoid(t) and instance
    noise e1, e2 ~ N(0, noise_sd^2) (Gauss-Hermite, `nodes` points); the generator descends L, the discriminator
    ascends L - r1/2 psi^2 (the R1 penalty: |d D / dx|^2 = psi^2 at P's atom). z = (theta, psi); returns
    v = (-dL/dtheta, dL/dpsi - r1 psi), shape (2,)."""
    theta, psi = z
    e, weight = np.polynomial.hermite_e.hermegauss(nodes)
    e, weight = noise_sd * e, weight / weight.sum()
    slope = expit(-psi * (theta + e))  # f'(t) = sigmoid(-t)
    return np.array([-weight @ (psi * slope),
                     weight @ ((theta + e) * slope) + weight @ (e * expit(-psi * e)) - r1 * psi])


def dirac_eigenvalues(slope: float = 0.5, curvature: float = -0.25, r1: float = 0.0,
                      noise_sd: float = 0.0) -> np.ndarray:
    """Eigenvalues (2,) of the Dirac-GAN's field Jacobian at its equilibrium (0, 0), in closed form (Mescheder et al.
    2018, Lemmas 2.2, 3.1 and 3.3): the Jacobian is [[0, -f'(0)], [f'(0), 2 f''(0) sigma^2 - gamma]], so

      unregularised          +- i f'(0)                                   (purely imaginary: no convergence)
      R1 (gamma)             -gamma/2 +- sqrt(gamma^2/4 - f'(0)^2)
      instance noise sigma   f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2)

    slope = f'(0), curvature = f''(0) of the loss f (the standard GAN's: 1/2 and -1/4); r1 = gamma; noise_sd = sigma.
    """
    trace = 2 * curvature * noise_sd**2 - r1
    root = np.sqrt(complex(trace**2 / 4 - slope**2))
    return np.array([trace / 2 + root, trace / 2 - root])
