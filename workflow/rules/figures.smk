# One job per figure: numbers, figure (png + pdf), tidy csv and a verdict.


rule figure:
    input:
        unpack(figure_inputs),
    output:
        png=report("figures/{figure}.png", category="Figures", labels={"figure": "{figure}"}),
        pdf="figures/{figure}.pdf",
        csv=report("figures/{figure}.csv", category="Tables", labels={"figure": "{figure}"}),
        verdict="results/verdicts/{figure}.json",
    params:
        job=lambda w: declared(*figure_keys(w.figure)),
    log:
        "logs/figure/{figure}.log",
    benchmark:
        "benchmarks/figure/{figure}.tsv"
    wildcard_constraints:
        figure="[a-z0-9-]+",
    conda:
        "../../envs/exact.yaml"
    script:
        "../scripts/figure.py"


rule animation:
    input:
        unpack(figure_inputs),
    output:
        gif=report("figures/{figure}.gif", category="Figures", labels={"figure": "{figure} (animation)"}),
    params:
        job=lambda w: declared(*figure_keys(w.figure, animation=True)),
    log:
        "logs/animation/{figure}.log",
    benchmark:
        "benchmarks/animation/{figure}.tsv"
    wildcard_constraints:
        figure=pattern(ANIMATED) or "(?!)",
    conda:
        "../../envs/exact.yaml"
    script:
        "../scripts/animation.py"
