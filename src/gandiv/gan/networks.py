"""Generators and discriminators: Gaussian (exact density), normalising flow (exact density), MLP (samples only)."""

from __future__ import annotations


import keras
import numpy as np
from keras import ops

from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.gan.kinds import GeneratorKind
from gandiv.seeding import keras_seeds


def _dense(units: int, seed: int, activation=None, name=None):
    return keras.layers.Dense(units, activation=activation, name=name,
                              kernel_initializer=keras.initializers.GlorotUniform(seed=seed))


def mlp(dim_in: int, dim_out: int, hidden: int, depth: int, init: np.random.SeedSequence, name: str,
        spectral_norm: bool = False) -> keras.Sequential:
    """depth hidden ReLU layers of `hidden` units, then a linear output layer; each layer's initial
    kernel seeded from the stream `init` (a run's `generator_weights` or `discriminator_weights`).

    spectral_norm wraps every layer in Keras's SpectralNormalization: before each training-mode call the
    stored kernel is divided by a one-power-iteration estimate of its largest singular value (a projection,
    with no gradient through sigma, unlike the reparametrisation of Miyato et al., 2018).
    """
    seeds = keras_seeds(init, depth + 1)
    dense = [_dense(hidden, seed, "relu") for seed in seeds[:-1]] + [_dense(dim_out, seeds[-1])]
    if spectral_norm:
        dense = [keras.layers.SpectralNormalization(layer) for layer in dense]
    return keras.Sequential([keras.Input((dim_in,)), *dense], name=name)


def largest_singular_values(network: keras.Model) -> np.ndarray:
    """Largest singular value of every dense layer's kernel (inside a spectral-normalisation wrapper too)."""
    kernels = [getattr(layer, "layer", layer).kernel for layer in network.layers]
    return np.array([np.linalg.norm(ops.convert_to_numpy(k), 2) for k in kernels])


class GaussianGenerator(keras.Model):
    """x = mu + L z with L lower-triangular (log-diagonal parametrised), so Q = N(mu, L L^T) exactly."""

    def __init__(self, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.mean = self.add_weight(shape=(dim,), initializer="zeros", name="mean")
        self.chol_raw = self.add_weight(shape=(dim, dim), initializer="zeros", name="chol_raw")
        self.lower = np.tril(np.ones((dim, dim), dtype="float32"), -1)
        self.diag = np.eye(dim, dtype="float32")

    def cholesky(self):
        return self.chol_raw * self.lower + ops.exp(self.chol_raw) * self.diag

    def call(self, z):
        return self.mean + ops.matmul(z, ops.transpose(self.cholesky()))

    def density(self) -> GaussianMixture:
        chol = np.asarray(ops.convert_to_numpy(self.cholesky()), dtype=float)
        return gaussian(np.asarray(ops.convert_to_numpy(self.mean), dtype=float), chol @ chol.T)


def make_generator(kind: GeneratorKind, dim: int, latent_dim: int, hidden: int, depth: int, flow_layers: int,
                   init: np.random.SeedSequence) -> keras.Model:
    """A generator network by name, initial weights from the stream `init`; Gaussian and flow generators use
    latent_dim = dim (the Gaussian starts at N(0, I), whatever `init`; `gandiv.gan.training.build_run` may move its
    mean to a drawn start)."""
    if kind is GeneratorKind.GAUSSIAN:
        model = GaussianGenerator(dim, name="generator")
    elif kind is GeneratorKind.FLOW:
        from gandiv.gan.flows import make_flow

        model = make_flow(dim, n_layers=flow_layers, hidden=hidden, depth=depth, seed=init)
    else:
        model = mlp(latent_dim, dim, hidden, depth, init, name="generator")
    model(np.zeros((1, latent_dim_for(kind, dim, latent_dim)), dtype="float32"))  # build the weights
    return model


def latent_dim_for(kind: GeneratorKind, dim: int, latent_dim: int) -> int:
    """Noise dimension: a density-giving generator maps R^d to R^d."""
    return latent_dim if kind is GeneratorKind.MLP else dim


def make_discriminator(dim: int, hidden: int, depth: int, init: np.random.SeedSequence,
                       spectral_norm: bool = False) -> keras.Sequential:
    """An MLP returning the logit of D(x) = P(real | x) (or, for the zoo's other rules, a score or critic value)."""
    return mlp(dim, 1, hidden, depth, init, name="discriminator", spectral_norm=spectral_norm)
