"""GAN training: configure TensorFlow, train a group of runs as one model in compiled chunks, keep each run's
history and snapshots, catch blow-ups.

A group is a list of runs (target, rule, pi, streams) that share the data's dimension, a generator kind and the
training settings;
its networks are stacked along a run axis (`gandiv.gan.stacked`) and trained by one `GroupGAN`. A run is fully
determined by its settings and its streams (`gandiv.seeding`): its weights start from its own networks' seeded
initialisers, it draws only from its own streams, and its slice of every op is computed as if alone, so on CPU
its final weights are bit-identical alone, in any group, and between repeats (TensorFlow op determinism).
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
from gandiv.gan.model import GroupGAN, PiMode
from gandiv.gan.networks import GeneratorKind, latent_dim_for, make_discriminator, make_generator
from gandiv.gan.recorder import GroupRecorder, probe_points
from gandiv.gan.stacked import load_members, stacked_discriminator, stacked_generator, unload_members
from gandiv.seeding import Streams
from gandiv.update_rules import UpdateRule


def configure_tensorflow(threads: int, use_gpu: bool) -> None:
    """Thread counts, op determinism and device choice; call before any TensorFlow op runs.

    Grappler's arithmetic optimiser is off: it rewrites a group's loss arithmetic (pi times a batch mean) in a
    way that depends on the group's size, which changed a run's recorded loss in the last bit between groups.
    TensorFloat-32 is off: on GPUs that have it, float32 matmuls would otherwise round inputs to 10-bit mantissas.
    """
    if not use_gpu:
        tf.config.set_visible_devices([], "GPU")
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.config.experimental.enable_op_determinism()
    tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})
    tf.config.experimental.enable_tensor_float_32_execution(False)


def visible_gpus() -> list:
    """GPUs TensorFlow will use (none after `configure_tensorflow(..., use_gpu=False)` or on a CPU build)."""
    return tf.config.get_visible_devices("GPU")


@dataclass(frozen=True)
class RunSpec:
    """What may differ between the runs of a group: the target, the update rule, the prior pi, the random streams."""

    target: object  # GaussianMixture
    rule: str
    pi: float
    streams: Streams


@dataclass
class RunNetworks:
    """One run's own generator and discriminator (`gandiv.gan.networks`): saved, loaded and evaluated per run."""

    generator: keras.Model
    discriminator: keras.Model
    latent_dim: int

    def get_weights(self) -> list[np.ndarray]:
        return self.generator.get_weights() + self.discriminator.get_weights()


@dataclass
class TrainingResult:
    """One run's trained networks (its last finite state) and what was recorded after every chunk."""

    networks: RunNetworks
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
    wall_s: float  # the group's training time


def build_run(target, generator_kind: str, streams: Streams, settings: dict) -> RunNetworks:
    """One run's networks with their initial weights, from the run's streams; the same call rebuilds them to load
    saved weights. `settings` holds the networks' sizes, its `generator` and `discriminator` entries
    (`gandiv.gan.runs.network_settings`; the training settings have them too)."""
    keras.utils.set_random_seed(streams.keras_seed("keras_global"))
    kind = GeneratorKind(generator_kind)
    gen_settings, disc_settings = settings["generator"], settings["discriminator"]
    latent_dim = latent_dim_for(kind, target.dim, gen_settings["latent_dim"])
    generator = make_generator(kind, target.dim, latent_dim, gen_settings["hidden"], gen_settings["depth"],
                               gen_settings["flow_layers"], streams.sequence("generator_weights"))
    discriminator = make_discriminator(target.dim, disc_settings["hidden"], disc_settings["depth"],
                                       streams.sequence("discriminator_weights"),
                                       disc_settings.get("spectral_norm", False))
    start_sd, start_mean = float(gen_settings.get("start_sd", 0.0)), gen_settings.get("start_mean")
    if (start_sd > 0 or start_mean is not None) and kind is not GeneratorKind.GAUSSIAN:
        raise ValueError(f"start_sd and start_mean set a Gaussian generator's start; got a {kind.value} generator")
    if start_sd > 0:
        generator.mean.assign(gaussian_start(streams, target.dim, start_sd).astype("float32"))
    if start_mean is not None:  # a fixed start, the same for every seed (the dynamics studies)
        generator.mean.assign(np.full(target.dim, start_mean, dtype="float32"))
    return RunNetworks(generator, discriminator, latent_dim)


def gaussian_start(streams: Streams, dim: int, start_sd: float) -> np.ndarray:
    """A Gaussian generator's initial mean (dim,), x units: N(0, start_sd^2 I) from the run's `generator_start`
    stream (its sd starts at 1). start_sd = 0 is the default start, the mean at 0."""
    return start_sd * streams.numpy("generator_start").standard_normal(dim)


