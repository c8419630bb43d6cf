"""The Keras GAN: losses on logits, the discriminator's prior pi, determinism, blow-up handling, plug-in estimates.

Grouped training (a run alone equals the run in a group) is tested in tests/test_groups.py."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from gandiv.exact import divergences as dv  # noqa: E402
from gandiv import update_rules  # noqa: E402
from gandiv.exact.densities import GaussianMixture, gaussian, ring_of_gaussians  # noqa: E402
from gandiv.gan.model import MixtureSampler, PiMode, batch_sizes, gradient_penalty  # noqa: E402
from gandiv.update_rules import unit  # noqa: E402
from gandiv.update_rules.logit import logit_plug_ins as discriminator_estimates  # noqa: E402
from gandiv.update_rules import UpdateRule  # noqa: E402
from gandiv.seeding import run_streams  # noqa: E402
from gandiv.gan.training import train_gan  # noqa: E402

BIMODAL = GaussianMixture([0.7, 0.3], [[-2.0], [2.0]], [[[0.36]], [[0.25]]])
TINY = {"device": "cpu", "threads": 1, "pi_mode": "weights", "steps": 200, "steps_per_call": 100, "batch_size": 64,
        "n_snapshot_samples": 32, "generator": {"latent_dim": 3, "hidden": 8, "depth": 1, "flow_layers": 2},
        "discriminator": {"hidden": 8, "depth": 1},
        "optimizer": {"d_learning_rate": 1e-3, "g_learning_rate": 1e-3, "beta_1": 0.5}}


def one_run(values):
    """Network outputs of one run, as the losses take them: (runs=1, n, 1)."""
    return keras.ops.convert_to_tensor(np.asarray(values).reshape(1, -1, 1))


def streams(seed):
    """A test run's streams: the seed, and a fixed identity."""
    return run_streams(seed, {"job": "test_gan"})


