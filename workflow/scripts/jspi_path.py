"""Snakemake job: the JS_pi minimiser over the pi grid for one target (see gandiv.pipeline.jspi_path)."""

from gandiv.pipeline import job_log, jspi_path

with job_log(snakemake.log[0]):
    w = snakemake.wildcards
    jspi_path(snakemake.config, w.target, w.family, snakemake.output.path, snakemake.output.summary)
