"""When a trained GAN counts as converged: the criterion every GAN verdict filters its runs by.

A run is converged when, over the final `window_steps` steps of its training,
  (i) the generator has stopped moving: every fixed-noise snapshot in the window lies within `generator_tol`
      of the final one, measured as the sliced Wasserstein-1 distance between the two sample sets (the mean,
      over SLICES fixed directions, of the 1-D W1 of the projections; `sliced_w1`), in units of the target's
      scale (sqrt of the mean variance per coordinate of P), and
 (ii) the discriminator's loss is stable: the per-chunk means of its loss in the window span at most
      `discriminator_tol` (nats for the classifier rules; the critic's own units for WGAN objectives), and
(iii) the run did not diverge, and it has at least `window_steps` steps of history.
A run stopped early (diverged, or trained for a fraction of the steps) is still moving and fails (i) or (iii).
The distance is between distributions, not between samples, so a generator that only permutes its samples
(an MLP rotating mass along a ring of modes) counts as still; for a 1-D Gaussian generator it is the W1
distance of N(m, s^2) and N(m', s'^2) on the fixed noise, between max(|dm|, 0.8|ds|) and |dm| + 0.8|ds|
(0.8 = E|z|): a parameter distance, so (i) says "the parameters move less than a tolerance".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import wasserstein_distance

SLICES = 32  # directions of the sliced W1 in 2-D and above (half-circle angles in 2-D, fixed random beyond)


@dataclass(frozen=True)
class Criterion:
    """The convergence criterion's settings (`gan.evaluation.convergence` and the zoo's).

    window_steps: length of the final window (steps); generator_tol: largest sliced W1 distance of a fixed-noise
    snapshot in the window from the final one (target scales); discriminator_tol: largest spread
    (max - min) of the discriminator's per-chunk mean loss within the window.
    """

    window_steps: int
    generator_tol: float
    discriminator_tol: float

    @classmethod
    def from_settings(cls, settings) -> Criterion:
        """From a validated `convergence` config section."""
        return cls(int(settings["window_steps"]), float(settings["generator_tol"]),
                   float(settings["discriminator_tol"]))


def target_scale(target) -> float:
    """sqrt of P's mean variance per coordinate (x units): the length every drift is measured in."""
    return float(np.sqrt(np.trace(target.covariance()) / target.dim))


def slice_directions(dim: int) -> np.ndarray:
    """(S, dim) unit directions of the sliced W1: the axis in 1-D, SLICES equally spaced angles in [0, pi) in 2-D,
    SLICES fixed (seed 0) random directions beyond."""
    if dim == 1:
        return np.ones((1, 1))
    if dim == 2:
        angles = np.pi * np.arange(SLICES) / SLICES
        return np.stack([np.cos(angles), np.sin(angles)], axis=1)
    directions = np.random.default_rng(0).standard_normal((SLICES, dim))
    return directions / np.linalg.norm(directions, axis=1, keepdims=True)


def sliced_w1(a: np.ndarray, b: np.ndarray) -> float:
    """Sliced Wasserstein-1 distance between two sample sets a (n, d) and b (m, d), x units: the mean over
    `slice_directions(d)` of the 1-D W1 of the projections (scipy.stats.wasserstein_distance). Bonneel et al.
    (2015), "Sliced and Radon Wasserstein barycenters of measures"."""
    return float(np.mean([wasserstein_distance(a @ u, b @ u) for u in slice_directions(a.shape[1])]))


def assess(snapshot_steps: np.ndarray, snapshots: np.ndarray, history_steps: np.ndarray, d_loss: np.ndarray,
           scale: float, diverged: bool, criterion: Criterion) -> dict:
    """Whether one run converged, with the numbers that decide it.

    snapshot_steps: (K,) steps of the fixed-noise snapshots (0 first); snapshots: (K, n, d) samples at those
    steps; history_steps, d_loss: (C,) the end step of every chunk and the discriminator's mean loss over it;
    scale: target_scale(P). Returns converged (bool), generator_drift (target scales; over the whole history if it
    is shorter than the window), d_loss_spread, window (steps the window covers) and reason (why not converged;
    "" if it is).
    """
    snapshot_steps, history_steps = np.asarray(snapshot_steps), np.asarray(history_steps)
    last = int(snapshot_steps[-1])
    start = last - criterion.window_steps
    in_window = snapshot_steps >= start
    samples = np.asarray(snapshots, float)
    # the earliest snapshot at or before the window's start anchors it, so the window is never shorter; a history
    # shorter than the window is measured whole (and fails (iii) anyway)
    first = int(np.flatnonzero(snapshot_steps <= start)[-1]) if start >= 0 else 0
    drift = max((sliced_w1(snapshot, samples[-1]) for snapshot in samples[first:-1]), default=0.0) / scale
    losses = np.asarray(d_loss, float)[(history_steps > max(start, 0)) | (history_steps == last)]
    spread = float(np.ptp(losses)) if len(losses) and np.all(np.isfinite(losses)) else float("nan")
    reasons = []
    if diverged:
        reasons.append("diverged")
    if start < 0:
        reasons.append(f"{last} steps of history, fewer than the {criterion.window_steps}-step window")
    elif not drift <= criterion.generator_tol:
        reasons.append(f"generator moved {drift:.3g} target scales in the last {criterion.window_steps} steps "
                       f"(tolerance {criterion.generator_tol:g})")
    if start >= 0 and not spread <= criterion.discriminator_tol:
        reasons.append(f"discriminator loss spans {spread:.3g} over the window (tolerance "
                       f"{criterion.discriminator_tol:g})")
    return {"converged": not reasons, "generator_drift": drift, "d_loss_spread": spread,
            "window": int(min(criterion.window_steps, last)), "snapshots_in_window": int(in_window.sum()),
            "reason": "; ".join(reasons)}