@pytest.mark.parametrize("rule", update_rules.LOGIT_RULES)
def test_keras_generator_losses_match_the_theory_module(rule):
    logits = np.random.default_rng(0).normal(0, 3, 1000)
    keras_value = float(unit(rule).generator_loss(one_run(logits))[0])
    # float32 vs float64 of a mean of O(1) terms: 1e-5 relative is float32 round-off.
    assert keras_value == pytest.approx(unit(rule).logit_loss(logits).mean(), rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("mode", list(PiMode))
def test_both_ways_of_carrying_pi_learn_the_same_optimal_discriminator(mode):
    # P = N(0,1), Q = N(1.5,1): the optimal logit is linear, log(pi/(1-pi)) + 1.125 - 1.5 x, so a
    # logistic discriminator a(x) = w x + b can represent it exactly; both modes must find it.
    pi, batch = 0.8, 512
    n_real, n_fake = batch_sizes(batch, pi, mode)
    weight, bias = tf.Variable(0.0), tf.Variable(0.0)
    optimizer = keras.optimizers.Adam(0.02)
    generator = tf.random.Generator.from_seed(1)

    @tf.function
    def train(steps):
        for _ in tf.range(steps):
            real = generator.normal((1, n_real, 1))
            fake = 1.5 + generator.normal((1, n_fake, 1))
            with tf.GradientTape() as tape:
                loss = unit(UpdateRule.MINIMAX).discriminator_loss(weight * real + bias, weight * fake + bias, pi,
                                                                  mode is PiMode.WEIGHTS)[0]
            optimizer.apply(tape.gradient(loss, [weight, bias]), [weight, bias])

    train(tf.constant(3000))
    # Stochastic optimisation on batches of ~1000: the parameters settle within a few 0.01 of the optimum.
    assert float(weight) == pytest.approx(-1.5, abs=0.08)
    assert float(bias) == pytest.approx(np.log(pi / (1 - pi)) + 1.125, abs=0.08)


def test_batch_composition_carries_pi():
    assert batch_sizes(100, 0.3, PiMode.BATCH) == (60, 140)
    assert batch_sizes(100, 0.3, PiMode.WEIGHTS) == (100, 100)
    with pytest.raises(ValueError):
        batch_sizes(10, 0.01, PiMode.BATCH)


def test_in_graph_sampler_draws_from_the_target():
    samples = np.asarray(MixtureSampler(BIMODAL).sample(200_000, keras.random.SeedGenerator(3)))
    # Mean and share of the right mode within 5 standard errors of their exact values.
    assert samples.mean() == pytest.approx(BIMODAL.mean()[0], abs=5 * np.sqrt(BIMODAL.covariance()[0, 0] / 2e5))
    assert (samples > 0).mean() == pytest.approx(0.3, abs=5 * np.sqrt(0.21 / 2e5))


def test_training_is_bit_identical_for_the_same_seed_on_cpu():
    tf.config.experimental.enable_op_determinism()
    first, second, other = (train_gan(BIMODAL, "mlp", "nonsaturating", 0.5, streams(seed), TINY)
                            for seed in (4, 4, 5))
    for a, b in zip(first.networks.get_weights(), second.networks.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(first.networks.get_weights(), other.networks.get_weights()))
    assert first.history.step.tolist() == [100, 200]
    assert first.snapshots.shape == (3, 32, 1)  # initial state and one snapshot per compiled call
    assert first.probe_logits.shape == (3, len(first.probe_points))


def test_discriminator_plug_ins_recover_exact_divergences_at_the_optimal_logit():
    p, q, pi = gaussian(0.0, 1.0), gaussian(1.0, 1.5**2), 0.3
    rng = np.random.default_rng(0)
    xp, xq = p.sample(400_000, rng), q.sample(400_000, rng)

    def logit(x):
        return update_rules.optimal_logit(p.log_prob(x), q.log_prob(x), pi)

    estimates = discriminator_estimates(logit(xp), logit(xq), pi)
    # Monte Carlo with 4e5 samples: standard errors are ~2e-3 here; 1e-2 is five of them.
    assert estimates["kl_pq"] == pytest.approx(dv.kl_pq(p, q), abs=1e-2)
    assert estimates["kl_qp"] == pytest.approx(dv.kl_qp(p, q), abs=1e-2)
    assert estimates["js_pi"] == pytest.approx(dv.js_pi(p, q, pi), abs=1e-2)


def test_gaussian_generator_learns_towards_the_target():
    settings = dict(TINY, steps=2000, steps_per_call=500, batch_size=256, discriminator={"hidden": 32, "depth": 2},
                    optimizer={"d_learning_rate": 2e-3, "g_learning_rate": 2e-3, "beta_1": 0.5})
    target = gaussian(2.0, 0.25)
    result = train_gan(target, "gaussian", "nonsaturating", 0.5, streams(0), settings)
    fitted = result.networks.generator.density()
    # Starting from N(0, 1) (KL 2.3 nats), a GAN must get much closer to P when P is in
    # the family; the remaining gap is the noise of alternating stochastic updates.
    assert dv.kl_pq(target, gaussian(0.0, 1.0)) == pytest.approx(np.log(2) + 4.25 / 2 - 0.5)
    assert dv.kl_pq(target, fitted) < 0.05  # measured 4e-4 with these streams


# ---------------------------------------------------------------- the objectives zoo's rules


def test_zoo_generator_losses_match_their_closed_forms():
    out = np.random.default_rng(1).normal(0, 2, 1000)
    tensor = one_run(out)
    # float32 means of O(1) terms: 1e-5 relative is round-off.
    assert float(unit(UpdateRule.LSGAN).generator_loss(tensor)[0]) == pytest.approx(0.5 * np.mean(out**2), rel=1e-5)
    for rule in (UpdateRule.WGAN, UpdateRule.WGAN_GP):
        assert float(unit(rule).generator_loss(tensor)[0]) == pytest.approx(-out.mean(), rel=1e-5, abs=1e-6)
        # a critic has no prior: pi and the batch mode do not enter its loss
        for pi, mode in ((0.5, PiMode.WEIGHTS), (0.2, PiMode.BATCH)):
            value = float(unit(rule).discriminator_loss(tensor[:, :500], tensor[:, 500:], pi,
                                                        mode is PiMode.WEIGHTS)[0])
            assert value == pytest.approx(out[500:].mean() - out[:500].mean(), rel=1e-5, abs=1e-6)


def test_lsgan_discriminator_learns_twice_the_optimal_d_minus_one():
    # P = N(0,1), Q = N(1.5,1), prior pi: the least-squares optimum is 2 D* - 1 = tanh(logit D* / 2) with the
    # linear logit D* = log(pi/(1-pi)) + 1.125 - 1.5 x, so a score tanh((w x + b) / 2) can represent it
    # exactly; and lsgan_logit must turn the score back into that logit.
    pi = 0.7
    weight, bias = tf.Variable(0.0), tf.Variable(0.0)
    optimizer = keras.optimizers.Adam(0.02)
    generator = tf.random.Generator.from_seed(2)

    def score(x):
        return tf.tanh((weight * x + bias) / 2)

    @tf.function
    def train(steps):
        for _ in tf.range(steps):
            real, fake = generator.normal((1, 512, 1)), 1.5 + generator.normal((1, 512, 1))
            with tf.GradientTape() as tape:
                loss = unit(UpdateRule.LSGAN).discriminator_loss(score(real), score(fake), pi, True)[0]
            optimizer.apply(tape.gradient(loss, [weight, bias]), [weight, bias])

    train(tf.constant(3000))
    # As in the cross-entropy test: stochastic optimisation on batches of 1024 settles within a few 0.01.
    assert float(weight) == pytest.approx(-1.5, abs=0.1)
    assert float(bias) == pytest.approx(np.log(pi / (1 - pi)) + 1.125, abs=0.1)
    x = np.linspace(-2, 3, 11)
    np.testing.assert_allclose(update_rules.lsgan_logit(np.tanh((float(weight) * x + float(bias)) / 2)),
                               float(weight) * x + float(bias), atol=1e-9)  # float64 round trip


def test_gradient_penalty_of_a_linear_critic_and_its_gradient_in_the_weights():
    network = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    network.layers[0].set_weights([np.array([[3.0], [4.0]], dtype="float32"), np.array([0.5], dtype="float32")])
    real = keras.random.normal((64, 2), seed=0)
    fake = keras.random.normal((64, 2), seed=1)
    with tf.GradientTape() as tape:
        penalty = gradient_penalty(network, real, fake, keras.random.uniform((64, 1), seed=0))
    kernel_grad = tape.gradient(penalty, network.layers[0].kernel)
    # |grad f| = |w| = 5 everywhere: (5 - 1)^2 = 16, and d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w| = 1.6 w
    # (the 1e-12 inside the root moves both by ~1e-12; float32 round-off is ~1e-6 relative).
    assert float(penalty) == pytest.approx(16.0, rel=1e-6)
    np.testing.assert_allclose(np.asarray(kernel_grad)[:, 0], [4.8, 6.4], rtol=1e-5)


def test_gradient_penalty_is_taken_at_random_points_between_real_and_generated_samples():
    # f(x) = |x|^2 / 2 has grad f(x) = x, so the penalty is E (|x_hat| - 1)^2 at x_hat = u real + (1-u) fake,
    # with u the uniform draws of the same seed generator.
    network = keras.Sequential([keras.Input((2,)),
                                keras.layers.Lambda(lambda x: 0.5 * keras.ops.sum(x**2, axis=1, keepdims=True))])
    real = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")
    fake = np.random.default_rng(1).normal(3.0, 1.0, size=(256, 2)).astype("float32")
    u = np.asarray(keras.random.uniform((256, 1), seed=keras.random.SeedGenerator(7)))
    penalty = float(gradient_penalty(network, real, fake, u))
    between = u * real + (1 - u) * fake
    expected = np.mean((np.linalg.norm(between, axis=1) - 1.0) ** 2)
    assert penalty == pytest.approx(expected, rel=1e-5)  # float32 against float64
    at_real = np.mean((np.linalg.norm(real, axis=1) - 1.0) ** 2)
    assert abs(expected - at_real) > 1.0  # the points are not the real samples (nor, by symmetry, the fake ones)


RING = ring_of_gaussians(8, 2.0, 0.02)
ZOO_TINY = dict(TINY, generator={"latent_dim": 2, "hidden": 16, "depth": 2, "flow_layers": 0},
                discriminator={"hidden": 16, "depth": 2}, steps=200, steps_per_call=100)


def test_critic_updates_clip_weights_and_run_d_steps_per_generator_step():
    settings = dict(ZOO_TINY, d_steps=3, weight_clip=0.01,
                    optimizer={"kind": "rmsprop", "d_learning_rate": 5e-3, "g_learning_rate": 5e-3, "beta_1": 0.5})
    networks = train_gan(RING, "mlp", "wgan", 0.5, streams(0), settings).networks
    weights = np.concatenate([w.ravel() for w in networks.discriminator.get_weights()])
    assert np.abs(weights).max() <= 0.01 + 1e-9  # clipped after every update
    assert np.abs(weights).max() == pytest.approx(0.01)  # and the clip is active at this learning rate


def test_spectral_normalisation_holds_the_largest_singular_value_at_one():
    plain = train_gan(RING, "mlp", "nonsaturating", 0.5, streams(0), ZOO_TINY)
    normed = train_gan(RING, "mlp", "nonsaturating", 0.5, streams(0),
                       dict(ZOO_TINY, discriminator={"hidden": 16, "depth": 2, "spectral_norm": True}))
    assert plain.singular_values.shape == normed.singular_values.shape == (3, 3)  # snapshots x layers
    np.testing.assert_array_equal(plain.singular_values[0], normed.singular_values[0])  # same seeded start
    # Each training call divides the kernel by sigma_hat from one power iteration, whose estimate starts
    # from a random vector and converges over calls: early on it may fall short by a few per cent
    # (measured 1.024 after 100 steps), by 200 steps it is within 1e-5; the figure's bound is 1.05.
    assert np.all(np.abs(normed.singular_values[1:] - 1.0) <= 0.05)
    np.testing.assert_allclose(normed.singular_values[-1], 1.0, atol=1e-3)


def test_zoo_training_is_bit_identical_for_the_same_seed_on_cpu():
    tf.config.experimental.enable_op_determinism()
    settings = dict(ZOO_TINY, d_steps=2, gp_weight=0.1,
                    discriminator={"hidden": 16, "depth": 2, "spectral_norm": True})
    first, second = (train_gan(RING, "mlp", "wgan_gp", 0.5, streams(3), settings) for _ in range(2))
    for a, b in zip(first.networks.get_weights(), second.networks.get_weights()):
        np.testing.assert_array_equal(a, b)
