"""Config validation: JSON schema plus the semantic checks a schema cannot express.

Every error is a ConfigError naming the dotted key path and what is allowed there.
Parameter domains (target parameters, joint tables) are the constructors' own
rules in `gandiv.exact.domain`; their DomainError becomes a ConfigError here.
"""

from __future__ import annotations

import copy
import math
from contextlib import contextmanager
from pathlib import Path

import jsonschema
import numpy as np
import yaml

from gandiv.exact import domain
from gandiv.pipeline.wildcards import int_token, number_token, parse_number

SCHEMA_PATH = Path(__file__).resolve().parent / "config.schema.yaml"  # ships with the package
# Figure keys whose values name entries of `targets` (a string or a list of strings).
TARGET_REF_KEYS = ("target", "targets", "mixture_target", "heatmap_target")
# GAN figures: (key naming the target, key naming the generator) of their settings.
GAN_FIGURES = {"kl-rule-theory": ("target", "generator"),
               "density-ratio": ("target", "generator"), "swissroll-kl": ("target", "generator")}


class ConfigError(ValueError):
    """Invalid config; `path` is the dotted key, the message says what is allowed."""

    def __init__(self, path: str, problem: str, allowed: str | None = None):
        self.path = path or "<top level>"
        msg = f"config key '{self.path}': {problem}"
        super().__init__(msg + (f"; allowed: {allowed}" if allowed else ""))


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


def validate_config(config: dict, schema: dict) -> dict:
    """Validate `config` against `schema` and the semantic rules; return a deep copy with defaults filled."""
    cls = _strict_integers(jsonschema.validators.validator_for(schema))
    error = jsonschema.exceptions.best_match(cls(schema).iter_errors(config))
    if error is not None:
        raise _schema_error(error)
    filled = copy.deepcopy(config)
    _with_defaults(cls)(schema).validate(filled)
    _check_finite(filled, "")
    _check_targets(filled["targets"])
    _check_exact(filled["exact"])
    if "gan" in filled:
        _check_gan(filled["gan"], filled["targets"])
    _check_figures(filled["figures"], filled["targets"], filled.get("gan"))
    _check_figure_modules(filled)
    _check_path_tokens(filled)
    return filled


def _check_figure_modules(config: dict) -> None:
    """Each configured figure's own rules (its module's `check`, see gandiv.figures.recipe)."""
    from gandiv.figures import figure_module

    for figure_id, settings in config["figures"].items():
        module = figure_module(figure_id)
        if module is not None and hasattr(module, "check"):
            module.check(settings, config)


def pi_grid(spec: dict) -> np.ndarray:
    """Sorted unique pi grid, symmetric under pi -> 1 - pi: log-spaced tails in [pi_min, 0.1], linear middle."""
    tail = np.geomspace(spec["pi_min"], 0.1, spec["n_tail"])
    middle = np.linspace(0.1, 0.9, spec["n_middle"] + 2)[1:-1]
    return np.unique(np.concatenate([tail, middle, 1.0 - tail]))


# ----------------------------------------------------------------- schema errors

