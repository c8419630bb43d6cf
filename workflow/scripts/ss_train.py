"""Snakemake job: train one autoregressive pair model (see gandiv.pipeline.train_pair_job)."""

from gandiv.pipeline import snakemake_job, train_pair_job

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    train_pair_job(config, w.joint, w.schedule, int(w.seed), snakemake.threads,
                   dict(snakemake.output.items()))
