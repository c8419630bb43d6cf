"""GAN runs: one spec for every trained GAN, of the pi x rule grid and of the objectives zoo alike.

A run is named by its study (`grid`: the `gan` section's pi x rule grid; `zoo`: the objectives-zoo
figure's runs at pi = 1/2; `convention`: the jspi-convention figure's Gaussian runs, trained as the `gan`
section says but with the figure's pi_mode and a random start per seed; `manifold`: the manifold-q figure's mlp
runs, trained as the `gan` section says but with the figure's latent dimension, below the data's; `dsteps`,
`speed`, `piconv`: the Gaussian runs of the dynamics figures, `gandiv.gan.dynamics`, whose `discriminator` token
names the variant the figure varies), target, generator kind, update rule, discriminator kind, pi and seed. Its
folder, its training settings, its random streams, the config keys its jobs read and its group's
evaluation table all come from here, so the workflow has one training rule and one evaluation rule.
Pure config logic (no TensorFlow): the workflow imports it to build its DAG.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gandiv.gan import dynamics, zoo
from gandiv.gan.kinds import DiscriminatorKind
from gandiv.path_tokens import int_token, number_token, parse_number
from gandiv.seeding import Streams, run_streams

STUDIES = ("grid", "zoo", "convention", "manifold", *dynamics.STUDIES)
RUN_FOLDER = "results/gan/{study}/{target}/{generator}/{update_rule}/{discriminator}/pi{pi}/seed{seed}"
EVALUATION_TABLE = "results/gan/{study}/{target}/{generator}/evaluation.csv"
RUN_FILES = ("generator.weights.h5", "discriminator.weights.h5", "history.csv", "snapshots.npz", "status.json")
ZOO_PI = 0.5  # the zoo's discriminators see P and Q in equal shares
ZOO = "objectives-zoo"  # the figure whose settings hold the zoo study
CONVENTION = "jspi-convention"  # the figure whose settings hold the convention study
MANIFOLD = "manifold-q"  # the figure whose settings hold the manifold study


@dataclass(frozen=True)
class GanRun:
    """One trained GAN: what names it (its folder) and what seeds it."""

    study: str
    target: str
    generator: str
    update_rule: str
    discriminator: str
    pi: float
    seed: int

    @property
    def wildcards(self) -> dict:
        """The run's values as the path tokens of RUN_FOLDER (exact round trip, gandiv.pipeline.wildcards)."""
        return {"study": self.study, "target": self.target, "generator": self.generator,
                "update_rule": self.update_rule, "discriminator": self.discriminator, "pi": number_token(self.pi),
                "seed": int_token(self.seed)}

    @property
    def folder(self) -> str:
        """Where its training writes RUN_FILES."""
        return RUN_FOLDER.format(**self.wildcards)

    def file(self, name: str) -> str:
        """Path of one of RUN_FILES."""
        if name not in RUN_FILES:
            raise ValueError(f"a run has no file {name!r}; its files: {', '.join(RUN_FILES)}")
        return f"{self.folder}/{name}"

    @property
    def status(self) -> dict:
        """What names the run in its status.json (the grid's records keep the keys they always had)."""
        record = {"target": self.target, "generator": self.generator, "rule": self.update_rule, "pi": self.pi,
                  "seed": self.seed}
        named = self.study == "zoo" or self.study in dynamics.STUDIES
        return record | {"discriminator": self.discriminator} if named else record

    def streams(self) -> Streams:
        """The run's random streams: the same for its training and its evaluation, unrelated to any other run's."""
        identity = {key: value for key, value in self.status.items() if key != "seed"}
        return run_streams(self.seed, identity | {"job": f"gan-{self.study}", "pi": float(self.pi)})

    @classmethod
    def from_folder(cls, folder: str) -> GanRun:
        """The run whose folder this is (the inverse of `folder`); ValueError if it is not a run folder."""
        parts = Path(folder).as_posix().split("/")
        pattern = RUN_FOLDER.split("/")
        if len(parts) != len(pattern) or parts[:2] != pattern[:2] or not parts[-2].startswith("pi") \
                or not parts[-1].startswith("seed"):
            raise ValueError(f"{folder!r} is not a GAN run folder ({RUN_FOLDER})")
        study, target, generator, rule, discriminator = parts[2:7]
        return cls(study, target, generator, rule, discriminator, parse_number(parts[-2][2:]), int(parts[-1][4:]))

    @property
    def evaluation_table(self) -> str:
        """The table its group's evaluation writes."""
        return evaluation_table(self.study, self.target, self.generator)


def evaluation_table(study: str, target: str, generator: str) -> str:
    """Path of the evaluation table of one (study, target, generator) group."""
    return EVALUATION_TABLE.format(study=study, target=target, generator=generator)


