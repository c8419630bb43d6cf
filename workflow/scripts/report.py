"""Snakemake job: the self-contained HTML report (see gandiv.pipeline.figure_jobs.build_report)."""

from pathlib import Path

from gandiv.pipeline.figure_jobs import build_report
from gandiv.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as config:
    build_report(config, snakemake.params.config_file, list(snakemake.input.verdicts),
                 str(Path(snakemake.output.html).parent), list(snakemake.input.benchmarks), snakemake.output.html)
