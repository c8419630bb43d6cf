# Config validation and helpers shared by every stage.

import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The workflow itself imports `gandiv` from src/. Jobs import it from the installed package or,
# in a conda env, through the link workflow/scripts/gandiv -> src/gandiv (scripts' folder is on sys.path).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from gandiv.config import ConfigError, load_schema, validate_config  # noqa: E402

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"

# One clear message naming the key and what is allowed, before any job runs.
try:
    validate_config(config, load_schema(SCHEMA))
except ConfigError as error:
    raise WorkflowError(f"invalid config: {error}") from None
validate(config, str(SCHEMA))  # fills the schema's defaults into `config`


# Objectives an exact fit can minimise (JS means JS_1/2).
FIT_OBJECTIVES = ["kl_pq", "js", "kl_qp"]


def tracked_config(*keys):
    """The parts of the config a job depends on, passed as params so that changing them reruns it."""
    return {key: config[key] for key in keys}


def enabled_figures():
    """Figure ids the config asks for, in config order."""
    return list(config["figures"])


def figure_inputs(wildcards):
    """Intermediate results a figure job reads, by name."""
    settings = config["figures"][wildcards.figure]
    if wildcards.figure == "iclr-fig1":
        return {
            name: f"results/fits/{settings['target']}/{settings['family']}/{name}.json"
            for name in FIT_OBJECTIVES
        }
    if wildcards.figure == "jspi-interpolation":
        inputs = {}
        for target in settings["targets"]:
            base = f"results/jspi/{target}/{settings['family']}"
            inputs[f"{target}_path"] = f"{base}/path.csv"
            inputs[f"{target}_summary"] = f"{base}/summary.json"
        return inputs
    return {}
