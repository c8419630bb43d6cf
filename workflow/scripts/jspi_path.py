"""Snakemake job: the JS_pi minimiser over the pi grid for one target (see gandiv.pipeline.exact_jobs.jspi_path_job)."""

from gandiv.pipeline.exact_jobs import jspi_path_job
from gandiv.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    jspi_path_job(config, w.target, w.family, snakemake.output.path, snakemake.output.summary)
