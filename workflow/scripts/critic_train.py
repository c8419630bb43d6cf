"""Snakemake job: train the wgan-critic figure's discriminator or critic (see gandiv.pipeline.train_critic_job)."""

from gandiv.pipeline import job_log, train_critic_job

with job_log(snakemake.log[0]):
    train_critic_job(snakemake.config, snakemake.wildcards.objective, snakemake.threads, snakemake.output.curves)
