"""The stacked networks compute what each run's own network computes (training and evaluation see one model), and
elementwise ops give a run the same values whatever the number of runs sharing the tensor."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from gandiv.gan.kinds import GeneratorKind  # noqa: E402
from gandiv.gan.networks import make_discriminator, make_generator  # noqa: E402
from gandiv.gan.stacked import (load_members, stacked_discriminator, stacked_generator,  # noqa: E402
                                unload_members)
from gandiv.run_axis import elementwise  # noqa: E402

RUNS = 3


def perturbed(network, rng):
    """The network with every weight moved off its initial value (zero-initialised layers included)."""
    network.set_weights([w + 0.3 * rng.standard_normal(w.shape).astype(w.dtype) for w in network.get_weights()])
    return network


@pytest.mark.parametrize("kind, dim", [("gaussian", 1), ("gaussian", 2), ("flow", 1), ("flow", 2), ("mlp", 1),
                                       ("mlp", 2)])
def test_stacked_generator_slices_compute_each_runs_own_generator(kind, dim):
    rng = np.random.default_rng(0)
    latent = 3 if kind == "mlp" else dim
    members = [perturbed(make_generator(GeneratorKind(kind), dim, latent, 8, 2, 2, np.random.SeedSequence(r)), rng)
               for r in range(RUNS)]
    stacked = stacked_generator(GeneratorKind(kind), RUNS, dim, latent, 8, 2, 2)
    load_members(stacked, members)
    z = rng.standard_normal((RUNS, 50, latent)).astype("float32")
    out = keras.ops.convert_to_numpy(stacked(z))
    for r, member in enumerate(members):
        # float32, different kernels (batched against plain matmul, padded elementwise ops): a few ulps
        np.testing.assert_allclose(out[r], keras.ops.convert_to_numpy(member(z[r])), rtol=1e-5, atol=1e-6)
    copies = [make_generator(GeneratorKind(kind), dim, latent, 8, 2, 2, np.random.SeedSequence(9)) for _ in members]
    unload_members(stacked, copies)  # and the round trip gives each run its own weights back, exactly
    for member, copy in zip(members, copies):
        for a, b in zip(member.get_weights(), copy.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_stacked_discriminator_slices_compute_each_runs_own_discriminator(spectral_norm):
    rng = np.random.default_rng(1)
    members = [perturbed(make_discriminator(2, 8, 2, np.random.SeedSequence(r), spectral_norm), rng)
               for r in range(RUNS)]
    stacked = stacked_discriminator(RUNS, 2, 8, 2, spectral_norm)
    load_members(stacked, members)
    x = rng.standard_normal((RUNS, 40, 2)).astype("float32")
    for training in (False, True):  # a training call of a spectral-normalised network first divides each kernel
        out = keras.ops.convert_to_numpy(stacked(x, training=training))
        for r, member in enumerate(members):
            np.testing.assert_allclose(out[r], keras.ops.convert_to_numpy(member(x[r], training=training)),
                                       rtol=1e-4, atol=1e-5)  # sigma from one power iteration each, in float32


@settings(max_examples=40, deadline=None)
@given(runs=st.integers(1, 17), size=st.integers(1, 40), run=st.integers(0, 16),
       fn=st.sampled_from([keras.ops.exp, keras.ops.tanh, keras.ops.softplus]))
def test_an_elementwise_op_gives_a_run_the_same_values_whatever_the_runs_beside_it(runs, size, run, fn):
    run = run % runs
    x = np.random.default_rng(size).normal(0.0, 3.0, (runs, size)).astype("float32")
    together = keras.ops.convert_to_numpy(elementwise(fn, keras.ops.convert_to_tensor(x)))[run]
    alone = keras.ops.convert_to_numpy(elementwise(fn, keras.ops.convert_to_tensor(x[run:run + 1])))[0]
    np.testing.assert_array_equal(together, alone)
