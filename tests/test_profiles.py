"""Every Snakemake profile of the project names only rules the workflow has (tests/cluster/profile_rules.py)."""

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent / "cluster"))
from profile_rules import REPO, unknown_rule_keys, workflow_rules  # noqa: E402

PROFILES = sorted((REPO / "profiles").glob("*/config.yaml"))


@pytest.fixture(scope="module")
def rules():
    return workflow_rules()


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.parent.name)
def test_per_rule_resources_name_existing_rules(profile, rules):
    assert {"gan_evaluate", "figure", "report"} <= rules and any(r.startswith("gan_train_") for r in rules)
    assert unknown_rule_keys(profile, rules) == []


def test_a_key_naming_no_rule_is_caught(tmp_path, rules):
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    profile["set-resources"]["zoo_train"] = {"runtime": 60}  # a rule this workflow no longer has
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(profile))
    assert unknown_rule_keys(path, rules) == ["set-resources.zoo_train"]
