"""Joint dynamics of a 1-D Gaussian generator and a discriminator whose family holds the optimal one.

Mescheder, Geiger & Nowozin (2018), "Which training methods for GANs actually converge?", study the generator and
discriminator together: gradient descent on both is locally convergent at an equilibrium exactly when the Jacobian
of its update map has spectral radius below 1. Their Dirac-GAN (a point-mass generator, a linear discriminator) has
no pi and no KL rule; here the same analysis runs on this project's targets, rules and pi.

Generator Q_theta = N(m, s^2) with theta = (m, log s), the Keras GaussianGenerator's own parameters. Discriminator
a_w(x) = w . phi(x), phi(x) = (1, x, x^2, log p(x)), read as a logit (minimax, non-saturating, KL) or through
s = tanh(a / 2) as a least-squares score (codes -1, 1, generator target 0). For a Gaussian Q the family holds the
optimal logit
    log(pi p / ((1 - pi) q_theta)) = log(pi / (1 - pi)) + log s + log(2 pi) / 2 + (x - m)^2 / (2 s^2) + log p,
and tanh of its half is the optimal least-squares score (pi p - (1 - pi) q) / (pi p + (1 - pi) q); so without
regularisation (theta*, w*(theta*)) is an equilibrium of every rule, theta* the rule's stationary point with the
ideal discriminator (`gandiv.update_rules.stationary`; `optimal_weights`). P must not be Gaussian: then log p is
itself quadratic, the features are collinear and no equilibrium is isolated.

Population losses by quadrature on a grid over P and Q (`JointProblem`), per sample through the output a:
    L_D(w, theta) = pi E_P[l_real(a)] + (1 - pi) E_Q[l_fake(a)] + gamma/2 E_P[(da/dx)^2]     (R1, weight gamma)
    L_G(theta, w) = E_Q[l_gen(a)]                                   (a frozen: theta enters through Q only)
with the rule's per-sample losses (`Losses`: cross-entropy and the rule's generator loss on the logit; least
squares on the score). Instance noise of scale sigma replaces P and Q by P * N(0, sigma^2) (exact for a mixture) and
Q_theta * N(0, sigma^2) = N(m, s^2 + sigma^2), and log p by the smoothed log p_sigma in the features, so the
family still holds the optimum. The field is v(z) = -(dL_G/dtheta, dL_D/dw) at z = (theta, w) (6 entries), its
Jacobian J (6 x 6) analytic (`jacobian`; tested against finite differences). Gradient descent with learning rates
h_g, h_d: simultaneous z' = z + H v(z), Jacobian I + H J; alternating (D first) w' = w + h_d v_w(theta, w),
theta' = theta + h_g v_theta(theta, w'), Jacobian (I + h_g E_g J)(I + h_d E_d J) at an equilibrium.

The critics (`CRITICS`) have no prior and a linear loss in f = w . phi, so without a constraint no equilibrium is
isolated: their constant w_0 enters neither loss and is held (`free`); WGAN keeps the box |w_i| <= clip by clipping,
so at an equilibrium the weights on its faces are held and the Jacobian is the one on the other coordinates
(`box_equilibria`); WGAN-GP adds its gradient penalty over the interpolates to L_D, with its kinks
(`gandiv.update_rules.joint_penalty`), and its equilibrium is a root of the whole field (`penalty_equilibrium`).
The `local-convergence` figure's model.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import minimize, root
from scipy.special import expit

from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.exact.quadrature import Grid, grid_for, refined_grid
from gandiv.update_rules import UpdateRule, unit
from gandiv.update_rules.joint_penalty import GradientPenalty, log_p_derivatives

N_THETA, N_W = 2, 4  # generator (m, log s) and discriminator weights (1, x, x^2, log p)
CLASSIFIER_RULES = (UpdateRule.MINIMAX, UpdateRule.NONSATURATING, UpdateRule.KL, UpdateRule.LSGAN)
CRITICS = (UpdateRule.WGAN, UpdateRule.WGAN_GP)  # each with its own constraint: a box (clip), a penalty (gp)
JOINT_RULES = CLASSIFIER_RULES + CRITICS
ROOT_TOL = 1e-10  # |v| at a numerically found equilibrium
COLLAPSED = 1e-2  # a generator whose sd is below this fraction of P's narrowest component sd has collapsed
FLOW_TIME, FLOW_BOUND = 2e3, 20.0  # the generator's flow against the optimal discriminator: horizon, escape bound


@dataclass(frozen=True)
class Losses:
    """A rule's per-sample losses as functions of the output a (arrays of the same shape): l_real, l_fake (the
    discriminator's, with first and second derivatives) and l_gen (the generator's, with its first derivative)."""

    real: tuple[Callable, Callable, Callable]
    fake: tuple[Callable, Callable, Callable]
    gen: tuple[Callable, Callable]


def losses(rule: UpdateRule) -> Losses:
    """The per-sample losses of one of JOINT_RULES (the critics': -f on real, f on generated and -f for the
    generator, `gandiv.update_rules.critic`); ValueError for another rule."""
    rule = UpdateRule(rule)
    if rule not in JOINT_RULES:
        raise ValueError(f"no joint dynamics for rule {rule.value!r}; rules: {', '.join(r.value for r in JOINT_RULES)}")
    if rule in CRITICS:
        def linear(sign):
            return (lambda a: sign * a, lambda a: sign * np.ones_like(a), np.zeros_like)

        return Losses(linear(-1.0), linear(1.0), linear(-1.0)[:2])
    if rule is UpdateRule.LSGAN:  # s = tanh(a/2), s' = (1 - s^2)/2, s'' = -s s'
        def s(a):
            return np.tanh(a / 2)

        def ds(a):
            return (1 - s(a) ** 2) / 2

        def squared(code):
            return (lambda a: (s(a) - code) ** 2 / 2, lambda a: (s(a) - code) * ds(a),
                    lambda a: ds(a) ** 2 - (s(a) - code) * s(a) * ds(a))

        return Losses(squared(1.0), squared(-1.0), squared(0.0)[:2])
    u = unit(rule)

    def curvature(a):
        return expit(a) * expit(-a)

    return Losses((lambda a: np.logaddexp(0, -a), lambda a: -expit(-a), curvature),
                  (lambda a: np.logaddexp(0, a), expit, curvature), (u.logit_loss, u.logit_loss_grad))


def features(x: np.ndarray, log_p: np.ndarray) -> np.ndarray:
    """phi(x) = (1, x, x^2, log p(x)) at points x (n,): shape (4, n)."""
    return np.stack([np.ones_like(x), x, x * x, log_p])


def optimal_weights(theta: np.ndarray, pi: float, noise_sd: float = 0.0) -> np.ndarray:
    """w with a_w = log(pi p_sigma / ((1 - pi) q_theta,sigma)) exactly (module docstring), shape (4,): the optimal
    logit, and for least squares the optimal score's a (s = tanh(a/2))."""
    m, var = theta[0], np.exp(2 * theta[1]) + noise_sd**2
    return np.array([np.log(pi) - np.log1p(-pi) + 0.5 * np.log(2 * np.pi * var) + m * m / (2 * var), -m / var,
                     1.0 / (2 * var), 1.0])


