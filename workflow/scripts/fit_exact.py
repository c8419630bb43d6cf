"""Snakemake job: one exact multi-start fit (see gandiv.pipeline.fit_exact)."""

from gandiv.pipeline import fit_exact, job_log

with job_log(snakemake.log[0]):
    w = snakemake.wildcards
    fit_exact(snakemake.config, w.target, w.family, w.objective, snakemake.output.fit)
