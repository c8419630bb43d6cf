"""Divergences of a trained GAN: exact where Q's density is known, estimated always.

Estimates come from the trained discriminator (its logit estimates
log(pi p / ((1-pi) q)), so plug-in values of JS_pi and both KLs follow) and from
samples alone (k-nearest-neighbour KL estimators). Every estimate is stored
beside the exact value with its error.
"""

from __future__ import annotations

import keras
import numpy as np
from scipy.special import log_expit

from . import divergences as dv
from .densities import GaussianMixture
from .knn import knn_kl_both
from .quadrature import Grid, grid_for

EVAL_BATCH = 65536
MASS_TOL = 1e-3  # a flow's density must integrate to 1 within this on the grid for its divergences to count as exact


def model_outputs(fn, x: np.ndarray) -> np.ndarray:
    """Apply a Keras model (or method) to a large array in batches; float64 numpy out."""
    return np.concatenate([keras.ops.convert_to_numpy(fn(x[i:i + EVAL_BATCH].astype("float32"))).astype(float)
                           for i in range(0, len(x), EVAL_BATCH)])


def model_log_density(generator, kind: str, points: np.ndarray) -> np.ndarray | None:
    """log q at points for generators with a density (gaussian, flow); None for the MLP."""
    if kind == "gaussian":
        return generator.density().log_prob(points)
    if kind == "flow":
        return model_outputs(generator.log_prob, points).reshape(-1)
    return None


def evaluation_grid(target: GaussianMixture, generated: np.ndarray, points_per_sd: float = 8.0) -> Grid:
    """A grid over P and over where Q's samples fall (padded), fine enough for P's narrowest component."""
    box = target.bounds(9.0)
    lo = np.minimum(box[:, 0], generated.min(axis=0) - 3 * generated.std(axis=0))
    hi = np.maximum(box[:, 1], generated.max(axis=0) + 3 * generated.std(axis=0))
    return grid_for(target, points_per_sd=points_per_sd, bounds=np.stack([lo, hi], axis=1))


def exact_divergences(target: GaussianMixture, generator, kind: str, pi: float, generated: np.ndarray) -> dict:
    """KL both ways, JS and JS_pi from densities, plus Q's mass on the grid; only the mass if that is not 1."""
    if kind == "gaussian":
        q = generator.density()
        return {"kl_pq": dv.kl_pq(target, q), "kl_qp": dv.kl_qp(target, q), "js": dv.js(target, q),
                "js_pi": dv.js_pi(target, q, pi), "q_mass_on_grid": 1.0}
    grid = evaluation_grid(target, generated)
    log_q = model_log_density(generator, kind, grid.points)
    if log_q is None:
        return {}
    mass = grid.integrate(np.exp(log_q))
    if abs(mass - 1.0) > MASS_TOL:  # the grid does not resolve or cover Q: no number here may be called exact
        return {"q_mass_on_grid": mass}
    log_p = target.log_prob(grid.points)
    return {"kl_pq": dv.kl_on_grid(log_p, log_q, grid), "kl_qp": dv.kl_on_grid(log_q, log_p, grid),
            "js": dv.js_pi_on_grid(log_p, log_q, 0.5, grid), "js_pi": dv.js_pi_on_grid(log_p, log_q, pi, grid),
            "q_mass_on_grid": mass}


def discriminator_estimates(real_logit: np.ndarray, fake_logit: np.ndarray, pi: float) -> dict:
    """Plug-in divergences implied by logit D ~ log(pi p / ((1-pi) q)).

    JS_pi = H(pi) - min weighted cross-entropy; KL[P||Q] = E_P[logit] - log(pi/(1-pi));
    KL[Q||P] = log(pi/(1-pi)) - E_Q[logit].
    """
    prior_logit = np.log(pi) - np.log1p(-pi)
    cross_entropy = -(pi * log_expit(real_logit).mean() + (1 - pi) * log_expit(-fake_logit).mean())
    return {"js_pi": dv.binary_entropy(pi) - cross_entropy, "kl_pq": real_logit.mean() - prior_logit,
            "kl_qp": prior_logit - fake_logit.mean()}


def evaluate_run(target: GaussianMixture, model, kind: str, pi: float, n_samples: int, knn_k: int,
                 rng: np.random.Generator) -> list[dict]:
    """Tidy rows (quantity, method, value, exact, error) for one trained GAN; `rng` is the run's `evaluation` stream."""
    real = target.sample(n_samples, rng)
    noise = rng.standard_normal((n_samples, model.latent_dim))
    fake = model_outputs(model.generator, noise)
    exact = exact_divergences(target, model.generator, kind, pi, fake)
    estimates = {
        "discriminator": discriminator_estimates(model_outputs(model.discriminator, real)[:, 0],
                                                 model_outputs(model.discriminator, fake)[:, 0], pi),
        "knn": knn_kl_both(real, fake, k=knn_k),
    }
    rows = [{"quantity": name, "method": "exact", "value": value, "exact": value, "error": 0.0}
            for name, value in exact.items()]
    for method, values in estimates.items():
        for name, value in values.items():
            truth = exact.get(name, np.nan)
            rows.append({"quantity": name, "method": method, "value": float(value), "exact": truth,
                         "error": float(value) - truth})
    if kind == "gaussian":  # the fitted parameters, for comparison with the theory's stationary points
        q = model.generator.density()
        rows += [{"quantity": f"generator_mean_{i}", "method": "parameters", "value": float(v), "exact": np.nan,
                  "error": np.nan} for i, v in enumerate(q.means[0])]
        rows += [{"quantity": f"generator_cov_{i}{j}", "method": "parameters", "value": float(q.covariances[0, i, j]),
                  "exact": np.nan, "error": np.nan} for i in range(q.dim) for j in range(q.dim) if j >= i]
    rows += [{"quantity": f"sample_mean_{i}", "method": "samples", "value": float(v), "exact": float(m),
              "error": float(v - m)} for i, (v, m) in enumerate(zip(fake.mean(axis=0), target.mean()))]
    return rows