def grid_runs(config: Mapping, target: str | None = None, generator: str | None = None) -> list[GanRun]:
    """Every run of the `gan` section's grid, in config order without repeats, optionally of one target/generator."""
    runs = []
    for entry in (config.get("gan") or {}).get("grid", []):
        for t, g, r, pi, seed in itertools.product(entry["targets"], entry["generators"], entry["rules"],
                                                   entry["pi"], entry["seeds"]):
            run = GanRun("grid", t, g, r, "plain", pi, seed)
            if target in (None, t) and generator in (None, g) and run not in runs:
                runs.append(run)
    return runs


def zoo_runs(config: Mapping, target: str | None = None) -> list[GanRun]:
    """Every run of the objectives zoo: each rule plain, the spectral-norm rules again, every seed."""
    settings = config["figures"].get(ZOO)
    if settings is None:
        return []
    variants = [(rule, DiscriminatorKind.PLAIN.value) for rule in settings["rules"]]
    variants += [(rule, DiscriminatorKind.SPECTRAL_NORM.value) for rule in settings["spectral_norm_rules"]]
    return [GanRun("zoo", t, zoo.generator_for(settings, t), rule, kind, ZOO_PI, seed)
            for t in settings["targets"] + settings["density_runs"]["targets"] if target in (None, t)
            for rule, kind in variants for seed in settings["seeds"]]


def convention_runs(config: Mapping, target: str | None = None) -> list[GanRun]:
    """Every run of the jspi-convention study: its rule's Gaussian generator on its target, at each of its pi and
    seeds (the seed also draws the start, `start_sd`)."""
    settings = config["figures"].get(CONVENTION)
    if settings is None or target not in (None, settings["target"]):
        return []
    return [GanRun("convention", settings["target"], "gaussian", settings["rule"], DiscriminatorKind.PLAIN.value,
                   pi, seed) for pi in settings["pi"] for seed in settings["seeds"]]


def manifold_runs(config: Mapping, target: str | None = None) -> list[GanRun]:
    """Every run of the manifold study: an mlp generator with the manifold-q figure's latent dimension on its
    target, for each of its rules and seeds, at its pi."""
    settings = config["figures"].get(MANIFOLD)
    if settings is None or target not in (None, settings["target"]):
        return []
    return [GanRun("manifold", settings["target"], "mlp", rule, DiscriminatorKind.PLAIN.value, settings["pi"], seed)
            for rule in settings["rules"] for seed in settings["seeds"]]


def dynamics_runs(config: Mapping, study: str, target: str | None = None) -> list[GanRun]:
    """Every run of one dynamics study (`gandiv.gan.dynamics`): its figure's rules x variants x pi x seeds."""
    return [GanRun(study, t, "gaussian", rule, token, pi, seed)
            for t, rule, token, pi, seed in dynamics.run_names(config, study, target)]


def all_runs(config: Mapping) -> list[GanRun]:
    """Every GAN run the config asks for."""
    return grid_runs(config) + zoo_runs(config) + convention_runs(config) + manifold_runs(config) + \
        [run for study in dynamics.STUDIES for run in dynamics_runs(config, study)]


def runs_of(config: Mapping, study: str, target: str, generator: str) -> list[GanRun]:
    """The runs of one evaluation group."""
    runs = {"grid": lambda: grid_runs(config, target, generator), "zoo": lambda: zoo_runs(config, target),
            "convention": lambda: convention_runs(config, target),
            "manifold": lambda: manifold_runs(config, target),
            **{name: (lambda name=name: dynamics_runs(config, name, target)) for name in dynamics.STUDIES}}[study]()
    return [run for run in runs if run.generator == generator]


def evaluation_groups(config: Mapping) -> list[tuple[str, str, str]]:
    """(study, target, generator) of every group with at least one run, in a fixed order."""
    return sorted({(run.study, run.target, run.generator) for run in all_runs(config)})


def study_settings(config: Mapping, study: str) -> Mapping:
    """The config section a study's device, threads, group size and evaluation settings live in: `gan` (the grid,
    and the convention, manifold and dynamics studies, which train as the grid does), or the objectives-zoo
    figure's."""
    if study not in STUDIES:
        raise ValueError(f"unknown GAN study {study!r}; studies: {', '.join(STUDIES)}")
    return config["figures"][ZOO] if study == "zoo" else config["gan"]


