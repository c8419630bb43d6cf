"""Snakemake job: train one training group of GAN runs, grid or zoo (see gandiv.pipeline.gan_jobs.train_group_job)."""

from gandiv.pipeline.gan_jobs import train_group_job
from gandiv.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as config:
    train_group_job(config, [path.removesuffix("/status.json") for path in snakemake.output.status], snakemake.threads)
