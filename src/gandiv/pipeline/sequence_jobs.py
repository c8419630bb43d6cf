"""Job of the scheduled-sampling stage: train one autoregressive pair model under one schedule."""

from __future__ import annotations

import logging

import numpy as np

from gandiv.results_io import save_weights, write_csv, write_json
from gandiv.sequence.runs import FIGURE, PairRun

log = logging.getLogger("gandiv")


def train_pair_job(config: dict, run: PairRun, threads: int, outputs: dict) -> None:
    """Train one autoregressive pair model (`run`: joint, schedule, seed); write weights, history, tables.

    `outputs` names the files by role: weights (the conditional's), history (per-call CSV), tables
    (JSON: the learnt Q1 and Q2|x1 and the epsilon of the last step).
    """
    from gandiv.sequence.autoregressive import train_pair_model
    from gandiv.gan.training import configure_tensorflow

    settings = config["figures"][FIGURE]["training"]
    configure_tensorflow(threads, use_gpu=False)  # a few hundred weights: the CPU is faster than a GPU round trip
    joint = np.asarray(config["figures"][FIGURE]["joints"][run.joint], dtype=float)
    log.info("training the pair model on %s with schedule %s, seed %d, for %d steps", run.joint, run.schedule,
             run.seed, settings["steps"])
    result = train_pair_model(joint, run.schedule, run.streams(), settings)
    log.info("%d steps in %.1f s; epsilon at the last step %.4g", settings["steps"], result.wall_s,
             result.final_epsilon)
    save_weights(result.model.conditional, outputs["weights"])
    write_csv(outputs["history"], result.history, float_format="%.8g")
    record = {"joint": run.joint, "schedule": run.schedule, "seed": run.seed, "final_epsilon": result.final_epsilon,
              "steps": settings["steps"], "q1": result.q1.tolist(), "q2_given_1": result.q2_given_1.tolist(),
              "wall_s": result.wall_s}
    write_json(outputs["tables"], record)
