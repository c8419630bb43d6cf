"""Snakemake job: train one GAN of the objectives zoo (see gandiv.pipeline.train_zoo_job)."""

from gandiv.pipeline import job_log, train_zoo_job

with job_log(snakemake.log[0]):
    w = snakemake.wildcards
    train_zoo_job(snakemake.config, w.target, w.update_rule, w.discriminator, int(w.seed), snakemake.threads,
                  dict(snakemake.output.items()))
