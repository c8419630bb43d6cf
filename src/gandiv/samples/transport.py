"""Wasserstein-1 between two samples by optimal transport (the POT library), and how far it is from W1 between the
laws they are drawn from.

`ot_w1` solves the transport problem between two equal-size samples exactly (POT's network simplex, `ot.emd2`,
Euclidean cost): W1 between their empirical laws, an estimate of W1 between the laws (biased upwards: an empirical
law is rougher than its parent). `ot_sweep` measures that bias and the sampling spread over sample sizes, so every
OT number can carry an error. Used by critic-w1 and manifold-q.
"""

from __future__ import annotations

import os

import numpy as np

OT_REPEATS = 4  # disjoint subsamples per size of the sweep: their spread is the estimate's sampling error


def _ot():
    """The POT library, without the array backends it would otherwise import (TensorFlow, PyTorch, JAX, CuPy: POT's
    documented switches), which a figure job's environment lacks and NumPy arrays do not need."""
    for backend in ("TENSORFLOW", "PYTORCH", "JAX", "CUPY"):
        os.environ.setdefault(f"POT_BACKEND_DISABLE_{backend}", "1")
    import ot

    return ot


def ot_w1(x: np.ndarray, y: np.ndarray) -> float:
    """The optimal-transport cost between two equal-size samples under the Euclidean distance (POT's `emd2`):
    W1 between their empirical laws, an estimate of W1 between the laws they are drawn from."""
    ot = _ot()

    cost = ot.dist(x.astype(float), y.astype(float), metric="euclidean")
    weights = np.full(len(x), 1.0 / len(x))
    value, log = ot.emd2(weights, weights, cost, numItermax=10_000_000, log=True)
    if log.get("warning"):  # e.g. the iteration limit: the cost is not the optimum
        raise RuntimeError(f"optimal transport of {len(x)} points did not finish: {log['warning']}")
    return float(value)


def sweep_sizes(n_max: int, n_ot: int) -> list[int]:
    """The sample sizes of the sweep: n_max, n_max/2, n_max/4, ... down to 32, and the size used through training."""
    return sorted({n_max // 2**k for k in range(12) if n_max // 2**k >= 32} | {min(n_ot, n_max)})


def ot_sweep(samples: np.ndarray, reference: np.ndarray, n_ot: int) -> dict:
    """The OT estimate of W1 over sample sizes, at one snapshot; what its error at n_ot is.

    At each size n, the mean over up to OT_REPEATS disjoint subsamples (generator's and P's paired) and their
    spread (standard error). The estimate's bias shrinks like n^(-1/2) in 2-D (Fournier & Guillin 2015), so the
    means are fitted as W(n) = W_inf + c n^(-1/2) (least squares); the error at n_ot is the fitted bias c n_ot^(-1/2)
    plus the standard error there plus the fit's largest residual. Returns {"sizes": {n: (mean, standard error)},
    "w_inf", "bias_coefficient", "error_at_n_ot"}."""
    sizes = {}
    for n in sweep_sizes(len(samples), n_ot):
        repeats = max(1, min(OT_REPEATS, len(samples) // n))
        values = [ot_w1(samples[k * n:(k + 1) * n], reference[k * n:(k + 1) * n]) for k in range(repeats)]
        sizes[n] = (float(np.mean(values)), float(np.std(values, ddof=1) / np.sqrt(repeats)) if repeats > 1
                    else np.inf)
    ns = np.array(sorted(sizes), dtype=float)
    means = np.array([sizes[int(n)][0] for n in ns])
    design = np.column_stack([np.ones_like(ns), ns ** -0.5])
    (w_inf, coefficient), *_ = np.linalg.lstsq(design, means, rcond=None)
    residual = float(np.max(np.abs(design @ [w_inf, coefficient] - means))) if len(ns) > 2 else np.inf
    n = min(n_ot, len(samples))
    error = abs(coefficient) * n ** -0.5 + sizes[n][1] + residual
    return {"sizes": sizes, "w_inf": float(w_inf), "bias_coefficient": float(coefficient), "error_at_n_ot": error}
