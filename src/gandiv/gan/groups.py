"""Training groups: the GAN runs that one job trains together as one model (`gandiv.gan.training.train_group`).

Runs can share a group when they differ only in target, update rule, pi and seed: same study, generator kind,
discriminator kind, training settings and data dimension (with `pi_mode: batch` also the same pi, which fixes the
batch's composition). Such runs, in config order with each rule's runs together and within a rule each target's
(so that rules and targets are few slices of the group's run axis), are cut into groups of at most the study's
`group_size`. A run's numbers do not depend on its
group, so the group size changes speed only. Pure config logic (no TensorFlow): the workflow builds one rule per
group from here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from gandiv.exact.densities import target_dim
from gandiv.gan import runs as gan_runs
from gandiv.gan.runs import GanRun


@dataclass(frozen=True)
class GanGroup:
    """Runs trained together; `index` numbers the groups of one (study, generator, discriminator)."""

    study: str
    generator: str
    discriminator: str
    index: int
    runs: tuple[GanRun, ...]

    @property
    def label(self) -> str:
        """Its path below logs/ and benchmarks/: gan_train/<study>/<generator>/<discriminator>/group<i>."""
        return f"gan_train/{self.study}/{self.generator}/{self.discriminator}/group{self.index}"

    @property
    def rule_name(self) -> str:
        """Its Snakemake rule: gan_train_<study>_<generator>_<discriminator>_<i> (identifier characters)."""
        return re.sub(r"\W", "_", f"gan_train_{self.study}_{self.generator}_{self.discriminator}_{self.index}")

    @property
    def targets(self) -> list[str]:
        """Its runs' targets, without repeats."""
        return list(dict.fromkeys(run.target for run in self.runs))

    @property
    def rules(self) -> list[str]:
        """Its runs' update rules, without repeats."""
        return list(dict.fromkeys(run.update_rule for run in self.runs))

    def files(self, name: str) -> list[str]:
        """One of `runs.RUN_FILES` of every run, in run order."""
        return [run.file(name) for run in self.runs]


def group_size(config: Mapping, study: str) -> int:
    """Most runs per group, from the study's settings."""
    return int(gan_runs.study_settings(config, study).get("group_size", 15))


def _key(config: Mapping, run: GanRun) -> tuple:
    settings = gan_runs.training_settings(config, run)
    pi = run.pi if settings["pi_mode"] == "batch" else None
    dim = target_dim(config["targets"][run.target])
    return (run.study, run.generator, run.discriminator, json.dumps(settings, sort_keys=True), dim, pi)


def training_groups(config: Mapping) -> list[GanGroup]:
    """Every training group of the config, in a fixed order."""
    by_key: dict[tuple, list[GanRun]] = {}
    for run in gan_runs.all_runs(config):
        by_key.setdefault(_key(config, run), []).append(run)
    groups, counters = [], {}
    for key, members in by_key.items():
        rules = list(dict.fromkeys(run.update_rule for run in members))
        targets = list(dict.fromkeys(run.target for run in members))
        members = sorted(members, key=lambda run: (rules.index(run.update_rule), targets.index(run.target)))
        size = group_size(config, key[0])
        for start in range(0, len(members), size):  # sorted is stable: config order within a rule and target
            index = counters.setdefault(key[:3], 0)
            counters[key[:3]] += 1
            groups.append(GanGroup(*key[:3], index, tuple(members[start:start + size])))
    return groups
