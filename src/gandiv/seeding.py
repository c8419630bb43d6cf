"""Every random stream of a run, split from one root per run with numpy's `SeedSequence`.

Why not `seed + k`: a Keras `SeedGenerator(s)` walks the states (s, 0), (s, 1), ..., so a
stream seeded s + 1 in the run with seed s *is* a stream seeded s + 1 in another run (the
seed-0 run's noise was the seed-1 run's real data), and offsets like `seed + 1000` only
move the clash. `SeedSequence` hashes its entropy and spawn key into well-mixed state, so
children with different keys, or roots with different entropy, give streams that are
independent for practical purposes, however close the inputs.

The root's entropy is (seed, the 256 bits of a sha256 of the run's identity: kind of job,
target, generator, rule, pi, ... as canonical JSON), so two runs sharing a seed but not a
configuration also get unrelated streams. Each named stream is the child with spawn key
(its index in `STREAMS`,): the order is fixed, and a new stream may only be appended.
A stream is used as a numpy `Generator` or as integer seeds for Keras (a `SeedGenerator` or
an initializer). Keras keys TensorFlow's stateless generators with the seed modulo 2^31 - 2,
so two integer seeds coincide with probability about 2^-31 per pair (birthday bound: under
1e-3 for 2,000 integer seeds in all).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

STREAMS = (
    "training_data",  # real samples drawn inside the training step (the critic's P and Q; the pair model's pairs)
    "generator_noise",  # latent z of generated samples in training; the pair model's own x1 and its coin flips
    "penalty_points",  # WGAN-GP's interpolation weights between real and generated samples
    "generator_weights",  # initial weights of the generator (of the pair model's network)
    "discriminator_weights",  # initial weights of the discriminator or critic
    "snapshot_noise",  # the fixed z at which the generator is recorded through training
    "evaluation",  # samples of P (and Q, z) drawn to evaluate a trained model
    "keras_global",  # Python/NumPy/TensorFlow global seeds, for draws Keras makes unseeded (spectral norm's u)
    "generator_start",  # a Gaussian generator's drawn initial mean (the jspi-convention study's start_sd)
    "instance_noise",  # the N(0, sigma^2) noise added to real and generated samples before the discriminator
)
KERAS_SEED_MODULUS = 2**31 - 2  # TensorFlow's stateless ops take seed mod int32.max - 1 (keras _cast_seed)


def identity_entropy(identity: dict) -> list[int]:
    """The identity as eight 32-bit words: sha256 of its canonical JSON (sorted keys, floats by repr)."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).digest()
    return [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 32, 4)]


def keras_seeds(sequence: np.random.SeedSequence, n: int) -> list[int]:
    """n integer seeds for Keras from one stream (one per initializer, say)."""
    return [int(word) % KERAS_SEED_MODULUS for word in sequence.generate_state(n, np.uint32)]


@dataclass(frozen=True)
class Streams:
    """The named random streams of one run; see `STREAMS` for what each is for."""

    entropy: tuple[int, ...]

    def sequence(self, name: str) -> np.random.SeedSequence:
        """The stream's `SeedSequence` (spawn key = its index in `STREAMS`)."""
        return np.random.SeedSequence(list(self.entropy), spawn_key=(STREAMS.index(name),))

    def numpy(self, name: str) -> np.random.Generator:
        """A fresh numpy Generator at the start of the stream."""
        return np.random.default_rng(self.sequence(name))

    def keras_seed(self, name: str) -> int:
        """One integer seed for `keras.random.SeedGenerator` (or an initializer) from the stream."""
        return keras_seeds(self.sequence(name), 1)[0]


def run_streams(seed: int, identity: dict) -> Streams:
    """The streams of the run with this seed and identity (a JSON-able dict naming the job and its settings)."""
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"a run's seed must be a non-negative integer, got {seed!r}")
    return Streams((int(seed), *identity_entropy(identity)))
