"""Jobs of the GAN stage: train a group of GAN runs, evaluate a group of runs, train the fixed-pair critic."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from gandiv.exact.densities import target_from_config
from gandiv.results_io import (load_weights, read_csv, read_json, read_npz, save_weights, write_csv, write_json,
                               write_npz)
from gandiv.gan import dynamics, runs
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
                  "zoo": ("target", "generator", "rule", "discriminator", "seed"),
                  "convention": ("target", "generator", "rule", "pi", "seed"),
                  "manifold": ("target", "generator", "rule", "pi", "seed"),
                  **{study: ("target", "generator", "rule", "discriminator", "pi", "seed") for study in dynamics.STUDIES}}


def evaluate_group_job(config, study: str, target_name: str, folders: list[str], threads: int, out_csv: str) -> None:
    """Exact and estimated divergences (and, for the zoo, mode coverage) of the trained GANs in `folders` (one
    evaluation group: same study, target and generator).

    One tidy table, the run's naming columns first (EVALUATION_IDS), then `diverged` and `converged` (the
    convergence criterion, `gandiv.gan.convergence`), then the rows of `gandiv.gan.evaluation.evaluate_run`
    (grid, convention, manifold) or `gandiv.gan.zoo_evaluation.evaluate_zoo_run` (zoo), then the criterion's numbers (method
    `convergence`: generator_drift in target scales, d_loss_spread; `note` says why a run did not converge), and for
    a Gaussian generator with a drawn start its initial mean (quantity start_mean_<i>, method `start`, x units).
    """
    from gandiv.gan.convergence import Criterion, assess, target_scale
    from gandiv.gan.evaluation import evaluate_run, tidy_rows
    from gandiv.gan.training import build_run, configure_tensorflow, gaussian_start
    from gandiv.gan.zoo_evaluation import evaluate_zoo_run

    configure_tensorflow(threads, runs.device(config, study) == "gpu")
    target = target_from_config(config["targets"][target_name])
    ev = runs.evaluation_settings(config, study)
    criterion, scale = Criterion.from_settings(ev["convergence"]), target_scale(target)
    frames = []
    for run in map(GanRun.from_folder, folders):
        status = read_json(run.file("status.json"), required=(*EVALUATION_IDS[study], "diverged"))
        model = build_run(target, run.generator, run.streams(), runs.network_settings(config, run))
        load_weights(model.generator, run.file("generator.weights.h5"))
        load_weights(model.discriminator, run.file("discriminator.weights.h5"))
        rng = run.streams().numpy("evaluation")
        if study != "zoo":
            rows = evaluate_run(target, model, run.generator, run.update_rule, run.pi, ev["n_samples"], ev["knn_k"],
                                rng, ev["quadrature_points_per_sd"])
        else:
            rows = evaluate_zoo_run(target, model, run.update_rule, run.generator, ev["n_samples"], ev["knn_k"],
                                    ev["min_mode_share"], rng, ev["quadrature_points_per_sd"])
        snapshots, history = read_npz(run.file("snapshots.npz")), read_csv(run.file("history.csv"))
        verdict = assess(snapshots["steps"], snapshots["samples"], history["step"].to_numpy(),
                         history["d_loss"].to_numpy(), scale, bool(status["diverged"]), criterion)
        rows += [tidy_rows(quantity, "convergence", verdict[quantity], note=verdict["reason"])
                 for quantity in ("generator_drift", "d_loss_spread")]
        start_sd = runs.network_settings(config, run)["generator"].get("start_sd", 0.0)
        if start_sd > 0:
            rows += [tidy_rows(f"start_mean_{i}", "start", value)
                     for i, value in enumerate(gaussian_start(run.streams(), target.dim, start_sd))]
        frame = pd.DataFrame(rows)
        for key in reversed(EVALUATION_IDS[study]):
            frame.insert(0, key, status[key])
        frame.insert(len(EVALUATION_IDS[study]), "diverged", status["diverged"])
        frame.insert(len(EVALUATION_IDS[study]) + 1, "converged", verdict["converged"])
        if not verdict["converged"]:
            log.info("%s not converged: %s", run.folder, verdict["reason"])
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


def train_density_ratio_job(config, threads: int, out_npz: str) -> None:
    """Train the density-ratio figure's discriminators against frozen Gaussians Q (`gandiv.gan.frozen_q`): every
    (Q, pi, seed) run of `figures.density-ratio.frozen`, stacked in one model, on the target's fresh samples.

    Writes out_npz (`density_ratio.FROZEN_ARRAYS`): x (n,) the figure's quadrature grid (`density_ratio.
    frozen_grid`, x units); steps (K,) after every compiled call, 0 first; logits (K, runs, n) float32, each run's
    discriminator logit at x (nats); q_mean, q_sd, pi, seed (runs,) naming the runs (`density_ratio.frozen_specs`).
    """
    from gandiv.figures import density_ratio
    from gandiv.gan.frozen_q import DiscriminatorSettings, FrozenRun, train_frozen_q
    from gandiv.gan.training import configure_tensorflow

    configure_tensorflow(threads, use_gpu=False)  # small networks: the CPU is faster than a GPU round trip
    settings, gan = config["figures"][density_ratio.FIGURE_ID], config["gan"]
    frozen = settings["frozen"]
    target = target_from_config(config["targets"][settings["target"]])
    network = DiscriminatorSettings(int(gan["discriminator"]["hidden"]), int(gan["discriminator"]["depth"]),
                                    float(gan["optimizer"]["d_learning_rate"]), float(gan["optimizer"]["beta_1"]),
                                    int(gan["batch_size"]))
    specs = density_ratio.frozen_specs(frozen)
    identity = {"job": f"{density_ratio.FIGURE_ID}-frozen-q", "target": settings["target"]}
    frozen_runs = [FrozenRun(m, sd, pi, run_streams(seed, identity | {"q_mean": m, "q_sd": sd, "pi": pi}))
                   for m, sd, pi, seed in specs]
    x = density_ratio.frozen_grid(target, frozen["qs"])
    log.info("training %d frozen-Q discriminators as one model for %d steps (%d per call), logit on %d points",
             len(specs), frozen["steps"], frozen["steps_per_call"], len(x))
    training = train_frozen_q(target, frozen_runs, network, frozen["steps"], frozen["steps_per_call"], x)
    q_mean, q_sd, pi, seed = (np.array(column) for column in zip(*specs))
    write_npz(out_npz, x=x, steps=training.steps, logits=training.logits.astype("float32"), q_mean=q_mean,
              q_sd=q_sd, pi=pi, seed=seed)
