# Replication of Huszár (2015), "How (not) to train your generative model".
# Stages: exact fits, GAN trainings and their divergences, scheduled-sampling trainings -> figures -> report. See README.md for how to run it.

from snakemake.utils import min_version

min_version("9.0")


# The full replication by default. `--configfile X` stands alone when X is a complete config (it has `targets` and
# `figures`, like config/smoke.yaml); otherwise X holds only what changes, deep-merged onto config/config.yaml.
# `--config key=value` is deep-merged onto either, its values read as YAML (common.smk).
if not workflow.overwrite_configfiles or not {"targets", "figures"} <= set(config):

    configfile: f"{workflow.basedir}/config/config.yaml"


report: "workflow/report/workflow.rst"


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
