"""Entry points of the Snakemake jobs: each reads the validated config and writes its named outputs.

The workflow scripts only unpack `snakemake.*` and call these, so every job can
also be run (and tested) from Python.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .catalogue import load_catalogue
from .config import pi_grid
from .config_view import ConfigView, record_reads, recording
from .densities import target_from_config
from .experiments import Context, builders, figure_config_keys
from .families import Family, GaussianFamily
from .fitting import Objective, fit, fit_problem, to_record
from .jspi_path import run_path
from .plotting import write_outputs
from .quadrature import QuadratureError
from .report import collect_header, load_verdicts, render_report
from .results_io import load_weights, read_json, save_weights, write_csv, write_json, write_npz, write_text
from .seeding import Streams, run_streams

FIT_OBJECTIVES = {"kl_pq": (Objective.KL_PQ, None), "kl_qp": (Objective.KL_QP, None), "js": (Objective.JS_PI, 0.5)}
log = logging.getLogger("gandiv")


@contextlib.contextmanager
def job_log(path: str | None):
    """Send everything this job prints (Python logging and output, and C++ libraries' stderr) to its log file."""
    if path is None:
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "w") as handle:
        os.dup2(handle.fileno(), 1)  # file descriptors, so TensorFlow's C++ start-up messages land here too
        os.dup2(handle.fileno(), 2)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
        log.setLevel(logging.INFO)  # our own progress; libraries only warn
        start = time.perf_counter()
        try:
            yield
        except Exception:
            log.exception("job failed")
            raise
        finally:
            log.info("done in %.2f s", time.perf_counter() - start)
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)


@contextlib.contextmanager
def snakemake_job(smk):
    """Run a Snakemake job's body: its log (see `job_log`) and the config its rule declared, as a ConfigView.

    The rule passes `params.job = {"config_keys": [...], "config": {...}}` (workflow/rules/common.smk,
    `declared`); reading any other key raises UndeclaredConfigKey. What the job read is recorded
    for the workflow test when $GANDIV_RECORD_CONFIG_READS names a folder.
    """
    view = ConfigView(smk.params.job["config"], smk.params.job["config_keys"])
    opened = _watch_opened_files() if recording() else set()
    with job_log(smk.log[0]):
        yield view
    record_reads(view, f"{smk.rule}:{list(smk.output)[0]}", opened=opened, inputs=list(smk.input),
                 outputs=list(smk.output) + list(smk.log))


DATA_FOLDERS = ("results", "figures", "config", "benchmarks", "logs")  # where the workflow keeps its files


def _watch_opened_files() -> set:
    """The workflow's files (relative paths under DATA_FOLDERS) this process opens for reading from now on.

    A Python audit hook sees every open(), including the one results_io makes before Keras loads weights.
    """
    opened, cwd = set(), Path.cwd()

    def hook(event, args):
        if event != "open" or not isinstance(args[0], (str, os.PathLike)):
            return
        mode, flags = args[1], args[2]
        reading = ("r" in mode and "+" not in mode) if isinstance(mode, str) else not flags & (os.O_WRONLY | os.O_RDWR)
        path = Path(os.fsdecode(args[0]))
        try:
            relative = (path if not path.is_absolute() else path.relative_to(cwd)).as_posix()
        except ValueError:
            return
        if reading and relative.split("/")[0] in DATA_FOLDERS:
            opened.add(relative)

    sys.addaudithook(hook)
    return opened


def _quadrature(config: dict) -> dict:
    exact = config["exact"]
    return {"points_per_sd": exact["quadrature_points_per_sd"], "halfwidth_sd": exact["quadrature_halfwidth_sd"]}


@contextlib.contextmanager
def configured_target(target_name: str):
    """Turn a QuadratureError on a configured target into a message naming the target and the keys to change."""
    try:
        yield
    except QuadratureError as error:
        raise QuadratureError(
            f"target {target_name!r}: its exact values cannot be certified ({error}); change config key "
            f"'targets.{target_name}' or 'exact.quadrature_points_per_sd' / 'exact.quadrature_halfwidth_sd'") from None


def fit_exact(config: dict, target_name: str, family_name: str, objective_name: str, out_json: str) -> None:
    """Multi-start exact fit of one Gaussian family to one target by one divergence (each minimum certified)."""
    with configured_target(target_name):
        _fit_exact(config, target_name, family_name, objective_name, out_json)


def _fit_exact(config: dict, target_name: str, family_name: str, objective_name: str, out_json: str) -> None:
    target = target_from_config(config["targets"][target_name])
    family = GaussianFamily(target.dim, Family(family_name))
    objective, pi = FIT_OBJECTIVES[objective_name]
    exact = config["exact"]
    log.info("fitting %s %s by %s from %d starts", target_name, family_name, objective_name, exact["n_starts"])
    result = fit(fit_problem(target, family, objective, pi=pi, **_quadrature(config)),
                 exact["n_starts"], config["seed"], exact["max_iter"])
    for m in result.minima:
        log.info("local minimum: value %.8f theta %s (%d starts, |grad| %.1e)", m.value, m.theta, m.n_starts,
                 m.grad_norm)
    write_json(out_json, to_record(result, target_name))


