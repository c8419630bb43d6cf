"""Snakemake job: train the wgan-critic figure's discriminator or critic (see gandiv.pipeline.gan_jobs.train_critic_job)."""

from gandiv.pipeline.runtime import snakemake_job
from gandiv.pipeline.gan_jobs import train_critic_job

with snakemake_job(snakemake) as config:
    train_critic_job(config, snakemake.wildcards.objective, snakemake.threads, snakemake.output.curves)
