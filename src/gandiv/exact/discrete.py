"""Exact results on discrete laws: TV of repeated trials, and Bernoulli sample-loss gradients.

TV between n-fold products of Bernoulli laws equals TV between the binomial
counts, because the likelihood ratio depends on the trials only through the
count. Sample Wasserstein and Cramer losses are enumerated exactly over the
binomial law of the minibatch.

Domains (`gandiv.exact.domain`, ValueError naming the parameter otherwise): success
probabilities p, q, theta* and TVs in [0, 1]; gradients are evaluated at any finite theta
(the formulas extend past [0, 1]); counts n, m, steps, n_seeds
integers >= 1 (seed >= 0); atomic laws finite with probabilities >= 0 summing to 1;
loss "wasserstein" or "cramer"; learning rate finite > 0.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import ndtr
from scipy.stats import binom

from gandiv.exact import domain

LOSSES = ("wasserstein", "cramer")


def tv_bernoulli_trials(p: float, q: float, n: int) -> float:
    """TV(Bernoulli(p)^n, Bernoulli(q)^n), exact."""
    domain.unit("p", p)
    domain.unit("q", q)
    domain.count("n", n)
    k = np.arange(n + 1)
    return float(0.5 * np.abs(binom.pmf(k, n, p) - binom.pmf(k, n, q)).sum())


def tv_trials_lower_bound(delta: float, n: int) -> float:
    """The lecture's bound 1 - 2 exp(-n delta^2 / 2) on the TV of n trials, delta = TV of one."""
    domain.unit("delta", delta)
    domain.count("n", n)
    return float(1.0 - 2.0 * np.exp(-n * delta**2 / 2.0))


def rademacher_sum_law(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Atoms and probabilities of S_n / sqrt(n), S_n a sum of n fair +-1 signs."""
    domain.count("n", n)
    k = np.arange(n + 1)
    return (2 * k - n) / np.sqrt(n), binom.pmf(k, n, 0.5)


def tv_atoms_vs_density(probs: np.ndarray) -> float:
    """TV between a purely atomic law and any law with a density.

    The two are mutually singular (the atoms are a null set of the density), so
    TV = 1/2 (sum of atom masses + integral of the density) = 1 for every n.
    """
    domain.probability_vector("probs", probs, "probabilities")
    return float(0.5 * (np.sum(probs) + 1.0))


def kolmogorov_to_normal(atoms: np.ndarray, probs: np.ndarray) -> float:
    """sup_x |F(x) - Phi(x)| for an atomic law F (atoms sorted, as `rademacher_sum_law` gives them): checked
    just before and at every atom."""
    domain.discrete_law(atoms, probs)
    cdf_after = np.cumsum(probs)
    cdf_before = cdf_after - probs
    phi = ndtr(atoms)
    return float(max(np.abs(cdf_after - phi).max(), np.abs(cdf_before - phi).max()))


def expected_sample_gradient(theta: np.ndarray, theta_star: float, m: int, loss: str) -> np.ndarray:
    """E over minibatches of m draws from Bernoulli(theta*) of d loss(P_hat, Bernoulli(theta)) / d theta.

    On {0, 1}, W1(P_hat, Q) = |p_hat - theta| and the Cramer distance l2^2 = (p_hat - theta)^2,
    with p_hat the share of ones in the minibatch.
    """
    theta = domain.array("theta", theta, ndim=1)
    domain.unit("theta_star", theta_star)
    domain.count("m", m)
    domain.choice("loss", loss, LOSSES)
    k = np.arange(m + 1)
    weights = binom.pmf(k, m, theta_star)
    p_hat = k / m
    if loss == "wasserstein":
        grads = np.sign(theta[:, None] - p_hat[None, :])
    else:
        grads = 2.0 * (theta[:, None] - p_hat[None, :])
    return grads @ weights


def true_gradient(theta: np.ndarray, theta_star: float, loss: str) -> np.ndarray:
    """d loss(P, Bernoulli(theta)) / d theta with the true P = Bernoulli(theta*)."""
    theta = domain.array("theta", theta)
    domain.unit("theta_star", theta_star)
    domain.choice("loss", loss, LOSSES)
    if loss == "wasserstein":
        return np.sign(theta - theta_star)
    return 2.0 * (theta - theta_star)


def sample_loss_minimiser(theta_star: float, m: int, loss: str) -> float:
    """The theta that minimises the expected sample loss: where SGD on minibatch losses settles.

    Wasserstein: a median of p_hat (the expected loss is piecewise linear with kinks
    at k/m, so the minimum sits at a kink; the smallest minimiser is returned).
    Cramer: found by numerical minimisation (theory: the mean of p_hat, i.e. theta*).
    """
    domain.unit("theta_star", theta_star)
    domain.count("m", m)
    domain.choice("loss", loss, LOSSES)
    k = np.arange(m + 1)
    weights = binom.pmf(k, m, theta_star)
    p_hat = k / m
    if loss == "cramer":  # minimised numerically, so that "= theta*" is a check, not algebra
        return float(minimize_scalar(lambda t: weights @ (p_hat - t) ** 2, bounds=(0.0, 1.0), method="bounded",
                                     options={"xatol": 1e-12}).x)
    expected = np.abs(p_hat[:, None] - p_hat[None, :]).T @ weights  # E|p_hat - c| at c = k/m
    return float(p_hat[np.argmin(expected)])


def sgd_on_sample_loss(theta_star: float, m: int, loss: str, steps: int, learning_rate: float, n_seeds: int,
                       seed: int | np.random.SeedSequence) -> np.ndarray:
    """Where SGD on the minibatch loss between m draws from Bernoulli(theta*) and Bernoulli(theta) ends.

    One run per seed (vectorised): theta starts at 0.5 and takes steps lr / sqrt(1 + t) along the
    minibatch gradient, kept in [0, 1]; the result is each run's average over its last half of steps.
    """
    domain.unit("theta_star", theta_star)
    domain.count("m", m)
    domain.choice("loss", loss, LOSSES)
    domain.count("steps", steps)
    domain.positive("learning_rate", learning_rate)
    domain.count("n_seeds", n_seeds)
    if not isinstance(seed, np.random.SeedSequence):
        domain.count("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    theta = np.full(n_seeds, 0.5)
    tail = np.zeros(n_seeds)
    for t in range(steps):
        p_hat = rng.binomial(m, theta_star, size=n_seeds) / m
        grad = np.sign(theta - p_hat) if loss == "wasserstein" else 2.0 * (theta - p_hat)
        theta = np.clip(theta - learning_rate / np.sqrt(1.0 + t) * grad, 0.0, 1.0)
        if t >= steps // 2:
            tail += theta
    return tail / (steps - steps // 2)
