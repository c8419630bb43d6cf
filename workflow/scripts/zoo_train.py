"""Snakemake job: train one GAN of the objectives zoo (see gandiv.pipeline.gan_jobs.train_zoo_job)."""

from gandiv.pipeline.runtime import snakemake_job
from gandiv.pipeline.gan_jobs import train_zoo_job

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    train_zoo_job(config, w.target, w.update_rule, w.discriminator, int(w.seed), snakemake.threads,
                  dict(snakemake.output.items()))
