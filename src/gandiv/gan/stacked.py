"""The networks of a group of GAN runs, stacked along a leading run axis: each layer computes every run in one op.

Shapes: inputs (runs, n, d_in) -> outputs (runs, n, d_out). Every weight carries the run axis first, and run r's
slice holds exactly the weights of run r's own network (`gandiv.gan.networks`, `gandiv.gan.flows`), in the same
order: `load_members` stacks the runs' networks into a stacked one and `unload_members` writes each run's slice
back, so a run's weights are saved, loaded and evaluated as a network of its own. Only the forward pass (the
generator's samples, the discriminator's output) is stacked: densities are evaluated on the run's own network.

Runs never mix, and a run's numbers do not depend on its group: batched matmuls compute each run's slice alike for
any batch of two or more, and every transcendental op goes through `gandiv.run_axis.elementwise`
(`tests/test_groups.py` checks this bit for bit).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from gandiv.gan.kinds import GeneratorKind
from gandiv.run_axis import elementwise


def _run_axis_normalise(x):
    """x / |x| per run, the norm over everything but the run axis (x: (runs, a, b))."""
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x), axis=(-2, -1), keepdims=True)), 1e-12)


class StackedDense(keras.layers.Layer):
    """y_r = act(x_r W_r + b_r) for every run r: kernel (runs, d_in, units), bias (runs, units).

    spectral_norm: as Keras's SpectralNormalization wrapper, per run: in a training-mode call the stored kernel is
    divided by sigma_r, one power iteration's estimate of its largest singular value from the stored vector u_r
    (runs, 1, units), and u_r is updated; no gradient flows through sigma. A kernel that is all zeros is left alone.
    Weight order per layer: kernel, [u], bias (that of the wrapped Keras layer).
    """

    def __init__(self, runs: int, units: int, activation=None, spectral_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.runs, self.units, self.spectral_norm = runs, units, spectral_norm
        self.activation = None if activation is None else keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.runs, input_shape[-1], self.units), initializer="zeros",
                                      name="kernel")
        if self.spectral_norm:
            self.vector_u = self.add_weight(shape=(self.runs, 1, self.units), initializer="ones", trainable=False,
                                            name="vector_u")
        self.bias = self.add_weight(shape=(self.runs, self.units), initializer="zeros", name="bias")

    def _normalise_kernel(self):
        kernel = self.kernel.value
        v = _run_axis_normalise(ops.matmul(self.vector_u.value, ops.transpose(kernel, (0, 2, 1))))
        u = ops.stop_gradient(_run_axis_normalise(ops.matmul(v, kernel)))
        sigma = ops.matmul(ops.matmul(ops.stop_gradient(v), kernel), ops.transpose(u, (0, 2, 1)))  # (runs, 1, 1)
        zero = ops.all(ops.equal(kernel, 0.0), axis=(1, 2), keepdims=True)
        self.vector_u.assign(ops.where(zero, self.vector_u.value, u))
        self.kernel.assign(ops.where(zero, kernel, kernel / sigma))

    def call(self, x, training=False):
        if self.spectral_norm and training:
            self._normalise_kernel()
        y = ops.matmul(x, self.kernel) + self.bias[:, None, :]
        return y if self.activation is None else elementwise(self.activation, y)


class StackedMLP(keras.Model):
    """`depth` hidden ReLU layers of `hidden` units and a linear output layer, per run (`networks.mlp`)."""

    def __init__(self, runs: int, dim_in: int, dim_out: int, hidden: int, depth: int, spectral_norm: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.dense = [StackedDense(runs, hidden, "relu", spectral_norm) for _ in range(depth)]
        self.dense.append(StackedDense(runs, dim_out, None, spectral_norm))
        self.build((runs, None, dim_in))

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.dense:
            layer.build(shape)
            shape = shape[:-1] + (layer.units,)
        self.built = True

    def call(self, x, training=False):
        for layer in self.dense:
            x = layer(x, training=training)
        return x


class StackedGaussian(keras.Model):
    """x_r = mu_r + L_r z_r with L_r lower-triangular, log-diagonal (`networks.GaussianGenerator`)."""

    def __init__(self, runs: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.mean = self.add_weight(shape=(runs, dim), initializer="zeros", name="mean")
        self.chol_raw = self.add_weight(shape=(runs, dim, dim), initializer="zeros", name="chol_raw")
        self.lower = np.tril(np.ones((dim, dim), dtype="float32"), -1)
        self.diag = np.eye(dim, dtype="float32")

    def call(self, z, training=False):
        cholesky = self.chol_raw * self.lower + elementwise(ops.exp, self.chol_raw) * self.diag
        return self.mean[:, None, :] + ops.matmul(z, ops.transpose(cholesky, (0, 2, 1)))


class StackedGlobalAffine(keras.layers.Layer):
    """x = loc_r + exp(log_scale_r) y (`flows.GlobalAffine`)."""

    def __init__(self, runs: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.loc = self.add_weight(shape=(runs, dim), initializer="zeros", name="loc")
        self.log_scale = self.add_weight(shape=(runs, dim), initializer="zeros", name="log_scale")

    def call(self, y):
        return self.loc[:, None, :] + elementwise(ops.exp, self.log_scale)[:, None, :] * y


class StackedMonotoneTanh(keras.layers.Layer):
    """y = a x + sum_k b_k tanh(c_k x + d_k) per run (`flows.MonotoneTanh`, forward map only)."""

    def __init__(self, runs: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.log_a = self.add_weight(shape=(runs, 1), initializer="zeros", name="log_a")
        self.log_b = self.add_weight(shape=(runs, units), initializer="zeros", name="log_b")
        self.log_c = self.add_weight(shape=(runs, units), initializer="zeros", name="log_c")
        self.d = self.add_weight(shape=(runs, units), initializer="zeros", name="d")

    def call(self, x):  # x: (runs, n, 1); coefficients broadcast as (runs, 1, units)
        a, b, c = (elementwise(ops.exp, w)[:, None, :] for w in (self.log_a, self.log_b, self.log_c))
        return a * x + ops.sum(b * elementwise(ops.tanh, c * x + self.d[:, None, :]), axis=-1, keepdims=True)


class StackedAffineCoupling(keras.layers.Layer):
    """x = z exp(s) + t with (s, t) from a per-run MLP of the masked z (`flows.AffineCoupling`, forward only)."""

    def __init__(self, runs: int, mask, hidden: int, depth: int, activation: str, scale_bound: float, **kwargs):
        super().__init__(**kwargs)
        self.mask = np.asarray(mask, dtype="float32")
        self.scale_bound = scale_bound
        self.dense = [StackedDense(runs, hidden, activation) for _ in range(depth)]
        self.dense.append(StackedDense(runs, 2 * len(self.mask)))

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.dense:
            layer.build(shape)
            shape = shape[:-1] + (layer.units,)

    def call(self, z):
        h = z * self.mask
        for layer in self.dense:
            h = layer(h)
        raw_log_scale, shift = ops.split(h, 2, axis=-1)
        free = 1.0 - self.mask
        log_scale = self.scale_bound * elementwise(ops.tanh, raw_log_scale / self.scale_bound) * free
        return z * elementwise(ops.exp, log_scale) + shift * free


class StackedFlow(keras.Model):
    """`flows.make_flow`'s generator per run: monotone tanh layers in 1-D, affine couplings in 2-D and up."""

    def __init__(self, runs: int, dim: int, n_layers: int, hidden: int, depth: int, **kwargs):
        super().__init__(**kwargs)
        if dim == 1:
            self.flow_layers = [StackedMonotoneTanh(runs, hidden) for _ in range(n_layers)]
        else:
            self.flow_layers = [StackedAffineCoupling(runs, (np.arange(dim) + k) % 2 == 0, hidden, depth, "tanh", 2.0)
                                for k in range(n_layers)]
            for layer in self.flow_layers:
                layer.build((runs, None, dim))
        self.affine = StackedGlobalAffine(runs, dim)
        self.built = True

    def call(self, z, training=False):
        for layer in self.flow_layers:
            z = layer(z)
        return self.affine(z)


