"""Snakemake job: train one GAN (see gandiv.pipeline.train_gan_job)."""

from gandiv.pipeline import job_log, train_gan_job
from gandiv.wildcards import parse_number

with job_log(snakemake.log[0]):
    w = snakemake.wildcards
    train_gan_job(snakemake.config, w.target, w.generator, w.update_rule, parse_number(w.pi), int(w.seed),
                  snakemake.threads, dict(snakemake.output.items()))
