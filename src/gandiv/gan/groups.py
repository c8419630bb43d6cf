"""Training groups: the GAN runs that one job trains together as one model (`gandiv.gan.training.train_group`).

Runs can share a group when they differ only in update rule, pi and seed: same study, target, generator kind,
discriminator kind and training settings (with `pi_mode: batch` also the same pi, which fixes the batch's
composition). Such runs, in config order with each rule's runs together (a rule's runs are one slice of the
group's run axis), are cut into groups of at most the study's `group_size`. A run's numbers do not depend on its
group, so the group size changes speed only. Pure config logic (no TensorFlow): the workflow builds one rule per
group from here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from gandiv.gan import runs as gan_runs
from gandiv.gan.runs import GanRun


@dataclass(frozen=True)
class GanGroup:
    """Runs trained together; `index` numbers the groups of one (study, target, generator, discriminator)."""

    study: str
    target: str
    generator: str
    discriminator: str
    index: int
    runs: tuple[GanRun, ...]

    @property
    def label(self) -> str:
        """Its path below logs/ and benchmarks/: gan_train/<study>/<target>/<generator>/<discriminator>/group<i>."""
        return f"gan_train/{self.study}/{self.target}/{self.generator}/{self.discriminator}/group{self.index}"

    @property
    def rule_name(self) -> str:
        """Its Snakemake rule: gan_train_<study>_<target>_<generator>_<discriminator>_<i> (identifier characters)."""
        return re.sub(r"\W", "_", f"gan_train_{self.study}_{self.target}_{self.generator}_{self.discriminator}_"
                                  f"{self.index}")

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
    return (run.study, run.target, run.generator, run.discriminator, json.dumps(settings, sort_keys=True), pi)


def training_groups(config: Mapping) -> list[GanGroup]:
    """Every training group of the config, in a fixed order."""
    by_key: dict[tuple, list[GanRun]] = {}
    for run in gan_runs.all_runs(config):
        by_key.setdefault(_key(config, run), []).append(run)
    groups, counters = [], {}
    for key, members in by_key.items():
        order = list(dict.fromkeys(run.update_rule for run in members))
        members = sorted(members, key=lambda run: order.index(run.update_rule))  # stable: config order within a rule
        size = group_size(config, key[0])
        for start in range(0, len(members), size):
            index = counters.setdefault(key[:4], 0)
            counters[key[:4]] += 1
            groups.append(GanGroup(*key[:4], index, tuple(members[start:start + size])))
    return groups