def build_group(generator_kind: str, runs: list[RunSpec], settings: dict) -> tuple[GroupGAN, list[RunNetworks]]:
    """The compiled group model, its stacked networks holding every run's initial weights, and the runs' own
    networks (`build_run`), into which `train_group` writes the trained weights."""
    dims = sorted({run.target.dim for run in runs})
    if len(dims) > 1:
        raise ValueError(f"the runs of a group share the data's dimension: got targets of dimensions {dims}")
    members = [build_run(run.target, generator_kind, run.streams, settings) for run in runs]
    dim = dims[0]
    kind, gen_settings, disc_settings = GeneratorKind(generator_kind), settings["generator"], settings["discriminator"]
    latent_dim = members[0].latent_dim
    generator = stacked_generator(kind, len(runs), dim, latent_dim, gen_settings["hidden"],
                                  gen_settings["depth"], gen_settings["flow_layers"])
    discriminator = stacked_discriminator(len(runs), dim, disc_settings["hidden"], disc_settings["depth"],
                                          disc_settings.get("spectral_norm", False))
    load_members(generator, [m.generator for m in members])
    load_members(discriminator, [m.discriminator for m in members])
    opt = settings["optimizer"]
    model = GroupGAN(generator, discriminator, [r.target for r in runs], latent_dim, [UpdateRule(r.rule) for r in runs],
                     [r.pi for r in runs], PiMode(settings["pi_mode"]), settings["batch_size"],
                     [r.streams for r in runs], d_steps=settings.get("d_steps", 1),
                     weight_clip=settings.get("weight_clip"), gp_weight=settings.get("gp_weight", 0.0),
                     instance_noise=settings.get("instance_noise", 0.0))
    model.compile(d_optimizer=make_optimizer(opt, opt["d_learning_rate"]),
                  g_optimizer=make_optimizer(opt, opt["g_learning_rate"]),
                  steps_per_execution=settings["steps_per_call"], jit_compile=False)
    return model, members


def make_optimizer(opt: dict, learning_rate: float) -> keras.optimizers.Optimizer:
    """Adam (the default; beta_2 defaults to Keras's 0.999) or RMSprop (the WGAN paper's), by `opt["kind"]`."""
    kind = opt.get("kind", "adam")
    if kind == "adam":
        return keras.optimizers.Adam(learning_rate, beta_1=opt["beta_1"], beta_2=opt.get("beta_2", 0.999))
    if kind == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    raise ValueError(f"unknown optimizer {kind!r}; allowed: adam, rmsprop")


def train_group(generator_kind: str, runs: list[RunSpec], settings: dict) -> list[TrainingResult]:
    """Train a group of runs as one model; one result per run, in order. `settings`: the runs' training settings
    (network sizes, optimiser, steps; `gandiv.gan.runs.training_settings`).

    A group of one trains two copies of its run and keeps the first: TensorFlow's CPU BatchMatMulV2 computes a
    batch of one by another kernel than a batch of two or more (whose slices agree bit for bit whatever the batch
    size; measured differences of a batch of one up to 1.5e-5 on 10% of random shapes), so a run padded to two
    slots gives the same numbers as in any group.
    """
    n_runs = len(runs)
    runs = runs if n_runs > 1 else runs * 2
    model, members = build_group(generator_kind, runs, settings)
    chunk = settings["steps_per_call"]
    fixed_noise = np.stack([run.streams.numpy("snapshot_noise").standard_normal(
        (settings["n_snapshot_samples"], model.latent_dim)) for run in runs]).astype("float32")
    recorder = GroupRecorder(fixed_noise, chunk, settings["steps"], np.stack([probe_points(r.target) for r in runs]))
    start = time.perf_counter()
    fit_in_chunks(model, settings["steps"], chunk, [recorder])
    wall = time.perf_counter() - start
    unload_members(model.generator, [m.generator for m in members])
    unload_members(model.discriminator, [m.discriminator for m in members])
    return [TrainingResult(members[r], pd.DataFrame(recorder.rows[r]), recorder.steps[r],
                           np.stack(recorder.snapshots[r]), fixed_noise[r], recorder.probe[r],
                           np.stack(recorder.probe_logits[r]), np.stack(recorder.singular_values[r]),
                           recorder.diverged_at[r] is not None, recorder.diverged_at[r], recorder.steps_done[r], wall)
            for r in range(n_runs)]


def train_gan(target, generator_kind: str, rule: str, pi: float, streams: Streams, settings: dict) -> TrainingResult:
    """Train one GAN: a group of one."""
    return train_group(generator_kind, [RunSpec(target, rule, pi, streams)], settings)[0]
