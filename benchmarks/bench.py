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

from gandiv.exact.densities import theis2016_mixture
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.fitting import Objective, fit_problem

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


def pipeline(name: str, config: str, *extra: str, cores: int = 2) -> None:
    """Wall time of the workflow on a config, from nothing, in a temporary folder."""
    with tempfile.TemporaryDirectory() as workdir:
        start = time.perf_counter()
        result = subprocess.run([SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--cores", str(cores), "--configfile",
                                 str(REPO / config), "--quiet", *extra], cwd=workdir, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"workflow failed on {config}:\n{result.stderr[-2000:]}")
        report(f"{name}_wall_s", wall, "s")
        jobs = {}
        for tsv in Path(workdir, "benchmarks").rglob("*.tsv"):
            with open(tsv) as handle:
                jobs[str(tsv.relative_to(Path(workdir, "benchmarks")))] = float(
                    next(csv.DictReader(handle, delimiter="\t"))["s"])
        slowest = max(jobs, key=jobs.get)
        report(f"{name}_slowest_job_s ({slowest})", jobs[slowest], "s")


GAN_REFERENCE = {  # the reference model: 2-D target, MLPs 2 x 64 ReLU, batch 256, Adam, nonsaturating
    "device": "cpu", "threads": 2, "pi_mode": "weights", "steps": 1000, "steps_per_call": 500, "batch_size": 256,
    "n_snapshot_samples": 16, "generator": {"latent_dim": 4, "hidden": 64, "depth": 2, "flow_layers": 4},
    "discriminator": {"hidden": 64, "depth": 2},
    "optimizer": {"d_learning_rate": 1e-3, "g_learning_rate": 1e-3, "beta_1": 0.5},
}


def gan_steps() -> None:
    """Training steps per second: the pipeline's compiled loop vs one tf.function per step vs eager."""
    import tensorflow as tf

    from gandiv.seeding import run_streams
    from gandiv.gan.training import build_model, configure_tensorflow

    configure_tensorflow(GAN_REFERENCE["threads"], use_gpu=False)
    streams = run_streams(0, {"job": "benchmark"})
    model = build_model(theis2016_mixture(), "mlp", "nonsaturating", 0.5, streams, GAN_REFERENCE)
    dummy = tf.data.Dataset.from_tensors(tf.zeros((1,))).repeat()
    chunk = GAN_REFERENCE["steps_per_call"]
    model.fit(dummy, epochs=1, steps_per_epoch=chunk, verbose=0, shuffle=False)  # trace and warm up
    step = tf.function(model.train_step)
    step(None)

    def compiled_rate():
        start = time.perf_counter()
        model.fit(dummy, epochs=2, steps_per_epoch=chunk, verbose=0, shuffle=False)
        return 2 * chunk / (time.perf_counter() - start)

    def tf_function_rate():
        start = time.perf_counter()
        for _ in range(300):
            step(None)
        return 300 / (time.perf_counter() - start)

    # Interleaved rounds, so both loops see the same machine load; medians and the median ratio.
    rounds = [(compiled_rate(), tf_function_rate()) for _ in range(7)]
    compiled, per_step = np.median([r[0] for r in rounds]), np.median([r[1] for r in rounds])
    report("gan_steps_per_s_compiled", compiled, "steps/s")
    report("gan_steps_per_s_tf_function", per_step, "steps/s")

    model.train_step(None)
    start = time.perf_counter()
    for _ in range(50):
        model.train_step(None)
    eager = 50 / (time.perf_counter() - start)
    report("gan_steps_per_s_eager", eager, "steps/s")
    report("gan_compiled_over_tf_function", np.median([c / t for c, t in rounds]), "x")
    report("gan_compiled_over_eager", compiled / eager, "x")


def last_grid(name: str, folder: str) -> None:
    """Wall time of the last run of one training grid in this checkout, from its per-job benchmark files.

    A job's file is written when it ends, so the grid ran from min(mtime - duration) to max(mtime).
    """
    files = list(Path(REPO, "benchmarks", "results", folder).rglob("*.tsv"))
    if not files:
        print(f"{name}_last_run: none in benchmarks/ (run `make run` first)")
        return
    spans = [(f.stat().st_mtime, float(next(csv.DictReader(open(f), delimiter="\t"))["s"])) for f in files]
    wall = max(end for end, _ in spans) - min(end - duration for end, duration in spans)
    report(f"{name}_last_run_wall_s ({len(files)} trainings)", wall, "s")
    report(f"{name}_last_run_job_seconds", sum(d for _, d in spans), "s")


if __name__ == "__main__":
    gan_steps()
    objective_evaluations()
    last_grid("gan_grid", "gan")
    last_grid("zoo_grid", "objectives_zoo")
    pipeline("smoke_pipeline", "config/smoke.yaml")
    pipeline("full_exact_part", "config/config.yaml", "--omit-from", "gan_train", "ss_train", "zoo_train")
