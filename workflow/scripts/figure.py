"""Snakemake job: build one figure with its table and verdict (see gandiv.pipeline.build_figure)."""

from gandiv.pipeline import build_figure, snakemake_job

with snakemake_job(snakemake) as config:
    build_figure(config, snakemake.wildcards.figure, dict(snakemake.input.items()),
                 dict(snakemake.output.items()))
