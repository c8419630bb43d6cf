"""A Keras autoregressive model of pairs (x1, x2), trained by maximum likelihood or scheduled sampling.

Q1(x1) and Q2(x2 | x1) share one conditional network: an embedding of the
previous token (a start token, or x1) followed by a dense layer and logits over
the alphabet, which is all the context a pair has. Training pairs are drawn from
P inside the compiled step, fresh every step, so the model can only be pulled
towards the minimiser of its objective, not towards a finite sample.

Scheduled sampling (Bengio et al., 2015): the prefix fed to Q2 is the real x1 with
probability epsilon, else a symbol sampled from the model's own Q1, with no gradient
through the sampling; the loss is -log Q1(x1) - log Q2(x2 | prefix). epsilon = 1
is maximum likelihood (teacher forcing).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import ops

from gandiv.exact import domain
from gandiv.gan.compiled_loop import InGraphDataModel, fit_in_chunks
from gandiv.sequence.scheduled_sampling import epsilon_at
from gandiv.seeding import Streams, keras_seeds

START = 0  # token fed before x1; symbols are tokens 1..K


def conditional_network(n_symbols: int, embedding_dim: int, hidden: int,
                        init: np.random.SeedSequence) -> keras.Sequential:
    """Logits over the next symbol given the previous token (start or a symbol); initial weights from `init`."""
    seeds = keras_seeds(init, 3)
    return keras.Sequential([
        keras.Input((), dtype="int32"),
        keras.layers.Embedding(n_symbols + 1, embedding_dim, embeddings_initializer=keras.initializers.RandomNormal(
            stddev=0.1, seed=seeds[0])),
        keras.layers.Dense(hidden, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seeds[1])),
        keras.layers.Dense(n_symbols, kernel_initializer=keras.initializers.GlorotUniform(seeds[2])),
    ], name="conditional")


class ScheduledSamplingModel(InGraphDataModel):
    """Q(x1, x2) = Q1(x1) Q2(x2 | x1), trained on pairs from P with a schedule for epsilon.

    Streams (`gandiv.seeding`): pairs from `training_data`; the model's own x1 and the real-or-own coin
    from `generator_noise`; the network's initial weights from `generator_weights`.
    """

    def __init__(self, joint: np.ndarray, schedule: str, schedule_settings: dict, batch_size: int, embedding_dim: int,
                 hidden: int, streams: Streams, **kwargs):
        super().__init__(**kwargs)
        joint = domain.joint_table("joint", joint)  # ValueError unless a valid joint table (as in the config)
        self.n_symbols = joint.shape[0]
        self.conditional = conditional_network(self.n_symbols, embedding_dim, hidden,
                                               streams.sequence("generator_weights"))
        with np.errstate(divide="ignore"):
            self.joint_logits = np.where(joint > 0, np.log(joint), -1e9).reshape(1, -1).astype("float32")
        self.schedule, self.schedule_settings, self.batch_size = schedule, schedule_settings, batch_size
        self.data_seed = keras.random.SeedGenerator(streams.keras_seed("training_data"))
        self.own_seed = keras.random.SeedGenerator(streams.keras_seed("generator_noise"))
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "nll_x1", "nll_x2", "epsilon")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def sample_pairs(self, n: int):
        """(x1, x2) drawn from P: one categorical draw over the K x K cells."""
        cell = ops.reshape(keras.random.categorical(self.joint_logits, n, seed=self.data_seed), (-1,))
        return cell // self.n_symbols, cell % self.n_symbols

    def train_step(self, data):
        n = self.batch_size
        x1, x2 = self.sample_pairs(n)
        step = ops.cast(self.optimizer.iterations, "float32")
        epsilon = epsilon_at(self.schedule, step, self.schedule_settings, xp=ops)
        start = ops.full((n,), START, dtype="int32")
        own_x1 = ops.reshape(keras.random.categorical(self.conditional(start[:1]), n, seed=self.own_seed),
                             (-1,))  # sampled from the current Q1; a constant for the gradient
        real_first = keras.random.uniform((n,), seed=self.own_seed) < epsilon
        prefix = ops.where(real_first, x1, ops.cast(own_x1, x1.dtype))
        with tf.GradientTape() as tape:
            nll_x1 = ops.mean(keras.losses.sparse_categorical_crossentropy(x1, self.conditional(start),
                                                                           from_logits=True))
            nll_x2 = ops.mean(keras.losses.sparse_categorical_crossentropy(
                x2, self.conditional(ops.cast(prefix + 1, "int32")), from_logits=True))
            loss = nll_x1 + nll_x2
        grads = tape.gradient(loss, self.conditional.trainable_weights)
        self.optimizer.apply(grads, self.conditional.trainable_weights)
        for name, value in (("loss", loss), ("nll_x1", nll_x1), ("nll_x2", nll_x2), ("epsilon", epsilon)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def tables(self) -> tuple[np.ndarray, np.ndarray]:
        """The model's Q1 (K,) and Q2|1 (K, K, rows x1) as float64 probability tables."""
        tokens = np.arange(self.n_symbols + 1, dtype="int32")
        logits = keras.ops.convert_to_numpy(self.conditional(tokens)).astype(float)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        return probs[START], probs[1:]


def build_pair_model(joint, schedule: str, streams: Streams, settings: dict) -> ScheduledSamplingModel:
    """The compiled model for one run; `settings` is the figure's `training` section."""
    keras.utils.set_random_seed(streams.keras_seed("keras_global"))
    model = ScheduledSamplingModel(joint, schedule, settings, settings["batch_size"], settings["embedding_dim"],
                                   settings["hidden"], streams)
    learning_rate = keras.optimizers.schedules.CosineDecay(settings["learning_rate"], settings["steps"], alpha=0.1)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), steps_per_execution=settings["steps_per_call"],
                  jit_compile=False)
    return model


class HistoryRecorder(keras.callbacks.Callback):
    """One row of chunk-mean metrics after every compiled call."""

    def __init__(self, chunk: int):
        super().__init__()
        self.chunk, self.rows = chunk, []

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append({"step": (epoch + 1) * self.chunk, **{k: float(v) for k, v in (logs or {}).items()}})


@dataclass
class PairTraining:
    model: ScheduledSamplingModel
    q1: np.ndarray
    q2_given_1: np.ndarray
    final_epsilon: float  # epsilon at the last step
    history: pd.DataFrame
    wall_s: float


def train_pair_model(joint, schedule: str, streams: Streams, settings: dict) -> PairTraining:
    """Train one autoregressive pair model on fresh samples of P under an epsilon schedule."""
    model = build_pair_model(joint, schedule, streams, settings)
    recorder = HistoryRecorder(settings["steps_per_call"])
    start = time.perf_counter()
    fit_in_chunks(model, settings["steps"], settings["steps_per_call"], [recorder])
    q1, q2_given_1 = model.tables()
    final = float(epsilon_at(schedule, settings["steps"] - 1, settings))
    return PairTraining(model, q1, q2_given_1, final, pd.DataFrame(recorder.rows), time.perf_counter() - start)
