"""Optimal transport (gandiv.samples.transport): POT's W1 against closed forms and scipy, and the sample-size sweep
against a case whose W1 is known."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import wasserstein_distance

from gandiv.samples import transport


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(5, 60))
def test_ot_w1_in_one_dimension_is_scipys_wasserstein_distance(seed, n):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, 1)), rng.normal(1.0, 2.0, size=(n, 1))
    assert transport.ot_w1(x, y) == pytest.approx(wasserstein_distance(x[:, 0], y[:, 0]), rel=1e-9, abs=1e-12)


def test_ot_w1_of_a_translated_sample_is_the_translation():
    # W1 >= |E X - E Y| = |v| (Jensen) and the translation plan costs |v|: equality
    x = np.random.default_rng(1).normal(size=(300, 2))
    v = np.array([0.6, -0.8])
    assert transport.ot_w1(x, x + v) == pytest.approx(1.0, abs=1e-9)


def test_pot_loads_without_tensorflow():
    import subprocess
    import sys

    code = ("import sys; from gandiv.samples import transport; import numpy as np; "
            "transport.ot_w1(np.zeros((3, 1)), np.ones((3, 1))); print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"  # the figure job's environment has no TensorFlow


def test_the_sweep_sizes_halve_down_to_32_and_include_the_training_size():
    assert transport.sweep_sizes(2000, 500) == [62, 125, 250, 500, 1000, 2000]
    assert transport.sweep_sizes(500, 100) == [62, 100, 125, 250, 500]
    assert transport.sweep_sizes(100, 500) == [50, 100]


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_the_sweeps_error_covers_the_w1_of_a_translation(seed):
    # P = N(0, I), Q = P shifted by 0.8: W1 = 0.8 exactly (a translation). From independent samples of the two, the
    # estimate at n = 200 must lie within the error the sweep gives it; an error of 0.3 would say nothing (W1/3).
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2000, 2)), rng.normal(size=(2000, 2)) + np.array([0.8, 0.0])
    sweep = transport.ot_sweep(x, y, 200)
    assert abs(sweep["sizes"][200][0] - 0.8) <= sweep["error_at_n_ot"] < 0.3
