"""Snakemake job: render figures/report.html (see gandiv.pipeline.build_report)."""

from pathlib import Path

from gandiv.pipeline import build_report, job_log

with job_log(snakemake.log[0]):
    build_report(snakemake.params.config_file, list(snakemake.input.verdicts),
                 str(Path(snakemake.output.html).parent), list(snakemake.params.benchmarks), snakemake.output.html)
