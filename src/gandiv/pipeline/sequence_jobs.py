"""Job of the scheduled-sampling stage: train one autoregressive pair model under one schedule."""

from __future__ import annotations

import logging

import numpy as np

from gandiv.results_io import save_weights, write_csv, write_json
from gandiv.seeding import run_streams

log = logging.getLogger("gandiv")


def train_pair_job(config: dict, joint_name: str, schedule: str, seed: int, threads: int, outputs: dict) -> None:
    """Train one autoregressive pair model under a scheduled-sampling schedule; write weights, history, tables."""
    from gandiv.sequence.autoregressive import train_pair_model
    from gandiv.gan.training import configure_tensorflow

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

