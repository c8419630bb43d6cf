"""Every Snakemake profile of the project names only rules the workflow has (tests/cluster/profile_rules.py), and
the SLURM profile's placeholders stop a run until the user sets them."""

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


def test_the_shipped_slurm_profile_stops_until_account_and_partition_are_set(tmp_path):
    import subprocess
    import sys

    snakemake = Path(sys.executable).parent / "snakemake"
    command = [str(snakemake), "-s", str(REPO / "Snakefile"), "-n", "--workflow-profile", str(REPO / "profiles" / "slurm"),
               "--configfile", str(REPO / "config" / "smoke.yaml")]
    stopped = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert stopped.returncode != 0
    assert "profiles/slurm: set slurm_account and slurm_partition (still 'CHANGE-ME')" in stopped.stdout + stopped.stderr
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    profile["default-resources"] |= {"slurm_account": "physics", "slurm_partition": "short"}
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "config.yaml").write_text(yaml.safe_dump(profile))
    command[command.index(str(REPO / "profiles" / "slurm"))] = str(tmp_path / "mine")
    planned = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert planned.returncode == 0, planned.stderr[-2000:]
