"""Snakemake job: train one GAN (see gandiv.pipeline.train_gan_job)."""

from gandiv.pipeline import snakemake_job, train_gan_job
from gandiv.wildcards import parse_number

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    train_gan_job(config, w.target, w.generator, w.update_rule, parse_number(w.pi), int(w.seed),
                  snakemake.threads, dict(snakemake.output.items()))
