"""The PRD curve estimated from samples, by compare_gan's method (Sajjadi et al. 2018, sec. 4).

The model's and the data's samples are pooled and cut into `n_clusters` cells by k-means; each side's histogram
over the cells is a discrete distribution, whose PRD curve is exact (`histogram_prd`); the curves of `n_runs`
clusterings with different seeds are averaged. compare_gan uses scikit-learn's MiniBatchKMeans; this uses SciPy's
`kmeans2` (k-means++ starts), so the estimate is compare_gan's in method, not in its random numbers. Its bias is
measured against the exact curve of `gandiv.exact.precision_recall`, not assumed.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.vq import kmeans2

from gandiv.exact.precision_recall import N_ANGLES, PRDCurve, lambdas

N_CLUSTERS, N_RUNS, N_INIT = 20, 10, 10  # compare_gan's defaults (N_INIT: MiniBatchKMeans' n_init)


def histogram_prd(model: np.ndarray, data: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(precision, recall) of a discrete model distribution against a discrete data distribution over the same
    cells (each (k,), summing to 1) at lambdas lam (n,): alpha = sum min(lambda data, model), beta = alpha / lambda
    (compare_gan's `compute_prd`), each (n,)."""
    alpha = np.minimum(lam[:, None] * data[None, :], model[None, :]).sum(axis=1)
    return np.clip(alpha, 0, 1), np.clip(alpha / lam, 0, 1)


def clustering(points: np.ndarray, n_clusters: int, rng: np.random.Generator, n_init: int = N_INIT) -> np.ndarray:
    """Labels (n,) of the best of n_init k-means++ clusterings (least within-cluster sum of squares), as
    MiniBatchKMeans(n_init) keeps its best start."""
    best, labels = np.inf, None
    for _ in range(n_init):
        centres, found = kmeans2(points, n_clusters, minit="++", seed=rng)
        inertia = float(np.sum((points - centres[found]) ** 2))
        if inertia < best:
            best, labels = inertia, found
    return labels


def estimate_prd(model_samples: np.ndarray, data_samples: np.ndarray, rng: np.random.Generator,
                 n_clusters: int = N_CLUSTERS, n_runs: int = N_RUNS, n_angles: int = N_ANGLES) -> PRDCurve:
    """The PRD curve of the model against the data from samples (n, d) and (m, d), averaged over n_runs k-means
    clusterings of the pooled samples (`clustering`, seeds from rng); error NaN (an estimate). ValueError if the sample counts
    differ (compare_gan's enforce_balance: unequal counts bias the histograms) or n_clusters exceeds them."""
    model_samples, data_samples = np.atleast_2d(model_samples), np.atleast_2d(data_samples)
    if len(model_samples) != len(data_samples):
        raise ValueError(f"model and data need equally many samples; got {len(model_samples)} and {len(data_samples)}")
    if not 1 <= n_clusters <= len(data_samples):
        raise ValueError(f"n_clusters must be between 1 and the sample count {len(data_samples)}; got {n_clusters}")
    pooled = np.concatenate([model_samples, data_samples]).astype(float)
    lam = lambdas(n_angles)
    precision, recall = np.zeros(len(lam)), np.zeros(len(lam))
    for _ in range(n_runs):
        labels = clustering(pooled, n_clusters, rng)
        model = np.bincount(labels[: len(model_samples)], minlength=n_clusters) / len(model_samples)
        data = np.bincount(labels[len(model_samples):], minlength=n_clusters) / len(data_samples)
        a, b = histogram_prd(model, data, lam)
        precision += a / n_runs
        recall += b / n_runs
    return PRDCurve(lam, precision, recall, float("nan"))
