"""Scheduled-sampling runs: the Keras pair models of the ss-inconsistency figure, one per (joint, schedule, seed).

A run is named by the joint law it learns (a key of the figure's `joints`), its epsilon schedule (a
fixed `epsilon<value>`, or an annealed schedule of `gandiv.sequence.scheduled_sampling.ANNEALED`) and
its seed. Its folder, its random streams and the config keys its job reads come from here; the
workflow's `ss_train` rule and the figure's inputs both enumerate runs with `pair_runs`.
Pure config logic (no TensorFlow): the workflow imports it to build its DAG.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from gandiv.path_tokens import int_token, number_token
from gandiv.seeding import Streams, run_streams
from gandiv.sequence.scheduled_sampling import ANNEALED

FIGURE = "ss-inconsistency"  # the figure whose `training` section holds the runs
RUN_FOLDER = "results/scheduled_sampling/{joint}/{schedule}/seed{seed}"
RUN_FILES = ("conditional.weights.h5", "history.csv", "tables.json")
# The schedule wildcard's constraint: a fixed epsilon's token (digits, point, exponent) or an annealed schedule.
SCHEDULE_PATTERN = "|".join(["epsilon[0-9.e-]+", *map(re.escape, ANNEALED)])
# Keys of the `training` section every run reads, and those only its annealed schedule reads.
MODEL_KEYS = ("batch_size", "embedding_dim", "hidden", "learning_rate", "steps", "steps_per_call")
SCHEDULE_KEYS = {"linear": ("decay_share", "final_epsilon"), "inverse_sigmoid": ("inverse_sigmoid_k",)}


@dataclass(frozen=True)
class PairRun:
    """One trained pair model: the joint law it learns, its schedule and its seed."""

    joint: str
    schedule: str  # `epsilon<number token>` (see `fixed_schedule`) or a name in ANNEALED
    seed: int

    @property
    def wildcards(self) -> dict:
        """The run's values as the path tokens of RUN_FOLDER."""
        return {"joint": self.joint, "schedule": self.schedule, "seed": int_token(self.seed)}

    @property
    def folder(self) -> str:
        """Where its training writes RUN_FILES."""
        return RUN_FOLDER.format(**self.wildcards)

    def file(self, name: str) -> str:
        """Path of one of RUN_FILES; ValueError for any other name."""
        if name not in RUN_FILES:
            raise ValueError(f"a pair-model run has no file {name!r}; its files: {', '.join(RUN_FILES)}")
        return f"{self.folder}/{name}"

    def streams(self) -> Streams:
        """The run's random streams (model initialisation, training pairs, prefix sampling), its own alone."""
        return run_streams(self.seed, {"job": "ss-pair", "joint": self.joint, "schedule": self.schedule})


def fixed_schedule(epsilon: float) -> str:
    """The schedule name of a fixed epsilon, e.g. `epsilon0.5` (the number's exact path token)."""
    return f"epsilon{number_token(epsilon)}"


def training(config: Mapping) -> Mapping | None:
    """The figure's `training` section, or None when the config trains no pair model."""
    return config["figures"].get(FIGURE, {}).get("training")


def pair_runs(config: Mapping) -> list[PairRun]:
    """Every pair-model training the config asks for: per joint, the fixed epsilons then the annealed
    schedules, each for every seed."""
    section = training(config)
    if section is None:
        return []
    schedules = [fixed_schedule(eps) for eps in section["epsilons"]] + list(section["annealed"])
    return [PairRun(joint, schedule, seed)
            for joint, schedule, seed in itertools.product(section["joints"], schedules, section["seeds"])]


def threads(config: Mapping) -> int:
    """TensorFlow threads of one training job (1 when there is no `training` section)."""
    section = training(config)
    return section["threads"] if section else 1


def training_keys(run: PairRun) -> list[str]:
    """Dotted config keys the run's training job reads: the model's keys, its schedule's, its joint table."""
    keys = [*MODEL_KEYS, *SCHEDULE_KEYS.get(run.schedule, ())]
    return [f"figures.{FIGURE}.training.{key}" for key in keys] + [f"figures.{FIGURE}.joints.{run.joint}"]
