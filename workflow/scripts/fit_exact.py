"""Snakemake job: one exact multi-start fit (see gandiv.pipeline.exact_jobs.fit_exact)."""

from gandiv.pipeline.exact_jobs import fit_exact
from gandiv.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as config:
    w = snakemake.wildcards
    fit_exact(config, w.target, w.family, w.objective, snakemake.output.fit)
