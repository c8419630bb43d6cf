"""The objectives zoo's runs: (target, rule, discriminator kind, seed), each an mlp-generator GAN at pi = 1/2.

Pure config logic (no TensorFlow), so the workflow can import it to build its DAG.
"""

from __future__ import annotations

from enum import Enum


class DiscriminatorKind(str, Enum):
    PLAIN = "plain"
    SPECTRAL_NORM = "spectral_norm"  # every layer spectrally normalised (Miyato et al., 2018)


def zoo_runs(zoo: dict) -> list[dict]:
    """Every training of the zoo as wildcard values: each rule plain, spectral-norm rules again, every seed."""
    variants = [(rule, DiscriminatorKind.PLAIN.value) for rule in zoo["rules"]]
    variants += [(rule, DiscriminatorKind.SPECTRAL_NORM.value) for rule in zoo["spectral_norm_rules"]]
    return [{"target": target, "update_rule": rule, "discriminator": kind, "seed": str(seed)}
            for target in zoo["targets"] for rule, kind in variants for seed in zoo["seeds"]]


def training_settings(zoo: dict, rule: str, discriminator: str) -> dict:
    """The settings `training.train_gan` takes, for one zoo run (prior pi = 1/2, equal batches)."""
    objective = zoo["objectives"][rule]
    rate = objective["learning_rate"]
    return {
        "pi_mode": "weights", "steps": zoo["steps"], "steps_per_call": zoo["steps_per_call"],
        "batch_size": zoo["batch_size"], "n_snapshot_samples": zoo["n_snapshot_samples"],
        "generator": {**zoo["generator"], "flow_layers": 0},
        "discriminator": {**zoo["discriminator"],
                          "spectral_norm": DiscriminatorKind(discriminator) is DiscriminatorKind.SPECTRAL_NORM},
        "optimizer": {"kind": objective["optimizer"], "d_learning_rate": rate, "g_learning_rate": rate,
                      "beta_1": objective["beta_1"], "beta_2": objective["beta_2"]},
        "d_steps": objective["d_steps"], "weight_clip": objective["weight_clip"], "gp_weight": objective["gp_weight"],
    }
