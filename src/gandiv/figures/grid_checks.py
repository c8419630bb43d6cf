"""Config rules of figures that read GANs of the `gan.grid` study: what they show must have been trained."""

from __future__ import annotations

from collections.abc import Mapping

from gandiv.config_error import ConfigError
from gandiv.exact.densities import target_dim


def check_trained(figure_id: str, settings: Mapping, config: Mapping, target_key: str, generator_key: str,
                  one_d: bool = False) -> None:
    """The figure's target and generator (and, where its settings name them, rule, pi and seed) are trained in
    `gan.grid`; with `one_d`, the target is 1-D.

    settings: the figure's validated `figures.<id>` section (defaults filled); config: the whole validated
    config. Raises ConfigError naming the figure's key: no `gan` section, a target or generator trained in no
    grid entry, a target of another dimension, or a rule, pi or seed not trained for that target and generator.
    """
    gan, targets = config.get("gan"), config["targets"]
    if gan is None:
        raise ConfigError(f"figures.{figure_id}", "the figure needs a `gan` section, and the config has none",
                          f"{figure_id} only together with a top-level `gan` section (or drop the figure)")
    ref, kind = settings[target_key], settings[generator_key]
    trained = [t for e in gan["grid"] for t in e["targets"]]
    if ref not in trained:
        raise ConfigError(f"figures.{figure_id}.{target_key}", f"target {ref!r} is in no `gan.grid` entry",
                          "targets trained in `gan.grid`: " + ", ".join(dict.fromkeys(trained)))
    entries = [e for e in gan["grid"] if ref in e["targets"]]
    kinds = [g for e in entries for g in e["generators"]]
    if kind not in kinds:
        raise ConfigError(f"figures.{figure_id}.{generator_key}",
                          f"generator {kind!r} is not trained on {ref!r} in any `gan.grid` entry",
                          f"generators trained on {ref!r}: " + ", ".join(dict.fromkeys(kinds)))
    if one_d and target_dim(targets[ref]) != 1:
        raise ConfigError(f"figures.{figure_id}.{target_key}", f"target {ref!r} is {target_dim(targets[ref])}-D",
                          "a 1-D target trained in `gan.grid`")
    entries = [e for e in entries if kind in e["generators"]]
    for key, field in (("rule", "rules"), ("pi", "pi"), ("seed", "seeds")):
        if key in settings and not any(settings[key] in e[field] for e in entries):
            options = ", ".join(str(v) for v in dict.fromkeys(v for e in entries for v in e[field]))
            raise ConfigError(f"figures.{figure_id}.{key}",
                              f"{settings[key]!r} is not trained for {ref!r} with {kind!r}",
                              f"values in `gan.grid` for that target and generator: {options}")
