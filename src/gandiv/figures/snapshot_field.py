"""One 2-D GAN run's snapshots, and the generator's descent field taken from its discriminator's logit.

The training (gandiv.gan.training) keeps, at every snapshot, fixed-z samples of Q_t and the discriminator's
logit a(x) on a regular probe grid over P's bulk. The generator's update moves a sample x along
-d loss_r(a(x))/dx = -loss_r'(a(x)) grad a(x) (the chain rule through the discriminator, for update rule r);
grad a is taken on the grid by central differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from gandiv.results_io import read_gan_run
from gandiv.update_rules import UpdateRule, unit

FIELD_UNIT = "nats per x unit"  # of the descent field: a loss in nats per unit of x


@dataclass(frozen=True)
class Run:
    """One training run's snapshots, with the probe grid unflattened."""

    steps: np.ndarray  # (S,)
    samples: np.ndarray  # (S, n, 2)
    xs: np.ndarray  # (nx,) probe grid axis 1
    ys: np.ndarray  # (ny,) probe grid axis 2
    logits: np.ndarray  # (S, nx, ny) discriminator logit on the grid
    status: dict


def probe_grid(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The axes of a regular grid flattened in meshgrid 'ij' order (x slowest); ValueError if it is not one."""
    points = np.asarray(points, dtype=float)
    n = int(round(np.sqrt(len(points))))
    if points.ndim != 2 or points.shape[1] != 2 or n * n != len(points) or n < 3:
        raise ValueError(f"probe_points must be a square 2-D grid, got shape {points.shape}")
    grid = points.reshape(n, n, 2)
    xs, ys = grid[:, 0, 0], grid[0, :, 1]
    if not (np.all(grid[:, :, 0] == xs[:, None]) and np.all(grid[:, :, 1] == ys[None, :])
            and np.all(np.diff(xs) > 0) and np.all(np.diff(ys) > 0)):
        raise ValueError("probe_points are not a regular grid in meshgrid 'ij' order")
    return xs, ys


def descent_field(logits: np.ndarray, xs: np.ndarray, ys: np.ndarray, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """-d loss_r(a(x))/dx on the grid, two (nx, ny) arrays in nats per x unit: -loss_r'(a) times grad a,
    grad a by central differences (np.gradient; one-sided at the edges)."""
    a = np.asarray(logits, dtype=float).reshape(len(xs), len(ys))
    da_dx, da_dy = np.gradient(a, xs, ys)
    push = -unit(UpdateRule(rule)).logit_loss_grad(a)
    return push * da_dx, push * da_dy


def load_run(status_path: str, snapshots_path: str, settings: Mapping) -> Run:
    """The snapshots and status of the run `settings` names (target, generator, rule, pi, seed).

    Raises ValueError if the files belong to another run, if the snapshots disagree in length, or if the
    probe points are not a regular 2-D grid.
    """
    status, npz = read_gan_run(status_path, snapshots_path)
    for key in ("target", "generator", "rule", "seed"):
        if str(status[key]) != str(settings[key]):
            raise ValueError(f"status {key}={status[key]!r} but the figure asks for {settings[key]!r}")
    if not np.isclose(float(status["pi"]), float(settings["pi"])):
        raise ValueError(f"status pi={status['pi']} but the figure asks for {settings['pi']}")
    steps, samples = npz["steps"], npz["samples"].astype(float)
    points, logits = npz["probe_points"], npz["probe_logits"]
    if not (len(steps) == len(samples) == len(logits)) or samples.ndim != 3 or samples.shape[2] != 2:
        raise ValueError(f"snapshots disagree: steps {steps.shape}, samples {samples.shape}, logits {logits.shape}")
    xs, ys = probe_grid(points)
    return Run(steps.astype(int), samples, xs, ys, logits.astype(float).reshape(len(steps), len(xs), len(ys)),
               status)
