"""The Snakemake-facing layer: config validation, what each job reads, and the job entry points."""
