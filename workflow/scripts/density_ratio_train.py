"""Snakemake job: train the density-ratio figure's frozen-Q discriminators (see
gandiv.pipeline.gan_jobs.train_density_ratio_job)."""

from gandiv.pipeline.runtime import snakemake_job
from gandiv.pipeline.gan_jobs import train_density_ratio_job

with snakemake_job(snakemake) as config:
    train_density_ratio_job(config, snakemake.threads, snakemake.output.frozen)
