"""How a Snakemake job runs: its log file, the config its rule declared, and (for the workflow test) what it read.

The workflow scripts only unpack `snakemake.*` and call the job functions of this package, so every job
can also be run (and tested) from Python.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path

from gandiv.pipeline.config_view import ConfigView, record_reads, recording

log = logging.getLogger("gandiv")


@contextlib.contextmanager
def job_log(path: str | None):
    """Send everything this job prints (Python logging and output, and C++ libraries' stderr) to its log file."""
    if path is None:
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "w") as handle:
        os.dup2(handle.fileno(), 1)  # file descriptors, so TensorFlow's C++ start-up messages land here too
        os.dup2(handle.fileno(), 2)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
        log.setLevel(logging.INFO)  # our own progress; libraries only warn
        start = time.perf_counter()
        try:
            yield
        except Exception:
            log.exception("job failed")
            raise
        finally:
            log.info("done in %.2f s", time.perf_counter() - start)
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)


@contextlib.contextmanager
def snakemake_job(smk):
    """Run a Snakemake job's body: its log (see `job_log`) and the config its rule declared, as a ConfigView.

    The rule passes `params.job = {"config_keys": [...], "config": {...}}` (workflow/rules/common.smk,
    `declared`); reading any other key raises UndeclaredConfigKey. What the job read is recorded
    for the workflow test when $GANDIV_RECORD_CONFIG_READS names a folder, with the files it opened and the
    top-level modules loaded when it ended.
    """
    view = ConfigView(smk.params.job["config"], smk.params.job["config_keys"])
    opened = _watch_opened_files() if recording() else set()
    with job_log(smk.log[0]):
        yield view
    record_reads(view, f"{smk.rule}:{list(smk.output)[0]}", opened=opened, inputs=list(smk.input),
                 outputs=list(smk.output) + list(smk.log), modules={m.split(".")[0] for m in list(sys.modules)})


def lineage_provenance(smk, view: ConfigView, upstream_benchmarks: list[str], run_folder_files: list[str]) -> dict:
    """A figure job's provenance (gandiv.report.provenance.figure_provenance) from its rule's `params.lineage` (the
    config values its numbers depend on, read through a view sharing `view`'s record, so the workflow test sees
    that the job reads them to hash them), its upstream jobs' benchmark files (benchmarks/<label>.tsv) and one
    file of each run folder it reads from."""
    from gandiv.pipeline.lineage import benchmark_label, run_folders  # figure jobs only: keeps GAN jobs' imports lean
    from gandiv.report.provenance import figure_provenance

    lineage = smk.params.lineage
    values = ConfigView(lineage["config"], lineage["config_keys"], reads=view.reads).to_dict()
    jobs = [benchmark_label(path) for path in upstream_benchmarks]
    return figure_provenance(values, lineage["config_keys"], [*jobs, f"figure/{smk.wildcards.figure}"],
                             run_folders(run_folder_files), upstream_benchmarks)


DATA_FOLDERS = ("results", "figures", "config", "benchmarks", "logs")  # where the workflow keeps its files


def _watch_opened_files() -> set:
    """The workflow's files (relative paths under DATA_FOLDERS) this process opens for reading from now on.

    A Python audit hook sees every open(), including the one results_io makes before Keras loads weights.
    """
    opened, cwd = set(), Path.cwd()

    def hook(event, args):
        if event != "open" or not isinstance(args[0], (str, os.PathLike)):
            return
        mode, flags = args[1], args[2]
        reading = ("r" in mode and "+" not in mode) if isinstance(mode, str) else not flags & (os.O_WRONLY | os.O_RDWR)
        path = Path(os.fsdecode(args[0]))
        try:
            relative = (path if not path.is_absolute() else path.relative_to(cwd)).as_posix()
        except ValueError:
            return
        if reading and relative.split("/")[0] in DATA_FOLDERS:
            opened.add(relative)

    sys.addaudithook(hook)
    return opened

