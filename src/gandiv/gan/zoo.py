"""The objectives zoo's runs: (target, rule, discriminator kind, seed), each a GAN at pi = 1/2.

The generator is an mlp on the mode-collapse targets (`targets`) and a density-giving generator
(`density_runs.generator`) on `density_runs.targets`, where the divergences can be computed exactly.
Pure config logic (no TensorFlow), so the workflow can import it to build its DAG.
"""

from __future__ import annotations

from enum import Enum

from gandiv.pipeline.wildcards import int_token


class DiscriminatorKind(str, Enum):
    PLAIN = "plain"
    SPECTRAL_NORM = "spectral_norm"  # every layer spectrally normalised (Miyato et al., 2018)


def zoo_runs(zoo: dict) -> list[dict]:
    """Every training of the zoo as wildcard values: each rule plain, spectral-norm rules again, every seed."""
    variants = [(rule, DiscriminatorKind.PLAIN.value) for rule in zoo["rules"]]
    variants += [(rule, DiscriminatorKind.SPECTRAL_NORM.value) for rule in zoo["spectral_norm_rules"]]
    return [{"target": target, "update_rule": rule, "discriminator": kind, "seed": int_token(seed)}
            for target in zoo["targets"] + zoo["density_runs"]["targets"] for rule, kind in variants
            for seed in zoo["seeds"]]


def generator_for(zoo: dict, target: str) -> str:
    """The generator kind of a zoo target's runs: mlp, or the density runs' kind."""
    return zoo["density_runs"]["generator"] if target in zoo["density_runs"]["targets"] else "mlp"


def training_settings(zoo: dict, rule: str, discriminator: str, generator: str = "mlp") -> dict:
    """The settings `training.train_gan` takes, for one zoo run (prior pi = 1/2, equal batches).

    gaussian and flow generators map R^d to R^d and ignore latent_dim; flow_layers is set for the flow only.
    """
    objective = zoo["objectives"][rule]
    rate = objective["learning_rate"]
    return {
        "pi_mode": "weights", "steps": zoo["steps"], "steps_per_call": zoo["steps_per_call"],
        "batch_size": zoo["batch_size"], "n_snapshot_samples": zoo["n_snapshot_samples"],
        "generator": {**zoo["generator"],
                      "flow_layers": zoo["density_runs"]["flow_layers"] if generator == "flow" else 0},
        "discriminator": {**zoo["discriminator"],
                          "spectral_norm": DiscriminatorKind(discriminator) is DiscriminatorKind.SPECTRAL_NORM},
        "optimizer": {"kind": objective["optimizer"], "d_learning_rate": rate, "g_learning_rate": rate,
                      "beta_1": objective["beta_1"], "beta_2": objective["beta_2"]},
        "d_steps": objective["d_steps"], "weight_clip": objective["weight_clip"], "gp_weight": objective["gp_weight"],
    }
