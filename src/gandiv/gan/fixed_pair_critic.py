"""A GAN discriminator and a WGAN-GP critic trained against two fixed 1-D Gaussians far apart.

The generator is frozen at Q, so each network is trained to (near) optimality, as in
the WGAN paper's two-Gaussians figure. What matters is the gradient each hands the
generator: for the minimax rule d/dx log(1 - D(x)) = -sigmoid(a) a'(x), which vanishes
where the discriminator is sure x is fake; for the critic d/dx (-f(x)) = -f'(x), which a
1-Lipschitz critic keeps near 1 in size between the two distributions.
"""

from __future__ import annotations

from enum import Enum

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gandiv.gan.compiled_loop import InGraphDataModel, fit_in_chunks
from gandiv.gan.model import gradient_penalty
from gandiv.gan.networks import mlp
from gandiv.seeding import Streams


class CriticObjective(str, Enum):
    GAN = "gan"  # binary cross-entropy on logits (the discriminator)
    WGAN_GP = "wgan_gp"  # E_Q f - E_P f + lambda E (|f'| - 1)^2 (Gulrajani et al., 2017)


class FixedPairCritic(InGraphDataModel):
    """One network trained to tell samples of P = N(p_mean, p_sd^2) from Q = N(q_mean, q_sd^2).

    Samples of P and Q come from the run's `training_data` stream, penalty points from `penalty_points`.
    """

    def __init__(self, network: keras.Model, objective: CriticObjective, p: tuple[float, float],
                 q: tuple[float, float], batch_size: int, gp_weight: float, streams: Streams, **kwargs):
        super().__init__(**kwargs)
        self.network, self.objective, self.p, self.q = network, objective, p, q
        self.batch_size, self.gp_weight = batch_size, gp_weight
        self.data_seed = keras.random.SeedGenerator(streams.keras_seed("training_data"))
        self.penalty_seed = keras.random.SeedGenerator(streams.keras_seed("penalty_points"))
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def _draw(self, mean_sd):
        return mean_sd[0] + mean_sd[1] * keras.random.normal((self.batch_size, 1), seed=self.data_seed)

    def train_step(self, data):
        real, fake = self._draw(self.p), self._draw(self.q)
        with tf.GradientTape() as tape:
            real_out, fake_out = self.network(real), self.network(fake)
            if self.objective is CriticObjective.GAN:
                loss = ops.mean(ops.softplus(-real_out)) + ops.mean(ops.softplus(fake_out))
            else:
                mix = keras.random.uniform((self.batch_size, 1), seed=self.penalty_seed)
                loss = (ops.mean(fake_out) - ops.mean(real_out)
                        + self.gp_weight * gradient_penalty(self.network, real, fake, mix))
        grads = tape.gradient(loss, self.network.trainable_weights)
        self.optimizer.apply(grads, self.network.trainable_weights)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


def train_critic(objective: str, settings: dict, streams: Streams) -> FixedPairCritic:
    """Train the discriminator (`gan`) or the critic (`wgan_gp`) of the wgan-critic figure's settings."""
    keras.utils.set_random_seed(streams.keras_seed("keras_global"))
    network = mlp(1, 1, settings["hidden"], settings["depth"], streams.sequence("discriminator_weights"),
                  name=f"{objective}_network")
    model = FixedPairCritic(network, CriticObjective(objective), (settings["p"]["mean"], settings["p"]["sd"]),
                            (settings["q"]["mean"], settings["q"]["sd"]), settings["batch_size"],
                            settings["gp_weight"], streams)
    model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"], beta_1=0.5, beta_2=0.9),
                  steps_per_execution=settings["steps_per_call"], jit_compile=False)
    fit_in_chunks(model, settings["steps"], settings["steps_per_call"])
    return model


def outputs_and_generator_gradients(network: keras.Model, objective: str, x: np.ndarray) -> dict:
    """The network's output at x and d(generator loss)/dx there, for the generator rules that use it.

    gan: a = logit D; minimax loss log(1 - D) = -softplus(a), non-saturating -log D = softplus(-a).
    wgan_gp: f = critic; generator loss -f.
    """
    points = tf.constant(np.asarray(x, dtype="float32").reshape(-1, 1))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(points)
        out = network(points)
        losses = ({"minimax": -ops.softplus(out), "nonsaturating": ops.softplus(-out)}
                  if CriticObjective(objective) is CriticObjective.GAN else {"wgan": -out})
    result = {"output": ops.convert_to_numpy(out)[:, 0].astype(float)}
    for rule, loss in losses.items():
        result[f"grad_{rule}"] = ops.convert_to_numpy(tape.gradient(loss, points))[:, 0].astype(float)
    return result
