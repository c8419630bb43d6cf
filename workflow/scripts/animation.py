"""Snakemake job: render an animated figure (see gandiv.pipeline.build_animation)."""

from gandiv.pipeline import build_animation, job_log

with job_log(snakemake.log[0]):
    build_animation(snakemake.config, snakemake.wildcards.figure, dict(snakemake.input.items()),
                    snakemake.output.gif)
