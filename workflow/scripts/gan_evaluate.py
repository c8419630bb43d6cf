"""Snakemake job: divergences of every GAN run of one (study, target, generator) group
(see gandiv.pipeline.gan_jobs.evaluate_group_job)."""

from pathlib import Path

from gandiv.pipeline.gan_jobs import evaluate_group_job
from gandiv.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    folders = [str(Path(status).parent) for status in snakemake.input.statuses]
    evaluate_group_job(config, w.study, w.target, folders, snakemake.threads, snakemake.output.table)
