"""The convergence criterion every GAN verdict filters its runs by (gandiv.gan.convergence).

Unit checks on snapshots with a known answer, properties of the sliced W1 it measures with, and the issue's test:
a real run of the shipped config converges, and the same run stopped at 10% of its steps is rejected.
"""

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings, strategies as st
from scipy.stats import wasserstein_distance

from gandiv.gan.convergence import Criterion, assess, sliced_w1, target_scale

CRITERION = Criterion(window_steps=2000, generator_tol=0.05, discriminator_tol=0.02)
STEPS = np.arange(0, 10_001, 500)
Z = np.random.default_rng(0).standard_normal((512, 1))


def gaussian_snapshots(means, sds):
    """Fixed-noise samples of N(mean_k, sd_k^2) at every snapshot: (K, 512, 1)."""
    return np.stack([m + s * Z for m, s in zip(means, sds)])


def settle(final, start, at_step):
    """A parameter moving linearly from start to final until at_step, then still."""
    return np.where(STEPS < at_step, start + (final - start) * STEPS / at_step, final)


def test_a_generator_that_settled_before_the_window_converged():
    snaps = gaussian_snapshots(settle(-2.0, 0.0, 6000), settle(0.6, 1.0, 6000))
    result = assess(STEPS, snaps, STEPS[1:], np.full(20, 0.69), 1.0, False, CRITERION)
    assert result["converged"] and result["reason"] == ""
    assert result["generator_drift"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("settled_at, converged", [(8000, True), (8500, False), (10_000, False)])
def test_a_generator_still_moving_inside_the_window_did_not(settled_at, converged):
    """The window is the last 2000 steps: settling at step 8000 is just in time, later is not."""
    snaps = gaussian_snapshots(settle(-2.0, 0.0, settled_at), np.ones(len(STEPS)))
    result = assess(STEPS, snaps, STEPS[1:], np.full(20, 0.69), 1.0, False, CRITERION)
    assert result["converged"] is converged
    # a mean moving at 2/settled_at per step covers (settled_at - 8000) * 2/settled_at inside the window
    assert result["generator_drift"] == pytest.approx(max(settled_at - 8000, 0) * 2.0 / settled_at, rel=1e-6, abs=1e-9)


def test_the_drift_is_measured_in_target_scales():
    snaps = gaussian_snapshots(settle(0.0, 0.0, 1), np.ones(len(STEPS)))
    snaps[-1] += 0.08  # the last snapshot jumps by 0.08 x units
    assert not assess(STEPS, snaps, STEPS[1:], np.full(20, 0.69), 1.0, False, CRITERION)["converged"]
    assert assess(STEPS, snaps, STEPS[1:], np.full(20, 0.69), 2.0, False, CRITERION)["converged"]  # 0.04 scales


def test_an_unstable_discriminator_loss_a_short_history_or_divergence_is_not_converged():
    still = gaussian_snapshots(np.zeros(len(STEPS)), np.ones(len(STEPS)))
    d_loss = np.full(20, 0.69)
    d_loss[-2] = 0.72  # spans 0.03 nats inside the window
    result = assess(STEPS, still, STEPS[1:], d_loss, 1.0, False, CRITERION)
    assert not result["converged"] and "discriminator loss" in result["reason"]
    d_loss[-2], d_loss[-6] = 0.69, 0.9  # outside the window: does not count
    assert assess(STEPS, still, STEPS[1:], d_loss, 1.0, False, CRITERION)["converged"]
    short = assess(STEPS[:4], still[:4], STEPS[1:4], d_loss[:3], 1.0, False, CRITERION)
    assert not short["converged"] and "fewer than the 2000-step window" in short["reason"]
    diverged = assess(STEPS, still, STEPS[1:], np.full(20, 0.69), 1.0, True, CRITERION)
    assert not diverged["converged"] and "diverged" in diverged["reason"]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.floats(-3, 3), st.floats(-3, 3), st.integers(0, 10_000))
def test_sliced_w1_is_a_translation_distance_symmetric_and_the_1d_w1(dim, shift_x, shift_y, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((200, dim)), rng.standard_normal((150, dim))
    assert sliced_w1(a, a) == 0.0
    assert sliced_w1(a, b) == pytest.approx(sliced_w1(b, a), rel=1e-12)
    if dim == 1:
        assert sliced_w1(a, b) == pytest.approx(wasserstein_distance(a[:, 0], b[:, 0]), rel=1e-12)
    shift = np.array([shift_x, shift_y, 0.0][:dim])
    # a translation moves every projection by u.shift: W1 = mean over directions of |u.shift| <= |shift|
    from gandiv.gan.convergence import slice_directions
    expected = np.mean(np.abs(slice_directions(dim) @ shift))
    assert sliced_w1(a, a + shift) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert sliced_w1(a, a + shift) <= np.linalg.norm(shift) + 1e-12


@pytest.fixture(scope="module")
def real_runs():
    """The shipped config's 1-D Gaussian GAN (minimax, pi = 0.5, seed 0) trained for its steps, and the same run
    trained for 10% of them: what the pipeline's train and evaluate jobs would record."""
    from gandiv.exact.densities import target_from_config
    from gandiv.gan.runs import grid_runs, training_settings
    from gandiv.gan.training import configure_tensorflow, train_gan
    from gandiv.pipeline.config import load_schema, validate_in_place

    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "config.yaml").read_text())
    config["gan"]["grid"] = [{"targets": ["bimodal_1d"], "generators": ["gaussian"], "rules": ["minimax"],
                              "pi": [0.5], "seeds": [0]}]
    config["figures"] = {}
    validate_in_place(config, load_schema())
    configure_tensorflow(1, False)
    run = grid_runs(config)[0]
    target = target_from_config(config["targets"]["bimodal_1d"])
    # chunks of 400 steps (the config's 500 does not divide 10% of 12000): both runs draw and record alike
    full = dict(training_settings(config, run), steps_per_call=400)
    truncated = dict(full, steps=full["steps"] // 10)
    results = [train_gan(target, "gaussian", "minimax", 0.5, run.streams(), s) for s in (full, truncated)]
    return config, target, results


def _assess(config, target, result):
    criterion = Criterion.from_settings(config["gan"]["evaluation"]["convergence"])
    return assess(result.snapshot_steps, result.snapshots, result.history.step.to_numpy(),
                  result.history.d_loss.to_numpy(), target_scale(target), result.diverged, criterion)


def test_a_real_run_converges_and_the_same_run_stopped_at_10_percent_does_not(real_runs):
    config, target, (full, truncated) = real_runs
    k = len(truncated.snapshot_steps)
    # the truncated run is the full run's beginning (same seed, same chunks), bit for bit on CPU
    np.testing.assert_array_equal(truncated.snapshots, full.snapshots[:k])
    done, early = _assess(config, target, full), _assess(config, target, truncated)
    assert done["converged"], done["reason"]
    assert not early["converged"], early
    assert early["generator_drift"] > 5 * CRITERION.generator_tol  # still travelling, not a borderline call
