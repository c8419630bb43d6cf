"""The objectives zoo's inputs, read, and its tidy table (one number per row).

Its inputs are the zoo's evaluation tables (written by `gan_evaluate`, gandiv.pipeline.gan_jobs) and each
zoo run's status.json and snapshots.npz (written by `gan_train`); paths from gandiv.gan.runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.figures.style import NATS
from gandiv.results_io import read_csv, read_json, read_npz

UNITS = {"modes_covered": "modes", "high_quality_share": "share", "kl_pq": NATS, "kl_qp": NATS, "js": NATS,
         "critic_gap": "x units", "lsgan_scores_clipped_share": "share"}
EVAL_COLUMNS = ("target", "generator", "rule", "discriminator", "seed", "method", "quantity", "value", "exact_error",
                "note")


def variant_label(rule: str, discriminator: str) -> str:
    """How the figure names an objective with its discriminator: the rule, `+SN` if spectral-normalised."""
    return rule if discriminator == "plain" else f"{rule}+SN"


def read_runs(statuses: list[str], snapshots: list[str]) -> list[dict]:
    """Each run's status with its variant and snapshots (steps, samples and singular values through training).

    statuses[k] and snapshots[k] are one run's, in the order of gandiv.gan.runs.zoo_runs (target, variant,
    seed).
    """
    runs = []
    for k in range(len(statuses)):
        status = read_json(statuses[k], required=("target", "generator", "rule", "discriminator", "seed"))
        snapshot = read_npz(snapshots[k], required=("steps", "samples", "singular_values"))
        runs.append(status | {"variant": variant_label(status["rule"], status["discriminator"]),
                              "steps": snapshot["steps"], "samples": snapshot["samples"],
                              "singular_values": snapshot["singular_values"]})
    return runs


def read_evaluation(paths: list[str]) -> pd.DataFrame:
    """The evaluation tables, concatenated in the order given, with each row's `variant` (`variant_label`).

    Raises gandiv.results_io's errors naming the file if one is missing, corrupt or lacks EVAL_COLUMNS.
    """
    evaluation = pd.concat([read_csv(path, required=EVAL_COLUMNS) for path in paths], ignore_index=True)
    evaluation["variant"] = [variant_label(r, d) for r, d in zip(evaluation.rule, evaluation.discriminator)]
    return evaluation


def tidy_rows(evaluation: pd.DataFrame, runs: list[dict]) -> pd.DataFrame:
    """The evaluation rows (their estimate or exact value, unit by quantity), then every snapshot's largest
    singular value per discriminator layer (method `weights`, one row per run, step and layer)."""
    rows = [{"target": e.target, "generator": e.generator, "rule": e.rule, "discriminator": e.discriminator,
             "seed": e.seed, "step": np.nan, "layer": np.nan, "method": e.method, "quantity": e.quantity,
             "value": e.value, "unit": UNITS.get(e.quantity, ""), "exact": e.exact, "error": e.error,
             "exact_error": e.exact_error, "note": e.note}
            for e in evaluation.itertuples()]
    for run in runs:
        for step, values in zip(run["steps"], run["singular_values"]):
            rows += [{"target": run["target"], "generator": run["generator"], "rule": run["rule"],
                      "discriminator": run["discriminator"], "seed": run["seed"], "step": int(step), "layer": layer,
                      "method": "weights", "quantity": "largest singular value", "value": float(v), "unit": "",
                      "exact": np.nan, "error": np.nan, "exact_error": np.nan, "note": ""}
                     for layer, v in enumerate(values)]
    return pd.DataFrame(rows)
