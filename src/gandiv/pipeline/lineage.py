"""Which jobs a figure depends on: its lineage, for its provenance and for the report's run times.

A figure's job reads upstream files (its module's `inputs`); each file is written by one job of the workflow,
which may read files of its own (an evaluation reads its runs' weights). `upstream_jobs` follows those links
back to jobs that read no file, and names each job by its `label`, the path of its log and benchmark files
below logs/ and benchmarks/ (`fit_exact/bimodal_1d/gaussian/kl_pq`). Each job carries the dotted config keys
its rule declares (the same functions the rules call), so the union over a lineage is every config value a
figure's numbers depend on: the key set its provenance hashes (gandiv.report.provenance).

Pure config logic, like the rest of the workflow's planning: tests/test_lineage.py checks the lineage of every
figure of config/config.yaml and config/smoke.yaml against Snakemake's own DAG.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from gandiv import figures
from gandiv.gan import runs as gan_runs
from gandiv.gan.groups import GanGroup, training_groups
from gandiv.sequence import runs as pair_runs

# What the exact stage's jobs read (besides their target's entry); their rules declare exactly these.
FIT_EXACT_KEYS = ("seed", "exact.n_starts", "exact.max_iter", "exact.quadrature_points_per_sd",
                  "exact.quadrature_halfwidth_sd")
JSPI_PATH_KEYS = ("seed", "exact.pi_grid", "exact.path_starts", "exact.max_iter", "exact.quadrature_points_per_sd",
                  "exact.quadrature_halfwidth_sd")
CRITIC_TRAIN_KEYS = ("figures.wgan-critic", "seed")


@dataclass(frozen=True)
class Job:
    """One job of the workflow: its rule, its label (its benchmark is benchmarks/<label>.tsv), the config keys its
    rule declares and the files it writes."""

    rule: str
    label: str
    config_keys: tuple[str, ...]
    outputs: tuple[str, ...] = ()

    @property
    def benchmark(self) -> str:
        """Snakemake's benchmark file of the job (each rule's `benchmark:` is benchmarks/<label>.tsv)."""
        return f"benchmarks/{self.label}.tsv"


def fit_exact_keys(target: str) -> list[str]:
    """Config keys of a `fit_exact` job on `target`."""
    return [*FIT_EXACT_KEYS, f"targets.{target}"]


def jspi_path_keys(target: str) -> list[str]:
    """Config keys of a `jspi_path` job on `target`."""
    return [*JSPI_PATH_KEYS, f"targets.{target}"]


def group_training_keys(config: Mapping, group: GanGroup) -> list[str]:
    """Config keys a training group's job reads: those of each of its targets' runs (gandiv.gan.runs)."""
    keys = [key for target in group.targets for key in gan_runs.training_keys(config, group.study, target,
                                                                              group.rules)]
    return list(dict.fromkeys(keys))


def figure_job(config: Mapping, figure_id: str, animation: bool = False) -> Job:
    """The job that builds a figure (or its animated companion, figures/<id>.gif)."""
    keys = figures.figure_config_keys(figure_id, config["figures"][figure_id], animation)
    if animation:
        return Job("animation", f"animation/{figure_id}", tuple(keys), (f"figures/{figure_id}.gif",))
    outputs = tuple(f"figures/{figure_id}.{ext}" for ext in ("png", "pdf", "csv")) + (
        f"results/verdicts/{figure_id}.json",)
    return Job("figure", f"figure/{figure_id}", tuple(keys), outputs)


@dataclass(frozen=True)
class Lineage:
    """What a figure's numbers depend on: the jobs (upstream first, its own job last), the dotted config keys they
    read for it, and the upstream files read on the way."""

    jobs: tuple[Job, ...]
    config_keys: tuple[str, ...]
    files: tuple[str, ...]

    @property
    def run_folders(self) -> list[str]:
        """The results/ folders of the files read: a training group may write runs of other figures too, and only
        the folders of files read along the way count."""
        return run_folders(self.files)

    def folder_files(self) -> list[str]:
        """One file of each run folder (the first in sorted order): enough for Snakemake to see the set change."""
        first: dict[str, str] = {}
        for path in sorted(self.files):
            first.setdefault(str(PurePosixPath(path).parent), path)
        return [first[folder] for folder in self.run_folders]


def run_folders(files: Iterable[str]) -> list[str]:
    """The distinct results/ folders of `files`, sorted."""
    return sorted({str(PurePosixPath(path).parent) for path in files if str(path).startswith("results/")})


def benchmark_label(path: str) -> str:
    """The label of the job whose benchmark file is `path` (benchmarks/<label>.tsv, anywhere below a benchmarks/
    folder); outside such a folder the path without its suffix."""
    stem = PurePosixPath(path).with_suffix("")
    parts = stem.parts
    return "/".join(parts[parts.index("benchmarks") + 1:]) if "benchmarks" in parts else stem.as_posix()


def figure_lineage(config: Mapping, figure_id: str) -> Lineage:
    """A figure's lineage. Its config keys are the figure job's own and, for each upstream file it reads, those of
    the job that writes it; of a GAN run trained in a group, only the keys of that run (its target, its rule):
    a group trains each run as if alone (tests/test_groups.py), so its other runs' settings do not reach it."""
    own = figure_job(config, figure_id)
    jobs, files, keys = _walk(config, flat(figures.figure_inputs(config, figure_id).values()))
    return Lineage((*jobs, own), tuple(dict.fromkeys([*keys, *own.config_keys])), tuple(sorted(files)))