def _dotted(parts) -> str:
    """Join a jsonschema path as `a.b[0].c`."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _join(path: str, key) -> str:
    return _dotted([path, key]) if path else _dotted([key])


def _typename(value) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string",
             list: "array", dict: "object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _range(schema: dict) -> str:
    """Describe the numeric bounds of a schema, e.g. `number in (0, 0.5)`."""
    lo = ("(", schema["exclusiveMinimum"]) if "exclusiveMinimum" in schema else (
        ("[", schema["minimum"]) if "minimum" in schema else None)
    hi = (")", schema["exclusiveMaximum"]) if "exclusiveMaximum" in schema else (
        ("]", schema["maximum"]) if "maximum" in schema else None)
    kind = schema.get("type", "number")
    if lo and hi:
        return f"{kind} in {lo[0]}{lo[1]}, {hi[1]}{hi[0]}"
    if lo:
        return f"{kind} {'>' if lo[0] == '(' else '>='} {lo[1]}"
    return f"{kind} {'<' if hi[0] == ')' else '<='} {hi[1]}"


def _schema_error(e: jsonschema.ValidationError) -> ConfigError:
    """Turn the most relevant jsonschema error into a ConfigError naming key and allowed values."""
    path, v, s, inst = _dotted(e.absolute_path), e.validator, e.schema, e.instance
    if "propertyNames" in e.schema_path:
        return ConfigError(_join(path, inst), f"invalid name {inst!r}",
                           f"names matching {e.validator_value}")
    if v == "additionalProperties":
        allowed = list(s.get("properties", {}))
        extra = [k for k in inst if k not in allowed]
        return ConfigError(_join(path, extra[0]), f"unknown key {extra[0]!r}",
                           "keys " + (", ".join(allowed) if allowed else "(none; use {})"))
    if v == "required":
        missing = [k for k in e.validator_value if k not in inst]
        return ConfigError(_join(path, missing[0]), f"missing required key {missing[0]!r}",
                           "keys " + ", ".join(s.get("properties", {})))
    if v == "enum":
        what = "kinds" if path.endswith("kind") else "values"
        return ConfigError(path, f"unknown value {inst!r}", f"{what} " + ", ".join(map(str, e.validator_value)))
    if v == "type":
        got = "null" if inst is None else f"{_typename(inst)} {inst!r}"
        if e.validator_value == "integer" and isinstance(inst, float):
            got += " (a float, even if whole: write it without the decimal point)"
        return ConfigError(path, f"expected {e.validator_value}, got {got}",
                           str(e.validator_value))
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return ConfigError(path, f"{inst!r} is out of range", _range(s))
    if v in ("minItems", "maxItems"):
        lo, hi = s.get("minItems", 0), s.get("maxItems")
        return ConfigError(path, f"has {len(inst)} items",
                           f"{lo} items" if lo == hi else (f"{lo} to {hi} items" if hi else f"at least {lo} items"))
    if v == "minProperties":
        return ConfigError(path, "is empty", f"at least {e.validator_value} entries")
    if v == "uniqueItems":
        return ConfigError(path, f"has duplicate items {inst!r}", "unique items")
    if v == "const":
        return ConfigError(path, f"got {inst!r}", repr(e.validator_value))
    return ConfigError(path, e.message)


def _with_defaults(cls):
    """Validator class that fills `default` values of missing properties while validating."""
    validate_properties = cls.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if validator.is_type(instance, "object"):
            for key, sub in props.items():
                if isinstance(sub, dict) and "default" in sub and key not in instance:
                    instance[key] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, props, instance, schema)

    return jsonschema.validators.extend(cls, {"properties": properties})


# ----------------------------------------------------------------- semantic checks

def _check_finite(node, path: str) -> None:
    """Reject nan/inf anywhere (YAML .nan/.inf pass the schema's number type)."""
    if isinstance(node, dict):
        for k, val in node.items():
            _check_finite(val, _join(path, k))
    elif isinstance(node, list):
        for i, val in enumerate(node):
            _check_finite(val, f"{path}[{i}]")
    elif isinstance(node, float) and not math.isfinite(node):
        raise ConfigError(path, f"{node} is not finite", "finite numbers")


def target_dim(target: dict) -> int:
    """Dimension d of a (validated) target."""
    if target["kind"] == "gaussian_mixture":
        return len(target["means"][0])
    if target["kind"] == "gaussian":
        return len(target["mean"])
    return 2  # theis2016_mixture, swiss_roll, ring_of_gaussians, grid_of_gaussians


@contextmanager
def _domain(path: str, param: str | None = None):
    """Turn a DomainError into a ConfigError at `path` + the parameter's name (its part after `param` if given)."""
    try:
        yield
    except domain.DomainError as e:
        key = path + e.param[len(param):] if param else f"{path}.{e.param}"
        raise ConfigError(key, e.problem, e.allowed) from None


def _check_targets(targets: dict) -> None:
    """Each target's parameters are in the domain of its constructor (`gandiv.exact.domain`), with d in {1, 2}."""
    for name, t in targets.items():
        with _domain(f"targets.{name}"):
            if t["kind"] == "gaussian_mixture":
                domain.mixture(t["weights"], t["means"], t["covariances"], dims=(1, 2))
            elif t["kind"] == "gaussian":
                domain.gaussian(t["mean"], t["covariance"])
            elif t["kind"] == "theis2016_mixture":
                domain.count("seed", t["seed"], minimum=0, maximum=domain.MAX_SEED)
            elif t["kind"] == "swiss_roll":
                domain.swiss_roll(t["n_components"], t["turns"], t["radius"], t["sd"])
            elif t["kind"] == "ring_of_gaussians":
                domain.ring(t["n_modes"], t["radius"], t["sd"])
            elif t["kind"] == "grid_of_gaussians":
                domain.grid(t["n_per_side"], t["spacing"], t["sd"])


def _check_exact(exact: dict) -> None:
    """The pi grid's log-spaced tail [pi_min, 0.1] must be non-degenerate."""
    pi_min = exact["pi_grid"]["pi_min"]
    if not pi_min < 0.1:
        raise ConfigError("exact.pi_grid.pi_min", f"{pi_min} is not < 0.1 (the tail is [pi_min, 0.1])",
                          "number in (0, 0.1)")


def _check_whole_calls(path: str, section: dict) -> None:
    """`steps` is a whole number of compiled calls of `steps_per_call` steps."""
    steps, chunk = section["steps"], section["steps_per_call"]
    if steps % chunk:
        lo, hi = steps // chunk * chunk, (steps // chunk + 1) * chunk
        nearest = f"{lo} or {hi}" if lo else f"{hi}"
        raise ConfigError(f"{path}.steps", f"{steps} is not a multiple of steps_per_call={chunk}",
                          f"a multiple of {chunk}, nearest {nearest} (or change steps_per_call)")


def _check_knn(path: str, evaluation: dict) -> None:
    """The k-NN estimator needs at least 2k samples."""
    n, k = evaluation["n_samples"], evaluation["knn_k"]
    if n < 2 * k:
        raise ConfigError(f"{path}.knn_k", f"{k} exceeds n_samples / 2 = {n / 2:g}",
                          f"integer in [1, {n // 2}] (n_samples >= 2 * knn_k)")


def _check_gan(gan: dict, targets: dict) -> None:
    """GAN settings the schema cannot express: step chunking, batch composition, grid references, duplicates."""
    _check_whole_calls("gan", gan)
    _check_knn("gan.evaluation", gan["evaluation"])
    names = ", ".join(targets)
    n_batch = 2 * gan["batch_size"]
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
        if gan["pi_mode"] == "batch":
            for j, pi in enumerate(entry["pi"]):
                n_real = int(round(n_batch * pi))  # as gandiv.gan.model.batch_sizes
                if not 1 <= n_real <= n_batch - 1:
                    raise ConfigError(
                        f"{p}.pi[{j}]",
                        f"pi={pi!r} gives {n_real} real and {n_batch - n_real} generated samples in a batch of "
                        f"2 * batch_size = {n_batch} (pi_mode batch)",
                        f"pi with 1 <= round({n_batch} * pi) <= {n_batch - 1}, "
                        f"i.e. pi in ({0.5 / n_batch:.6g}, {1 - 0.5 / n_batch:.6g})")


def _check_figures(figures: dict, targets: dict, gan: dict | None = None) -> None:
    """Figure target references exist and fit the figure (dimension, kind); other cross-key rules."""
    for fig in GAN_FIGURES:
        if fig in figures and gan is None:
            raise ConfigError(f"figures.{fig}", "the figure needs a `gan` section, and the config has none",
                              f"{fig} only together with a top-level `gan` section (or drop the figure)")
    names = ", ".join(targets)
    for fig, settings in figures.items():
        for key in TARGET_REF_KEYS:
            refs = settings.get(key)
            refs = [(f"figures.{fig}.{key}", refs)] if isinstance(refs, str) else [
                (f"figures.{fig}.{key}[{i}]", r) for i, r in enumerate(refs or [])]
            for path, ref in refs:
                if ref not in targets:
                    raise ConfigError(path, f"undefined target {ref!r}", f"targets defined in `targets`: {names}")
    if "kl-fit-gaussian2d" in figures:
        f = figures["kl-fit-gaussian2d"]
        t = targets[f["target"]]
        if t["kind"] != "gaussian" or target_dim(t) != 2:
            ok = [n for n, u in targets.items() if u["kind"] == "gaussian" and target_dim(u) == 2]
            raise ConfigError("figures.kl-fit-gaussian2d.target",
                              f"target {f['target']!r} is a {target_dim(t)}-D {t['kind']}",
                              "a 2-D target of kind gaussian: " + (", ".join(ok) or "none defined"))
        if f["batch_size"] > f["n_samples"]:
            raise ConfigError("figures.kl-fit-gaussian2d.batch_size",
                              f"{f['batch_size']} exceeds n_samples={f['n_samples']}",
                              f"integer in [1, {f['n_samples']}]")
    if "wgan-critic" in figures:
        _check_whole_calls("figures.wgan-critic", figures["wgan-critic"])
    if "ss-inconsistency" in figures:
        _check_scheduled_sampling(figures["ss-inconsistency"])
    if "objectives-zoo" in figures:
        _check_objectives_zoo(figures["objectives-zoo"], targets)
    for fig, (target_key, generator_key) in GAN_FIGURES.items():
        if fig in figures:
            _check_trained(fig, figures[fig], target_key, generator_key, gan, targets)


def _check_trained(fig: str, f: dict, target_key: str, generator_key: str, gan: dict, targets: dict) -> None:
    """A GAN figure's target and generator (and, where named, rule, pi and seed) are trained in `gan.grid`."""
    ref, kind = f[target_key], f.get(generator_key, "gaussian")
    trained = [t for e in gan["grid"] for t in e["targets"]]
    if ref not in trained:
        raise ConfigError(f"figures.{fig}.{target_key}", f"target {ref!r} is in no `gan.grid` entry",
                          "targets trained in `gan.grid`: " + ", ".join(dict.fromkeys(trained)))
    entries = [e for e in gan["grid"] if ref in e["targets"]]
    kinds = [g for e in entries for g in e["generators"]]
    if kind not in kinds:
        raise ConfigError(f"figures.{fig}.{generator_key}",
                          f"generator {kind!r} is not trained on {ref!r} in any `gan.grid` entry",
                          f"generators trained on {ref!r}: " + ", ".join(dict.fromkeys(kinds)))
    if fig in ("kl-rule-theory", "density-ratio") and target_dim(targets[ref]) != 1:
        raise ConfigError(f"figures.{fig}.{target_key}", f"target {ref!r} is {target_dim(targets[ref])}-D",
                          "a 1-D target trained in `gan.grid`")
    entries = [e for e in entries if kind in e["generators"]]
    for key, field in (("rule", "rules"), ("pi", "pi"), ("seed", "seeds")):
        if key in f and not any(f[key] in e[field] for e in entries):
            options = ", ".join(str(v) for v in dict.fromkeys(v for e in entries for v in e[field]))
            raise ConfigError(f"figures.{fig}.{key}", f"{f[key]!r} is not trained for {ref!r} with {kind!r}",
                              f"values in `gan.grid` for that target and generator: {options}")


def _check_objectives_zoo(f: dict, targets: dict) -> None:
    """2-D mlp targets; density-run targets defined and distinct; whole compiled calls; spectral-norm rules
    also trained plain; critics constrained."""
    p = "figures.objectives-zoo"
    _check_whole_calls(p, f)
    for i, ref in enumerate(f["targets"]):
        if target_dim(targets[ref]) != 2:
            ok = [n for n, t in targets.items() if target_dim(t) == 2]
            raise ConfigError(f"{p}.targets[{i}]", f"target {ref!r} is {target_dim(targets[ref])}-D",
                              "a 2-D target: " + (", ".join(ok) or "none defined"))
    density = f["density_runs"]["targets"]
    names = ", ".join(targets)
    for i, ref in enumerate(density):
        path = f"{p}.density_runs.targets[{i}]"
        if ref not in targets:
            raise ConfigError(path, f"undefined target {ref!r}", f"targets defined in `targets`: {names}")
        if ref in f["targets"]:
            raise ConfigError(path, f"target {ref!r} is also in figures.objectives-zoo.targets (mlp runs)",
                              "targets not in figures.objectives-zoo.targets: "
                              + ", ".join(t for t in targets if t not in f["targets"]))
        if target_dim(targets[ref]) not in (1, 2):
            raise ConfigError(path, f"target {ref!r} is {target_dim(targets[ref])}-D", "a 1-D or 2-D target")
    for i, rule in enumerate(f["spectral_norm_rules"]):
        if rule not in f["rules"]:
            raise ConfigError(f"{p}.spectral_norm_rules[{i}]", f"{rule!r} is not in rules (no plain run to compare)",
                              "rules listed in figures.objectives-zoo.rules: " + ", ".join(f["rules"]))
    objectives = f["objectives"]
    if "wgan" in f["rules"] and objectives["wgan"]["weight_clip"] is None:
        raise ConfigError(f"{p}.objectives.wgan.weight_clip", "wgan needs a weight clip (got null)",
                          "a number > 0, e.g. 0.01 as in the WGAN paper")
    if "wgan_gp" in f["rules"] and objectives["wgan_gp"]["gp_weight"] <= 0:
        raise ConfigError(f"{p}.objectives.wgan_gp.gp_weight", f"wgan_gp needs a gradient penalty (got "
                          f"{objectives['wgan_gp']['gp_weight']!r})", "a number > 0, e.g. 0.1 for toy data or 10")
    _check_knn(f"{p}.evaluation", f["evaluation"])


def _check_scheduled_sampling(f: dict) -> None:
    """Joint tables are valid; trained joints are defined; steps are whole compiled calls."""
    for name, table in f["joints"].items():
        _check_joint(f"figures.ss-inconsistency.joints.{name}", table)
    training = f.get("training")
    if training is None:
        return
    for i, name in enumerate(training["joints"]):
        if name not in f["joints"]:
            raise ConfigError(f"figures.ss-inconsistency.training.joints[{i}]", f"undefined joint {name!r}",
                              "joints defined in `figures.ss-inconsistency.joints`: " + ", ".join(f["joints"]))
    if not training["epsilons"] and not training["annealed"]:
        raise ConfigError("figures.ss-inconsistency.training.epsilons", "no fixed epsilon and no annealed schedule",
                          "at least one value in [0, 1] here or one schedule in `annealed`")
    _check_whole_calls("figures.ss-inconsistency.training", training)


def _check_joint(path: str, table: list) -> None:
    """A joint table of two symbols: square, summing to 1, every first symbol possible (`domain.joint_table`)."""
    with _domain(path, "joint"):
        domain.joint_table("joint", table)


def path_number_lists(config: dict) -> list[tuple[str, list, str]]:
    """Every config list whose values become wildcards in file paths: (dotted key, values, "number"|"int")."""
    lists = []
    for i, entry in enumerate(config.get("gan", {}).get("grid", [])):
        lists += [(f"gan.grid[{i}].pi", entry["pi"], "number"), (f"gan.grid[{i}].seeds", entry["seeds"], "int")]
    figures = config["figures"]
    if "objectives-zoo" in figures:
        lists.append(("figures.objectives-zoo.seeds", figures["objectives-zoo"]["seeds"], "int"))
    training = figures.get("ss-inconsistency", {}).get("training")
    if training is not None:
        lists += [("figures.ss-inconsistency.training.epsilons", training["epsilons"], "number"),
                  ("figures.ss-inconsistency.training.seeds", training["seeds"], "int")]
    for fig, settings in figures.items():
        for key, kind in (("pi", "number"), ("seed", "int")):
            if key in settings:
                lists.append((f"figures.{fig}.{key}", [settings[key]], kind))
    return lists


def _check_path_tokens(config: dict) -> None:
    """Every number that names a folder parses back to itself, and no two values of one list share a folder."""
    for path, values, kind in path_number_lists(config):
        seen = {}
        for j, value in enumerate(values):
            key = f"{path}[{j}]" if len(values) > 1 or not path.endswith((".pi", ".seed")) else path
            token = int_token(value) if kind == "int" else number_token(value)
            if kind == "number" and parse_number(token) != value:
                raise ConfigError(key, f"{value!r} is written as {token!r} in paths, which reads back as "
                                  f"{parse_number(token)!r}", "numbers whose path token reads back exactly")
            if token in seen:
                raise ConfigError(key, f"{value!r} and {values[seen[token]]!r} (index {seen[token]}) would share the "
                                  f"folder token {token!r}", "values that name distinct folders")
            seen[token] = j
