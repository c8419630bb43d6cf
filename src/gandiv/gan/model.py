"""A group of GANs whose discriminators see real data with prior pi, each trained with its own generator update rule.

Written the keras-io way: a `keras.Model` subclass holding both (stacked) networks, its own `train_step`
(`d_steps` D-steps, then one M-step), one optimizer per network and metric trackers (one value per run).
`compile(steps_per_execution=K)` runs K steps inside one compiled call: a graph while-loop with the step
inlined (`compiled_loop`). Real samples come from the analytic target, fresh every step (the setting of the
theory), drawn in-graph at the start of each call, so the loop needs no input pipeline. A single run is a
group of one.
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


def gradient_penalty(network: keras.Model, real, fake, mix):
    """E (|grad f(x_hat)| - 1)^2 at the points x_hat = mix * real + (1 - mix) * fake between paired real and generated
    samples (WGAN-GP, Gulrajani et al., 2017, eq. 3).

    real, fake: (..., n, d); mix: (..., n, 1) uniform on [0, 1]; the mean is over each network's n points, so a
    stacked network (runs, n, d) gets one penalty per run, shape (runs,), and a single network a scalar.
    """
    between = ops.convert_to_tensor(mix * real + (1.0 - mix) * fake)
    with tf.GradientTape() as tape:
        tape.watch(between)
        out = network(between, training=True)
    slope = ops.sqrt(ops.sum(ops.square(tape.gradient(out, between)), axis=-1) + 1e-12)  # + 1e-12: finite grad at 0
    return ops.mean(ops.square(slope - 1.0), axis=-1)


def batch_sizes(batch_size: int, pi: float, mode: PiMode) -> tuple[int, int]:
    """(real, generated) samples per D-step: equal for weights, pi-proportional for batch composition."""
    if mode is PiMode.WEIGHTS:
        return batch_size, batch_size
    n_real = int(round(2 * batch_size * pi))
    if not 0 < n_real < 2 * batch_size:
        raise ValueError(f"pi={pi} leaves no real or no generated sample in a batch of {2 * batch_size}")
    return n_real, 2 * batch_size - n_real


class MixtureSampler:
    """Maps uniform and normal draws to samples of a Gaussian mixture, in a few large ops.

    The component comes from the uniform against the cumulative weights; the normal noise is mapped through
    every component's Cholesky factor in one matmul and the drawn component's row is kept by a one-hot mask
    (cheaper than per-sample gathers). Works on any leading shape: uniform (..., 1), normal (..., d).
    """

    def __init__(self, target: GaussianMixture):
        self.n_components, self.dim = len(target.weights), target.dim
        self.cumulative = np.cumsum(target.weights)[:-1].astype("float32")
        chols = np.linalg.cholesky(target.covariances)  # (K, d, d)
        # z @ stacked = [L_1 z, ..., L_K z] laid out (K, d) per sample
        self.stacked_chols = np.transpose(chols, (2, 0, 1)).reshape(self.dim, -1).astype("float32")
        self.means = target.means.astype("float32")

    def transform(self, uniform, normal):
        """Samples (..., d) from uniforms (..., 1) and standard normals (..., d)."""
        component = ops.sum(ops.cast(uniform > self.cumulative, "int32"), axis=-1)
        shape = ops.shape(normal)
        every = ops.reshape(ops.matmul(ops.reshape(normal, (-1, self.dim)), self.stacked_chols),
                            (-1, self.n_components, self.dim)) + self.means
        picked = ops.sum(every * ops.one_hot(ops.reshape(component, (-1,)), self.n_components)[:, :, None], axis=1)
        return ops.reshape(picked, shape)

    def sample(self, n: int, seed_generator):
        """n samples (n, d), drawn with a Keras SeedGenerator."""
        return self.transform(keras.random.uniform((n, 1), seed=seed_generator),
                              keras.random.normal((n, self.dim), seed=seed_generator))


class RunSeeds:
    """One run's in-graph random streams (`gandiv.seeding`): real data, generator noise, penalty points and, with
    instance noise, the noise added before the discriminator (made only then: other runs' graphs are unchanged)."""

    def __init__(self, streams: Streams, instance_noise: bool = False):
        self.data = keras.random.SeedGenerator(streams.keras_seed("training_data"))
        self.noise = keras.random.SeedGenerator(streams.keras_seed("generator_noise"))
        self.penalty = keras.random.SeedGenerator(streams.keras_seed("penalty_points"))
        if instance_noise:
            self.instance = keras.random.SeedGenerator(streams.keras_seed("instance_noise"))


class GroupGAN(InGraphDataModel):
    """A group of GANs trained as one: generators G_r(z) and discriminators D_r(x) (a logit, an LSGAN score or a
    critic), stacked along a leading run axis (`gandiv.gan.stacked`), each run with its own update rule, prior pi,
    random streams, target and optimizer state (Adam and RMSprop act elementwise, so one optimizer per network
    serves all runs). The runs share the data's dimension, the networks' sizes and the training settings.

    Each step makes `d_steps` discriminator updates, then one generator update. The loss is the sum of the runs'
    losses, so each run's gradient is that of its own loss. Critic rules bound their network's slope:
    `weight_clip` clips every weight after each update (WGAN); `gp_weight` adds the gradient penalty (WGAN-GP).
    `instance_noise` sigma > 0 adds N(0, sigma^2 I) to every real and generated sample before the discriminator sees
    it, in its updates and in the generator's (Sønderby et al. 2016): the ideal discriminator is then that of the
    smoothed pair P * N(0, sigma^2 I), Q * N(0, sigma^2 I) (`gandiv.exact.instance_noise`).
    Every random number of a compiled chunk is drawn at its start, per run from the run's own streams, so a run
    draws the same numbers alone and in any group.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, targets: list[GaussianMixture],
                 latent_dim: int, rules: list[UpdateRule], pis: list[float], pi_mode: PiMode, batch_size: int,
                 streams: list[Streams], d_steps: int = 1, weight_clip: float | None = None, gp_weight: float = 0.0,
                 instance_noise: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if not len(targets) == len(rules) == len(pis) == len(streams) > 0:
            raise ValueError(f"a group needs one target, rule, pi and stream set per run: got {len(targets)}, "
                             f"{len(rules)}, {len(pis)}, {len(streams)}")
        if len({t.dim for t in targets}) > 1:
            raise ValueError(f"the runs of a group share the data's dimension: got {sorted({t.dim for t in targets})}")
        self.generator, self.discriminator = generator, discriminator
        self.dim, self.latent_dim = targets[0].dim, latent_dim
        self.samplers = [(MixtureSampler(target), start, stop) for target, start, stop in stretches(targets, same_law)]
        self.rules, self.pi_mode = [UpdateRule(r) for r in rules], pi_mode
        self.pi = np.asarray(pis, dtype="float32")
        sizes = {batch_sizes(batch_size, pi, pi_mode) for pi in pis}
        if len(sizes) > 1:
            raise ValueError(f"runs with pi_mode batch and different pi cannot share a group (batch sizes {sizes})")
        (self.n_real, self.n_fake), = sizes
        if gp_weight and self.n_real != self.n_fake:
            raise ValueError("the gradient penalty pairs real and generated samples: it needs pi_mode weights")
        if not instance_noise >= 0:
            raise ValueError(f"instance_noise must be >= 0, got {instance_noise}")
        self.batch_size, self.d_steps, self.weight_clip, self.gp_weight = batch_size, d_steps, weight_clip, gp_weight
        self.instance_noise = float(instance_noise)
        self.seeds = [RunSeeds(s, self.instance_noise > 0) for s in streams]
        self.slices = stretches(self.rules, lambda a, b: a is b)
        self.trackers = {name: RunMean(len(rules), name=name) for name in ("d_loss", "g_loss", "real_logit",
                                                                           "fake_logit")}

    @property
    def runs(self) -> int:
        return len(self.rules)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    def draw_chunk(self, steps: int) -> dict:
        """Every random number of `steps` steps, per run from its own streams, stacked on axis 2 (the run axis).

        real (steps, d_steps, runs, n_real, d), fake_noise (steps, d_steps, runs, n_fake, latent),
        noise (steps, runs, batch, latent), with a gradient penalty mix (steps, d_steps, runs, n_real, 1), and with
        instance noise its standard normal draws: seen_noise (steps, d_steps, runs, n_real + n_fake, d) for the
        discriminator's updates and gen_seen_noise (steps, runs, batch, d) for the generator's.
        """
        n_d = steps * self.d_steps

        def per_run(draw):
            return ops.stack([draw(s) for s in self.seeds], axis=1)

        uniform = per_run(lambda s: keras.random.uniform((n_d, self.n_real, 1), seed=s.data))
        normal = per_run(lambda s: keras.random.normal((n_d, self.n_real, self.dim), seed=s.data))
        fake_noise = per_run(lambda s: keras.random.normal((n_d, self.n_fake, self.latent_dim), seed=s.noise))
        noise = per_run(lambda s: keras.random.normal((steps, self.batch_size, self.latent_dim), seed=s.noise))
        real = [sampler.transform(uniform[:, start:stop], normal[:, start:stop]) for sampler, start, stop in self.samplers]
        chunk = {"real": real[0] if len(real) == 1 else ops.concatenate(real, axis=1), "fake_noise": fake_noise,
                 "noise": noise}
        if self.gp_weight:
            chunk["mix"] = per_run(lambda s: keras.random.uniform((n_d, self.n_real, 1), seed=s.penalty))
        if self.instance_noise:
            n_seen = self.n_real + self.n_fake
            chunk["seen_noise"] = per_run(lambda s: keras.random.normal((n_d, n_seen, self.dim), seed=s.instance))
            chunk["gen_seen_noise"] = per_run(lambda s: keras.random.normal((steps, self.batch_size, self.dim),
                                                                             seed=s.instance))
        shape = (steps, self.d_steps)
        return {k: ops.reshape(v, shape + tuple(v.shape[1:])) if k not in ("noise", "gen_seen_noise") else v
                for k, v in chunk.items()}

    def per_run_loss(self, loss_of_unit, *outputs):
        """(runs,) losses: each rule's formula on its runs' slice of the outputs (runs, n, 1)."""
        pieces = [loss_of_unit(unit(rule), *(o[start:stop] for o in outputs), self.pi[start:stop])
                  for rule, start, stop in self.slices]
        return pieces[0] if len(pieces) == 1 else ops.concatenate(pieces, axis=0)

    def discriminator_step(self, real, fake_noise, mix=None, seen_noise=None):
        """One D update of every run on its real samples and generated samples (each plus instance noise, with
        `seen_noise` its standard normal draws); returns (runs,) loss and means."""
        fake = self.generator(fake_noise, training=True)  # a constant for the D-step
        if seen_noise is not None:
            real = real + self.instance_noise * seen_noise[:, : self.n_real]
            fake = fake + self.instance_noise * seen_noise[:, self.n_real:]
        weighted = self.pi_mode is PiMode.WEIGHTS
        with tf.GradientTape() as tape:
            out = self.discriminator(ops.concatenate([real, fake], axis=1), training=True)  # one pass for both
            real_out, fake_out = out[:, : self.n_real], out[:, self.n_real:]
            d_loss = self.per_run_loss(lambda u, r, f, pi: u.discriminator_loss(r, f, pi, weighted), real_out,
                                       fake_out)
            if self.gp_weight:
                d_loss += self.gp_weight * gradient_penalty(self.discriminator, real, fake, mix)
            total = ops.sum(d_loss)
        grads = tape.gradient(total, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)
        if self.weight_clip is not None:
            for weight in self.discriminator.trainable_weights:
                weight.assign(ops.clip(weight, -self.weight_clip, self.weight_clip))
        return d_loss, ops.mean(real_out, axis=(1, 2)), ops.mean(fake_out, axis=(1, 2))

    def train_step(self, data):
        for k in range(self.d_steps):  # unrolled in the graph: d_steps is small (1, or 5 for critics)
            d_loss, real_out, fake_out = self.discriminator_step(
                data["real"][k], data["fake_noise"][k], data["mix"][k] if self.gp_weight else None,
                data["seen_noise"][k] if self.instance_noise else None)
        with tf.GradientTape() as tape:
            fake = self.generator(data["noise"], training=True)
            if self.instance_noise:
                fake = fake + self.instance_noise * data["gen_seen_noise"]
            out = self.discriminator(fake, training=True)
            g_loss = self.per_run_loss(lambda u, o, pi: u.generator_loss(o), out)
            total = ops.sum(g_loss)
        grads = tape.gradient(total, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)

        for name, value in (("d_loss", d_loss), ("g_loss", g_loss), ("real_logit", real_out),
                            ("fake_logit", fake_out)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def stretches(items: list, same) -> list[tuple[object, int, int]]:
    """(item, start, stop) of each stretch of consecutive items equal by `same(a, b)`."""
    found = []
    for i, item in enumerate(items):
        if found and same(found[-1][0], item):
            found[-1] = (found[-1][0], found[-1][1], i + 1)
        else:
            found.append((item, i, i + 1))
    return found


def same_law(p: GaussianMixture, q: GaussianMixture) -> bool:
    """Whether two mixtures have the same components and weights."""
    return all(np.array_equal(getattr(p, name), getattr(q, name)) for name in ("weights", "means", "covariances"))


class RunMean(keras.metrics.Metric):
    """Per-run mean of a (runs,) value over the steps since the last reset: shape (runs,)."""

    def __init__(self, runs: int, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_variable(shape=(runs,), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values):
        self.total.assign_add(ops.cast(values, self.total.dtype))
        self.count.assign_add(1.0)

    def result(self):
        return self.total / ops.maximum(self.count, 1.0)
