"""GAN trainings on the joint-dynamics family by plain minibatch gradient descent: what the eigenvalues predict.

The Jacobian analysis of `gandiv.update_rules.joint` is about plain gradient descent with step sizes (h_g, h_d);
Adam would rescale every direction and break the correspondence, so these trainings use exactly the analysed
updates, simultaneous or alternating, with the population gradients replaced by unbiased minibatch estimates:
    discriminator  pi mean_real l_real'(a) phi + (1 - pi) mean_fake l_fake'(a) phi + gamma mean_real (a') psi
                   [+ 2 lambda mean_mix (f' - sign f') psi at interpolates, WGAN-GP; critics weigh real and fake 1 : 1]
    generator      mean_fake l_gen'(a) a'(x) dx/dtheta,  x = m + s z + sigma e  (dx/dm = 1, dx/dlog s = s z)
(the reparametrised form of the field's score-function integral; equal in expectation, tested), with fresh real
samples of the (smoothed) target and fresh noise every step; WGAN clips the critic's weights into its box after each
critic update. Several runs of one problem train at once (a leading
run axis), each from its own start and with its own random stream.
"""

from __future__ import annotations

import numpy as np

from gandiv.update_rules.joint import N_THETA, JointProblem, losses
from gandiv.update_rules.joint_penalty import log_p_derivatives

SCHEMES = ("simultaneous", "alternating")


def _features(problem: JointProblem, x: np.ndarray):
    """phi (4, *x.shape) and psi = d phi / dx (4, *x.shape) at points x of any shape."""
    flat = x.reshape(-1)
    log_p = problem.target.log_prob(flat[:, None]).reshape(x.shape)
    slope = log_p_derivatives(problem.target, flat)[0].reshape(x.shape)
    one, zero = np.ones_like(x), np.zeros_like(x)
    return np.stack([one, x, x * x, log_p]), np.stack([zero, one, 2 * x, slope])


def gradient_estimates(problem: JointProblem, z: np.ndarray, batch: int, rngs: list) -> np.ndarray:
    """Unbiased minibatch estimates of the field v at each run's state z (runs, 6), each from `batch` real and
    `batch` generated samples of its own stream (rngs, one numpy Generator per run): (runs, 6)."""
    f = losses(problem.rule)
    theta, w = z[:, :N_THETA], z[:, N_THETA:]
    real = np.stack([problem.target.sample(batch, rng)[:, 0] for rng in rngs])  # the smoothed target
    noise = np.stack([rng.standard_normal((2, batch)) for rng in rngs])  # z and the instance noise e
    s = np.exp(theta[:, 1:2])
    fake = theta[:, :1] + s * noise[:, 0] + problem.noise_sd * noise[:, 1]
    phi_r, psi_r = _features(problem, real)
    phi_f, psi_f = _features(problem, fake)
    a_r, a_f = np.einsum("rk,krn->rn", w, phi_r), np.einsum("rk,krn->rn", w, phi_f)
    slope_r, slope_f = np.einsum("rk,krn->rn", w, psi_r), np.einsum("rk,krn->rn", w, psi_f)
    prior_real, prior_fake = problem.prior
    d_grad = (prior_real * np.einsum("krn,rn->rk", phi_r, f.real[1](a_r))
              + prior_fake * np.einsum("krn,rn->rk", phi_f, f.fake[1](a_f))
              + problem.r1 * np.einsum("krn,rn->rk", psi_r, slope_r)) / batch
    if problem.gp:  # WGAN-GP: the penalty at interpolates of the same pairs, mix ~ U[0, 1]
        mix = np.stack([rng.random(batch) for rng in rngs])
        _, psi_i = _features(problem, mix * real + (1 - mix) * fake)
        slope_i = np.einsum("rk,krn->rn", w, psi_i)
        d_grad += 2 * problem.gp * np.einsum("krn,rn->rk", psi_i, slope_i - np.sign(slope_i)) / batch
    push = f.gen[1](a_f) * slope_f  # d l_gen / dx at each generated sample
    g_grad = np.stack([push.mean(axis=1), (push * s * noise[:, 0]).mean(axis=1)], axis=1)
    return -np.concatenate([g_grad, d_grad], axis=1)


def train(problem: JointProblem, starts: np.ndarray, h_g: float, h_d: float, scheme: str, steps: int, batch: int,
          every: int, rngs: list) -> tuple[np.ndarray, np.ndarray]:
    """Plain minibatch gradient descent on both players of every run from its start (runs, 6): "simultaneous" (both
    from the same state) or "alternating" (the discriminator first, the generator against the updated one).

    Returns the steps (K,) = 0, every, ..., steps and the states there (K, runs, 6). A run whose state stops being
    finite or exceeds 1e6 has diverged: it stops, and its rows from then on are NaN.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    z = np.array(starts, float)
    alive = np.ones(len(z), bool)
    kept = [z.copy()]
    rate = np.array([h_g] * N_THETA + [h_d] * (z.shape[1] - N_THETA))

    def clipped(states):  # WGAN: every critic weight back into the box after each critic update (Keras's clip)
        if problem.clip:
            states[:, N_THETA:] = np.clip(states[:, N_THETA:], -problem.clip, problem.clip)
        return states

    for t in range(1, steps + 1):
        live = np.flatnonzero(alive)
        if len(live):
            streams = [rngs[r] for r in live]
            if scheme == "simultaneous":
                z[live] = clipped(z[live] + rate * gradient_estimates(problem, z[live], batch, streams))
            else:
                z[live, N_THETA:] += h_d * gradient_estimates(problem, z[live], batch, streams)[:, N_THETA:]
                z[live] = clipped(z[live])
                z[live, :N_THETA] += h_g * gradient_estimates(problem, z[live], batch, streams)[:, :N_THETA]
            blown = live[~(np.all(np.isfinite(z[live]), axis=1) & (np.abs(z[live]).max(axis=1) <= 1e6))]
            alive[blown] = False
            z[blown] = np.nan
        if t % every == 0:
            kept.append(z.copy())
    return np.arange(0, steps + 1, every), np.array(kept)
