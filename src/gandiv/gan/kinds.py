"""The kinds of networks a GAN run can use, by name (the names are config values and path tokens).

Kept free of TensorFlow so that the workflow can import them to build its DAG.
"""

from __future__ import annotations

from enum import Enum


class GeneratorKind(str, Enum):
    """Generator families: two with a density (exact divergences), one without."""

    GAUSSIAN = "gaussian"  # location-scale: mean and Cholesky factor
    FLOW = "flow"  # RealNVP-style flow (2-D) or monotone flow (1-D)
    MLP = "mlp"  # the usual GAN generator; no density


class DiscriminatorKind(str, Enum):
    """Discriminator variants of the objectives zoo."""

    PLAIN = "plain"
    SPECTRAL_NORM = "spectral_norm"  # every layer spectrally normalised (Miyato et al., 2018)
