"""Snakemake job: the animated companion of a figure (see gandiv.pipeline.build_animation)."""

from gandiv.pipeline import build_animation, snakemake_job

with snakemake_job(snakemake) as config:
    build_animation(config, snakemake.wildcards.figure, dict(snakemake.input.items()), snakemake.output.gif)
