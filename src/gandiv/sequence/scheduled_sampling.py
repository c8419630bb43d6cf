"""Scheduled sampling on pairs of symbols (section 4 of the note), analysed exactly.

P is a K x K joint table of (x1, x2); a model Q is autoregressive: Q1(x1) and Q2(x2 | x1).
The note's idealised objective (eq. 6) is

    D_SS = KL[P1 || Q1] + eps E_{z~P1} KL[P2|z || Q2|z] + (1 - eps) E_{z~Q1} KL[P2 || Q2|z],

eps being the probability of feeding the real first symbol. Two minimisers are computed:

- the fixed point of the scheduled-sampling algorithm, which samples the prefix from Q1 but
  does not differentiate through that sampling: Q1 = P1 and Q2|z = eps P2|z + (1 - eps) P2
  (closed form: the cross-entropy minimiser of a mixture of two targets is the mixture);
- the global minimiser of eq. 6 itself, where Q1 also weighs the third term: given Q1 the
  conditionals are again mixtures, Q2|z = (eps P1(z) P2|z + (1-eps) Q1(z) P2) / (eps P1(z) + (1-eps) Q1(z)),
  and Q1 is found numerically.

Both equal P at eps = 1 and the factorised P1 P2 at eps = 0.

Every function taking a joint table P checks it as the config does (`domain.joint_table`:
K x K, finite, non-negative, summing to 1, every x1 possible) and eps in [0, 1];
otherwise ValueError naming the parameter.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax

from gandiv.exact import domain


def marginals(joint: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P1, P2 and the conditionals P2|1 (rows) of a joint table."""
    joint = domain.joint_table("joint", joint)
    p1, p2 = joint.sum(axis=1), joint.sum(axis=0)
    return p1, p2, joint / p1[:, None]


def _kl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """KL[a || b] along the last axis, with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, a * (np.log(a) - np.log(b)), 0.0).sum(axis=-1)


def ss_objective(joint: np.ndarray, q1: np.ndarray, q2_given_1: np.ndarray, eps: float) -> float:
    """The note's eq. 6 for the autoregressive model (q1, q2_given_1)."""
    domain.unit("eps", eps)
    p1, p2, p2_given_1 = marginals(joint)
    value = _kl(p1, q1) + eps * p1 @ _kl(p2_given_1, q2_given_1)
    if eps < 1:  # the sampled-prefix term; skipped at eps = 1 where its weight is 0 (and KL may be inf)
        value += (1 - eps) * q1 @ _kl(p2[None, :], q2_given_1)
    return float(value)


def mixture_conditionals(joint: np.ndarray, q1: np.ndarray, eps: float) -> np.ndarray:
    """The conditionals minimising eq. 6 for a given Q1 (a weighted mixture of P2|z and P2)."""
    domain.unit("eps", eps)
    p1, p2, p2_given_1 = marginals(joint)
    real, sampled = eps * p1[:, None], (1 - eps) * q1[:, None]
    return (real * p2_given_1 + sampled * p2[None, :]) / (real + sampled)


def algorithm_fixed_point(joint: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed form where scheduled sampling settles: Q1 = P1, Q2|z = eps P2|z + (1 - eps) P2."""
    p1, _, _ = marginals(joint)
    return p1, mixture_conditionals(joint, p1, eps)


def algorithm_fixed_point_numerically(joint: np.ndarray, eps: float, iterations: int = 200,
                                      tol: float = 1e-13) -> tuple[np.ndarray, np.ndarray]:
    """The same fixed point by iterating the algorithm: minimise eq. 6 over all logits by L-BFGS with the
    prefix distribution frozen at the current Q1, then update it, until nothing moves."""
    domain.unit("eps", eps)
    p1, p2, p2_given_1 = marginals(joint)
    k = len(p1)
    frozen = np.full(k, 1.0 / k)
    theta = np.zeros(k + k * k)

    def surrogate(theta):
        log_q1, log_q2 = log_softmax(theta[:k]), log_softmax(theta[k:].reshape(k, k), axis=1)
        q1, q2 = np.exp(log_q1), np.exp(log_q2)
        weights = eps * p1[:, None] * p2_given_1 + (1 - eps) * frozen[:, None] * p2[None, :]
        value = -p1 @ log_q1 - np.sum(weights * log_q2)  # cross-entropy form of eq. 6, prefix frozen
        grad_q1 = q1 - p1
        grad_q2 = weights.sum(axis=1, keepdims=True) * q2 - weights
        return value, np.concatenate([grad_q1, grad_q2.ravel()])

    for _ in range(iterations):
        theta = minimize(surrogate, theta, jac=True, method="L-BFGS-B",
                         options={"ftol": 1e-16, "gtol": 1e-12, "maxiter": 2000}).x
        q1 = softmax(theta[:k])
        moved, frozen = np.abs(q1 - frozen).max(), q1
        if moved < tol:
            break
    return softmax(theta[:k]), softmax(theta[k:].reshape(k, k), axis=1)


def idealised_minimiser(joint: np.ndarray, eps: float, n_starts: int = 8, seed: int = 0):
    """Global minimiser of eq. 6 over all autoregressive Q: Q1 numerically, the conditionals in closed form."""
    domain.unit("eps", eps)
    k = len(marginals(joint)[0])

    def profile(logits):
        q1 = softmax(logits)
        return ss_objective(joint, q1, mixture_conditionals(joint, q1, eps), eps)

    rng = np.random.default_rng(seed)
    starts = [np.log(marginals(joint)[0])] + [rng.normal(0, 1, k) for _ in range(n_starts - 1)]
    best = min((minimize(profile, s, method="BFGS", options={"gtol": 1e-12}) for s in starts),
               key=lambda r: r.fun)
    q1 = softmax(best.x)
    return q1, mixture_conditionals(joint, q1, eps)


def model_joint(q1: np.ndarray, q2_given_1: np.ndarray) -> np.ndarray:
    return q1[:, None] * q2_given_1


def kl_joint(a: np.ndarray, b: np.ndarray) -> float:
    """KL between two joint tables."""
    return float(_kl(a.ravel(), b.ravel()))


# ----------------------------------------------------------------- training schedules

ANNEALED = ("linear", "inverse_sigmoid")


def epsilon_at(schedule: str, step, settings: dict, xp=np):
    """Probability of feeding the real previous symbol at a training step.

    Fixed (`epsilon<value>`), or annealed from 1 as in Bengio et al. (2015): `linear`
    reaches `final_epsilon` after `decay_share` of the steps and stays there;
    `inverse_sigmoid` is k / (k + exp(step / k)). `xp` is numpy or `keras.ops`, so the
    same formula runs inside the compiled training step.
    """
    if schedule.startswith("epsilon"):
        return float(schedule[len("epsilon"):]) + 0.0 * step
    if schedule == "linear":
        progress = xp.minimum(step / (settings["decay_share"] * settings["steps"]), 1.0)
        return 1.0 - (1.0 - settings["final_epsilon"]) * progress
    if schedule == "inverse_sigmoid":
        k = settings["inverse_sigmoid_k"]
        return k / (k + xp.exp(step / k))
    raise ValueError(f"unknown schedule {schedule!r}; allowed: epsilon<value in [0, 1]>, {', '.join(ANNEALED)}")
