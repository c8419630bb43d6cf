"""Ops on tensors with a leading run axis (a group of GAN runs, `gandiv.gan.stacked`) whose result for one run does
not depend on how many runs share the tensor.

Matmuls with a batch of two or more and reductions over a run's own axes compute each run's slice alike whatever
the batch. Elementwise transcendental ops (exp, tanh, softplus and their gradients) do not: TensorFlow's CPU
kernels (Eigen) evaluate full SIMD packets with a vectorised polynomial and the last `size % packet` elements of
a tensor with the scalar library function, which rounds differently; so a run's values would depend on where
the tensor ends. `elementwise` pads the flattened tensor to a multiple of 16 floats (the packet of AVX-512, a
multiple of AVX's 8 and SSE's 4), so no element of any run is ever in that remainder.
"""

from __future__ import annotations

import math

LANES = 16  # floats per AVX-512 packet; a multiple of every smaller packet


def elementwise(fn, x):
    """fn(x) for an elementwise fn, computed on a copy padded to a multiple of LANES elements (forward and backward
    passes alike); same shape as x. Unpadded when x's static size is already a multiple."""
    from keras import ops

    shape = tuple(x.shape)
    size = math.prod(shape) if all(s is not None for s in shape) else None
    if size is not None and size % LANES == 0:
        return fn(x)
    flat = ops.reshape(x, (-1,))
    pad = LANES - size % LANES if size is not None else LANES
    padded = fn(ops.concatenate([flat, ops.zeros((pad,), dtype=flat.dtype)], axis=0))
    return ops.reshape(padded[: ops.shape(flat)[0]], ops.shape(x))


def run_mean(terms):
    """Mean of per-sample terms (runs, n, 1) over each run's batch: shape (runs,)."""
    from keras import ops

    return ops.mean(terms, axis=(1, 2))
