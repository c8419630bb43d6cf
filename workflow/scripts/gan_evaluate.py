"""Snakemake job: divergences of every trained GAN of one (target, generator) group (see gandiv.pipeline)."""

from pathlib import Path

from gandiv.pipeline import evaluate_gan_job, job_log

with job_log(snakemake.log[0]):
    w = snakemake.wildcards
    run_dirs = [str(Path(status).parent) for status in snakemake.input.statuses]
    evaluate_gan_job(snakemake.config, w.target, w.generator, run_dirs, snakemake.threads, snakemake.output.table)
