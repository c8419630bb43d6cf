"""Snakemake job: train one GAN (see gandiv.pipeline.gan_jobs.train_gan_job)."""

from gandiv.pipeline.runtime import snakemake_job
from gandiv.pipeline.gan_jobs import train_gan_job
from gandiv.pipeline.wildcards import parse_number

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    train_gan_job(config, w.target, w.generator, w.update_rule, parse_number(w.pi), int(w.seed),
                  snakemake.threads, dict(snakemake.output.items()))
