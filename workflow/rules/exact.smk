# Exact fits of Gaussian families to known targets by minimising divergences on quadrature grids.


rule fit_exact:
    output:
        fit="results/fits/{target}/{family}/{objective}.json",
    log:
        "logs/fit_exact/{target}/{family}/{objective}.log",
    benchmark:
        "benchmarks/fit_exact/{target}/{family}/{objective}.tsv"
    wildcard_constraints:
        family=pattern(Family),
        objective=pattern(FitObjective),
    conda:
        "../../envs/exact.yaml"
    params:
        job=lambda w: declared(*lineage.fit_exact_keys(w.target)),
    script:
        "../scripts/fit_exact.py"


rule jspi_path:
    output:
        path="results/jspi/{target}/{family}/path.csv",
        summary="results/jspi/{target}/{family}/summary.json",
    log:
        "logs/jspi_path/{target}/{family}.log",
    benchmark:
        "benchmarks/jspi_path/{target}/{family}.tsv"
    wildcard_constraints:
        family=pattern(Family),
    conda:
        "../../envs/exact.yaml"
    params:
        job=lambda w: declared(*lineage.jspi_path_keys(w.target)),
    script:
        "../scripts/jspi_path.py"
