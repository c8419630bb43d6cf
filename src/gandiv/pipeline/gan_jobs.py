"""Jobs of the GAN stage: train a group of GAN runs, evaluate a group of runs, train the fixed-pair critic."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from gandiv.exact.densities import target_from_config
from gandiv.results_io import load_weights, read_json, save_weights, write_csv, write_json, write_npz
from gandiv.gan import runs
from gandiv.gan.runs import GanRun, training_settings
from gandiv.seeding import run_streams

log = logging.getLogger("gandiv")


def train_group_job(config, folders: list[str], threads: int) -> None:
    """Train one training group (`gandiv.gan.groups`: the runs in `folders`) as one model; write every run's weights,
    history, fixed-z snapshots and status into its own folder (each file atomically, `runs.RUN_FILES`)."""
    from gandiv.gan.training import RunSpec, configure_tensorflow, train_group, visible_gpus

    group = [GanRun.from_folder(folder) for folder in folders]
    first = group[0]
    settings, device = training_settings(config, first), runs.device(config, first.study)
    configure_tensorflow(threads, device == "gpu")
    log.info("device %s: CUDA_VISIBLE_DEVICES=%s, TensorFlow sees %d GPU(s)", device,
             os.environ.get("CUDA_VISIBLE_DEVICES", "unset"), len(visible_gpus()))
    log.info("training %d runs as one model for %d steps each (%s / %s / %s):", len(group), settings["steps"],
             first.study, first.generator, first.discriminator)
    for run in group:
        log.info("  %s", " / ".join(f"{k}={v}" for k, v in run.status.items()))
    targets = {name: target_from_config(config["targets"][name]) for name in dict.fromkeys(r.target for r in group)}
    results = train_group(first.generator, [RunSpec(targets[r.target], r.update_rule, r.pi, r.streams())
                                            for r in group], settings)
    for run, result in zip(group, results):
        if result.diverged:
            log.warning("%s diverged at step %d; keeping its last finite state (step %d)", run.folder,
                        result.diverged_at, result.steps_done)
        save_weights(result.networks.generator, run.file("generator.weights.h5"))
        save_weights(result.networks.discriminator, run.file("discriminator.weights.h5"))
        write_csv(run.file("history.csv"), result.history, float_format="%.8g")
        write_npz(run.file("snapshots.npz"), steps=np.array(result.snapshot_steps), samples=result.snapshots,
                  noise=result.fixed_noise, probe_points=result.probe_points, probe_logits=result.probe_logits,
                  singular_values=result.singular_values)
        status = run.status | {"diverged": result.diverged, "diverged_at": result.diverged_at,
                               "steps_done": result.steps_done, "wall_s": result.wall_s, "group_runs": len(group)}
        write_json(run.file("status.json"), status)
    wall = results[0].wall_s
    log.info("%d runs x %d steps in %.1f s (%.0f GAN-steps/s)", len(group), settings["steps"], wall,
             len(group) * settings["steps"] / max(wall, 1e-9))


# Columns that name a run in an evaluation table, by study.
EVALUATION_IDS = {"grid": ("target", "generator", "rule", "pi", "seed"),
                  "zoo": ("target", "generator", "rule", "discriminator", "seed")}


def evaluate_group_job(config, study: str, target_name: str, folders: list[str], threads: int, out_csv: str) -> None:
    """Exact and estimated divergences (and, for the zoo, mode coverage) of the trained GANs in `folders` (one
    evaluation group: same study, target and generator).

    One tidy table, the run's naming columns first (EVALUATION_IDS), then `diverged`, then the rows of
    `gandiv.gan.evaluation.evaluate_run` (grid) or `gandiv.gan.zoo_evaluation.evaluate_zoo_run` (zoo).
    """
    from gandiv.gan.evaluation import evaluate_run
    from gandiv.gan.training import build_run, configure_tensorflow
    from gandiv.gan.zoo_evaluation import evaluate_zoo_run

    configure_tensorflow(threads, runs.device(config, study) == "gpu")
    target = target_from_config(config["targets"][target_name])
    ev = runs.evaluation_settings(config, study)
    frames = []
    for run in map(GanRun.from_folder, folders):
        status = read_json(run.file("status.json"), required=(*EVALUATION_IDS[study], "diverged"))
        model = build_run(target, run.generator, run.streams(), runs.network_settings(config, run))
        load_weights(model.generator, run.file("generator.weights.h5"))
        load_weights(model.discriminator, run.file("discriminator.weights.h5"))
        rng = run.streams().numpy("evaluation")
        if study == "grid":
            rows = evaluate_run(target, model, run.generator, run.update_rule, run.pi, ev["n_samples"], ev["knn_k"],
                                rng, ev["quadrature_points_per_sd"])
        else:
            rows = evaluate_zoo_run(target, model, run.update_rule, run.generator, ev["n_samples"], ev["knn_k"],
                                    ev["min_mode_share"], rng, ev["quadrature_points_per_sd"])
        frame = pd.DataFrame(rows)
        for key in reversed(EVALUATION_IDS[study]):
            frame.insert(0, key, status[key])
        frame.insert(len(EVALUATION_IDS[study]), "diverged", status["diverged"])
        frames.append(frame)
        log.info("evaluated %s", run.folder)
    write_csv(out_csv, pd.concat(frames, ignore_index=True), float_format="%.10g")


def train_critic_job(config: dict, objective: str, threads: int, out_npz: str) -> None:
    """Train the discriminator (gan) or WGAN-GP critic against two fixed far-apart Gaussians; save its curves."""
    from gandiv.gan.fixed_pair_critic import outputs_and_generator_gradients, train_critic
    from gandiv.gan.training import configure_tensorflow

    settings = config["figures"]["wgan-critic"]
    configure_tensorflow(threads, use_gpu=False)  # one small network: the CPU is faster than a GPU round trip
    log.info("training the %s network for %d steps (P = N(%g, %g^2), Q = N(%g, %g^2))", objective,
             settings["steps"], settings["p"]["mean"], settings["p"]["sd"], settings["q"]["mean"], settings["q"]["sd"])
    streams = run_streams(int(config["seed"]), {"job": "wgan-critic", "objective": objective})
    model = train_critic(objective, settings, streams)
    p, q = settings["p"], settings["q"]
    lo, hi = min(p["mean"] - 4 * p["sd"], q["mean"] - 4 * q["sd"]), max(p["mean"] + 4 * p["sd"], q["mean"] + 4 * q["sd"])
    grid = np.linspace(lo, hi, 801)
    rng = streams.numpy("evaluation")
    q_samples = q["mean"] + q["sd"] * rng.standard_normal(settings["n_eval_samples"])
    curves = {f"grid_{k}": v for k, v in outputs_and_generator_gradients(model.network, objective, grid).items()}
    curves |= {f"q_{k}": v for k, v in outputs_and_generator_gradients(model.network, objective, q_samples).items()}
    write_npz(out_npz, grid=grid, q_samples=q_samples, **curves)
    log.info("mean |generator gradient| at Q's samples: %s", {k: float(np.abs(v).mean()) for k, v in curves.items()
                                                              if k.startswith("q_grad")})

