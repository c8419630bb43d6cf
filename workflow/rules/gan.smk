# Every GAN run (the pi x rule grid and the objectives zoo alike, gandiv.gan.runs): one training job per
# training group (runs trained together as one model, gandiv.gan.groups; one rule per group, since a group's
# outputs are its runs' files), one evaluation job per (study, target, generator); the wgan-critic
# figure's fixed-pair networks; and the density-ratio figure's frozen-Q discriminators.


for group in training_groups(config):

    rule:
        name:
            group.rule_name
        output:
            **{Path(name).stem.removesuffix(".weights"): group.files(name) for name in RUN_FILES},
        log:
            f"logs/{group.label}.log",
        benchmark:
            f"benchmarks/{group.label}.tsv"
        conda:
            gan_env(group.study)
        threads: runs.threads(config, group.study)
        resources:
            gpu=int(runs.device(config, group.study) == "gpu"),
        params:
            job=declared(*lineage.group_training_keys(config, group)),
        script:
            "../scripts/gan_train.py"


rule gan_evaluate:
    input:
        statuses=lambda w: [run.file("status.json") for run in runs.runs_of(config, w.study, w.target, w.generator)],
        generators=lambda w: [
            run.file("generator.weights.h5") for run in runs.runs_of(config, w.study, w.target, w.generator)
        ],
        discriminators=lambda w: [
            run.file("discriminator.weights.h5") for run in runs.runs_of(config, w.study, w.target, w.generator)
        ],
        snapshots=lambda w: [run.file("snapshots.npz") for run in runs.runs_of(config, w.study, w.target, w.generator)],
        histories=lambda w: [run.file("history.csv") for run in runs.runs_of(config, w.study, w.target, w.generator)],
    output:
        table=runs.EVALUATION_TABLE,
    log:
        "logs/gan_evaluate/{study}/{target}/{generator}.log",
    benchmark:
        "benchmarks/gan_evaluate/{study}/{target}/{generator}.tsv"
    wildcard_constraints:
        study=pattern(runs.STUDIES),
        target="[^/]+",
        generator=pattern(GeneratorKind),
    conda:
        gan_env
    threads: lambda w: runs.threads(config, w.study)
    resources:
        gpu=lambda w: int(runs.device(config, w.study) == "gpu"),
    params:
        job=lambda w: declared(*runs.evaluation_keys(config, w.study, w.target)),
    script:
        "../scripts/gan_evaluate.py"


rule critic_train:
    output:
        curves=wgan_critic.CURVES,
    log:
        "logs/critic_train/{objective}.log",
    benchmark:
        "benchmarks/critic_train/{objective}.tsv"
    wildcard_constraints:
        objective=pattern(wgan_critic.RULES),
    conda:
        "../../envs/gan.yaml"
    threads: 1
    params:
        job=lambda w: declared(*lineage.CRITIC_TRAIN_KEYS),
    script:
        "../scripts/critic_train.py"


rule density_ratio_train:
    output:
        frozen=figures.figure_module("density-ratio").FROZEN_Q,
    log:
        "logs/density_ratio_train.log",
    benchmark:
        "benchmarks/density_ratio_train.tsv"
    conda:
        "../../envs/gan.yaml"
    threads: 1
    params:
        job=lambda w: declared(*figures.figure_module("density-ratio").training_keys(config)),
    script:
        "../scripts/density_ratio_train.py"
