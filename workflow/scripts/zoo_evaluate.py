"""Snakemake job: evaluate every zoo GAN of one target (see gandiv.pipeline.gan_jobs.evaluate_zoo_job)."""

from pathlib import Path

from gandiv.pipeline.gan_jobs import evaluate_zoo_job
from gandiv.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as config:
    run_dirs = [str(Path(status).parent) for status in snakemake.input.statuses]
    evaluate_zoo_job(config, snakemake.wildcards.target, run_dirs, snakemake.threads,
                     snakemake.output.table)
