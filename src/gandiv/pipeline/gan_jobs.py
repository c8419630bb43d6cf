"""Jobs of the GAN stage: train one GAN run, evaluate a group of runs, train the fixed-pair critic."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from gandiv.exact.densities import target_from_config
from gandiv.results_io import load_weights, read_json, save_weights, write_csv, write_json, write_npz
from gandiv.seeding import Streams, run_streams

log = logging.getLogger("gandiv")


def grid_training_settings(gan) -> dict:
    """The settings `training.train_gan` takes for a run of the pi x rule grid: the `gan` section's training keys,
    with one discriminator step per generator step, no weight clipping and no gradient penalty (logit rules only)."""
    return {**gan, "d_steps": 1, "weight_clip": None, "gp_weight": 0.0}


def train_gan_job(config: dict, target_name: str, generator: str, rule: str, pi: float, seed: int, threads: int,
                  outputs: dict) -> None:
    """Train one GAN of the pi x rule grid and write weights, history, fixed-z snapshots and a status record."""
    settings = grid_training_settings(config["gan"])
    status = {"target": target_name, "generator": generator, "rule": rule, "pi": pi, "seed": seed}
    _train_and_save(target_from_config(config["targets"][target_name]), status, settings, settings["device"], threads,
                    outputs)


def train_zoo_job(config: dict, target_name: str, rule: str, discriminator: str, seed: int, threads: int,
                  outputs: dict) -> None:
    """Train one GAN of the objectives zoo (pi = 1/2) and write what `train_gan_job` writes."""
    from gandiv.gan.zoo import generator_for, training_settings

    zoo = config["figures"]["objectives-zoo"]
    generator = generator_for(zoo, target_name)
    status = {"target": target_name, "generator": generator, "rule": rule, "pi": 0.5, "seed": seed,
              "discriminator": discriminator}
    _train_and_save(target_from_config(config["targets"][target_name]), status,
                    training_settings(zoo, rule, discriminator, generator), zoo["device"], threads, outputs)


GAN_RUN_KEYS = ("target", "generator", "rule", "pi", "discriminator")  # what names a GAN run, besides its seed


def gan_streams(status: dict) -> Streams:
    """A grid or zoo GAN run's random streams, from its status record (seed, target, generator, rule, pi and, for
    the zoo, discriminator kind): the same for its training and its evaluation, unrelated to any other run's."""
    job = "gan-zoo" if "discriminator" in status else "gan-grid"
    identity = {key: status[key] for key in GAN_RUN_KEYS if key in status} | {"job": job, "pi": float(status["pi"])}
    return run_streams(int(status["seed"]), identity)


def _train_and_save(target, status: dict, settings: dict, device: str, threads: int, outputs: dict) -> None:
    """Train the GAN `status` names; write weights, history, snapshots and status (each atomically)."""
    from gandiv.gan.training import configure_tensorflow, train_gan, visible_gpus

    configure_tensorflow(threads, device == "gpu")
    log.info("device %s: CUDA_VISIBLE_DEVICES=%s, TensorFlow sees %d GPU(s)", device,
             os.environ.get("CUDA_VISIBLE_DEVICES", "unset"), len(visible_gpus()))
    log.info("training %s for %d steps", " / ".join(f"{k}={v}" for k, v in status.items()), settings["steps"])
    result = train_gan(target, status["generator"], status["rule"], status["pi"], gan_streams(status), settings)
    if result.diverged:
        log.warning("diverged at step %d; keeping the last finite state (step %d)", result.diverged_at,
                    result.steps_done)
    log.info("%d steps in %.1f s (%.0f steps/s)", result.steps_done, result.wall_s,
             result.steps_done / max(result.wall_s, 1e-9))
    for name, network in (("generator", result.model.generator), ("discriminator", result.model.discriminator)):
        save_weights(network, outputs[name])
    write_csv(outputs["history"], result.history, float_format="%.8g")
    write_npz(outputs["snapshots"], steps=np.array(result.snapshot_steps), samples=result.snapshots,
              noise=result.fixed_noise, probe_points=result.probe_points, probe_logits=result.probe_logits,
              singular_values=result.singular_values)
    status = status | {"diverged": result.diverged, "diverged_at": result.diverged_at,
                       "steps_done": result.steps_done, "wall_s": result.wall_s}
    write_json(outputs["status"], status)


def evaluate_gan_job(config: dict, target_name: str, generator: str, run_dirs: list[str], threads: int,
                     out_csv: str) -> None:
    """Exact and estimated divergences of every trained GAN of one (target, generator) group."""
    from gandiv.gan.evaluation import evaluate_run
    from gandiv.gan.training import build_model, configure_tensorflow

    gan = config["gan"]
    settings = grid_training_settings({key: gan[key] for key in gan if key != "evaluation"})
    configure_tensorflow(threads, settings["device"] == "gpu")
    target = target_from_config(config["targets"][target_name])
    ev = gan["evaluation"]
    _write_evaluations(
        run_dirs, lambda s: build_model(target, generator, s["rule"], s["pi"], gan_streams(s), settings),
        lambda model, s: evaluate_run(target, model, generator, s["pi"], ev["n_samples"], ev["knn_k"],
                                      gan_streams(s).numpy("evaluation")),
        ("target", "generator", "rule", "pi", "seed"), out_csv)


def evaluate_zoo_job(config: dict, target_name: str, run_dirs: list[str], threads: int, out_csv: str) -> None:
    """Exact (where Q has a density) and estimated divergences and mode coverage of every zoo GAN on one target."""
    from gandiv.gan.training import build_model, configure_tensorflow
    from gandiv.gan.zoo import training_settings
    from gandiv.gan.zoo_evaluation import evaluate_zoo_run

    zoo = config["figures"]["objectives-zoo"]
    configure_tensorflow(threads, zoo["device"] == "gpu")
    target = target_from_config(config["targets"][target_name])
    ev = zoo["evaluation"]
    _write_evaluations(
        run_dirs, lambda s: build_model(target, s["generator"], s["rule"], 0.5, gan_streams(s),
                                        training_settings(zoo, s["rule"], s["discriminator"], s["generator"])),
        lambda model, s: evaluate_zoo_run(target, model, s["rule"], s["generator"], ev["n_samples"], ev["knn_k"],
                                          zoo["min_mode_share"], gan_streams(s).numpy("evaluation")),
        ("target", "generator", "rule", "discriminator", "seed"), out_csv)


def _write_evaluations(run_dirs: list[str], build, evaluate, id_keys: tuple[str, ...], out_csv: str) -> None:
    """Rebuild each run's model from its status, load its weights, evaluate it; one tidy table, ids first."""
    frames = []
    for run_dir in run_dirs:
        status = read_json(Path(run_dir) / "status.json", required=(*id_keys, "diverged"))
        model = build(status)
        load_weights(model.generator, Path(run_dir) / "generator.weights.h5")
        load_weights(model.discriminator, Path(run_dir) / "discriminator.weights.h5")
        frame = pd.DataFrame(evaluate(model, status))
        for key in reversed(id_keys):
            frame.insert(0, key, status[key])
        frame.insert(len(id_keys), "diverged", status["diverged"])
        frames.append(frame)
        log.info("evaluated %s", run_dir)
    table = pd.concat(frames, ignore_index=True)
    write_csv(out_csv, table, float_format="%.10g")


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

