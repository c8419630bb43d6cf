# Replication of Huszár (2015), "How (not) to train your generative model".
# Stages: exact fits, GAN trainings and their divergences, scheduled-sampling trainings -> figures -> report. See README.md for how to run it.

from snakemake.utils import min_version

min_version("9.0")


# The full replication by default; `--configfile X` replaces it whole (the two are never merged).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/exact.smk"
include: "workflow/rules/gan.smk"
include: "workflow/rules/scheduled_sampling.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        "figures/report.html",
