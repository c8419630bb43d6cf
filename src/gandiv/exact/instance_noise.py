"""What instance noise does to the JS_pi path, exactly: the `instance-noise` figure's model.

Instance noise of scale sigma adds N(0, sigma^2 I) to real and generated samples before the discriminator sees them
(Sønderby et al. 2016). With an ideal discriminator the minimax generator then minimises
JS_pi[P_sigma || Q_sigma] (the note, eq. 12, on the smoothed pair), where P_sigma = P * N(0, sigma^2 I) is again a
mixture (every covariance plus sigma^2 I: `line_gaussian.smoothed_target`) and Q_sigma = N(m, (s^2 + sigma^2) I) for
the generator N(m, s^2 I). So the smoothed fit is an exact fit of P_sigma by the family of Gaussians whose variance is
at least sigma^2 (`SmoothedFamily`), and its path over pi with every branch of local minima is `pi_path`'s.
`noise_paths` sweeps sigma; `merge_point` finds where the jump of the global minimiser between the two branches
ends (the two minima and the saddle between them meet: a cusp in the (pi, sigma) plane).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gandiv.exact import domain
from gandiv.exact.densities import LOG_2PI, GaussianMixture, gaussian
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.line_gaussian import smoothed_target
from gandiv.exact.pi_path import find_crossings, local_minima_path, path_table


@dataclass(frozen=True)
class SmoothedFamily(GaussianFamily):
    """Isotropic Gaussians N(m, s^2 I), theta = (m, log s), seen through instance noise: density
    N(m, (s^2 + noise_sd^2) I). noise_sd >= 0 (x units); noise_sd = 0 is the isotropic family itself."""

    noise_sd: float = 0.0

    def __post_init__(self):
        super().__post_init__()
        if self.kind is not Family.ISOTROPIC and self.dim > 1:
            raise domain.DomainError("kind", f"got {self.kind.value} in {self.dim} dimensions",
                                     "isotropic (instance noise is isotropic)")
        if not (np.isfinite(self.noise_sd) and self.noise_sd >= 0):
            raise domain.DomainError("noise_sd", f"got {self.noise_sd!r}", "a finite number >= 0")

    def variance(self, theta: np.ndarray) -> float:
        """s^2 + noise_sd^2: the smoothed generator's variance per axis."""
        return float(np.exp(2 * np.asarray(theta, float)[self.dim]) + self.noise_sd**2)

    def density(self, theta: np.ndarray) -> GaussianMixture:
        """Q_sigma = N(m, (s^2 + sigma^2) I)."""
        theta = domain.array("theta", theta, ndim=1)
        if len(theta) != self.dim + 1:
            raise domain.DomainError("theta", f"has {len(theta)} entries", f"{self.dim + 1} finite numbers")
        return gaussian(theta[: self.dim], self.variance(theta) * np.eye(self.dim))

    def generator(self, theta: np.ndarray) -> GaussianMixture:
        """The generator itself, N(m, s^2 I), before the noise."""
        return gaussian(theta[: self.dim], np.exp(2 * theta[self.dim]) * np.eye(self.dim))

    def log_prob_and_score_by_coordinate(self, theta: np.ndarray, coords: np.ndarray):
        """log q_sigma at points (d, n), shape (n,), and its gradient in theta = (m, log s), shape (d + 1, n):
        d/dm = (x - m) / v, d/dlog s = 2 s^2 (|x - m|^2 / (2 v^2) - d / (2 v)) with v = s^2 + sigma^2."""
        theta = np.asarray(theta, dtype=float)
        s2 = np.exp(2 * theta[self.dim])
        v = s2 + self.noise_sd**2
        r = coords - theta[: self.dim, None]
        squared = np.einsum("in,in->n", r, r)
        log_q = -0.5 * squared / v - 0.5 * self.dim * (np.log(v) + LOG_2PI)
        scale_score = 2 * s2 * (squared / (2 * v * v) - self.dim / (2 * v))
        return log_q, np.concatenate([r / v, scale_score[None]], axis=0)


def smoothed_problem_parts(target: GaussianMixture, sigma: float) -> tuple[GaussianMixture, SmoothedFamily]:
    """(P_sigma, the smoothed family): what the discriminator sees of P, and of the generators, at noise sigma."""
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    seen = smoothed_target(target, sigma) if sigma > 0 else target
    return seen, SmoothedFamily(target.dim, Family.ISOTROPIC, float(sigma))


def noise_path(target: GaussianMixture, sigma: float, pis: np.ndarray, n_starts: int, seed: int,
               max_iter: int = 1000, quad: dict | None = None) -> tuple[pd.DataFrame, list]:
    """Every local minimum of JS_pi[P_sigma || Q_sigma] over the generator N(m, s^2 I) at each pi (`pi_path`):
    the tidy path table (mean_i and `scale` are the generator's, before the noise; js_pi in nats with its error
    estimate) and the crossings (`pi_path.Crossing`) where the global minimiser jumps."""
    seen, family = smoothed_problem_parts(target, sigma)
    minima = local_minima_path(seen, family, pis, n_starts, seed, max_iter, quad)
    table = path_table(seen, "", family, minima, quad).drop(columns="target")
    table["scale"] = [float(np.exp(m.theta[family.dim])) for found in minima.values() for m in found]
    return table.assign(sigma=float(sigma)), find_crossings(seen, family, pis, minima, max_iter, quad)


def bistable(table: pd.DataFrame) -> np.ndarray:
    """The pi values of a path table (`noise_path`) with more than one local minimum, sorted."""
    counts = table.groupby("pi").size()
    return np.sort(counts[counts > 1].index.to_numpy(float))


def merge_point(target: GaussianMixture, below: float, above: float, pis: np.ndarray, n_starts: int, seed: int,
                tol: float = 1e-3, max_iter: int = 1000, quad: dict | None = None) -> dict:
    """Where the two branches merge: the noise scale above which JS_pi[P_sigma || Q_sigma] has one local minimum at
    every pi of the grid, by bisection between `below` (some pi has two) and `above` (none has), to `tol` (x units).
    Returns the final bracket and, at its lower end, the bistable pi range and the jump of the global minimiser
    (pi_c and its size in x units; NaN where it does not jump there). ValueError if the bracket does not hold."""
    def look(sigma):
        table, crossings = noise_path(target, sigma, pis, n_starts, seed, max_iter, quad)
        return bistable(table), max(crossings, key=lambda c: c.jump) if crossings else None

    low, high = look(below), look(above)
    if not len(low[0]) or len(high[0]):
        raise ValueError(f"no merge between sigma = {below} ({len(low[0])} bistable pi) and {above} "
                         f"({len(high[0])} bistable pi)")
    while above - below > tol:
        middle = 0.5 * (below + above)
        seen = look(middle)
        if len(seen[0]):
            below, low = middle, seen
        else:
            above = middle
    pis_two, jump = low
    return {"sigma_below": below, "sigma_above": above, "bistable_pi_min": float(pis_two.min()),
            "bistable_pi_max": float(pis_two.max()), "jump_pi": jump.pi if jump else float("nan"),
            "jump": jump.jump if jump else float("nan")}
