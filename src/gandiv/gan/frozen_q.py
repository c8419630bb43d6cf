"""GAN discriminators trained to convergence against frozen Gaussian generators: the D-step alone.

The generator is frozen at Q = N(mean, sd^2), so the discriminator's training is a logistic regression on fresh
samples of P and Q with real-data prior pi, whose population optimum is the logit log(pi p / ((1-pi) q))
(`gandiv.update_rules.logit`). Each run is one (Q, pi, seed): the GAN grid's discriminator (`networks.
make_discriminator`, its own initial weights from the run's `discriminator_weights` stream) trained with the grid's
D-step loss in its pi_mode `weights` (equal batches, loss pi * mean(-log D(real)) + (1 - pi) * mean(-log(1 - D(fake))),
`update_rules.base.prior_weighted_loss`) and Adam (`training.make_optimizer`). All runs train as one model stacked
along a run axis (`gandiv.gan.stacked`), a compiled chunk of steps per call (`compiled_loop`); a run draws only from
its own streams (P's samples from `training_data`, Q's noise from `generator_noise`) and its slice of every op is
computed as if alone, so its numbers do not depend on the other runs and repeat bit for bit on CPU under TensorFlow
op determinism (`training.configure_tensorflow`). After every chunk each run's logit is recorded on fixed points.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gandiv.exact.densities import GaussianMixture
from gandiv.gan.compiled_loop import InGraphDataModel, fit_in_chunks
from gandiv.gan.model import MixtureSampler, RunSeeds
from gandiv.gan.networks import make_discriminator
from gandiv.gan.stacked import load_members, stacked_discriminator
from gandiv.gan.training import make_optimizer
from gandiv.seeding import Streams
from gandiv.update_rules import UpdateRule, unit

# The D-step loss of the classifier rules (minimax, non-saturating and KL share it: `update_rules.logit.LogitRule`).
CLASSIFIER = UpdateRule.MINIMAX


@dataclass(frozen=True)
class FrozenRun:
    """One run: its frozen Q = N(q_mean, q_sd^2) (x units), the real-data prior pi in (0, 1), its streams."""

    q_mean: float
    q_sd: float
    pi: float
    streams: Streams


@dataclass(frozen=True)
class DiscriminatorSettings:
    """The GAN grid's discriminator and its optimiser (`gan.discriminator`, `gan.optimizer`, `gan.batch_size`):
    hidden units per layer, hidden layers, Adam's learning rate and beta_1, samples of P and of Q per step."""

    hidden: int
    depth: int
    learning_rate: float
    beta_1: float
    batch_size: int


class FrozenQDiscriminators(InGraphDataModel):
    """Stacked discriminators (runs, n, 1) -> (runs, n, 1) logits, run r trained to tell P from its frozen Q_r.

    Each step every run draws `batch_size` samples of P and of Q_r and takes one Adam step on its prior-weighted
    logistic loss (nats).
    """

    def __init__(self, discriminator: keras.Model, target: GaussianMixture, runs: list[FrozenRun], batch_size: int,
                 **kwargs):
        super().__init__(**kwargs)
        if target.dim != 1:
            raise ValueError(f"frozen-Q discriminators are for a 1-D target, got dim {target.dim}")
        self.discriminator, self.sampler, self.batch_size = discriminator, MixtureSampler(target), batch_size
        self.q_mean = np.array([[[r.q_mean]] for r in runs], dtype="float32")  # (runs, 1, 1)
        self.q_sd = np.array([[[r.q_sd]] for r in runs], dtype="float32")
        self.pi = np.array([r.pi for r in runs], dtype="float32")
        self.seeds = [RunSeeds(r.streams) for r in runs]

    def compile(self, optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = optimizer

    def draw_chunk(self, steps: int) -> dict:
        """real and fake samples (steps, runs, batch_size, 1), each run's from its own streams."""
        def per_run(draw):
            return ops.stack([draw(s) for s in self.seeds], axis=1)

        shape = (steps, self.batch_size, 1)
        uniform = per_run(lambda s: keras.random.uniform(shape, seed=s.data))
        normal = per_run(lambda s: keras.random.normal(shape, seed=s.data))
        noise = per_run(lambda s: keras.random.normal(shape, seed=s.noise))
        return {"real": self.sampler.transform(uniform, normal), "fake": self.q_mean + self.q_sd * noise}

    def train_step(self, data):
        with tf.GradientTape() as tape:
            out = self.discriminator(ops.concatenate([data["real"], data["fake"]], axis=1), training=True)
            real_out, fake_out = out[:, : self.batch_size], out[:, self.batch_size:]
            loss = unit(CLASSIFIER).discriminator_loss(real_out, fake_out, self.pi, weighted=True)
            total = ops.sum(loss)
        grads = tape.gradient(total, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)
        return {}


class LogitRecorder(keras.callbacks.Callback):
    """After every chunk (and before the first): every run's logit at the fixed points (n,).

    Attributes after training: steps (K,), logits (K, runs, n) nats.
    """

    def __init__(self, points: np.ndarray, runs: int, chunk: int):
        super().__init__()
        self.points = np.broadcast_to(np.asarray(points, "float32").reshape(1, -1, 1), (runs, len(points), 1))
        self.chunk, self.steps, self.logits = chunk, [], []

    def _record(self, step: int):
        self.steps.append(step)
        self.logits.append(ops.convert_to_numpy(self.model.discriminator(self.points))[..., 0].astype(float))

    def on_train_begin(self, logs=None):
        self._record(0)

    def on_epoch_end(self, epoch, logs=None):
        self._record((epoch + 1) * self.chunk)


@dataclass
class FrozenQTraining:
    """What training recorded: steps (K,) after every chunk (0 first); logits (K, runs, n) of each run at the
    points (nats)."""

    steps: np.ndarray
    logits: np.ndarray


def train_frozen_q(target: GaussianMixture, runs: list[FrozenRun], settings: DiscriminatorSettings, steps: int,
                   chunk: int, points: np.ndarray) -> FrozenQTraining:
    """Train every run's discriminator `steps` steps, `chunk` per compiled call; record its logit at `points` (n,).

    A single run is trained beside a copy of itself (as `training.train_group` does: TensorFlow's CPU batched matmul
    computes a batch of one by another kernel), so its numbers are those it gets in any group.
    """
    n_runs = len(runs)
    runs = runs if n_runs > 1 else runs * 2
    members = []
    for run in runs:
        keras.utils.set_random_seed(run.streams.keras_seed("keras_global"))
        members.append(make_discriminator(1, settings.hidden, settings.depth,
                                          run.streams.sequence("discriminator_weights")))
    network = stacked_discriminator(len(runs), 1, settings.hidden, settings.depth)
    load_members(network, members)
    model = FrozenQDiscriminators(network, target, runs, settings.batch_size)
    model.compile(make_optimizer({"beta_1": settings.beta_1}, settings.learning_rate), steps_per_execution=chunk,
                  jit_compile=False)
    recorder = LogitRecorder(points, len(runs), chunk)
    fit_in_chunks(model, steps, chunk, [recorder])
    return FrozenQTraining(np.array(recorder.steps), np.stack(recorder.logits)[:, :n_runs])
