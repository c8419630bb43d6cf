"""Flow generators: exact inverse, normalised exact density, change of variables, expressiveness."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from scipy.stats import norm  # noqa: E402

from gandiv.gan.flows import MonotoneFlow1D, RealNVP, make_flow  # noqa: E402

def perturbed(dim, dtype="float32", seed=1, keep_init=False):
    """Default-size flow with every weight redrawn as N(0, 0.3^2), so it is far from the identity
    (or, with keep_init, the seeded initial weights plus N(0, 0.3^2) noise)."""
    flow = make_flow(dim, dtype=dtype)
    rng = np.random.default_rng(seed)
    flow.set_weights([keep_init * w + rng.normal(0.0, 0.3, w.shape) for w in flow.get_weights()])
    return flow


def std_normal_log_pdf(z):
    return norm.logpdf(np.asarray(z, dtype=float)).sum(axis=1)


@pytest.mark.parametrize("dim", [1, 2])
def test_inverse_undoes_the_generator(dim):
    flow = perturbed(dim)
    z = np.random.default_rng(2).normal(size=(1000, dim)).astype("float32")
    z_back, _ = flow.inverse(flow(z))
    # float32 rounds x = G(z) to ~1.2e-7 * |x|; the perturbed 1-D flow reaches |x| ~ 100 where
    # |dz/dx| ~ 1, so no inverse can do better than ~1e-5 there (checked against a float64
    # root-finder: the search + Newton inverse sits at that floor).
    np.testing.assert_allclose(np.asarray(z_back), z, rtol=1e-5, atol=1e-5)


def test_inverse_reaches_float64_precision():
    flow = perturbed(1, dtype="float64")
    z = np.linspace(-6.0, 6.0, 201)[:, None]
    z_back, _ = flow.inverse(flow(z))
    # The search shrinks the bracket (width 2 sum b / a ~ 60 here) 2^42-fold to ~1e-11, and the
    # final Newton step squares that error: the root is exact to float64 round-off (|x| ~ 100).
    np.testing.assert_allclose(np.asarray(z_back), z, rtol=0, atol=1e-12)


def test_log_prob_integrates_to_one_1d():
    flow = perturbed(1)
    # G is increasing, so [G(-9), G(9)] holds all mass but 2 Phi(-9) ~ 2e-19.
    lo, hi = np.asarray(flow(np.array([[-9.0], [9.0]], dtype="float32")))[:, 0]
    x = np.linspace(lo, hi, 20001)
    density = np.exp(np.asarray(flow.log_prob(x[:, None].astype("float32")), dtype=float))
    # The integrand is smooth and ~0 with all its derivatives at both ends, where the trapezoid
    # rule converges faster than any power of h (Euler-Maclaurin): the grid error is far below
    # the float32 error of log q (~1e-6 relative; observed |error| ~ 3e-7), so 1e-4 is safe.
    assert abs(np.trapezoid(density, x) - 1.0) < 1e-4


def test_log_prob_integrates_to_one_2d():
    flow = perturbed(2)
    # G maps the disc |z| <= 7 onto the region bounded by G(circle), inside this box (padded for
    # the finite sampling of the circle): the mass left out is at most P(|z| > 7) = e^-24.5 ~ 2e-11.
    angle = np.linspace(0.0, 2.0 * np.pi, 4001)
    edge = np.asarray(flow((7.0 * np.column_stack([np.cos(angle), np.sin(angle)])).astype("float32")))
    pad = 0.05 * (edge.max(0) - edge.min(0))
    gx, gy = (np.linspace(a, b, 600) for a, b in zip(edge.min(0) - pad, edge.max(0) + pad))
    points = np.stack(np.meshgrid(gx, gy, indexing="ij"), axis=-1).reshape(-1, 2).astype("float32")
    density = np.exp(np.asarray(flow.log_prob(points), dtype=float)).reshape(600, 600)
    # Same argument as in 1-D (smooth, vanishing at the box edge) on a coarser grid (h ~ 0.14):
    # observed errors 6e-4 with 300 points per axis and 2e-6 with 600, so 1e-3 is safe here.
    assert abs(np.trapezoid(np.trapezoid(density, gy, axis=1), gx) - 1.0) < 1e-3


def test_log_prob_is_change_of_variables_2d():
    flow = perturbed(2)
    z = tf.constant(np.random.default_rng(3).normal(size=(20, 2)), dtype="float32")
    with tf.GradientTape() as tape:
        tape.watch(z)
        x = flow(z)
    jacobian = tape.batch_jacobian(x, z).numpy().astype(float)
    expected = std_normal_log_pdf(z) - np.log(np.abs(np.linalg.det(jacobian)))
    # Forward autodiff Jacobian vs the inverse's log-det: both float32 through four layers with
    # |log q| ~ 10, so they agree to ~1e-6 (observed); 1e-4 leaves room for round-off.
    np.testing.assert_allclose(np.asarray(flow.log_prob(x)), expected, rtol=0, atol=1e-4)


def test_log_prob_is_change_of_variables_1d():
    flow = perturbed(1, dtype="float64")
    z = np.linspace(-3.0, 3.0, 41)[:, None]
    h = 1e-5
    derivative = (np.asarray(flow(z + h)) - np.asarray(flow(z - h)))[:, 0] / (2 * h)
    expected = std_normal_log_pdf(z) - np.log(derivative)
    # float64 central differences: truncation ~h^2 f'''/(6 f') ~ 2e-8 (observed to scale as h^2),
    # round-off ~1e-16 |x| / h ~ 1e-9; float32 could not resolve this steep flow (errors ~1e-3).
    np.testing.assert_allclose(np.asarray(flow.log_prob(flow(z))), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("dim", [1, 2])
def test_generator_is_differentiable_in_every_weight(dim):
    # What a GAN's generator step needs: a finite, nonzero gradient for every trainable weight
    # (in a compiled step, called with training=True as the adversarial model does). Near the
    # initial weights: the fully redrawn 1-D flow saturates some tanh units to exactly +-1 in float32.
    flow = perturbed(dim, keep_init=True)
    z = np.random.default_rng(7).normal(size=(64, dim)).astype("float32")

    @tf.function
    def gradients(z):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(flow(z, training=True)))
        return tape.gradient(loss, flow.trainable_weights)

    for grad in gradients(z):
        assert np.all(np.isfinite(grad.numpy())) and np.any(grad.numpy() != 0)


@pytest.mark.parametrize("dim", [1, 2])
def test_log_prob_gradient_in_the_weights(dim):
    # Maximum likelihood needs d log q / d theta; in 1-D it flows through the numerical inverse
    # via the implicit-function Newton step, so check it against central differences (float64).
    flow = perturbed(dim, dtype="float64")
    x = np.asarray(flow(np.random.default_rng(4).normal(size=(50, dim))))
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(flow.log_prob(x))
    grads = [g.numpy() for g in tape.gradient(total, flow.trainable_weights)]
    weights = flow.get_weights()
    h = 1e-6
    for i in (0, len(weights) // 2, len(weights) - 1):  # first, a middle and the last weight
        def total_at(delta, i=i):
            shifted = [w.copy() for w in weights]
            shifted[i].flat[0] += delta
            flow.set_weights(shifted)
            return float(np.sum(flow.log_prob(x)))
        numeric = (total_at(h) - total_at(-h)) / (2 * h)
        # truncation ~h^2 and round-off ~1e-16 * |total| / h ~ 1e-8: 1e-5 relative is ample.
        assert numeric == pytest.approx(grads[i].flat[0], rel=1e-5, abs=1e-6)
    flow.set_weights(weights)


def test_maximum_likelihood_fit_is_bimodal():
    # Fresh batches from 0.7 N(-2, 0.6^2) + 0.3 N(2, 0.5^2) each step: SGD on the population
    # likelihood, so the fit cannot overfit a fixed sample into spurious bumps.
    steps, batch = 100, 512
    rng = np.random.default_rng(0)
    left = rng.random((steps, batch, 1)) < 0.7
    data = np.where(left, rng.normal(-2.0, 0.6, left.shape), rng.normal(2.0, 0.5, left.shape)).astype("float32")
    flow = make_flow(1, n_layers=3, hidden=8, seed=0)  # small, to keep tracing + 100 steps ~7 s
    optimizer = keras.optimizers.Adam(0.05)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(flow.log_prob(x))
        optimizer.apply(tape.gradient(loss, flow.trainable_weights), flow.trainable_weights)

    for batch_data in data:
        step(batch_data)

    x = np.linspace(-5.0, 5.0, 2001)
    density = np.exp(np.asarray(flow.log_prob(x[:, None].astype("float32")), dtype=float))
    peaks = x[1:-1][(density[1:-1] > density[:-2]) & (density[1:-1] > density[2:])]
    assert len(peaks) == 2
    # Modes near the components' means, and the left component's weight recovered.
    assert peaks[0] == pytest.approx(-2.0, abs=0.3) and peaks[1] == pytest.approx(2.0, abs=0.3)
    assert np.trapezoid(density[x < 0], x[x < 0]) == pytest.approx(0.7, abs=0.05)
    # The exact KL[P||Q] by quadrature, what the flows are for: 0.005-0.012 nats over four seeds.
    target = 0.7 * norm.pdf(x, -2.0, 0.6) + 0.3 * norm.pdf(x, 2.0, 0.5)
    assert np.trapezoid(target * np.log(target / density), x) < 0.03


@pytest.mark.parametrize("dim", [1, 2])
def test_same_seed_same_flow(dim):
    a, b, c = make_flow(dim, seed=5), make_flow(dim, seed=5), make_flow(dim, seed=6)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert any(not np.array_equal(wa, wc) for wa, wc in zip(a.get_weights(), c.get_weights()))
    z = np.random.default_rng(5).normal(size=(100, dim)).astype("float32")
    np.testing.assert_array_equal(np.asarray(a(z)), np.asarray(b(z)))
    np.testing.assert_array_equal(np.asarray(a.log_prob(z)), np.asarray(b.log_prob(z)))


def test_factory_and_identity_start():
    assert isinstance(make_flow(1), MonotoneFlow1D) and isinstance(make_flow(2), RealNVP)
    # Zero-initialised output layers: an untrained RealNVP is exactly the identity, i.e. N(0, I).
    flow = make_flow(2, seed=3)
    z = np.random.default_rng(6).normal(size=(100, 2)).astype("float32")
    np.testing.assert_array_equal(np.asarray(flow(z)), z)
    np.testing.assert_allclose(np.asarray(flow.log_prob(z)), std_normal_log_pdf(z), rtol=1e-6)
