"""A GAN whose discriminator sees real data with prior pi, trained with a chosen generator update rule.

Written the keras-io way: a `keras.Model` subclass holding both networks, its
own `train_step` (one D-step, then one M-step), one optimizer per network and
metric trackers. `compile(steps_per_execution=K)` runs K steps inside one
compiled call: a graph while-loop with the step inlined (`compiled_loop`).
Real samples are drawn inside the step from the analytic target, so the data are
fresh every step (the setting of the theory) and the loop needs no input pipeline.
"""

from __future__ import annotations

from enum import Enum

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gandiv.gan.compiled_loop import InGraphDataModel
from gandiv.exact.densities import GaussianMixture
from gandiv.update_rules import UpdateRule, unit
from gandiv.seeding import Streams


class PiMode(str, Enum):
    """How the discriminator's prior pi on real data enters its training."""

    WEIGHTS = "weights"  # equal batches, loss weighted pi : 1 - pi
    BATCH = "batch"  # unweighted loss, real share of the batch = pi


def gradient_penalty(network: keras.Model, real, fake, seed_generator):
    """E (|grad f(x_hat)| - 1)^2 at random points x_hat between paired real and generated samples (WGAN-GP)."""
    mix = keras.random.uniform((ops.shape(real)[0], 1), seed=seed_generator)
    between = mix * real + (1.0 - mix) * fake
    with tf.GradientTape() as tape:
        tape.watch(between)
        out = network(between, training=True)
    slope = ops.sqrt(ops.sum(ops.square(tape.gradient(out, between)), axis=1) + 1e-12)  # + 1e-12: finite grad at 0
    return ops.mean(ops.square(slope - 1.0))


def batch_sizes(batch_size: int, pi: float, mode: PiMode) -> tuple[int, int]:
    """(real, generated) samples per D-step: equal for weights, pi-proportional for batch composition."""
    if mode is PiMode.WEIGHTS:
        return batch_size, batch_size
    n_real = int(round(2 * batch_size * pi))
    if not 0 < n_real < 2 * batch_size:
        raise ValueError(f"pi={pi} leaves no real or no generated sample in a batch of {2 * batch_size}")
    return n_real, 2 * batch_size - n_real


class MixtureSampler:
    """Draws from a Gaussian mixture inside the compiled step, in a few large ops.

    The component comes from one uniform draw against the cumulative weights; the
    noise is mapped through every component's Cholesky factor in one matmul and the
    drawn component's row is kept by a one-hot mask (cheaper than per-sample gathers).
    `seed` is a Keras seed (a run's `training_data` stream, see `gandiv.seeding`).
    """

    def __init__(self, target: GaussianMixture, seed: int):
        self.n_components, self.dim = len(target.weights), target.dim
        self.cumulative = np.cumsum(target.weights)[:-1].astype("float32")
        chols = np.linalg.cholesky(target.covariances)  # (K, d, d)
        # z @ stacked = [L_1 z, ..., L_K z] laid out (K, d) per sample
        self.stacked_chols = np.transpose(chols, (2, 0, 1)).reshape(self.dim, -1).astype("float32")
        self.means = target.means.astype("float32")
        self.seed_generator = keras.random.SeedGenerator(seed)

    def sample(self, n: int):
        uniform = keras.random.uniform((n, 1), seed=self.seed_generator)
        component = ops.sum(ops.cast(uniform > self.cumulative, "int32"), axis=1)
        noise = keras.random.normal((n, self.dim), seed=self.seed_generator)
        every = ops.reshape(ops.matmul(noise, self.stacked_chols), (n, self.n_components, self.dim)) + self.means
        return ops.sum(every * ops.one_hot(component, self.n_components)[:, :, None], axis=1)


class AdversarialModel(InGraphDataModel):
    """Generator G(z) and discriminator D(x) (a logit, an LSGAN score or a critic) trained against each other.

    Each step makes `d_steps` discriminator updates, then one generator update. Critic rules bound
    their network's slope: `weight_clip` clips every weight after each update, making it K-Lipschitz
    for some K (WGAN); `gp_weight` adds the gradient penalty, pulling |grad f| towards 1 (WGAN-GP).
    Real data, generator noise and penalty points come from the run's own streams (`gandiv.seeding`).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, target: GaussianMixture, latent_dim: int,
                 rule: UpdateRule, pi: float, pi_mode: PiMode, batch_size: int, streams: Streams, d_steps: int = 1,
                 weight_clip: float | None = None, gp_weight: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.sampler = MixtureSampler(target, streams.keras_seed("training_data"))
        self.latent_dim, self.rule, self.pi, self.pi_mode = latent_dim, rule, pi, pi_mode
        self.rule_unit = unit(rule)  # the rule's losses
        self.n_real, self.n_fake = batch_sizes(batch_size, pi, pi_mode)
        if gp_weight and self.n_real != self.n_fake:
            raise ValueError("the gradient penalty pairs real and generated samples: it needs pi_mode weights")
        self.batch_size, self.d_steps, self.weight_clip, self.gp_weight = batch_size, d_steps, weight_clip, gp_weight
        self.noise_seed = keras.random.SeedGenerator(streams.keras_seed("generator_noise"))
        self.penalty_seed = keras.random.SeedGenerator(streams.keras_seed("penalty_points"))
        self.trackers = {name: keras.metrics.Mean(name=name) for name in
                         ("d_loss", "g_loss", "real_logit", "fake_logit")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    def noise(self, n):
        return keras.random.normal((n, self.latent_dim), seed=self.noise_seed)

    def discriminator_step(self):
        """One D update on fresh real and generated samples; returns its loss and mean outputs."""
        real = self.sampler.sample(self.n_real)
        fake = self.generator(self.noise(self.n_fake), training=True)  # a constant for the D-step
        with tf.GradientTape() as tape:
            out = self.discriminator(ops.concatenate([real, fake], axis=0), training=True)  # one pass for both
            real_out, fake_out = out[: self.n_real], out[self.n_real:]
            d_loss = self.rule_unit.discriminator_loss(real_out, fake_out, self.pi, self.pi_mode is PiMode.WEIGHTS)
            if self.gp_weight:
                d_loss += self.gp_weight * gradient_penalty(self.discriminator, real, fake, self.penalty_seed)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)
        if self.weight_clip is not None:
            for weight in self.discriminator.trainable_weights:
                weight.assign(ops.clip(weight, -self.weight_clip, self.weight_clip))
        return d_loss, ops.mean(real_out), ops.mean(fake_out)

    def train_step(self, data):
        for _ in range(self.d_steps):  # unrolled in the graph: d_steps is small (1, or 5 for critics)
            d_loss, real_out, fake_out = self.discriminator_step()
        with tf.GradientTape() as tape:
            out = self.discriminator(self.generator(self.noise(self.batch_size), training=True), training=True)
            g_loss = self.rule_unit.generator_loss(out)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)

        for name, value in (("d_loss", d_loss), ("g_loss", g_loss), ("real_logit", real_out),
                            ("fake_logit", fake_out)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}
