# One job per figure: numbers, figure (png + pdf), tidy csv and a verdict.


rule figure:
    input:
        unpack(figure_inputs),
        upstream_benchmarks=upstream_benchmarks,
        run_folder_files=run_folder_files,
    output:
        png=report(
            "figures/{figure}.png",
            caption="../report/figure.rst",
            category=figure_source,
            subcategory="Figures",
            labels=figure_labels,
        ),
        pdf="figures/{figure}.pdf",
        csv=report(
            "figures/{figure}.csv",
            caption="../report/figure.rst",
            category=figure_source,
            subcategory="Tables",
            labels=figure_labels,
        ),
        verdict="results/verdicts/{figure}.json",
    log:
        "logs/figure/{figure}.log",
    benchmark:
        "benchmarks/figure/{figure}.tsv"
    wildcard_constraints:
        figure="[a-z0-9-]+",
    conda:
        "../../envs/exact.yaml"
    params:
        job=lambda w: declared(*figure_keys(w.figure)),
        lineage=figure_lineage,
        caption=lambda w: figure_caption(w.figure),
    script:
        "../scripts/figure.py"


rule animation:
    input:
        unpack(figure_inputs),
    output:
        gif=report(
            "figures/{figure}.gif",
            caption="../report/figure.rst",
            category=figure_source,
            subcategory="Animations",
            labels={"figure": "{figure} (animation)"},
        ),
    log:
        "logs/animation/{figure}.log",
    benchmark:
        "benchmarks/animation/{figure}.tsv"
    wildcard_constraints:
        figure=pattern(ANIMATED) or "(?!)",
    conda:
        "../../envs/exact.yaml"
    params:
        job=lambda w: declared(*figure_keys(w.figure, animation=True)),
        caption=lambda w: figure_caption(w.figure),
    script:
        "../scripts/animation.py"
