"""Maximum likelihood from samples by minibatch Adam, with the family's analytic score.

This is the lecture's 'fit a 2-D correlated Gaussian by minimising KL from
samples': the gradient of the mean negative log-likelihood is minus the mean
score over the minibatch.
"""

from __future__ import annotations

import numpy as np

from gandiv.exact.families import GaussianFamily


def adam_maximum_likelihood(samples: np.ndarray, family: GaussianFamily, theta0: np.ndarray, steps: int,
                            batch_size: int, learning_rate: float, rng: np.random.Generator,
                            record_every: int = 10) -> list[tuple[int, np.ndarray]]:
    """Minibatch Adam on the negative log-likelihood; returns (step, theta) every `record_every` steps."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    theta = np.array(theta0, dtype=float)
    first, second = np.zeros_like(theta), np.zeros_like(theta)
    trajectory = [(0, theta.copy())]
    for step in range(1, steps + 1):
        batch = samples[rng.integers(0, len(samples), size=batch_size)]
        _, score = family.log_prob_and_score(theta, batch)
        grad = -score.mean(axis=0)
        first = beta1 * first + (1 - beta1) * grad
        second = beta2 * second + (1 - beta2) * grad**2
        theta -= learning_rate * (first / (1 - beta1**step)) / (np.sqrt(second / (1 - beta2**step)) + eps)
        if step % record_every == 0 or step == steps:
            trajectory.append((step, theta.copy()))
    return trajectory
