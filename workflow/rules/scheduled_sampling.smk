# Autoregressive pair models trained by maximum likelihood and with scheduled sampling (ss-inconsistency).


rule ss_train:
    output:
        weights=f"{SS_RUN}/conditional.weights.h5",
        history=f"{SS_RUN}/history.csv",
        tables=f"{SS_RUN}/tables.json",
    params:
        job=lambda w: declared(*ss_training_keys(w.schedule), f"figures.ss-inconsistency.joints.{w.joint}"),
    threads: ss_training_config()["threads"] if ss_training_config() else 1
    log:
        f"logs/{SS_RUN}.log",
    benchmark:
        f"benchmarks/{SS_RUN}.tsv"
    wildcard_constraints:
        schedule="epsilon[0-9.e-]+|linear|inverse_sigmoid",
        seed="[0-9]+",
    conda:
        "../../envs/gan.yaml"
    script:
        "../scripts/ss_train.py"
