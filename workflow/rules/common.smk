# Config validation and helpers shared by every stage.

import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import update_config

# The workflow itself imports `gandiv` from src/. Jobs import it from the installed package or,
# in a conda env, through the link workflow/scripts/gandiv -> src/gandiv (scripts' folder is on sys.path).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from gandiv.pipeline.config import ConfigError, load_schema, validate_in_place, yaml_typed  # noqa: E402
from gandiv.pipeline.config_view import job_config  # noqa: E402
from gandiv import figures  # noqa: E402
from gandiv.figures import wgan_critic  # noqa: E402
from gandiv.exact.families import Family  # noqa: E402
from gandiv.exact.fitting import FitObjective  # noqa: E402
from gandiv.gan import runs  # noqa: E402
from gandiv.gan.groups import training_groups  # noqa: E402
from gandiv.sequence import runs as pair_runs  # noqa: E402
from gandiv.gan.kinds import DiscriminatorKind, GeneratorKind  # noqa: E402
from gandiv.update_rules import UpdateRule  # noqa: E402
from gandiv.pipeline.wildcards import pattern  # noqa: E402
from gandiv.figures.catalogue import load_catalogue  # noqa: E402
from gandiv.results_io import read_json  # noqa: E402
from gandiv.pipeline import lineage  # noqa: E402

CATALOGUE = load_catalogue()


if workflow.config_settings.config:  # --config overrides, deep-merged with their YAML types
    update_config(config, yaml_typed(workflow.config_settings.config))

# One clear message naming the key and what is allowed, before any job runs; then `config` holds the
# validated values with the defaults of the schema shipped with the package filled in (the only filling).
try:
    validate_in_place(config, load_schema())
except ConfigError as error:
    raise WorkflowError(f"invalid config: {error}") from None


# profiles/slurm ships this in place of the user's SLURM account and partition: stop until they are set.
CLUSTER_PLACEHOLDER = "CHANGE-ME"


def unset_cluster_settings():
    """Default resources (from a profile or --default-resources) that still hold CLUSTER_PLACEHOLDER."""
    resources = dict(workflow.resource_settings.default_resources or {})
    return sorted(name for name, value in resources.items() if CLUSTER_PLACEHOLDER in str(getattr(value, "raw", value)))


if unset_cluster_settings():
    raise WorkflowError(
        f"profiles/slurm: set {' and '.join(unset_cluster_settings())} (still {CLUSTER_PLACEHOLDER!r}) to your "
        "cluster's in default-resources of profiles/slurm/config.yaml (`sacctmgr show assoc user=$USER` lists your "
        "accounts, `sinfo -s` the partitions)"
    )


def declared(*keys):
    """A rule's `params.job`: the dotted config keys its job reads, and their values.

    Declared once per rule: Snakemake reruns the job when these values change, and the job can
    read nothing else (gandiv.pipeline.config_view.ConfigView raises on any other key).
    """
    return {"config_keys": list(keys), "config": job_config(config, list(keys))}


# ---------------------------------------------------------------- GAN runs (grid and zoo: gandiv.gan.runs)

RUN_FOLDER, RUN_FILES = runs.RUN_FOLDER, runs.RUN_FILES


def gan_env(study):
    """The conda env of a GAN job of `study` (a name, or wildcards naming it): with CUDA when it runs on the GPU."""
    study = getattr(study, "study", study)
    return "../../envs/gan-gpu.yaml" if runs.device(config, study) == "gpu" else "../../envs/gan.yaml"


# ---------------------------------------------------------------- scheduled sampling (gandiv.sequence.runs)

SS_RUN = pair_runs.RUN_FOLDER


def enabled_figures():
    """Figure ids the config asks for, in config order."""
    return list(config["figures"])


def figure_caption(figure_id):
    """What Snakemake's report (`snakemake --report`) says of a figure: its catalogue entry (workflow/report/figure.rst)."""
    entry = CATALOGUE.by_id(figure_id)
    return {
        "title": entry.title,
        "source": CATALOGUE.source_of(figure_id).citation(),
        "claim": entry.claim,
        "build": entry.build,
        "verdict_rule": entry.verdict_rule,
    }


def figure_source(wildcards):
    """The report category of a figure's files: the source text whose claim it tests."""
    return CATALOGUE.source_of(wildcards.figure).citation()


def figure_labels(wildcards, output):
    """The report labels of a figure's files: its id and this run's verdict (read from its verdict record)."""
    return {"figure": wildcards.figure, "verdict": read_json(output.verdict, required=("verdict",))["verdict"]}


def figure_inputs(wildcards):
    """Upstream results a figure job reads, by name (declared by the figure's module, gandiv.figures)."""
    return figures.figure_inputs(config, wildcards.figure)


def job_benchmarks():
    """Benchmark files of every job the report depends on (for its run times): each figure's lineage, animations."""
    jobs = [job for fig in enabled_figures() for job in lineage.figure_lineage(config, fig).jobs]
    jobs += [lineage.figure_job(config, Path(gif).stem, animation=True) for gif in animations()]
    return sorted({job.benchmark for job in jobs})


def figure_lineage(wildcards):
    """A figure job's `params.lineage`: the config keys (and values) its numbers depend on, its own and upstream
    (gandiv.pipeline.lineage); the job hashes the values into the provenance of its verdict record."""
    return declared(*lineage.figure_lineage(config, wildcards.figure).config_keys)


def upstream_benchmarks(wildcards):
    """Benchmark files of the jobs upstream of a figure: its provenance names those jobs and sums their run time."""
    return [job.benchmark for job in lineage.figure_lineage(config, wildcards.figure).jobs[:-1]]


def run_folder_files(wildcards):
    """One file of each results/ folder a figure's numbers are read from: its provenance lists those folders."""
    return lineage.figure_lineage(config, wildcards.figure).folder_files()


def shown_path(path):
    """A path as the report shows it: relative to the working directory when inside it (no machine's folders)."""
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


# Figures with an animated companion (figures/<id>.gif), from their modules.
ANIMATED = [fig for fig in figures.load_catalogue().ids if figures.has_animation(fig)]


def animations():
    """Animated figures the config asks for."""
    return [f"figures/{fig}.gif" for fig in enabled_figures() if fig in ANIMATED]


# ---------------------------------------------------------------- what each job reads from the config


def figure_keys(figure, animation=False):
    """Config keys a figure's (or its animation's) job reads (declared by its module's NEEDS, gandiv.figures)."""
    return figures.figure_config_keys(figure, config["figures"][figure], animation)
