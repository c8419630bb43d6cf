"""Snakemake job: build one figure with its table and verdict (see gandiv.pipeline.build_figure)."""

from gandiv.pipeline import build_figure, job_log

with job_log(snakemake.log[0]):
    build_figure(snakemake.config, snakemake.wildcards.figure, dict(snakemake.input.items()),
                 dict(snakemake.output.items()))
