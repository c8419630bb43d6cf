"""Snakemake job: build one figure with its table and verdict (see gandiv.pipeline.figure_jobs.build_figure)."""

from gandiv.pipeline.figure_jobs import build_figure
from gandiv.pipeline.runtime import lineage_provenance, snakemake_job

with snakemake_job(snakemake) as config:
    inputs = dict(snakemake.input.items())
    provenance = lineage_provenance(snakemake, config, inputs.pop("upstream_benchmarks"),
                                    inputs.pop("run_folder_files"))
    build_figure(config, snakemake.wildcards.figure, inputs, dict(snakemake.output.items()), provenance)
