# The final, self-contained report: every catalogue id with its claim, figure, numbers and verdict.


rule report:
    input:
        verdicts=expand("results/verdicts/{figure}.json", figure=enabled_figures()),
        figures=expand("figures/{figure}.png", figure=enabled_figures()),
        tables=[f"figures/{figure}.csv" for figure in enabled_figures() if figures.has_report_table(figure)],
        animations=animations(),
        benchmarks=lambda wildcards: job_benchmarks(),  # each job's run time, written by Snakemake
    output:
        html=report("figures/report.html", category="Report"),
    log:
        "logs/report.log",
    conda:
        "../../envs/exact.yaml"
    params:
        job=lambda w: declared(*config),
        config_file=lambda wildcards: (
            shown_path(workflow.overwrite_configfiles[-1]) if workflow.overwrite_configfiles else "config/config.yaml"
        ),
    script:
        "../scripts/report.py"
