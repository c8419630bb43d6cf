"""The dynamics figures' one definition of converges and rate, on trajectories whose answer is known."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.exact.families import Family, GaussianFamily
from gandiv.gan import trajectory as tr
from gandiv.update_rules import UpdateRule
from gandiv.update_rules.stationary import stationary_points

TOL, WINDOW = 0.1, 2000
LINE = GaussianFamily(1, Family.FULL)


def test_parameters_read_off_fixed_noise_snapshots_exactly():
    # x = m + s z is affine in z: least squares recovers (m, s) to float32 rounding (relative 1e-7).
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((512, 1)).astype("float32")
    truth = np.array([[2.0, 1.0], [0.3, 0.7], [-5.0, 3.5]])
    samples = np.stack([(m + s * noise).astype("float32") for m, s in truth])
    np.testing.assert_allclose(tr.parameters(samples, noise), truth, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="samples"):
        tr.parameters(samples[:, :, :1].repeat(2, axis=2), noise)


@pytest.mark.parametrize("rule", [UpdateRule.MINIMAX, UpdateRule.NONSATURATING, UpdateRule.KL])
def test_stationary_point_is_the_root_of_every_rules_ideal_field(rule):
    # Independent route: multi-start root finding on the ideal-discriminator field (gandiv.update_rules.stationary).
    p = gaussian([0.3], [[2.25]])
    mean, sd = tr.stationary_point(p)
    roots = stationary_points(p, LINE, rule, 0.2, n_starts=3, seed=0, quad={"points_per_sd": 8})
    assert len(roots) == 1
    np.testing.assert_allclose(roots[0].theta, LINE.pack(np.array([mean]), np.array([[sd**2]])), atol=1e-8)
    with pytest.raises(ValueError, match="one 1-D Gaussian"):
        tr.stationary_point(GaussianMixture(np.array([0.5, 0.5]), np.array([[-1.0], [1.0]]), np.array([[[1.0]], [[1.0]]])))


def test_distance_is_the_largest_parameter_difference_in_target_scales():
    theta_star = np.array([1.0, 2.0])
    np.testing.assert_allclose(tr.distances(np.array([[1.0, 2.0], [2.0, 2.5], [0.0, 5.0]]), theta_star),
                               [0.0, 0.5, 1.5])


def test_gradient_descent_on_a_quadratic_converges_at_the_step_theory_gives():
    # theta_k - theta* = (1 - lr)^k d0: the first step within TOL is ceil(log(TOL/d0) / log(1 - lr)).
    lr, d0, steps = 1e-3, 2.0, np.arange(0, 12001, 1)
    distance = d0 * (1 - lr) ** steps
    outcome = tr.classify(steps, distance, False, TOL, WINDOW)
    expected = math.ceil(math.log(TOL / d0) / math.log(1 - lr))
    assert outcome.outcome == "converged" and outcome.steps_to_tol == expected  # 2995
    # at a coarser snapshot grid the rate is the first snapshot within TOL: resolution = the snapshot spacing
    coarse = steps[::100]
    assert tr.classify(coarse, distance[::100], False, TOL, WINDOW).steps_to_tol == 100 * math.ceil(expected / 100)


def test_each_outcome_on_a_trajectory_that_has_it():
    steps = np.arange(0, 12001, 100.0)
    decay = 2.0 * np.exp(-steps / 1000)
    cases = {
        "converged": (decay, False),
        "oscillating": (0.02 + 0.3 * np.abs(np.sin(steps / 700)), False),  # keeps leaving by 0.3 > TOL
        "travelling": (2.0 - steps / 8000, False),  # still approaching at the end: 0.5 left, falling 0.25/window
        "stalled": (np.full_like(steps, 1.5), False),  # a saturated discriminator's dead gradient
        "diverged": (decay, True),
    }
    for expected, (distance, blew_up) in cases.items():
        assert tr.classify(steps, distance, blew_up, TOL, WINDOW).outcome == expected, expected
    runaway = 2.0 + steps / 10  # 1202 > BLOWUP * 2: ran away without a non-finite value
    assert tr.classify(steps, runaway, False, TOL, WINDOW).outcome == "diverged"
    assert tr.classify(steps, np.where(steps > 5000, np.nan, decay), False, TOL, WINDOW).outcome == "diverged"


def test_arriving_inside_the_final_window_is_not_converging():
    # within TOL only over the last 1000 steps: not yet through a 2000-step window, so still travelling
    steps = np.arange(0, 12001, 100.0)
    distance = np.where(steps < 11000, 1.0 - steps / 12000, 0.05)
    outcome = tr.classify(steps, distance, False, TOL, WINDOW)
    assert outcome.outcome == "travelling" and math.isnan(outcome.steps_to_tol)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 3.0), min_size=3, max_size=60), st.integers(1, 20))
def test_converged_exactly_when_the_tail_stays_within_tolerance_through_the_window(values, window_snapshots):
    distance = np.array(values)
    steps = 100.0 * np.arange(len(distance))
    window = 100 * window_snapshots
    if steps[-1] < window:  # no run can converge in a history shorter than the window: refused
        with pytest.raises(ValueError, match="shorter than"):
            tr.classify(steps, distance, False, TOL, window)
        return
    outcome = tr.classify(steps, distance, False, TOL, window)
    within = distance <= TOL
    # the run converged iff some snapshot at least `window` before the end starts an all-within tail
    tail_start = len(within) - np.argmin(within[::-1]) if not within.all() else 0
    expected = bool(within[-1]) and steps[tail_start] <= steps[-1] - window
    if distance.max() > tr.BLOWUP * max(distance[0], 1.0):
        assert outcome.outcome == "diverged"
    else:
        assert (outcome.outcome == "converged") == expected
        if expected:
            assert outcome.steps_to_tol == steps[tail_start]
            assert np.all(distance[tail_start:] <= TOL) and (tail_start == 0 or distance[tail_start - 1] > TOL)
    assert outcome.outcome in tr.OUTCOMES


def test_censored_steps_rank_every_unconverged_run_last():
    got = tr.censored_steps(np.array(["converged", "stalled", "converged", "oscillating"]),
                            np.array([300.0, np.nan, 1200.0, np.nan]), 5000)
    np.testing.assert_array_equal(got, [300.0, 5001.0, 1200.0, 5001.0])


def test_the_ideal_discriminators_path_is_keras_adam_on_the_exact_field():
    # Independent route: keras.optimizers.Adam applied to the same exact gradients, in the same parameters
    # (mean, log sd), for 50 steps; float32 variables: agreement to 1e-5.
    import keras

    from gandiv.exact.quadrature import grid_for
    from gandiv.update_rules.stationary import generator_field, ideal_adam_path

    p = gaussian([0.0], [[1.0]])
    optimizer = {"g_learning_rate": 1e-2, "beta_1": 0.5}
    steps, path = ideal_adam_path(p, UpdateRule.NONSATURATING, 0.3, np.array([2.0, 1.5]), 50, 10, optimizer)
    grid = grid_for(p, gaussian([2.0], [[9.0]]))  # P and the start with twice its sd: Q stays well inside it
    log_p = p.log_prob(grid.points)
    theta = keras.Variable(np.array([2.0, np.log(1.5)]), dtype="float32")
    adam = keras.optimizers.Adam(1e-2, beta_1=0.5, beta_2=0.999, epsilon=1e-7)
    kept = [np.array([2.0, 1.5])]
    for t in range(1, 51):
        g = generator_field(log_p, grid, LINE, np.asarray(theta.numpy(), float),
                            UpdateRule.NONSATURATING, 0.3)
        adam.apply([g.astype("float32")], [theta])
        if t % 10 == 0:
            kept.append(np.array([theta.numpy()[0], np.exp(theta.numpy()[1])]))
    np.testing.assert_array_equal(steps, np.arange(0, 51, 10))
    np.testing.assert_allclose(path, np.array(kept), atol=1e-5)
    # at theta* the field vanishes up to quadrature error; Adam rescales that residue to steps of at most ~lr, so
    # the path stays within a few steps' length of theta* (1e-2 here), far inside any tolerance the figures use
    _, still = ideal_adam_path(p, UpdateRule.MINIMAX, 0.3, np.array([0.0, 1.0]), 200, 10, optimizer)
    assert np.abs(still - [0.0, 1.0]).max() < 1e-2