def log_q_terms(theta: np.ndarray, x: np.ndarray, noise_sd: float = 0.0):
    """log q(x) of N(m, s^2 + noise_sd^2) (n,), its score in theta = (m, log s) (2, n) and the score's derivative
    d score_i / d theta_j (2, 2, n)."""
    m, u = theta
    s2 = np.exp(2 * u)
    var = s2 + noise_sd**2
    r = x - m
    log_q = -0.5 * np.log(2 * np.pi * var) - r * r / (2 * var)
    dlogq_dvar = -0.5 / var + r * r / (2 * var**2)
    score = np.stack([r / var, 2 * s2 * dlogq_dvar])
    d_mm = -np.ones_like(x) / var
    d_mu = -2 * s2 * r / var**2
    d_uu = 4 * s2 * dlogq_dvar + 4 * s2 * s2 * (0.5 / var**2 - r * r / var**3)
    return log_q, score, np.array([[d_mm, d_mu], [d_mu, d_uu]])


@dataclass(frozen=True)
class JointProblem:
    """One target (as the discriminator sees it: smoothed by the instance noise), rule, prior pi, R1 weight,
    instance-noise scale and, for the critics, their constraint (WGAN's box |w_i| <= clip, WGAN-GP's penalty weight
    gp) on a fixed quadrature grid."""

    target: GaussianMixture
    rule: UpdateRule
    pi: float
    grid: Grid
    r1: float = 0.0
    noise_sd: float = 0.0
    clip: float = 0.0
    gp: float = 0.0
    refine: int = 1  # 2 on `refined`: the quadratures that estimate this problem's errors

    @classmethod
    def around(cls, target: GaussianMixture, rule: UpdateRule, pi: float, theta: np.ndarray, r1: float = 0.0,
               noise_sd: float = 0.0, quad: dict | None = None, clip: float = 0.0, gp: float = 0.0) -> JointProblem:
        """The problem on a grid covering P (smoothed) and Q_theta (smoothed) with twice its sd. ValueError for a
        1-D target, a rule without joint dynamics, a negative strength, or a constraint that is not the rule's own:
        WGAN needs clip > 0, WGAN-GP gp > 0, and the critics take neither R1 nor instance noise."""
        if target.dim != 1:
            raise ValueError(f"the joint dynamics are for 1-D targets; got a {target.dim}-D one")
        rule = UpdateRule(rule)
        losses(rule)  # ValueError for a rule without joint dynamics
        if min(r1, noise_sd, clip, gp) < 0:
            raise ValueError(f"r1, noise_sd, clip and gp must be >= 0; got {r1}, {noise_sd}, {clip}, {gp}")
        wanted = {UpdateRule.WGAN: (clip > 0, "clip > 0"), UpdateRule.WGAN_GP: (gp > 0, "gp > 0")}
        ok, text = wanted.get(rule, (not (clip or gp), "clip = gp = 0"))
        if not ok or (rule in CRITICS and (r1 or noise_sd)) or (rule is UpdateRule.WGAN and gp) or (
                rule is UpdateRule.WGAN_GP and clip):
            raise ValueError(f"rule {rule.value!r} takes {text}" + (" and no r1 or noise_sd" if rule in CRITICS else "")
                             + f"; got r1={r1}, noise_sd={noise_sd}, clip={clip}, gp={gp}")
        seen = GaussianMixture(target.weights, target.means, target.covariances + noise_sd**2)
        sd = np.sqrt(np.exp(2 * theta[1]) + noise_sd**2)
        q = gaussian([theta[0]], [[(2.0 * sd) ** 2]])
        return cls(seen, rule, pi, grid_for(seen, q, **(quad or {})), r1, noise_sd, clip, gp)

    @property
    def prior(self) -> tuple[float, float]:
        """The weights of the real and generated terms of L_D: (pi, 1 - pi), or (1, 1) for a critic (no prior)."""
        return (1.0, 1.0) if self.rule in CRITICS else (self.pi, 1 - self.pi)

    @property
    def penalty(self) -> GradientPenalty | None:
        """WGAN-GP's penalty over the interpolates of P and Q_theta (`joint_penalty`), None for another rule."""
        return GradientPenalty(self.target, self.gp, self.refine) if self.gp else None

    def refined(self) -> JointProblem:
        """The same problem on half the grid's spacing over a wider box (`refined_grid`) and with twice the penalty's
        nodes: the change of a value from this problem to that one is its quadrature error's estimate."""
        return replace(self, grid=refined_grid(self.grid, self.target), refine=2)

    def free(self, z: np.ndarray) -> np.ndarray:
        """Which coordinates of z (6,) move: bool (6,). A critic's constant w_0 enters neither loss (E_P 1 - E_Q 1 = 0
        and it has no slope), so it is held (else every critic equilibrium has a flat direction); WGAN's weights on
        the box's faces (|w_i| = clip) are held there by the clipping."""
        out = np.ones(N_THETA + N_W, bool)
        if self.rule in CRITICS:
            out[N_THETA] = False
        if self.clip:
            out[N_THETA + 1:] = np.abs(z[N_THETA + 1:]) < self.clip * (1 - 1e-12)
        return out

    def _terms(self, theta: np.ndarray, w: np.ndarray):
        x = self.grid.points[:, 0]
        log_p = self.target.log_prob(self.grid.points)
        phi = features(x, log_p)
        log_q, score, d_score = log_q_terms(theta, x, self.noise_sd)
        # d a / dx and its gradient in w, for R1
        psi = np.stack([np.zeros_like(x), np.ones_like(x), 2 * x, log_p_derivatives(self.target, x)[0]])
        return phi, w @ phi, np.exp(log_p) * self.grid.cell, np.exp(log_q) * self.grid.cell, score, d_score, psi

    def field(self, z: np.ndarray) -> np.ndarray:
        """v(z) = -(dL_G/dtheta, dL_D/dw), shape (6,) (WGAN's box is not in the field: see `free`)."""
        theta, w = z[:N_THETA], z[N_THETA:]
        phi, a, p_dx, q_dx, score, _, psi = self._terms(theta, w)
        f = losses(self.rule)
        real, fake = self.prior
        g_grad = score @ (q_dx * f.gen[0](a))
        d_grad = real * phi @ (p_dx * f.real[1](a)) + fake * phi @ (q_dx * f.fake[1](a))
        d_grad += self.r1 * psi @ (p_dx * (w @ psi))
        if self.penalty:
            d_grad += self.penalty.terms(theta, w)["grad"]
        return -np.concatenate([g_grad, d_grad])

    def jacobian(self, z: np.ndarray) -> np.ndarray:
        """dv/dz (6 x 6), analytic: the derivatives of the two gradients in `field` under the integral (with
        WGAN-GP's kink term, `joint_penalty`)."""
        theta, w = z[:N_THETA], z[N_THETA:]
        phi, a, p_dx, q_dx, score, d_score, psi = self._terms(theta, w)
        f = losses(self.rule)
        real, fake = self.prior
        loss, slope = f.gen[0](a), f.gen[1](a)
        gg = np.einsum("in,jn,n->ij", score, score, q_dx * loss) + np.einsum("ijn,n->ij", d_score, q_dx * loss)
        gw = np.einsum("in,jn,n->ij", score, phi, q_dx * slope)
        weight = real * p_dx * f.real[2](a) + fake * q_dx * f.fake[2](a)
        dw = np.einsum("in,jn,n->ij", phi, phi, weight) + self.r1 * np.einsum("in,jn,n->ij", psi, psi, p_dx)
        dg = fake * np.einsum("in,jn,n->ij", phi, score, q_dx * f.fake[1](a))
        if self.penalty:
            terms = self.penalty.terms(theta, w)
            dw, dg = dw + terms["hess"], dg + terms["cross"]
        return -np.block([[gg, gw], [dg, dw]])

    def loss_values(self, z: np.ndarray) -> tuple[float, float]:
        """(L_G, L_D) at z, nats for the logit rules: what the field descends (for checks)."""
        theta, w = z[:N_THETA], z[N_THETA:]
        _, a, p_dx, q_dx, _, _, psi = self._terms(theta, w)
        f = losses(self.rule)
        real, fake = self.prior
        l_d = real * p_dx @ f.real[0](a) + fake * q_dx @ f.fake[0](a) + self.r1 / 2 * p_dx @ (w @ psi) ** 2
        if self.penalty:
            l_d += self.penalty.terms(theta, w)["value"]
        return float(q_dx @ f.gen[0](a)), float(l_d)

    def equilibrium(self, start: np.ndarray) -> np.ndarray:
        """A root of the field's free coordinates (`free`, the others held at start's values) near `start` (6,)
        (scipy.optimize.root with the analytic Jacobian); RuntimeError if none with |v| < ROOT_TOL is found (R1
        moves the equilibrium off (theta*, w*) where P is not in the generator's family)."""
        free = self.free(start)
        z = np.array(start, float)

        def at(x):
            z[free] = x
            return z

        def residual(x):
            return self.field(at(x))[free]

        def slope(x):
            return self.jacobian(at(x))[np.ix_(free, free)]

        found = root(residual, start[free], jac=slope, method="hybr", tol=1e-14)
        if not np.abs(residual(found.x)).max() < ROOT_TOL:  # Levenberg-Marquardt from where hybr stopped
            found = root(residual, found.x, jac=slope, method="lm", tol=1e-14)
        if not np.abs(residual(found.x)).max() < ROOT_TOL:
            raise RuntimeError(f"no equilibrium near {np.round(start, 4).tolist()}: |v| = "
                               f"{np.abs(residual(found.x)).max():.2e} ({found.message})")
        z = at(found.x).copy()
        self._check_resolved(z)
        return z

    def box_equilibria(self, starts: np.ndarray) -> list[np.ndarray]:
        """WGAN's equilibria with the critic in the box |w_i| <= clip (i = 1, 2, 3; w_0 = 0): for every choice of
        the weights on the box's faces and their signs, the roots of the remaining coordinates' field from each
        generator start theta (k, 2) (the interior weights from 0). A root counts when its interior weights are
        inside the box and every face weight is pushed outward by the critic's gradient (strict complementarity:
        the clipping then holds it there). Distinct roots, sorted by the game's value clip |E_P phi - E_Q phi|_1
        (the generator's loss against the best critic in the box)."""
        if self.rule is not UpdateRule.WGAN:
            raise ValueError(f"box equilibria are WGAN's; the rule is {self.rule.value!r}")
        found = []
        for n_face in range(N_W):
            for faces in itertools.combinations(range(1, N_W), n_face):
                for signs in itertools.product((-1.0, 1.0), repeat=n_face):
                    for theta in starts:
                        w = np.zeros(N_W)
                        w[list(faces)] = self.clip * np.array(signs)
                        try:
                            with np.errstate(all="ignore"):  # a search that runs off is no root: skipped
                                z = self.equilibrium(np.concatenate([theta, w]))
                        except (RuntimeError, np.linalg.LinAlgError):
                            continue
                        interior = np.abs(z[N_THETA + 1:]) < self.clip
                        push = self.field(z)[N_THETA + 1:] * np.sign(z[N_THETA + 1:])
                        if np.array_equal(~interior, np.isin(np.arange(1, N_W), faces)) and (
                                push[~interior] > ROOT_TOL).all() and not any(np.allclose(z, y) for y in found):
                            found.append(z)
        return sorted(found, key=lambda z: self.clip * np.abs(self.field(z)[N_THETA + 1:]).sum())

    def generator_equilibrium(self, theta0: np.ndarray) -> np.ndarray:
        """Without R1: the equilibrium z = (theta, w*(theta)) whose generator part solves the generator's field
        against the optimal discriminator (which the family holds, also with instance noise), a 2-D root search from
        theta0 (scipy.optimize.root); RuntimeError if |v| < ROOT_TOL is not reached. The way to least squares'
        equilibria, whose ideal-discriminator stationary points `stationary` does not compute."""
        if self.r1:
            raise ValueError("with R1 the discriminator at equilibrium is not the optimal one: use `equilibrium`")

        def state(theta):
            return np.concatenate([theta, optimal_weights(theta, self.pi, self.noise_sd)])

        def reduced(theta):
            return self.field(state(theta))[:N_THETA]

        # follow the generator's flow against the optimal discriminator first (root finding alone stalls far from a
        # root), then polish; a flow that runs off (|mean| or |log sd| beyond FLOW_BOUND) is no equilibrium
        flow = solve_ivp(lambda _, theta: reduced(theta), (0.0, FLOW_TIME), np.asarray(theta0, float), rtol=1e-8,
                         atol=1e-10, events=_runaway)
        found = root(reduced, flow.y[:, -1], method="hybr", tol=1e-14)
        z = state(found.x)
        if not np.abs(self.field(z)).max() < ROOT_TOL:
            raise RuntimeError(f"no generator equilibrium near theta = {np.round(theta0, 4).tolist()}: |v| = "
                               f"{np.abs(self.field(z)).max():.2e} ({found.message})")
        self._check_resolved(z, against_grid=False)  # the caller lays a grid around z (`around`) for the analysis
        return z

    def penalty_equilibrium(self, theta0: np.ndarray) -> np.ndarray:
        """WGAN-GP's equilibrium near the generator theta0: a root of every free coordinate of the field
        (`equilibrium`) from theta0 with the critic's best response there (its loss minimised over w_1..w_3 by BFGS
        from 0 and from +-log p, the lowest kept: the penalty makes the critic's loss non-convex); failing that, from
        the 2-D root of the generator's field against the best response. RuntimeError where neither reaches
        |v| < ROOT_TOL."""
        if self.rule is not UpdateRule.WGAN_GP:
            raise ValueError(f"the penalty equilibrium is WGAN-GP's; the rule is {self.rule.value!r}")

        def best_response(theta):
            def state(w):
                return np.concatenate([theta, [0.0], w])

            tries = [minimize(lambda w: self.loss_values(state(w))[1], w0, jac=lambda w: -self.field(state(w))[3:],
                              method="BFGS", options={"gtol": 1e-10})
                     for w0 in ([0, 0, 0.0], [0, 0, 1.0], [0, 0, -1.0])]
            return state(min(tries, key=lambda r: r.fun).x)

        with np.errstate(all="ignore"):  # a search that runs off is no root: `equilibrium` refuses it
            try:
                return self.equilibrium(best_response(np.asarray(theta0, float)))
            except (RuntimeError, np.linalg.LinAlgError):
                found = root(lambda theta: self.field(best_response(theta))[:N_THETA], theta0, method="hybr")
            try:
                return self.equilibrium(best_response(found.x))
            except np.linalg.LinAlgError as error:
                raise RuntimeError(f"no WGAN-GP equilibrium near theta = {np.round(theta0, 4).tolist()}") from error

    def _check_resolved(self, z: np.ndarray, against_grid: bool = True) -> None:
        """RuntimeError if Q's sd at z is below COLLAPSED times P's narrowest component sd (a collapsed generator:
        no equilibrium to analyse), below one spacing of this problem's grid, or so wide or far that the grid holds
        less than 1 - 1e-6 of Q's mass (a field that vanishes because Q left the grid is no root; in both cases lay
        the problem around z to resolve it: `around`)."""
        sd = np.exp(z[1])
        if sd < COLLAPSED * self.target.min_sd():
            raise RuntimeError(f"the generator collapsed (sd {sd:.2e})")
        if against_grid and sd < self.grid.axes[0][1] - self.grid.axes[0][0]:
            raise RuntimeError(f"Q's sd {sd:.2e} is below the grid's spacing: lay the problem around the point")
        with np.errstate(all="ignore"):
            mass = np.exp(log_q_terms(z[:N_THETA], self.grid.points[:, 0], self.noise_sd)[0]).sum() * self.grid.cell
        if against_grid and not abs(mass - 1) < 1e-6:
            raise RuntimeError(f"the grid holds {mass:.6f} of Q's mass (mean {z[0]:.3g}, sd {sd:.3g}): lay the "
                               "problem around the point")


