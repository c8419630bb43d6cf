# Autoregressive pair models trained by maximum likelihood and with scheduled sampling (ss-inconsistency);
# every run, its folder and the config keys its job reads come from gandiv.sequence.runs.


rule ss_train:
    output:
        weights=f"{SS_RUN}/conditional.weights.h5",
        history=f"{SS_RUN}/history.csv",
        tables=f"{SS_RUN}/tables.json",
    log:
        f"logs/{SS_RUN}.log",
    benchmark:
        f"benchmarks/{SS_RUN}.tsv"
    wildcard_constraints:
        schedule=pair_runs.SCHEDULE_PATTERN,
        seed="[0-9]+",
    conda:
        "../../envs/gan.yaml"
    threads: pair_runs.threads(config)
    params:
        job=lambda w: declared(*pair_runs.training_keys(pair_runs.PairRun(w.joint, w.schedule, int(w.seed)))),
    script:
        "../scripts/ss_train.py"