def flat(values: Iterable) -> list[str]:
    """Paths from a figure's inputs, whose values are paths or lists of paths."""
    return [path for value in values for path in ([value] if isinstance(value, str) else value)]


def upstream_jobs(config: Mapping, paths: Iterable[str]) -> list[Job]:
    """The jobs that write `paths` and, recursively, the files those jobs read; each once, upstream first.

    Raises ValueError naming a path that no job of this config writes."""
    return _walk(config, paths)[0]


def _walk(config: Mapping, paths: Iterable[str]) -> tuple[list[Job], set[str], list[str]]:
    """The jobs upstream of `paths` (see `upstream_jobs`), every file read on the way (`paths` included) and the
    config keys behind those files."""
    producer = _Producers(config)
    ordered: dict[str, Job] = {}
    seen: set[str] = set()
    keys: dict[str, None] = {}

    def visit(path: str) -> None:
        if path in seen:
            return
        seen.add(path)
        job, reads, file_keys = producer(path)
        for upstream in reads:
            visit(upstream)
        ordered.setdefault(job.label, job)
        keys.update(dict.fromkeys(file_keys))

    for path in paths:
        visit(path)
    return list(ordered.values()), seen, list(keys)


def _regex(pattern: str) -> re.Pattern:
    """A path pattern with {name} fields as a regex with named groups (one path segment each)."""
    parts = re.split(r"\{(\w+)\}", pattern)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts)) + "$")


class _Producers:
    """Which job writes a path of this config, the files that job reads, and the config keys behind the path."""

    FIT = _regex("results/fits/{target}/{family}/{objective}.json")
    JSPI = _regex("results/jspi/{target}/{family}/{name}")
    EVALUATION = _regex(gan_runs.EVALUATION_TABLE)
    CRITIC = _regex(figures.figure_module("wgan-critic").CURVES)

    def __init__(self, config: Mapping):
        self.config = config
        self.run_files: dict[str, tuple[Job, list[str]]] = {}
        for group in training_groups(config):
            outputs = tuple(path for name in gan_runs.RUN_FILES for path in group.files(name))
            job = Job(group.rule_name, group.label, tuple(group_training_keys(config, group)), outputs)
            for run in group.runs:
                keys = gan_runs.training_keys(config, run.study, run.target, [run.update_rule])
                self.run_files |= dict.fromkeys((run.file(name) for name in gan_runs.RUN_FILES), (job, keys))
        for run in pair_runs.pair_runs(config):
            outputs = tuple(run.file(name) for name in pair_runs.RUN_FILES)
            job = Job("ss_train", run.folder, tuple(pair_runs.training_keys(run)), outputs)
            self.run_files |= dict.fromkeys(outputs, (job, list(job.config_keys)))

    def __call__(self, path: str) -> tuple[Job, list[str], list[str]]:
        if path in self.run_files:
            job, keys = self.run_files[path]
            return job, [], keys
        job, reads = self._job(path)
        return job, reads, list(job.config_keys)

    def _job(self, path: str) -> tuple[Job, list[str]]:
        if match := self.FIT.match(path):
            t, f, o = match["target"], match["family"], match["objective"]
            return Job("fit_exact", f"fit_exact/{t}/{f}/{o}", tuple(fit_exact_keys(t)), (path,)), []
        if (match := self.JSPI.match(path)) and match["name"] in ("path.csv", "summary.json"):
            t, f = match["target"], match["family"]
            folder = f"results/jspi/{t}/{f}"
            return Job("jspi_path", f"jspi_path/{t}/{f}", tuple(jspi_path_keys(t)),
                       (f"{folder}/path.csv", f"{folder}/summary.json")), []
        if match := self.EVALUATION.match(path):
            study, target, generator = match["study"], match["target"], match["generator"]
            reads = [run.file(name) for run in gan_runs.runs_of(self.config, study, target, generator)
                     for name in gan_runs.RUN_FILES]
            return Job("gan_evaluate", f"gan_evaluate/{study}/{target}/{generator}",
                       tuple(gan_runs.evaluation_keys(self.config, study, target)), (path,)), reads
        if match := self.CRITIC.match(path):
            return Job("critic_train", f"critic_train/{match['objective']}", CRITIC_TRAIN_KEYS, (path,)), []
        density_ratio = figures.figure_module("density-ratio")
        if path == density_ratio.FROZEN_Q:
            return Job("density_ratio_train", "density_ratio_train",
                       tuple(density_ratio.training_keys(self.config)), (path,)), []
        raise ValueError(f"no job of this config writes {path!r}")