def _runaway(_, theta):
    return FLOW_BOUND - np.abs(theta).max()


_runaway.terminal = True


def _restricted(jacobian: np.ndarray, free: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """J on the free coordinates (all when free is None) and which of them are the generator's."""
    free = np.ones(len(jacobian), bool) if free is None else np.asarray(free, bool)
    return jacobian[np.ix_(free, free)], (np.arange(len(jacobian)) < N_THETA)[free]


def simultaneous_map_jacobian(jacobian: np.ndarray, h_g: float, h_d: float,
                              free: np.ndarray | None = None) -> np.ndarray:
    """Jacobian of z' = z + H v(z) at an equilibrium on its free coordinates (`JointProblem.free`; all by
    default): I + H J, H = diag(h_g on theta, h_d on w)."""
    j, generator = _restricted(jacobian, free)
    steps = np.where(generator, h_g, h_d)
    return np.eye(len(steps)) + steps[:, None] * j


def alternating_map_jacobian(jacobian: np.ndarray, h_g: float, h_d: float,
                             free: np.ndarray | None = None) -> np.ndarray:
    """Jacobian of one D step then one G step at an equilibrium on its free coordinates (v = 0 there, so each
    step's Jacobian is taken at the same point): (I + h_g E_g J)(I + h_d E_d J)."""
    j, generator = _restricted(jacobian, free)
    eye = np.eye(len(j))
    return (eye + h_g * np.where(generator[:, None], j, 0.0)) @ (eye + h_d * np.where(generator[:, None], 0.0, j))


def spectral_radius(matrix: np.ndarray) -> float:
    """Largest |eigenvalue|: below 1, the iteration is locally convergent."""
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


MAP_JACOBIANS = {"simultaneous": simultaneous_map_jacobian, "alternating": alternating_map_jacobian}


def convergent_steps(jacobian: np.ndarray, scheme: str, steps: np.ndarray, ratio: float = 1.0,
                     free: np.ndarray | None = None) -> np.ndarray:
    """For each step size h of `steps` (learning rates h_g = h, h_d = ratio h), whether the scheme ("simultaneous" or
    "alternating") is locally convergent on the free coordinates (spectral radius < 1): bool (len(steps),)."""
    make = MAP_JACOBIANS[scheme]
    return np.array([spectral_radius(make(jacobian, h, ratio * h, free)) < 1.0 for h in steps])


DIRAC_LOSSES = {"gan": (0.5, -0.25), "wgan": (1.0, 0.0)}  # f'(0), f''(0) of f(t) = log sigmoid(t) and f(t) = t


def dirac_field(z: np.ndarray, r1: float = 0.0, noise_sd: float = 0.0, nodes: int = 40,
                loss: str = "gan") -> np.ndarray:
    """The Dirac-GAN's gradient field (Mescheder et al. 2018, sec. 2): P = delta_0, Q = delta_theta, D_psi(x) = psi x,
    L(theta, psi) = E f(psi (theta + e1)) + E f(psi e2) with the standard GAN's f(t) = log sigmoid(t) (`loss` "gan")
    or WGAN's f(t) = t ("wgan"; inside the clipping box) and instance noise e1, e2 ~ N(0, noise_sd^2) (Gauss-Hermite,
    `nodes` points); the generator descends L, the discriminator ascends L - r1/2 psi^2 (the R1 penalty:
    |d D / dx|^2 = psi^2 at P's atom). z = (theta, psi); returns v = (-dL/dtheta, dL/dpsi - r1 psi), shape (2,);
    ValueError for another loss."""
    if loss not in DIRAC_LOSSES:
        raise ValueError(f"loss {loss!r}; allowed: {', '.join(DIRAC_LOSSES)}")

    def f_slope(t):
        return expit(-t) if loss == "gan" else np.ones_like(t)

    theta, psi = z
    e, weight = np.polynomial.hermite_e.hermegauss(nodes)
    e, weight = noise_sd * e, weight / weight.sum()
    slope = f_slope(psi * (theta + e))
    return np.array([-weight @ (psi * slope),
                     weight @ ((theta + e) * slope) + weight @ (e * f_slope(psi * e)) - r1 * psi])


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
    root_ = np.sqrt(complex(trace**2 / 4 - slope**2))
    return np.array([trace / 2 + root_, trace / 2 - root_])
