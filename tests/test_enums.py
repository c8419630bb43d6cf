"""Every list of names has one Python definition: each `enum` of the config schema equals its Python enum.

The schema keeps its `enum` lists (they are the config's contract and give the validator's "allowed:"
messages), so each is mapped here, explicitly, to the Python definition the code branches on. A schema
enum that is not mapped fails, as does a mapping to a schema path that no longer has an enum; the
order is compared too, since it is the order the error messages list.
"""

from __future__ import annotations

import re

import pytest

from gandiv.exact.densities import TargetKind
from gandiv.exact.families import Family
from gandiv.pipeline.config import load_schema
from gandiv.pipeline.devices import Device
from gandiv.update_rules import LOGIT_RULES, UpdateRule


def _generator_kinds(*names):
    """Members of GeneratorKind."""
    from gandiv.gan.kinds import GeneratorKind

    return [GeneratorKind(name) for name in names] if names else list(GeneratorKind)


def _joint_rules():
    from gandiv.update_rules.joint import JOINT_RULES

    return list(JOINT_RULES)


def _pi_modes():
    from gandiv.gan.model import PiMode

    return list(PiMode)


def _optimizer_kinds():
    """The optimizers `make_optimizer` builds, as its own error message lists them (no enum defines them yet)."""
    from gandiv.gan.training import make_optimizer

    with pytest.raises(ValueError) as info:
        make_optimizer({"kind": "no-such-optimizer", "beta_1": 0.5}, 1e-3)
    return str(info.value).split("allowed: ", 1)[1].split(", ")


def _annealed_schedules():
    from gandiv.sequence.scheduled_sampling import ANNEALED

    return list(ANNEALED)


# Schema path (keys joined by "/") of every `enum` -> the Python definition of its names.
SCHEMA_ENUMS = {
    "properties/gan/properties/device": lambda: list(Device),
    "properties/gan/properties/pi_mode": _pi_modes,
    "figures/jspi-convention/properties/pi_mode": _pi_modes,
    "$defs/family": lambda: list(Family),
    "$defs/target/properties/kind": lambda: list(TargetKind),
    "$defs/gan_generator_kind": _generator_kinds,
    "$defs/gan_rule": lambda: list(UpdateRule),
    "$defs/gan_grid_rule": lambda: list(LOGIT_RULES),
    # Figures comparing trained parameters with theory need a generator with explicit parameters.
    "figures/kl-rule-theory/properties/generator": lambda: _generator_kinds("gaussian"),
    "figures/gan-grid/properties/heatmap_generator": lambda: _generator_kinds("gaussian"),
    "figures/density-ratio/properties/generator": lambda: _generator_kinds("gaussian"),
    "figures/objectives-zoo/properties/device": lambda: list(Device),
    # Density runs need a generator with an exact density: every kind but the mlp.
    "figures/objectives-zoo/properties/density_runs/properties/generator":
        lambda: [k for k in _generator_kinds() if k.value != "mlp"],
    **{f"figures/objectives-zoo/properties/objectives/properties/{rule.value}/properties/optimizer": _optimizer_kinds
       for rule in UpdateRule},
    "figures/ss-inconsistency/properties/training/properties/annealed/items": _annealed_schedules,
    # critic-w1 reads the critics' runs: the rules whose discriminator is a Wasserstein critic
    "figures/critic-w1/properties/rules/items": lambda: [UpdateRule.WGAN, UpdateRule.WGAN_GP],
    "figures/pi-convergence/properties/pi_modes/items": _pi_modes,
    # local-convergence: the rules with joint dynamics (gandiv.update_rules.joint)
    "figures/local-convergence/properties/rules/items": lambda: _joint_rules(),
}


def _canonical(path: str) -> str:
    """A figure's settings are named `figures/<id>/...`, wherever the schema keeps them (its module's SETTINGS
    under properties/figures/properties/<id>, or a $defs/figure_<id> entry)."""
    path = re.sub(r"^properties/figures/properties/([a-z0-9-]+)/", r"figures/\1/", path)
    return re.sub(r"^\$defs/figure_([a-z0-9-]+)/", r"figures/\1/", path)


def _schema_enums(node, trail=()):
    """Yield (schema path, enum list) for every `enum` anywhere in the schema."""
    if isinstance(node, dict):
        if "enum" in node:
            yield _canonical("/".join(trail)), node["enum"]
        for key, sub in node.items():
            yield from _schema_enums(sub, (*trail, key))
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _schema_enums(sub, (*trail, str(i)))


SCHEMA = load_schema()
FOUND = dict(_schema_enums(SCHEMA))


def _names(values) -> list[str]:
    return [v.value if hasattr(v, "value") else v for v in values]


@pytest.mark.parametrize("path", sorted(FOUND))
def test_every_schema_enum_is_mapped(path):
    assert path in SCHEMA_ENUMS, f"schema enum at {path} has no Python definition mapped in SCHEMA_ENUMS"


@pytest.mark.parametrize("path", sorted(SCHEMA_ENUMS))
def test_schema_enum_equals_its_python_definition(path):
    assert path in FOUND, f"{path} is mapped but the schema has no enum there"
    assert FOUND[path] == _names(SCHEMA_ENUMS[path]())


def test_target_kind_branches_of_the_schema():
    # Each target kind selects its own definition through an if/then on a `const`: the same names, in order,
    # and each selected definition fixes `kind` to the name that selects it.
    branches = SCHEMA["$defs"]["target"]["allOf"]
    selectors = [b["if"]["properties"]["kind"]["const"] for b in branches]
    assert selectors == _names(TargetKind)
    for name, branch in zip(selectors, branches):
        chosen = SCHEMA["$defs"][branch["then"]["$ref"].rsplit("/", 1)[-1]]
        assert chosen["properties"]["kind"]["const"] == name


def test_every_target_kind_builds():
    # target_from_config has a branch for every kind (a kind without one raises ValueError)
    from gandiv.exact.densities import target_from_config
    from gandiv.pipeline.config import validate_config

    specs = {"gaussian_mixture": {"weights": [1.0], "means": [[0.0]], "covariances": [[[1.0]]]},
             "gaussian": {"mean": [0.0], "covariance": [[1.0]]}}
    targets = {kind.value: {"kind": kind.value, **specs.get(kind.value, {})} for kind in TargetKind}
    filled = validate_config({"targets": targets, "figures": {}}, SCHEMA)["targets"]
    for kind in TargetKind:
        assert target_from_config(filled[kind.value]).dim in (1, 2)
    with pytest.raises(ValueError, match="unknown target kind 'cube'; allowed: gaussian_mixture, gaussian"):
        target_from_config({"kind": "cube"})


# ----------------------------------------------------------------- Python copies the enums replace

def test_each_fit_objective_names_its_divergence_and_prior():
    from gandiv.exact.fitting import FitObjective, Objective

    assert [o.problem_args() for o in FitObjective] == [(Objective.KL_PQ, None), (Objective.JS_PI, 0.5),
                                                        (Objective.KL_QP, None)]  # JS is JS_pi at pi = 1/2


def test_verdicts_are_the_figures_and_reports_verdicts():
    from gandiv.figures import VERDICTS as FIGURE_NAMES
    from gandiv.report.html import VERDICTS as REPORT_NAMES
    from gandiv.figures.verdicts import FIGURE_VERDICTS, Verdict

    assert list(FIGURE_NAMES) == _names(FIGURE_VERDICTS)
    assert list(REPORT_NAMES) == _names(Verdict)
