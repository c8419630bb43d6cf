"""Snakemake job: train one autoregressive pair model (see gandiv.pipeline.sequence_jobs.train_pair_job)."""

from gandiv.pipeline.runtime import snakemake_job
from gandiv.pipeline.sequence_jobs import train_pair_job
from gandiv.sequence.runs import PairRun

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    train_pair_job(config, PairRun(w.joint, w.schedule, int(w.seed)), snakemake.threads,
                   dict(snakemake.output.items()))
