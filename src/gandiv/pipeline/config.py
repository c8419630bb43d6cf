"""Config loading and validation: the JSON schema (the one source of every default), then the semantic checks.

`validate_config` is the only place defaults are filled: the Snakemake workflow calls
`validate_in_place` on its `config` object, so rules and jobs read exactly the values validated
here. Every error is a ConfigError (`gandiv.pipeline.config_errors`) naming the dotted key path
and what is allowed there. The generic semantic checks are in `gandiv.pipeline.config_checks`;
the checks of single figures' settings are below.
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

from gandiv.exact.pi_path import pi_grid
from gandiv.pipeline.config_checks import check_exact, check_finite, check_gan, check_targets
from gandiv.pipeline.config_errors import ConfigError, schema_error
from gandiv.pipeline.wildcards import check_path_tokens, path_number_lists

__all__ = ["SCHEMA_PATH", "ConfigError", "load_schema", "validate_config", "validate_in_place", "pi_grid",
           "path_number_lists", "TARGET_REF_KEYS"]

SCHEMA_PATH = Path(__file__).resolve().parent / "config.schema.yaml"  # ships with the package
# Figure keys whose values name entries of `targets` (a string or a list of strings).
TARGET_REF_KEYS = ("target", "targets", "mixture_target", "heatmap_target")


def load_schema(path: str | Path | None = None) -> dict:
    """Load the YAML JSON schema and check it is a valid schema.

    Default: the one shipped with the package, where each figure module adds the schema of its own
    `figures.<id>` section (its SETTINGS, see gandiv.figures.recipe).
    """
    schema = yaml.safe_load(Path(path or SCHEMA_PATH).read_text())
    if path is None:
        from gandiv.figures import settings_schemas

        schema["properties"]["figures"]["properties"].update(settings_schemas())
    jsonschema.validators.validator_for(schema).check_schema(schema)
    return schema


def _strict_integers(cls):
    """The validator class with JSON-schema "integer" meaning a Python int: 1.0 is a number, not an integer.

    jsonschema counts 1.0 as an integer, but a seed or a count written as 1.0 is a float everywhere
    downstream (in a path, `range`, a Keras seed), so it is rejected with the key named.
    """
    checker = cls.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
    return jsonschema.validators.extend(cls, type_checker=checker)


def _check_figure_modules(config: dict) -> None:
    """Each configured figure's targets exist, and its own rules hold (its module's `check`, gandiv.figures.recipe)."""
    from gandiv.figures import figure_module, named_targets

    for figure_id, settings in config["figures"].items():
        module = figure_module(figure_id)
        for name in named_targets(module.NEEDS, settings):
            if name not in config["targets"]:
                raise ConfigError(f"figures.{figure_id}", f"names undefined target {name!r}",
                                  "targets defined in `targets`: " + ", ".join(config["targets"]))
        if hasattr(module, "check"):
            module.check(settings, config)


def _with_defaults(cls):
    """Validator class that fills `default` values (deep copies) of missing properties while validating."""
    validate_properties = cls.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if validator.is_type(instance, "object"):
            for key, sub in props.items():
                if isinstance(sub, dict) and "default" in sub and key not in instance:
                    instance[key] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, props, instance, schema)

    return jsonschema.validators.extend(cls, {"properties": properties})


def validate_config(config: dict, schema: dict) -> dict:
    """Validate `config` against `schema` and the semantic rules; return a deep copy with defaults filled.

    Raises ConfigError (the first error, naming its key and what is allowed). `config` is not changed.
    """
    cls = _strict_integers(jsonschema.validators.validator_for(schema))
    error = jsonschema.exceptions.best_match(cls(schema).iter_errors(config))
    if error is not None:
        raise schema_error(error)
    filled = copy.deepcopy(config)
    _with_defaults(cls)(schema).validate(filled)
    check_finite(filled, "")
    check_targets(filled["targets"])
    check_exact(filled["exact"])
    if "gan" in filled:  # optional section, no default
        check_gan(filled["gan"], filled["targets"])
    _check_figures(filled["figures"], filled["targets"])
    _check_figure_modules(filled)
    check_path_tokens(filled)
    return filled


def validate_in_place(config: dict, schema: dict) -> None:
    """`validate_config`, then replace the contents of `config` by the filled copy.

    For Snakemake's `config` object, which every rule reads: the defaults are filled once, here, and
    nothing is changed when validation fails (ConfigError).
    """
    filled = validate_config(config, schema)
    config.clear()
    config.update(filled)


# ----------------------------------------------------------------- checks of single figures' settings

def _check_figures(figures: dict, targets: dict) -> None:
    """Figure target references exist and fit the figure (dimension, kind); other cross-key rules."""
    names = ", ".join(targets)
    for fig, settings in figures.items():
        for key in TARGET_REF_KEYS:
            refs = settings.get(key)
            refs = [(f"figures.{fig}.{key}", refs)] if isinstance(refs, str) else [
                (f"figures.{fig}.{key}[{i}]", r) for i, r in enumerate(refs or [])]
            for path, ref in refs:
                if ref not in targets:
                    raise ConfigError(path, f"undefined target {ref!r}", f"targets defined in `targets`: {names}")


def yaml_typed(value):
    """A `--config` value as YAML reads it: Snakemake reads nested values (`--config 'exact={n_starts: 2}'`) as
    strings ('2'); each string leaf is read again with YAML's own types (2), as a config file would be."""
    if isinstance(value, dict):
        return {key: yaml_typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [yaml_typed(item) for item in value]
    if isinstance(value, str):
        try:
            typed = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
        return value if isinstance(typed, (dict, list)) else typed
    return value