def jspi_path(config: dict, target_name: str, family_name: str, out_csv: str, out_json: str) -> None:
    """Sweep pi for one target: every local minimum of JS_pi, the jumps of the global one, both KL optima."""
    with configured_target(target_name):
        _jspi_path(config, target_name, family_name, out_csv, out_json)


def _jspi_path(config: dict, target_name: str, family_name: str, out_csv: str, out_json: str) -> None:
    target = target_from_config(config["targets"][target_name])
    family = GaussianFamily(target.dim, Family(family_name))
    exact = config["exact"]
    pis = pi_grid(exact["pi_grid"])
    log.info("JS_pi path for %s over %d pi values", target_name, len(pis))
    table, summary = run_path(target, target_name, family, pis, exact["path_starts"], config["seed"],
                              exact["max_iter"], _quadrature(config))
    for c in summary["crossings"]:
        log.info("global minimiser jumps at pi=%.6f by %.4f", c["pi"], c["jump"])
    write_csv(out_csv, table, float_format="%.10g")
    write_json(out_json, summary)


def build_figure(config: dict, figure_id: str, inputs: dict, outputs: dict) -> None:
    """Compute, draw and judge one figure; write png, pdf, csv and the verdict json."""
    ctx = Context(config=config, settings=config["figures"][figure_id], inputs=inputs)
    try:
        result = builders()[figure_id](ctx)
    except QuadratureError as error:
        keys = [k for k in figure_config_keys(figure_id, ctx.settings) if k.startswith(("targets.", "exact."))]
        raise QuadratureError(f"figure {figure_id!r}: an exact value cannot be certified ({error}); it reads config "
                              f"keys {', '.join(keys) or '(none)'}") from None
    log.info("%s: %s — %s", figure_id, result.verdict["verdict"], result.verdict["summary"])
    write_outputs(result.figure, result.data, result.verdict, outputs["png"], outputs["pdf"], outputs["csv"],
                  outputs["verdict"])


def build_report(config, config_path: str, verdict_paths: list[str], figure_dir: str, benchmark_files: list[str],
                 out_html: str) -> None:
    """Render the self-contained HTML report over the whole catalogue; `config` is the validated config it hashes."""
    catalogue = load_catalogue()
    verdicts = load_verdicts(verdict_paths, catalogue)
    header = collect_header(config_path, benchmark_files, config=config.to_dict())
    write_text(out_html, render_report(catalogue, verdicts, Path(figure_dir), header))


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
    from .zoo import generator_for, training_settings

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
    from .training import configure_tensorflow, train_gan, visible_gpus

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


def train_pair_job(config: dict, joint_name: str, schedule: str, seed: int, threads: int, outputs: dict) -> None:
    """Train one autoregressive pair model under a scheduled-sampling schedule; write weights, history, tables."""
    from .autoregressive import train_pair_model
    from .training import configure_tensorflow

    settings = config["figures"]["ss-inconsistency"]["training"]
    configure_tensorflow(threads, use_gpu=False)  # a few hundred weights: the CPU is faster than a GPU round trip
    joint = np.asarray(config["figures"]["ss-inconsistency"]["joints"][joint_name], dtype=float)
    log.info("training the pair model on %s with schedule %s, seed %d, for %d steps", joint_name, schedule, seed,
             settings["steps"])
    streams = run_streams(seed, {"job": "ss-pair", "joint": joint_name, "schedule": schedule})
    result = train_pair_model(joint, schedule, streams, settings)
    log.info("%d steps in %.1f s; epsilon at the last step %.4g", settings["steps"], result.wall_s,
             result.final_epsilon)
    save_weights(result.model.conditional, outputs["weights"])
    write_csv(outputs["history"], result.history, float_format="%.8g")
    record = {"joint": joint_name, "schedule": schedule, "seed": seed, "final_epsilon": result.final_epsilon,
              "steps": settings["steps"], "q1": result.q1.tolist(), "q2_given_1": result.q2_given_1.tolist(),
              "wall_s": result.wall_s}
    write_json(outputs["tables"], record)


def train_critic_job(config: dict, objective: str, threads: int, out_npz: str) -> None:
    """Train the discriminator (gan) or WGAN-GP critic against two fixed far-apart Gaussians; save its curves."""
    from .critic import outputs_and_generator_gradients, train_critic
    from .training import configure_tensorflow

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


def evaluate_gan_job(config: dict, target_name: str, generator: str, run_dirs: list[str], threads: int,
                     out_csv: str) -> None:
    """Exact and estimated divergences of every trained GAN of one (target, generator) group."""
    from .gan_eval import evaluate_run
    from .training import build_model, configure_tensorflow

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
    from .training import build_model, configure_tensorflow
    from .zoo import training_settings
    from .zoo_eval import evaluate_zoo_run

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


def build_animation(config: dict, figure_id: str, inputs: dict, out_gif: str) -> None:
    """Render the animated companion of a figure (the Swiss-roll training as a GIF)."""
    from .experiments.swissroll_figures import swissroll_animation

    if figure_id != "swissroll-kl":
        raise ValueError(f"no animation for figure {figure_id!r}")
    swissroll_animation(Context(config=config, settings=config["figures"][figure_id], inputs=inputs), out_gif)
    log.info("wrote %s", out_gif)
