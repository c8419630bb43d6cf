"""Snakemake job: the JS_pi minimiser over the pi grid for one target (see gandiv.pipeline.jspi_path)."""

from gandiv.pipeline import jspi_path, snakemake_job

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    jspi_path(config, w.target, w.family, snakemake.output.path, snakemake.output.summary)
