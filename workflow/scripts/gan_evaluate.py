"""Snakemake job: divergences of every trained GAN of one (target, generator) group (see gandiv.pipeline)."""

from pathlib import Path

from gandiv.pipeline.gan_jobs import evaluate_gan_job
from gandiv.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    run_dirs = [str(Path(status).parent) for status in snakemake.input.statuses]
    evaluate_gan_job(config, w.target, w.generator, run_dirs, snakemake.threads, snakemake.output.table)
