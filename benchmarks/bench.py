"""Speed figures, printed one per line as `name: value unit` (run with `make bench`).

Timings on shared machines are noisy: compare ratios measured in one run, not
absolute numbers across runs.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gandiv.densities import theis2016_mixture
from gandiv.families import Family, GaussianFamily
from gandiv.fitting import Objective, fit_problem

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def report(name: str, value: float, unit: str) -> None:
    print(f"{name}: {value:.4g} {unit}", flush=True)


def objective_evaluations() -> None:
    """Vectorised quadrature: JS_pi value and exact gradient on the iclr-fig1 fitting grid."""
    problem = fit_problem(theis2016_mixture(), GaussianFamily(2, Family.ISOTROPIC), Objective.JS_PI, pi=0.5,
                          points_per_sd=8, halfwidth_sd=9)
    theta = np.array([0.0, 0.0, 0.3])
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 3.0:
        problem.value_and_grad(theta)
        n += 1
    report("quadrature_grid_points", len(problem.grid.points), "points")
    report("js_pi_value_and_grad_per_s", n / (time.perf_counter() - start), "evals/s")


def exact_pipeline(config: str, cores: int = 2) -> None:
    """Wall time of the whole workflow on a config, from nothing, in a temporary folder."""
    with tempfile.TemporaryDirectory() as workdir:
        start = time.perf_counter()
        result = subprocess.run([SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--cores", str(cores), "--configfile",
                                 str(REPO / config), "--quiet"], cwd=workdir, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"workflow failed on {config}:\n{result.stderr[-2000:]}")
        name = Path(config).stem
        report(f"{name}_pipeline_wall_s", wall, "s")
        jobs = {}
        for tsv in Path(workdir, "benchmarks").rglob("*.tsv"):
            with open(tsv) as handle:
                jobs[str(tsv.relative_to(Path(workdir, "benchmarks")))] = float(next(csv.DictReader(handle, delimiter="\t"))["s"])
        slowest = max(jobs, key=jobs.get)
        report(f"{name}_job_seconds_total", sum(jobs.values()), "s")
        report(f"{name}_slowest_job_s ({slowest})", jobs[slowest], "s")


if __name__ == "__main__":
    objective_evaluations()
    exact_pipeline("config/smoke.yaml")
    exact_pipeline("config/config.yaml")
