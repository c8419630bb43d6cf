"""Mode-collapse targets (ring and grid of Gaussians) and the mode-coverage measures."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from gandiv.pipeline.config import ConfigError, load_schema, validate_config

from gandiv.exact.densities import grid_of_gaussians, ring_of_gaussians, target_from_config
from gandiv.samples.modes import high_quality_share, modes_covered

RING = ring_of_gaussians(8, 2.0, 0.02)
GRID = grid_of_gaussians(5, 2.0, 0.05)


def test_ring_and_grid_geometry():
    np.testing.assert_allclose(np.linalg.norm(RING.means, axis=1), 2.0)
    np.testing.assert_allclose(RING.mean(), 0.0, atol=1e-12)  # symmetric, so the mixture mean is the centre
    assert len(GRID.weights) == 25
    np.testing.assert_allclose(sorted(set(GRID.means[:, 0])), [-4.0, -2.0, 0.0, 2.0, 4.0])
    np.testing.assert_allclose(GRID.weights.sum(), 1.0)


@pytest.mark.parametrize("target", [RING, GRID], ids=["ring", "grid"])
def test_samples_of_the_target_cover_every_mode(target):
    samples = target.sample(20_000, np.random.default_rng(0))
    # Within 3 sd of its own mean with probability 1 - exp(-9/2) = 0.9889 in 2-D (chi with 2 dof).
    assert high_quality_share(samples, target) == pytest.approx(1 - np.exp(-4.5), abs=0.005)
    assert modes_covered(samples, target, min_share=0.5 / len(target.weights)) == len(target.weights)


def test_a_collapsed_generator_covers_one_mode():
    rng = np.random.default_rng(1)
    collapsed = RING.means[3] + 0.02 * rng.standard_normal((5000, 2))
    assert modes_covered(collapsed, RING, min_share=0.01) == 1
    spread = 3.0 * rng.standard_normal((5000, 2))  # a blurry Gaussian: few samples near any mode
    assert high_quality_share(spread, RING) < 0.05


def test_config_kinds_build_the_same_targets():
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "smoke.yaml").read_text())
    config["targets"] |= {"ring": {"kind": "ring_of_gaussians"}, "grid": {"kind": "grid_of_gaussians", "sd": 0.05}}
    filled = validate_config(config, load_schema())  # defaults: 8 modes, radius 2, sd 0.02; 5 x 5, spacing 2
    for name, expected in (("ring", RING), ("grid", GRID)):
        built = target_from_config(filled["targets"][name])
        np.testing.assert_array_equal(built.means, expected.means)
        np.testing.assert_array_equal(built.covariances, expected.covariances)
    config["targets"]["ring"]["sd"] = 0.0
    with pytest.raises(ConfigError, match="targets.ring.sd"):
        validate_config(config, load_schema())
