"""The objectives zoo's study: which generator each target gets, and each run's training settings.

The generator is an mlp on the mode-collapse targets (`targets`) and a density-giving generator
(`density_runs.generator`) on `density_runs.targets`, where the divergences can be computed exactly.
Pure config logic (no TensorFlow), so the workflow can import it to build its DAG.
"""

from __future__ import annotations

from gandiv.gan.kinds import DiscriminatorKind


def generator_for(zoo: dict, target: str) -> str:
    """The generator kind of a zoo target's runs: mlp, or the density runs' kind."""
    return zoo["density_runs"]["generator"] if target in zoo["density_runs"]["targets"] else "mlp"


def network_settings(zoo: dict, discriminator: str, generator: str = "mlp") -> dict:
    """The networks' sizes of a zoo run: its training settings' `generator` and `discriminator` entries."""
    return {"generator": {**zoo["generator"],
                          "flow_layers": zoo["density_runs"]["flow_layers"] if generator == "flow" else 0},
            "discriminator": {**zoo["discriminator"],
                              "spectral_norm": DiscriminatorKind(discriminator) is DiscriminatorKind.SPECTRAL_NORM}}


def training_settings(zoo: dict, rule: str, discriminator: str, generator: str = "mlp") -> dict:
    """The settings `training.train_gan` takes, for one zoo run (prior pi = 1/2, equal batches).

    gaussian and flow generators map R^d to R^d and ignore latent_dim; flow_layers is set for the flow only.
    """
    objective = zoo["objectives"][rule]
    rate = objective["learning_rate"]
    return {
        "pi_mode": "weights", "steps": zoo["steps"], "steps_per_call": zoo["steps_per_call"],
        "batch_size": zoo["batch_size"], "n_snapshot_samples": zoo["n_snapshot_samples"],
        **network_settings(zoo, discriminator, generator),
        "optimizer": {"kind": objective["optimizer"], "d_learning_rate": rate, "g_learning_rate": rate,
                      "beta_1": objective["beta_1"], "beta_2": objective["beta_2"]},
        "d_steps": objective["d_steps"], "weight_clip": objective["weight_clip"], "gp_weight": objective["gp_weight"],
    }
