"""Snakemake job: the animated companion of a figure (see gandiv.pipeline.figure_jobs.build_animation)."""

from gandiv.pipeline.figure_jobs import build_animation
from gandiv.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as config:
    build_animation(config, snakemake.wildcards.figure, dict(snakemake.input.items()), snakemake.output.gif)
