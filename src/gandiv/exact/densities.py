"""Known densities P and Q: Gaussians, Gaussian mixtures, the Swiss roll, discrete laws.

Every continuous density is a Gaussian mixture under the hood (a Gaussian is a
one-component mixture), so `log_prob`, `sample`, the quadrature grid and the
closed forms all work on one representation. Points are arrays of shape (n, d).
Constructors check their parameters (`gandiv.exact.domain`, the rules the config
validator applies) and raise a ValueError (`DomainError`) naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import logsumexp

from gandiv.exact import domain

LOG_2PI = np.log(2.0 * np.pi)


@dataclass(frozen=True)
class GaussianMixture:
    """Mixture of full-covariance Gaussians in d dimensions (d = 1 or 2 here).

    Domain (`domain.mixture`): weights (k,) finite, >= 0, summing to 1 within
    WEIGHT_TOL; means (k, d) finite; covariances (k, d, d) finite, symmetric,
    positive definite; otherwise ValueError. Zero-weight components carry no
    mass and are dropped, so a mixture with one positive weight is a Gaussian.
    """

    weights: np.ndarray  # (k,)
    means: np.ndarray  # (k, d)
    covariances: np.ndarray  # (k, d, d)

    def __post_init__(self):
        weights, means, covariances = domain.mixture(self.weights, self.means, self.covariances)
        if not (weights > 0).all():
            keep = weights > 0
            weights, means, covariances = weights[keep], means[keep], covariances[keep]
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "covariances", covariances)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def n_components(self) -> int:
        return len(self.weights)

    def component_log_probs(self, x: np.ndarray) -> np.ndarray:
        """log N(x; mu_k, Sigma_k) for every point and component, shape (n, k)."""
        x = np.asarray(x, dtype=float).reshape(-1, self.dim)
        chol = np.linalg.cholesky(self.covariances)  # (k, d, d)
        diff = x[:, None, :] - self.means[None, :, :]  # (n, k, d)
        # Solve L_k y = diff_k by forward substitution, one call per component over all points (a batched
        # np.linalg.solve makes one LAPACK call per point and component: ~30x slower on the exact stage's grids).
        y = np.stack([solve_triangular(chol[k], diff[:, k, :].T, lower=True, check_finite=False).T
                      for k in range(self.n_components)], axis=1)
        log_det = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        return -0.5 * (np.sum(y * y, axis=-1) + log_det + self.dim * LOG_2PI)

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log density at each point, shape (n,)."""
        return logsumexp(self.component_log_probs(x) + np.log(self.weights), axis=1)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n independent draws, shape (n, d)."""
        comp = rng.choice(self.n_components, size=n, p=self.weights)
        chol = np.linalg.cholesky(self.covariances)
        noise = rng.standard_normal((n, self.dim))
        return self.means[comp] + np.einsum("nij,nj->ni", chol[comp], noise)

    def mean(self) -> np.ndarray:
        return self.weights @ self.means

    def covariance(self) -> np.ndarray:
        """Covariance of the mixture (the moment-matching, i.e. KL[P||Q], Gaussian)."""
        mu = self.mean()
        centred = self.means - mu
        return np.einsum("k,kij->ij", self.weights, self.covariances) + np.einsum(
            "k,ki,kj->ij", self.weights, centred, centred
        )

    def bounds(self, halfwidth_sd: float) -> np.ndarray:
        """Per-axis box [low, high] holding every component to `halfwidth_sd` sds, shape (d, 2)."""
        sds = np.sqrt(np.diagonal(self.covariances, axis1=1, axis2=2))
        return np.stack(
            [(self.means - halfwidth_sd * sds).min(axis=0), (self.means + halfwidth_sd * sds).max(axis=0)],
            axis=1,
        )

    def min_sd(self) -> float:
        """Smallest standard deviation along any principal axis of any component."""
        return float(np.sqrt(np.linalg.eigvalsh(self.covariances).min()))


def gaussian(mean, covariance) -> GaussianMixture:
    """A single Gaussian N(mean, covariance); scalars give a 1-D Gaussian.

    Domain (`domain.gaussian`): a finite mean (a number or a d-vector) and a finite,
    symmetric, positive-definite d x d covariance (a number if d = 1); otherwise ValueError.
    """
    mean, covariance = domain.gaussian(mean, covariance)
    return GaussianMixture(np.ones(1), mean[None], covariance[None])


def is_gaussian(density: GaussianMixture) -> bool:
    return density.n_components == 1


def theis2016_mixture(seed: int = 22, n_components: int = 10) -> GaussianMixture:
    """The 2-D mixture of Huszár (2015) Fig. 1, drawn as in the software of Theis et al. (2016).

    Draw order matters: weights, then variances, then a 100 x k matrix of means
    whose rows 0 and 1 are the x and y coordinates. seed: an integer in [0, 2**32 - 1];
    n_components: an integer >= 1 (ValueError otherwise).
    """
    domain.theis2016(seed, n_components)
    rs = np.random.RandomState(seed)
    weights = rs.dirichlet([0.5] * n_components)
    variances = 1.0 / (rs.rand(n_components) + 1.0) ** 2
    means = rs.randn(100, n_components) * 1.5
    covariances = variances[:, None, None] * np.eye(2)[None]
    return GaussianMixture(weights, means[:2].T, covariances)


def swiss_roll(n_components: int, turns: float, radius: tuple[float, float], sd: float) -> GaussianMixture:
    """Analytic Swiss roll: equal-weight isotropic Gaussians on the spiral r(t) = r0 + (r1 - r0) t.

    The density is exact (a mixture), so exact divergences exist for it. Domain
    (`domain.swiss_roll`): n_components an integer >= 1; turns, sd finite > 0;
    radius (r0, r1) with 0 < r0 < r1 (ValueError otherwise).
    """
    domain.swiss_roll(n_components, turns, radius, sd)
    t = np.linspace(0.0, 1.0, n_components)
    angle = 2.0 * np.pi * turns * t
    r = radius[0] + (radius[1] - radius[0]) * t
    means = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    covariances = np.full(n_components, sd**2)[:, None, None] * np.eye(2)[None]
    return GaussianMixture(np.full(n_components, 1.0 / n_components), means, covariances)


@dataclass(frozen=True)
class Discrete:
    """A law on finitely many points of the real line.

    Domain (`domain.discrete_law`): support and probs 1-D, finite, of one length; probs
    >= 0 summing to 1 within WEIGHT_TOL; otherwise ValueError. The support is stored
    sorted (log_prob looks points up by binary search) with duplicate points merged,
    their probabilities summed: the law is the same.
    """

    support: np.ndarray
    probs: np.ndarray

    def __post_init__(self):
        support, probs = domain.discrete_law(self.support, self.probs)
        object.__setattr__(self, "support", support)
        object.__setattr__(self, "probs", probs)

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """log P(X = x) (-inf off the support) for points of shape (n,) or (n, 1)."""
        x = np.asarray(x, dtype=float).reshape(-1)
        idx = np.searchsorted(self.support, x)
        idx = np.clip(idx, 0, len(self.support) - 1)
        hit = self.support[idx] == x
        with np.errstate(divide="ignore"):
            return np.where(hit, np.log(self.probs[idx]), -np.inf)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.choice(self.support, size=n, p=self.probs)


def ring_of_gaussians(n_modes: int, radius: float, sd: float) -> GaussianMixture:
    """Equal-weight isotropic Gaussians evenly spaced on a circle (the WGAN-GP paper's "8 Gaussians").

    n_modes: an integer >= 1; radius, sd: finite > 0 (ValueError otherwise).
    """
    domain.ring(n_modes, radius, sd)
    angle = 2.0 * np.pi * np.arange(n_modes) / n_modes
    means = radius * np.column_stack([np.cos(angle), np.sin(angle)])
    return GaussianMixture(np.full(n_modes, 1.0 / n_modes), means, np.tile(sd**2 * np.eye(2), (n_modes, 1, 1)))


def grid_of_gaussians(n_per_side: int, spacing: float, sd: float) -> GaussianMixture:
    """Equal-weight isotropic Gaussians on a centred square grid (the WGAN-GP paper's "25 Gaussians").

    n_per_side: an integer >= 1; spacing, sd: finite > 0 (ValueError otherwise).
    """
    domain.grid(n_per_side, spacing, sd)
    ticks = spacing * (np.arange(n_per_side) - (n_per_side - 1) / 2.0)
    means = np.array([[x, y] for x in ticks for y in ticks])
    n = len(means)
    return GaussianMixture(np.full(n, 1.0 / n), means, np.tile(sd**2 * np.eye(2), (n, 1, 1)))


class TargetKind(str, Enum):
    """Target families a config can name (`targets.<name>.kind`), each built by `target_from_config`."""

    GAUSSIAN_MIXTURE = "gaussian_mixture"  # weights, means, covariances in 1 or 2 dimensions
    GAUSSIAN = "gaussian"  # mean, covariance
    THEIS2016_MIXTURE = "theis2016_mixture"  # `theis2016_mixture(seed)`
    SWISS_ROLL = "swiss_roll"  # `swiss_roll`
    RING_OF_GAUSSIANS = "ring_of_gaussians"  # `ring_of_gaussians`
    GRID_OF_GAUSSIANS = "grid_of_gaussians"  # `grid_of_gaussians`


def target_dim(target: dict) -> int:
    """Dimension d of a (validated) target's config entry, without building its density."""
    if target["kind"] == TargetKind.GAUSSIAN_MIXTURE:
        return len(target["means"][0])
    if target["kind"] == TargetKind.GAUSSIAN:
        return len(target["mean"])
    return 2  # theis2016_mixture, swiss_roll, ring_of_gaussians, grid_of_gaussians


def target_from_config(spec: dict) -> GaussianMixture:
    """Build a target P from its config entry; an unknown kind or parameters outside their domain raise ValueError."""
    kind = spec["kind"]
    if kind == TargetKind.GAUSSIAN_MIXTURE:
        return GaussianMixture(spec["weights"], spec["means"], spec["covariances"])
    if kind == TargetKind.GAUSSIAN:
        return gaussian(spec["mean"], spec["covariance"])
    if kind == TargetKind.THEIS2016_MIXTURE:
        return theis2016_mixture(spec["seed"])
    if kind == TargetKind.SWISS_ROLL:
        return swiss_roll(spec["n_components"], spec["turns"], tuple(spec["radius"]), spec["sd"])
    if kind == TargetKind.RING_OF_GAUSSIANS:
        return ring_of_gaussians(spec["n_modes"], spec["radius"], spec["sd"])
    if kind == TargetKind.GRID_OF_GAUSSIANS:
        return grid_of_gaussians(spec["n_per_side"], spec["spacing"], spec["sd"])
    raise ValueError(f"unknown target kind {kind!r}; allowed: " + ", ".join(k.value for k in TargetKind))
