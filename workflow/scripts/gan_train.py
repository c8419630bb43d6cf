"""Snakemake job: train one GAN run of the grid or the zoo (see gandiv.pipeline.gan_jobs.train_run_job)."""

from gandiv.gan.runs import GanRun
from gandiv.pipeline.gan_jobs import train_run_job
from gandiv.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as config:
    train_run_job(config, GanRun.from_folder(snakemake.output.status.removesuffix("/status.json")), snakemake.threads,
                  dict(snakemake.output.items()))