def stacked_generator(kind: GeneratorKind, runs: int, dim: int, latent_dim: int, hidden: int, depth: int,
                      flow_layers: int) -> keras.Model:
    """The stacked counterpart of `networks.make_generator` (weights zero until `load_members`)."""
    if kind is GeneratorKind.GAUSSIAN:
        return StackedGaussian(runs, dim, name="generator")
    if kind is GeneratorKind.FLOW:
        return StackedFlow(runs, dim, flow_layers, hidden, depth, name="generator")
    return StackedMLP(runs, latent_dim, dim, hidden, depth, name="generator")


def stacked_discriminator(runs: int, dim: int, hidden: int, depth: int, spectral_norm: bool = False) -> StackedMLP:
    """The stacked counterpart of `networks.make_discriminator`."""
    return StackedMLP(runs, dim, 1, hidden, depth, spectral_norm, name="discriminator")


def member_order(network: keras.Model) -> list:
    """The stacked network's variables in its runs' own networks' weight order: layer by layer, and within a dense
    layer kernel, [u], bias (Keras lists a layer's trainable weights before its non-trainable u)."""
    parents = list(dict.fromkeys(v.path.rsplit("/", 1)[0] for v in network.weights))
    rank = {"vector_u": 1, "bias": 2}
    return sorted(network.weights, key=lambda v: (parents.index(v.path.rsplit("/", 1)[0]),
                                                  rank.get(v.path.rsplit("/", 1)[1], 0)))


def load_members(stacked: keras.Model, members: list[keras.Model]) -> None:
    """Set run r's slice of every stacked weight to run r's own network's weight (same order, same shapes)."""
    per_member = [m.get_weights() for m in members]
    slots = member_order(stacked)
    for network in per_member:
        if len(network) != len(slots) or any(w.shape != tuple(s.shape[1:]) for w, s in zip(network, slots)):
            raise ValueError(f"a run's network {[w.shape for w in network]} does not match the stacked network "
                             f"{[tuple(s.shape) for s in slots]}")
    for slot, values in zip(slots, zip(*per_member)):
        slot.assign(np.stack(values))


def unload_members(stacked: keras.Model, members: list[keras.Model]) -> None:
    """Write run r's slice of the stacked weights into run r's own network."""
    weights = [keras.ops.convert_to_numpy(slot) for slot in member_order(stacked)]
    for r, member in enumerate(members):
        member.set_weights([w[r] for w in weights])
