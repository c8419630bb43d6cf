"""How a 1-D Gaussian generator's training ends: the one definition of "converges" and "rate" of the dynamics figures.

The d-steps, nonsaturating-speed and pi-convergence figures (`gandiv.gan.dynamics`) train Gaussian generators
Q = N(m, s^2) on a 1-D Gaussian target P = N(mu, sigma^2). The Gaussian family holds P, so at Q = P the ideal
discriminator's logit log(pi / (1 - pi)) is constant and every rule's generator field (`gandiv.update_rules.
stationary`: F = E_Q[score * loss(a*)] = loss * E_Q[score] = 0) vanishes: theta* = (mu, sigma) is the stationary
point of every update rule at every pi, known exactly (`stationary_point`).

A run's parameters theta_k = (m_k, s_k) at its snapshot steps t_k are read off its fixed-noise snapshots
(x = m + s z exactly, `parameters`). Its distance from theta* is d_k = max(|m_k - mu|, |s_k - sigma|) / sigma
(target scales). With the tolerance `tol` (`dynamics.stationary_tol`) and the project's convergence window
(`window` = `gan.evaluation.convergence.window_steps`), each run has one OUTCOME, decided in this order:

  diverged     training blew up (a non-finite value: the recorder's diverged flag), or d_k exceeded
               BLOWUP * max(d_0, 1) (the generator ran away)
  converged    d_k <= tol at every snapshot from some step T on, with T at least `window` steps before the last
               snapshot; T, the first such step, is the run's steps to tolerance: its **rate** (fewer is faster)
  oscillating  in the final window d rose by more than tol above its running minimum (it went away from theta*
               after being nearer, or drifted away)
  travelling   in the final window d fell by more than tol and never rose by more than tol (still approaching,
               too slowly for the budget)
  stalled      the rest: d changed by at most tol in the final window without staying within tol through it (a
               saturated discriminator's dead gradient, a point that is not stationary for the ideal one, or an
               arrival too late to count)

"Converged" is thus the project's criterion (the generator stays put over the last window, `gandiv.gan.convergence`)
plus "at the point its rule aims at". A run that did not converge has no steps to tolerance (NaN); comparisons of
rates treat it as slower than every converged run (`censored_steps`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OUTCOMES = ("converged", "oscillating", "travelling", "stalled", "diverged")
UNSTABLE = ("oscillating", "diverged")  # what "the algorithm is unstable" counts
BLOWUP = 10.0  # a generator farther than this many times its start distance (at least 1 target scale) ran away


@dataclass(frozen=True)
class Outcome:
    """One run's outcome: `outcome` (one of OUTCOMES), `steps_to_tol` (steps; NaN unless converged), the start and
    final distances from theta* (target scales), the largest rise of the distance above its running minimum in the
    final window and the distance's fall over that window (target scales)."""

    outcome: str
    steps_to_tol: float
    start_distance: float
    final_distance: float
    window_rise: float
    window_fall: float


def stationary_point(target) -> np.ndarray:
    """theta* = (mean, sd) of a 1-D Gaussian target (x units): where every rule's generator stops at every pi
    (module docstring). ValueError for a target that is not one 1-D Gaussian (then theta* is not known in closed
    form: it depends on the rule and pi, `gandiv.update_rules.stationary`)."""
    if target.dim != 1 or len(target.weights) != 1:
        raise ValueError(f"theta* is known exactly only for one 1-D Gaussian target; got {len(target.weights)} "
                         f"component(s) in {target.dim}-D")
    return np.array([float(target.means[0, 0]), float(np.sqrt(target.covariances[0, 0, 0]))])


def parameters(samples: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """(K, 2) parameters (m, s) of a 1-D Gaussian generator x = m + s z at K snapshots, x units.

    samples: (K, n, 1) the generator's outputs at the fixed noise; noise: (n, 1) that noise. Least squares of x on
    [1, z] (exact up to float32 rounding, since the generator is affine in z). ValueError on other shapes.
    """
    samples, noise = np.asarray(samples, float), np.asarray(noise, float)
    if samples.ndim != 3 or samples.shape[2] != 1 or noise.shape != (samples.shape[1], 1):
        raise ValueError(f"need samples (K, n, 1) and noise (n, 1); got {samples.shape} and {noise.shape}")
    design = np.column_stack([np.ones(len(noise)), noise[:, 0]])
    coefficients, *_ = np.linalg.lstsq(design, samples[:, :, 0].T, rcond=None)
    return coefficients.T


def distances(theta: np.ndarray, theta_star: np.ndarray) -> np.ndarray:
    """(K,) distances max(|m - mu|, |s - sigma|) / sigma of parameters theta (K, 2) from theta* (target scales)."""
    return np.max(np.abs(np.asarray(theta, float) - theta_star), axis=1) / theta_star[1]


def classify(steps: np.ndarray, distance: np.ndarray, diverged: bool, tol: float, window: int) -> Outcome:
    """A run's Outcome (module docstring) from its snapshot steps (K,) (0 first, increasing) and its distances
    (K,) from theta* (target scales). ValueError for fewer than two snapshots, unequal lengths, steps that do not
    increase from 0, or a history shorter than the window (no run could converge in it)."""
    steps, distance = np.asarray(steps, float), np.asarray(distance, float)
    if len(steps) != len(distance) or len(steps) < 2:
        raise ValueError(f"need matching steps and distances, at least two: got {len(steps)} and {len(distance)}")
    if steps[0] != 0 or np.any(np.diff(steps) <= 0):
        raise ValueError("snapshot steps must start at 0 and increase")
    last = steps[-1]
    if last < window:
        raise ValueError(f"{last:.0f} steps of history are shorter than the {window}-step window")
    # the last snapshot at or before the window's start anchors it, as in gandiv.gan.convergence.assess
    before = np.flatnonzero(steps <= last - window)
    anchor = int(before[-1]) if len(before) else 0
    recent = distance[anchor:]
    rise = float(np.max(recent - np.minimum.accumulate(recent)))
    fall = float(recent[0] - recent[-1])
    numbers = {"start_distance": float(distance[0]), "final_distance": float(distance[-1]), "window_rise": rise,
               "window_fall": fall}
    outside = np.flatnonzero(~(distance <= tol))  # NaN counts as outside
    if diverged or not np.all(np.isfinite(distance)) or np.any(distance > BLOWUP * max(distance[0], 1.0)):
        return Outcome("diverged", np.nan, **numbers)
    arrived = outside[-1] + 1 if len(outside) else 0  # first snapshot of the all-within tail (len: none)
    if arrived < len(steps) and steps[arrived] <= last - window:
        return Outcome("converged", float(steps[arrived]), **numbers)
    if rise > tol:
        return Outcome("oscillating", np.nan, **numbers)
    if fall > tol:
        return Outcome("travelling", np.nan, **numbers)
    return Outcome("stalled", np.nan, **numbers)


def censored_steps(outcomes: np.ndarray, steps_to_tol: np.ndarray, budget: int) -> np.ndarray:
    """Steps to tolerance (runs,) with every run whose outcome (runs,) is not converged set to `budget` + 1 (slower
    than any converged run, tied with the others): what rank comparisons of rates read."""
    return np.where(np.asarray(outcomes) == "converged", np.asarray(steps_to_tol, float), budget + 1.0)
