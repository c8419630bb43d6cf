# GAN trainings over the grid of targets x generators x update rules x pi x seeds, then their divergences;
# the objectives zoo's trainings and their evaluation; the wgan-critic networks.


rule gan_train:
    output:
        generator=f"{GAN_RUN}/generator.weights.h5",
        discriminator=f"{GAN_RUN}/discriminator.weights.h5",
        history=f"{GAN_RUN}/history.csv",
        snapshots=f"{GAN_RUN}/snapshots.npz",
        status=f"{GAN_RUN}/status.json",
    params:
        job=lambda w: declared(*GAN_TRAINING_KEYS, f"targets.{w.target}"),
    threads: GAN_THREADS
    resources:
        gpu=GAN_GPUS,
    log:
        f"logs/{GAN_RUN}.log",
    benchmark:
        f"benchmarks/{GAN_RUN}.tsv"
    wildcard_constraints:
        generator="gaussian|flow|mlp",
        update_rule=GRID_RULE_PATTERN,
        pi="[0-9.e-]+",
        seed="[0-9]+",
    conda:
        GAN_ENV
    script:
        "../scripts/gan_train.py"


rule gan_evaluate:
    input:
        statuses=lambda w: [f"{run_dir(run)}/status.json" for run in gan_runs(w.target, w.generator)],
        generators=lambda w: [f"{run_dir(run)}/generator.weights.h5" for run in gan_runs(w.target, w.generator)],
        discriminators=lambda w: [
            f"{run_dir(run)}/discriminator.weights.h5" for run in gan_runs(w.target, w.generator)
        ],
    output:
        table="results/gan_eval/{target}/{generator}.csv",
    params:
        job=lambda w: declared(*GAN_TRAINING_KEYS, "gan.evaluation", f"targets.{w.target}"),
    threads: GAN_THREADS
    resources:
        gpu=GAN_GPUS,
    log:
        "logs/gan_evaluate/{target}/{generator}.log",
    benchmark:
        "benchmarks/gan_evaluate/{target}/{generator}.tsv"
    conda:
        GAN_ENV
    script:
        "../scripts/gan_evaluate.py"


rule zoo_train:
    output:
        generator=f"{ZOO_RUN}/generator.weights.h5",
        discriminator=f"{ZOO_RUN}/discriminator.weights.h5",
        history=f"{ZOO_RUN}/history.csv",
        snapshots=f"{ZOO_RUN}/snapshots.npz",
        status=f"{ZOO_RUN}/status.json",
    params:
        job=lambda w: declared(*zoo_training_keys(w.target, [w.update_rule]), f"targets.{w.target}",
                               "figures.objectives-zoo.density_runs.targets"),
    threads: ZOO_THREADS
    resources:
        gpu=ZOO_GPUS,
    log:
        f"logs/{ZOO_RUN}.log",
    benchmark:
        f"benchmarks/{ZOO_RUN}.tsv"
    wildcard_constraints:
        target="[^/]+",
        update_rule=ZOO_RULE_PATTERN,
        discriminator="plain|spectral_norm",
        seed="[0-9]+",
    conda:
        ZOO_ENV
    script:
        "../scripts/zoo_train.py"


rule zoo_evaluate:
    input:
        statuses=lambda w: [f"{ZOO_RUN.format(**run)}/status.json" for run in zoo_training_runs(w.target)],
        generators=lambda w: [
            f"{ZOO_RUN.format(**run)}/generator.weights.h5" for run in zoo_training_runs(w.target)
        ],
        discriminators=lambda w: [
            f"{ZOO_RUN.format(**run)}/discriminator.weights.h5" for run in zoo_training_runs(w.target)
        ],
    output:
        table="results/objectives_zoo/{target}/evaluation.csv",
    params:
        job=lambda w: declared(*zoo_training_keys(w.target, zoo_config()["rules"]), f"targets.{w.target}",
                               "figures.objectives-zoo.evaluation", "figures.objectives-zoo.min_mode_share"),
    threads: ZOO_THREADS
    resources:
        gpu=ZOO_GPUS,
    log:
        "logs/zoo_evaluate/{target}.log",
    benchmark:
        "benchmarks/zoo_evaluate/{target}.tsv"
    wildcard_constraints:
        target="[^/]+",
    conda:
        ZOO_ENV
    script:
        "../scripts/zoo_evaluate.py"


rule critic_train:
    output:
        curves="results/wgan_critic/{objective}.npz",
    params:
        job=lambda w: declared("figures.wgan-critic", "seed"),
    threads: GAN_THREADS
    log:
        "logs/critic_train/{objective}.log",
    benchmark:
        "benchmarks/critic_train/{objective}.tsv"
    wildcard_constraints:
        objective="gan|wgan_gp",
    conda:
        "../../envs/gan.yaml"
    script:
        "../scripts/critic_train.py"
