"""Snakemake job: train one autoregressive pair model (see gandiv.pipeline.train_pair_job)."""

from gandiv.pipeline import job_log, train_pair_job

with job_log(snakemake.log[0]):
    w = snakemake.wildcards
    train_pair_job(snakemake.config, w.joint, w.schedule, int(w.seed), snakemake.threads,
                   dict(snakemake.output.items()))
