"""Semantic checks of a schema-valid config that a JSON schema cannot express: targets, `exact`, `gan`.

Each check raises a ConfigError naming the dotted key and what is allowed there. Parameter
domains (target parameters, joint tables) are the constructors' own rules in
`gandiv.exact.domain`; `domain_errors` turns their DomainError into a ConfigError.
The checks of single figures' settings live with the validator (`gandiv.pipeline.config`).
"""

from __future__ import annotations

import math

from gandiv.exact import domain
from gandiv.exact.densities import TargetKind, target_dim
from gandiv.config_error import ConfigError, check_batch_share, check_knn, check_whole_calls, domain_errors
from gandiv.pipeline.config_errors import join_key


def check_finite(node, path: str) -> None:
    """Reject nan/inf anywhere (YAML .nan/.inf pass the schema's number type)."""
    if isinstance(node, dict):
        for k, val in node.items():
            check_finite(val, join_key(path, k))
    elif isinstance(node, list):
        for i, val in enumerate(node):
            check_finite(val, f"{path}[{i}]")
    elif isinstance(node, float) and not math.isfinite(node):
        raise ConfigError(path, f"{node} is not finite", "finite numbers")


def check_targets(targets: dict) -> None:
    """Each target's parameters are in the domain of its constructor (`gandiv.exact.domain`), with d in {1, 2}."""
    for name, t in targets.items():
        with domain_errors(f"targets.{name}"):
            if t["kind"] == TargetKind.GAUSSIAN_MIXTURE:
                domain.mixture(t["weights"], t["means"], t["covariances"], dims=(1, 2))
            elif t["kind"] == TargetKind.GAUSSIAN:
                domain.gaussian(t["mean"], t["covariance"])
            elif t["kind"] == TargetKind.THEIS2016_MIXTURE:
                domain.count("seed", t["seed"], minimum=0, maximum=domain.MAX_SEED)
            elif t["kind"] == TargetKind.SWISS_ROLL:
                domain.swiss_roll(t["n_components"], t["turns"], t["radius"], t["sd"])
            elif t["kind"] == TargetKind.RING_OF_GAUSSIANS:
                domain.ring(t["n_modes"], t["radius"], t["sd"])
            elif t["kind"] == TargetKind.GRID_OF_GAUSSIANS:
                domain.grid(t["n_per_side"], t["spacing"], t["sd"])


def check_exact(exact: dict) -> None:
    """The pi grid's log-spaced tail [pi_min, 0.1] must be non-degenerate."""
    pi_min = exact["pi_grid"]["pi_min"]
    if not pi_min < 0.1:
        raise ConfigError("exact.pi_grid.pi_min", f"{pi_min} is not < 0.1 (the tail is [pi_min, 0.1])",
                          "number in (0, 0.1)")


def check_gan(gan: dict, targets: dict) -> None:
    """GAN settings the schema cannot express: step chunking, batch composition, grid references, duplicates."""
    check_whole_calls("gan", gan)
    check_knn("gan.evaluation", gan["evaluation"])
    names = ", ".join(targets)
    for i, entry in enumerate(gan["grid"]):
        p = f"gan.grid[{i}]"
        for j, ref in enumerate(entry["targets"]):
            if ref not in targets:
                raise ConfigError(f"{p}.targets[{j}]", f"undefined target {ref!r}",
                                  f"targets defined in `targets`: {names}")
            d = target_dim(targets[ref])
            if d not in (1, 2):
                ok = [n for n, t in targets.items() if target_dim(t) in (1, 2)]
                raise ConfigError(f"{p}.targets[{j}]", f"target {ref!r} is {d}-D",
                                  "a 1-D or 2-D target: " + (", ".join(ok) or "none defined"))
        for key in ("pi", "seeds"):
            seen = {}
            for j, value in enumerate(entry[key]):
                if value in seen:
                    raise ConfigError(f"{p}.{key}[{j}]", f"duplicate value {value!r} (same as {key}[{seen[value]}])",
                                      "distinct values within one grid entry")
                seen[value] = j
        if gan["pi_mode"] == "batch":  # PiMode.BATCH (gandiv.gan.model imports Keras, too slow for validation)
            for j, pi in enumerate(entry["pi"]):
                check_batch_share(f"{p}.pi[{j}]", pi, gan["batch_size"])

