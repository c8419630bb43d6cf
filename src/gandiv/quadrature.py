"""Uniform 1-D/2-D quadrature grids chosen from the densities' extent.

For smooth, rapidly decaying integrands the trapezoid rule on a uniform grid
converges exponentially fast (the tails are ~0 at the edges, so it equals the
plain Riemann sum); a spacing of a fraction of the smallest standard deviation
and a box reaching many sds past every component gives errors far below 1e-6.
The tests check this against closed forms.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .densities import GaussianMixture

DEFAULT_POINTS_PER_SD = 8.0
DEFAULT_HALFWIDTH_SD = 9.0
MAX_POINTS_PER_AXIS = {1: 200_000, 2: 1_500}


@dataclass(frozen=True)
class Grid:
    """Points of a uniform grid and the volume element of each cell."""

    points: np.ndarray  # (n, d)
    cell: float  # volume of one cell
    axes: tuple  # 1-D coordinate arrays, one per dimension

    @property
    def coords(self) -> np.ndarray:
        """The points as (d, n), one contiguous row per coordinate (fast vector operations)."""
        return self._coords

    def __post_init__(self):
        object.__setattr__(self, "_coords", np.ascontiguousarray(self.points.T))

    @property
    def shape(self) -> tuple:
        return tuple(len(a) for a in self.axes)

    def integrate(self, values: np.ndarray) -> float:
        """Integral of a function given by its values at the grid points."""
        return float(np.sum(values) * self.cell)


def grid_for(
    *densities: GaussianMixture,
    points_per_sd: float = DEFAULT_POINTS_PER_SD,
    halfwidth_sd: float = DEFAULT_HALFWIDTH_SD,
    bounds: np.ndarray | None = None,
) -> Grid:
    """A grid covering every density to `halfwidth_sd` sds with spacing min_sd / points_per_sd."""
    dim = densities[0].dim
    if any(d.dim != dim for d in densities):
        raise ValueError("grid_for: densities of different dimension")
    if bounds is None:
        boxes = np.stack([d.bounds(halfwidth_sd) for d in densities])
        bounds = np.stack([boxes[:, :, 0].min(axis=0), boxes[:, :, 1].max(axis=0)], axis=1)
    spacing = min(d.min_sd() for d in densities) / points_per_sd
    counts = np.ceil((bounds[:, 1] - bounds[:, 0]) / spacing).astype(int) + 1
    if (counts > MAX_POINTS_PER_AXIS[dim]).any():
        warnings.warn(f"quadrature grid capped at {MAX_POINTS_PER_AXIS[dim]} points per axis: spacing coarser than "
                      f"min_sd/{points_per_sd:g}", RuntimeWarning, stacklevel=2)
    counts = np.minimum(counts, MAX_POINTS_PER_AXIS[dim])
    axes = tuple(np.linspace(lo, hi, n) for (lo, hi), n in zip(bounds, counts))
    steps = [a[1] - a[0] for a in axes]
    mesh = np.meshgrid(*axes, indexing="ij")
    points = np.stack([m.reshape(-1) for m in mesh], axis=1)
    return Grid(points=points, cell=float(np.prod(steps)), axes=axes)
