"""Snakemake job: one exact multi-start fit (see gandiv.pipeline.fit_exact)."""

from gandiv.pipeline import fit_exact, snakemake_job

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    fit_exact(config, w.target, w.family, w.objective, snakemake.output.fit)