def training_settings(config: Mapping, run: GanRun) -> dict:
    """The settings `gandiv.gan.training.train_gan` takes for this run.

    The grid: the `gan` section's training keys, one discriminator step per generator step, no weight
    clipping, no gradient penalty (logit rules only). The convention study: the same, with the jspi-convention
    figure's `pi_mode` and its `start_sd` in the generator's settings. The manifold study: the same, with the
    manifold-q figure's `latent_dim` in the generator's settings. The dynamics studies: the same, with their
    figure's steps, steps per call and start and their variant's D-steps and pi_mode
    (`gandiv.gan.dynamics.training_overrides`). The zoo: see
    `gandiv.gan.zoo.training_settings`.
    """
    if run.study == "zoo":
        return zoo.training_settings(config["figures"][ZOO], run.update_rule, run.discriminator, run.generator)
    gan = config["gan"]
    settings = {**{key: gan[key] for key in gan if key not in ("grid", "evaluation")},
                "d_steps": 1, "weight_clip": None, "gp_weight": 0.0}
    if run.study == "convention":
        settings |= {"pi_mode": config["figures"][CONVENTION]["pi_mode"]}
    if run.study in dynamics.STUDIES:
        settings |= dynamics.training_overrides(config, run.study, run.discriminator)
    return settings if run.study == "grid" else settings | network_settings(config, run)


def network_settings(config: Mapping, run: GanRun) -> dict:
    """The networks' sizes of a run, all that rebuilding its networks reads (`gandiv.gan.training.build_run`): the
    `generator` and `discriminator` entries of its training settings."""
    if run.study == "zoo":
        return zoo.network_settings(config["figures"][ZOO], run.discriminator, run.generator)
    generator = dict(config["gan"]["generator"])
    if run.study == "convention":
        generator["start_sd"] = config["figures"][CONVENTION]["start_sd"]
    if run.study == "manifold":
        generator["latent_dim"] = config["figures"][MANIFOLD]["latent_dim"]
    if run.study in dynamics.STUDIES:
        generator["start_mean"] = dynamics.variant(config, run.study, run.discriminator).start_mean
    return {"generator": generator, "discriminator": config["gan"]["discriminator"]}


def evaluation_settings(config: Mapping, study: str) -> dict:
    """Sample size, k of the k-NN estimator, grid density of the exact values (and, for the zoo, the share of
    samples that makes a mode covered) of a study's evaluation."""
    settings = dict(study_settings(config, study)["evaluation"])
    if study == "zoo":
        settings["min_mode_share"] = config["figures"][ZOO]["min_mode_share"]
    return settings


def device(config: Mapping, study: str) -> str:
    """cpu or gpu: where the study's trainings and evaluations run."""
    return study_settings(config, study)["device"]


def threads(config: Mapping, study: str) -> int:
    """Threads of one of the study's jobs."""
    return int(study_settings(config, study).get("threads", 1))


def training_keys(config: Mapping, study: str, target: str, rules: list[str]) -> list[str]:
    """Dotted config keys a training (or the evaluation) of the study on `target` with these rules reads."""
    if study in dynamics.STUDIES:
        return [f"gan.{key}" for key in config["gan"] if key not in ("grid", "evaluation", "threads", "steps",
                                                                     "steps_per_call")] + \
            dynamics.figure_keys(config, study) + [f"targets.{target}"]
    if study in ("grid", "convention", "manifold"):
        own = {"grid": [], "convention": [f"figures.{CONVENTION}.{key}" for key in ("pi_mode", "start_sd")],
               "manifold": [f"figures.{MANIFOLD}.latent_dim"]}[study]
        return [f"gan.{key}" for key in config["gan"] if key not in ("grid", "evaluation", "threads")] + own + \
            [f"targets.{target}"]
    settings = config["figures"][ZOO]
    keys = ["device", "steps", "steps_per_call", "batch_size", "n_snapshot_samples", "generator", "discriminator",
            "density_runs.targets"]
    keys += [f"objectives.{rule}" for rule in rules]
    if target in settings["density_runs"]["targets"]:
        keys.append("density_runs.generator")
        if zoo.generator_for(settings, target) == "flow":
            keys.append("density_runs.flow_layers")
    return [f"figures.{ZOO}.{key}" for key in keys] + [f"targets.{target}"]


def evaluation_keys(config: Mapping, study: str, target: str) -> list[str]:
    """Dotted config keys the evaluation of a (study, target) group reads: where it runs, the networks' sizes (to
    rebuild them, `network_settings`), the evaluation's settings and the target."""
    if study in ("grid", "convention", "manifold", *dynamics.STUDIES):
        own = dynamics.figure_keys(config, study) if study in dynamics.STUDIES else \
            {"grid": [], "convention": [f"figures.{CONVENTION}.start_sd"],
             "manifold": [f"figures.{MANIFOLD}.latent_dim"]}[study]
        return ["gan.device", "gan.generator", "gan.discriminator", "gan.evaluation", *own, f"targets.{target}"]
    settings = config["figures"][ZOO]
    keys = ["device", "generator", "discriminator", "density_runs.targets", "evaluation", "min_mode_share"]
    if target in settings["density_runs"]["targets"]:
        keys.append("density_runs.generator")
        if zoo.generator_for(settings, target) == "flow":
            keys.append("density_runs.flow_layers")
    return [f"figures.{ZOO}.{key}" for key in keys] + [f"targets.{target}"]
