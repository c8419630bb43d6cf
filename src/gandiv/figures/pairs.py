"""A pair (P, Q) of known densities as figures configure it: P a configured target, Q a Gaussian of P's dimension
(the `target_gaussian_pair` definition of the config schema)."""

from __future__ import annotations

from collections.abc import Mapping

from gandiv.config_error import ConfigError
from gandiv.exact.densities import GaussianMixture, gaussian, target_from_config


def check_pair(key: str, pair: Mapping, config: Mapping) -> None:
    """Q is a Gaussian of P's dimension with a positive-definite covariance; ConfigError naming `key`.q.mean or
    `key`.q.covariance otherwise (the config registry has checked that P names a configured target)."""
    dim = target_from_config(config["targets"][pair["p"]]).dim
    if len(pair["q"]["mean"]) != dim:
        raise ConfigError(f"{key}.q.mean", f"has {len(pair['q']['mean'])} entries but P is {dim}-D",
                          f"a mean of {dim} numbers")
    try:
        pair_q(pair)
    except ValueError as error:
        raise ConfigError(f"{key}.q.covariance", str(error), "a symmetric positive-definite matrix") from None


def pair_q(pair: Mapping) -> GaussianMixture:
    """The pair's Q as a density (ValueError on a covariance that is not symmetric positive definite)."""
    return gaussian(pair["q"]["mean"], pair["q"]["covariance"])


def pair_label(pair: Mapping) -> str:
    """How tables and legends name the pair: `<P's name> vs N(<Q's mean>)`."""
    return f"{pair['p']} vs N({', '.join(f'{m:g}' for m in pair['q']['mean'])})"
