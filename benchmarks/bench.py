"""Speed figures, printed one per line as `name: value unit` (run with `make bench`).

Timings on shared machines are noisy: compare ratios measured in one run, not
absolute numbers across runs.
"""

from __future__ import annotations

import csv
import json
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
    """GAN-steps/s of the pipeline's training (`gandiv.gan.training`) on the reference model: a group of 1 (trained,
    as every single run, in two slots) and a group of 15 in compiled chunks, and a group of 1 stepped by one
    `tf.function` call per step. A GAN-step is one generator update of one run (with its discriminator updates)."""
    import tensorflow as tf

    from gandiv.gan.training import RunSpec, build_group, configure_tensorflow
    from gandiv.seeding import run_streams

    configure_tensorflow(GAN_REFERENCE["threads"], use_gpu=False)
    chunk = GAN_REFERENCE["steps_per_call"]
    dummy = tf.data.Dataset.from_tensors(tf.zeros((1,))).repeat()

    def group(n_runs):
        runs = [RunSpec(theis2016_mixture(), "nonsaturating", 0.5, run_streams(seed, {"job": "benchmark"}))
                for seed in range(n_runs)]
        model, _ = build_group("mlp", runs if n_runs > 1 else runs * 2, GAN_REFERENCE)
        model.fit(dummy, epochs=1, steps_per_epoch=chunk, verbose=0, shuffle=False)  # trace and warm up
        return model

    one, fifteen = group(1), group(15)
    step = tf.function(one.train_step)
    data = {name: values[0] for name, values in one.draw_chunk(1).items()}  # one step's draws, reused: speed only
    step(data)

    def compiled_rate(model, n_runs):
        start = time.perf_counter()
        model.fit(dummy, epochs=2, steps_per_epoch=chunk, verbose=0, shuffle=False)
        return n_runs * 2 * chunk / (time.perf_counter() - start)

    def tf_function_rate():
        start = time.perf_counter()
        for _ in range(300):
            step(data)
        return 300 / (time.perf_counter() - start)

    # Interleaved rounds, so every loop sees the same machine load; medians and the median ratios.
    rounds = [(compiled_rate(one, 1), compiled_rate(fifteen, 15), tf_function_rate()) for _ in range(5)]
    group1, group15, per_step = (np.median([r[i] for r in rounds]) for i in range(3))
    report("gan_steps_per_s_group1", group1, "GAN-steps/s")
    report("gan_steps_per_s_compiled", group1, "GAN-steps/s")
    report("gan_steps_per_s_group15", group15, "GAN-steps/s")
    report("gan_steps_per_s_tf_function", per_step, "GAN-steps/s")
    report("gan_group15_over_group1", np.median([r[1] / r[0] for r in rounds]), "x")
    report("gan_compiled_over_tf_function", np.median([r[0] / r[2] for r in rounds]), "x")


def last_training(name: str, study: str) -> None:
    """Wall time and job-seconds of one study's training jobs in the last run in this checkout, from their
    benchmark files (benchmarks/gan_train/<study>/...: one per training group).

    A job's file is written when it ends, so the jobs ran from min(mtime - duration) to max(mtime).
    """
    files = list(Path(REPO, "benchmarks", "gan_train", study).rglob("*.tsv"))
    if not files:
        print(f"{name}_last_run: none in benchmarks/gan_train/{study} (run `make run` first)")
        return
    spans = [(f.stat().st_mtime, float(next(csv.DictReader(open(f), delimiter="\t"))["s"])) for f in files]
    wall = max(end for end, _ in spans) - min(end - duration for end, duration in spans)
    report(f"{name}_last_run_wall_s ({len(files)} training jobs)", wall, "s")
    report(f"{name}_last_run_job_seconds", sum(d for _, d in spans), "s")


def last_make_run() -> None:
    """`make run`'s wall time (the workflow, after the environment exists), as its last run recorded it."""
    record = Path(REPO, "benchmarks", "make_run.json")
    if not record.exists():
        print("make_run_wall_s: none recorded (run `make run` first)")
        return
    run = json.loads(record.read_text())
    report(f"make_run_wall_s (commit {run['commit']}, finished {run['finished']})", run["wall_s"], "s")


def gan_training_rules(config_file: str) -> list[str]:
    """The training rules (one per group) of a config."""
    import yaml

    from gandiv.gan.groups import training_groups
    from gandiv.pipeline.config import load_schema, validate_in_place

    config = yaml.safe_load(Path(REPO, config_file).read_text())
    validate_in_place(config, load_schema())
    return [group.rule_name for group in training_groups(config)]


if __name__ == "__main__":
    gan_steps()
    objective_evaluations()
    last_training("gan_grid", "grid")
    last_training("zoo_grid", "zoo")
    last_make_run()
    pipeline("smoke_pipeline", "config/smoke.yaml")
    pipeline("full_exact_part", "config/config.yaml", "--omit-from", *gan_training_rules("config/config.yaml"),
             "ss_train", "critic_train")
