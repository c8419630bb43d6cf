"""Gaussian model families Q_theta with unconstrained parameters and analytic scores.

The score d log q(x; theta) / d theta lets every divergence be differentiated
exactly on a quadrature grid: d/dtheta int f(p, q) = int q df/dq * score.
Parameters: the mean, then log-scales (isotropic: one; diagonal: one per axis;
full: the Cholesky factor L of Sigma = L L^T with log-diagonal).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from gandiv.exact import domain
from gandiv.exact.densities import LOG_2PI, GaussianMixture, gaussian


class Family(str, Enum):
    ISOTROPIC = "isotropic"
    DIAGONAL = "diagonal"
    FULL = "full"


@dataclass(frozen=True)
class GaussianFamily:
    """A Gaussian family in `dim` dimensions with a given covariance structure.

    dim: an integer >= 1; kind: a `Family` member (ValueError otherwise).
    """

    dim: int
    kind: Family

    def __post_init__(self):
        domain.count("dim", self.dim)
        if not isinstance(self.kind, Family):
            raise domain.DomainError("kind", f"got {self.kind!r}",
                                     "a Family: " + ", ".join(f"Family.{f.name}" for f in Family))

    @property
    def n_scale(self) -> int:
        return {Family.ISOTROPIC: 1, Family.DIAGONAL: self.dim, Family.FULL: self.dim * (self.dim + 1) // 2}[
            self.kind
        ]

    @property
    def n_params(self) -> int:
        return self.dim + self.n_scale

    def cholesky(self, theta: np.ndarray) -> np.ndarray:
        """Lower-triangular L with Sigma = L L^T."""
        raw = np.asarray(theta, dtype=float)[self.dim :]
        if self.kind is Family.ISOTROPIC:
            return np.exp(raw[0]) * np.eye(self.dim)
        if self.kind is Family.DIAGONAL:
            return np.diag(np.exp(raw))
        chol = np.zeros((self.dim, self.dim))
        chol[np.tril_indices(self.dim)] = raw
        chol[np.diag_indices(self.dim)] = np.exp(np.diag(chol))
        return chol

    def density(self, theta: np.ndarray) -> GaussianMixture:
        """The Gaussian q(.; theta); theta: finite, of length n_params (ValueError otherwise)."""
        theta = domain.array("theta", theta, ndim=1)
        if len(theta) != self.n_params:
            raise domain.DomainError("theta", f"has {len(theta)} entries",
                                     f"{self.n_params} finite numbers (the mean, then {self.n_scale} scale parameters)")
        chol = self.cholesky(theta)
        return gaussian(theta[: self.dim], chol @ chol.T)

    def pack(self, mean: np.ndarray, covariance: np.ndarray) -> np.ndarray:
        """Parameters of the family member closest in form to N(mean, covariance)."""
        mean = np.atleast_1d(np.asarray(mean, dtype=float))
        covariance = np.asarray(covariance, dtype=float).reshape(self.dim, self.dim)
        if self.kind is Family.ISOTROPIC:
            scale = [0.5 * np.log(np.trace(covariance) / self.dim)]
        elif self.kind is Family.DIAGONAL:
            scale = 0.5 * np.log(np.diag(covariance))
        else:
            chol = np.linalg.cholesky(covariance)
            chol[np.diag_indices(self.dim)] = np.log(np.diag(chol))
            scale = chol[np.tril_indices(self.dim)]
        return np.concatenate([mean, scale])

    def log_prob_and_score(self, theta: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log q(x; theta), shape (n,), and its gradient in theta, shape (n, n_params)."""
        log_q, score = self.log_prob_and_score_by_coordinate(theta, np.ascontiguousarray(np.asarray(x).T))
        return log_q, score.T

    def log_prob_and_score_by_coordinate(self, theta: np.ndarray, coords: np.ndarray):
        """As `log_prob_and_score` on points stored as (d, n), returning the score as (n_params, n).

        One contiguous row per coordinate keeps every operation a long vector op,
        several times faster than (n, d) arrays with a short last axis.
        """
        theta = np.asarray(theta, dtype=float)
        chol = self.cholesky(theta)
        chol_inv = np.linalg.inv(chol)  # d x d with d <= 2: cheaper than a solve with n right-hand sides
        y = chol_inv @ (coords - theta[: self.dim, None])  # L^{-1}(x - mu)
        u = chol_inv.T @ y  # Sigma^{-1}(x - mu)
        squared = np.einsum("in,in->n", y, y)
        log_q = -0.5 * squared - np.log(np.diag(chol)).sum() - 0.5 * self.dim * LOG_2PI
        # d log q / dL_ab = u_a y_b - [a == b] / L_aa, for the lower triangle.
        if self.kind is Family.ISOTROPIC:
            scale_score = (squared - self.dim)[None]
        elif self.kind is Family.DIAGONAL:
            scale_score = y * y - 1.0
        else:
            rows, cols = np.tril_indices(self.dim)
            scale_score = u[rows] * y[cols]
            diag = rows == cols
            # chain rule for the log-diagonal: dL_aa / dlog L_aa = L_aa
            scale_score[diag] = scale_score[diag] * np.diag(chol)[rows[diag]][:, None] - 1.0
        return log_q, np.concatenate([u, scale_score], axis=0)
