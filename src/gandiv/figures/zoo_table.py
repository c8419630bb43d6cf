"""The objectives zoo's inputs, read, and its tidy table (one number per row).

Its inputs are the zoo's evaluation tables (written by `gan_evaluate`, gandiv.pipeline.gan_jobs.evaluate_group_job:
the run's names, `diverged`, `converged` (gandiv.gan.convergence), then one row per number, among them the
criterion's own, method `convergence`) and each zoo run's status.json and snapshots.npz (written by `gan_train`);
paths from gandiv.gan.runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact.densities import GaussianMixture
from gandiv.figures.evidence import converged_only
from gandiv.figures.style import NATS
from gandiv.results_io import read_csv, read_json, read_npz
from gandiv.samples.modes import modes_covered

UNITS = {"modes_covered": "modes", "high_quality_share": "share", "kl_pq": NATS, "kl_qp": NATS, "js": NATS,
         "critic_gap": "x units", "lsgan_scores_clipped_share": "share", "generator_drift": "target scales"}
EVAL_COLUMNS = ("target", "generator", "rule", "discriminator", "seed", "diverged", "converged", "method", "quantity",
                "value", "exact", "error", "exact_error", "note")
RUN_KEYS = ("target", "rule", "discriminator", "seed")  # what names one zoo run within a figure
SNAPSHOT_MODES = "modes covered by the fixed-noise samples"  # quantity of the per-snapshot coverage rows


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
    """The evaluation tables, concatenated in the order given, with each row's `variant` (`variant_label`) and
    `diverged`, `converged` as booleans.

    Raises gandiv.results_io's errors naming the file if one is missing, corrupt or lacks EVAL_COLUMNS.
    """
    evaluation = pd.concat([read_csv(path, required=EVAL_COLUMNS) for path in paths], ignore_index=True)
    evaluation["variant"] = [variant_label(r, d) for r, d in zip(evaluation.rule, evaluation.discriminator)]
    for column in ("diverged", "converged"):
        evaluation[column] = evaluation[column].astype(str).str.strip().str.lower().isin(["true", "1", "1.0"])
    return evaluation


def annotate_runs(runs: list[dict], evaluation: pd.DataFrame, targets: dict[str, GaussianMixture],
                  min_share: float) -> list[dict]:
    """Each run with `converged` (its evaluation rows' flag, gandiv.gan.convergence) and, on the mode-collapse
    `targets` (name -> density), `modes`: (K,) modes covered by each snapshot's fixed-noise samples
    (gandiv.samples.modes.modes_covered at `min_share`, 3 sd), as the spike test reads them."""
    converged = {tuple(key) for key in converged_only(evaluation)[list(RUN_KEYS)].itertuples(index=False)}
    out = []
    for run in runs:
        record = run | {"converged": tuple(run[k] for k in RUN_KEYS) in converged}
        if run["target"] in targets:
            record["modes"] = np.array([modes_covered(s, targets[run["target"]], min_share) for s in run["samples"]])
        out.append(record)
    return out


def tidy_rows(evaluation: pd.DataFrame, runs: list[dict]) -> pd.DataFrame:
    """The evaluation rows (their estimate or exact value, unit by quantity; the convergence criterion's numbers
    among them), then every snapshot's largest singular value per discriminator layer (method `weights`, one row
    per run, step and layer) and, for runs of `annotate_runs` with `modes`, its modes covered (method
    `snapshots`); every row says whether its run converged."""
    rows = [{"target": e.target, "generator": e.generator, "rule": e.rule, "discriminator": e.discriminator,
             "seed": e.seed, "converged": e.converged, "step": np.nan, "layer": np.nan, "method": e.method,
             "quantity": e.quantity, "value": e.value, "unit": UNITS.get(e.quantity, ""), "exact": e.exact,
             "error": e.error, "exact_error": e.exact_error, "note": e.note}
            for e in evaluation.itertuples()]
    for run in runs:
        names = {k: run[k] for k in ("target", "generator", "rule", "discriminator", "seed", "converged")}
        blank = {"exact": np.nan, "error": np.nan, "exact_error": np.nan, "note": ""}
        for step, values in zip(run["steps"], run["singular_values"]):
            rows += [names | {"step": int(step), "layer": layer, "method": "weights",
                              "quantity": "largest singular value", "value": float(v), "unit": ""} | blank
                     for layer, v in enumerate(values)]
        if "modes" in run:
            rows += [names | {"step": int(step), "layer": np.nan, "method": "snapshots", "quantity": SNAPSHOT_MODES,
                              "value": float(m), "unit": "modes"} | blank
                     for step, m in zip(run["steps"], run["modes"])]
    return pd.DataFrame(rows)
