"""Snakemake job: build one figure with its table and verdict (see gandiv.pipeline.figure_jobs.build_figure)."""

from gandiv.pipeline.figure_jobs import build_figure
from gandiv.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as config:
    build_figure(config, snakemake.wildcards.figure, dict(snakemake.input.items()),
                 dict(snakemake.output.items()))
