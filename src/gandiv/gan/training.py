"""One GAN training run: configure TensorFlow, train in compiled chunks, keep history and snapshots, catch blow-ups.

A run is fully determined by its settings and its streams (`gandiv.seeding`: one root per
run, from its seed and identity): on CPU the final weights are bit-identical between runs
(TensorFlow op determinism, seeded initialisers and seeded in-graph sampling).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter; read at import
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow as tf  # noqa: E402

from gandiv.gan.compiled_loop import fit_in_chunks
from gandiv.gan.model import AdversarialModel, PiMode
from gandiv.update_rules import UpdateRule
from gandiv.gan.networks import GeneratorKind, largest_singular_values, latent_dim_for, make_discriminator, make_generator
from gandiv.seeding import Streams


def configure_tensorflow(threads: int, use_gpu: bool) -> None:
    """Thread counts, op determinism and device choice; call before any TensorFlow op runs."""
    if not use_gpu:
        tf.config.set_visible_devices([], "GPU")
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.config.experimental.enable_op_determinism()


def visible_gpus() -> list:
    """GPUs TensorFlow will use (none after `configure_tensorflow(..., use_gpu=False)` or on a CPU build)."""
    return tf.config.get_visible_devices("GPU")


@dataclass
class TrainingResult:
    model: object  # gan.AdversarialModel
    history: pd.DataFrame
    snapshot_steps: list[int]
    snapshots: np.ndarray  # (n_snapshots, n_fixed_z, d) generated samples at fixed noise
    fixed_noise: np.ndarray
    probe_points: np.ndarray  # (n_probe, d) grid over P's bulk
    probe_logits: np.ndarray  # (n_snapshots, n_probe) discriminator logit there, at every snapshot
    singular_values: np.ndarray  # (n_snapshots, n_layers) largest singular value of each discriminator kernel
    diverged: bool
    diverged_at: int | None
    steps_done: int
    wall_s: float


def build_model(target, generator_kind: str, rule: str, pi: float, streams: Streams,
                settings: dict) -> AdversarialModel:
    """The compiled GAN for one run; the same call (same streams) rebuilds it to load saved weights."""
    keras.utils.set_random_seed(streams.keras_seed("keras_global"))
    kind = GeneratorKind(generator_kind)
    gen_settings, disc_settings, opt = settings["generator"], settings["discriminator"], settings["optimizer"]
    latent_dim = latent_dim_for(kind, target.dim, gen_settings["latent_dim"])
    generator = make_generator(kind, target.dim, latent_dim, gen_settings["hidden"], gen_settings["depth"],
                               gen_settings["flow_layers"], streams.sequence("generator_weights"))
    discriminator = make_discriminator(target.dim, disc_settings["hidden"], disc_settings["depth"],
                                       streams.sequence("discriminator_weights"),
                                       disc_settings.get("spectral_norm", False))
    model = AdversarialModel(generator, discriminator, target, latent_dim, UpdateRule(rule), pi,
                             PiMode(settings["pi_mode"]), settings["batch_size"], streams,
                             d_steps=settings.get("d_steps", 1), weight_clip=settings.get("weight_clip"),
                             gp_weight=settings.get("gp_weight", 0.0))
    model.compile(d_optimizer=make_optimizer(opt, opt["d_learning_rate"]),
                  g_optimizer=make_optimizer(opt, opt["g_learning_rate"]),
                  steps_per_execution=settings["steps_per_call"], jit_compile=False)
    return model


def make_optimizer(opt: dict, learning_rate: float) -> keras.optimizers.Optimizer:
    """Adam (the default; beta_2 defaults to Keras's 0.999) or RMSprop (the WGAN paper's), by `opt["kind"]`."""
    kind = opt.get("kind", "adam")
    if kind == "adam":
        return keras.optimizers.Adam(learning_rate, beta_1=opt["beta_1"], beta_2=opt.get("beta_2", 0.999))
    if kind == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    raise ValueError(f"unknown optimizer {kind!r}; allowed: adam, rmsprop")


def train_gan(target, generator_kind: str, rule: str, pi: float, streams: Streams, settings: dict) -> TrainingResult:
    """Train one GAN; `settings` is the config's `gan` section (network sizes, optimiser, steps)."""
    model = build_model(target, generator_kind, rule, pi, streams, settings)
    chunk = settings["steps_per_call"]
    fixed_noise = streams.numpy("snapshot_noise").standard_normal((settings["n_snapshot_samples"], model.latent_dim))
    recorder = Recorder(model.generator, fixed_noise.astype("float32"), chunk, probe_points(target))
    start = time.perf_counter()
    fit_in_chunks(model, settings["steps"], chunk, [recorder])
    return TrainingResult(model, pd.DataFrame(recorder.rows), recorder.steps, np.stack(recorder.snapshots),
                          recorder.fixed_noise, recorder.probe_points, np.stack(recorder.probe_logits),
                          np.stack(recorder.singular_values), recorder.diverged_at is not None, recorder.diverged_at,
                          recorder.steps_done,
                          time.perf_counter() - start)


def probe_points(target, n_per_axis: int = 41) -> np.ndarray:
    """A regular grid over P's bulk where the discriminator's logit is recorded through training."""
    box = target.bounds(3.0)
    axes = [np.linspace(lo, hi, n_per_axis if target.dim == 2 else 401) for lo, hi in box]
    return np.stack([m.ravel() for m in np.meshgrid(*axes, indexing="ij")], axis=1).astype("float32")


class Recorder(keras.callbacks.Callback):
    """History, fixed-z snapshots and discriminator singular values after every compiled chunk; stops on NaN/inf.

    On a blow-up the last finite weights are restored, so the saved model is the last good state.
    """

    def __init__(self, generator, fixed_noise, chunk, probe_points):
        super().__init__()
        self.generator, self.fixed_noise, self.chunk, self.probe_points = generator, fixed_noise, chunk, probe_points
        self.rows, self.steps, self.snapshots = [], [0], [keras.ops.convert_to_numpy(generator(fixed_noise))]
        self.probe_logits, self.singular_values = [], []
        self.good_weights, self.diverged_at, self.steps_done = None, None, 0

    def _probe(self):
        return keras.ops.convert_to_numpy(self.model.discriminator(self.probe_points))[:, 0]

    def on_train_begin(self, logs=None):
        self.good_weights = self.model.get_weights()
        self.probe_logits.append(self._probe())
        self.singular_values.append(largest_singular_values(self.model.discriminator))

    def on_epoch_end(self, epoch, logs=None):
        step = (epoch + 1) * self.chunk
        values = {k: float(v) for k, v in (logs or {}).items()}
        samples = keras.ops.convert_to_numpy(self.generator(self.fixed_noise))
        logits = self._probe()
        if not (all(np.isfinite(list(values.values()))) and np.isfinite(samples).all() and np.isfinite(logits).all()):
            self.diverged_at = step
            self.model.set_weights(self.good_weights)
            self.model.stop_training = True
            return
        self.rows.append({"step": step, **values})
        self.steps.append(step)
        self.snapshots.append(samples)
        self.probe_logits.append(logits)
        self.singular_values.append(largest_singular_values(self.model.discriminator))
        self.good_weights = self.model.get_weights()
        self.steps_done = step
