"""Per-rule resources of a Snakemake profile must name rules the workflow has.

Snakemake silently ignores `set-resources` (and `set-threads`) entries for rules that do not exist, so a
renamed rule would quietly lose its runtime and memory on a cluster. Used by the SLURM cluster test
(before it submits anything) and by tests/test_profiles.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PER_RULE_KEYS = ("set-resources", "set-threads")  # profile sections keyed by rule name


def workflow_rules() -> set[str]:
    """Names of the workflow's rules, as `snakemake --list-rules` prints them (the full config declares all)."""
    snakemake = Path(sys.executable).with_name("snakemake")
    out = subprocess.run([str(snakemake), "--list-rules", "--configfile", "config/config.yaml"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def unknown_rule_keys(profile_path: Path, rules: set[str]) -> list[str]:
    """'section.key' for every per-rule entry of the profile that names no rule."""
    profile = yaml.safe_load(profile_path.read_text()) or {}
    return [f"{section}.{key}" for section in PER_RULE_KEYS for key in (profile.get(section) or {})
            if key not in rules]
