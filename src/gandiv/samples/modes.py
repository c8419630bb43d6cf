"""Mode coverage of samples from a mixture of well-separated isotropic Gaussians (mode-collapse tests).

Following the WGAN-GP/unrolled-GAN toy experiments: a sample is high quality if it
lies within 3 standard deviations of some component's mean; a mode is covered if at
least `min_share` of all samples are high-quality samples assigned to it.
"""

from __future__ import annotations

import numpy as np

from gandiv.exact.densities import GaussianMixture


def nearest_mode(samples: np.ndarray, target: GaussianMixture) -> tuple[np.ndarray, np.ndarray]:
    """Index of each sample's nearest component mean and its distance in that component's standard deviations."""
    samples = np.asarray(samples, dtype=float).reshape(len(samples), -1)
    sds = np.sqrt(np.array([np.diag(c).mean() for c in target.covariances]))
    distance = np.linalg.norm(samples[:, None, :] - target.means[None, :, :], axis=2) / sds[None, :]
    nearest = np.argmin(distance, axis=1)
    return nearest, distance[np.arange(len(samples)), nearest]


def high_quality_share(samples: np.ndarray, target: GaussianMixture, n_sd: float = 3.0) -> float:
    """Share of samples within n_sd standard deviations of some component's mean."""
    _, distance = nearest_mode(samples, target)
    return float(np.mean(distance <= n_sd))


def modes_covered(samples: np.ndarray, target: GaussianMixture, min_share: float, n_sd: float = 3.0) -> int:
    """Number of components that receive at least `min_share` of the samples as high-quality samples."""
    nearest, distance = nearest_mode(samples, target)
    counts = np.bincount(nearest[distance <= n_sd], minlength=len(target.weights))
    return int(np.sum(counts >= min_share * len(samples)))
