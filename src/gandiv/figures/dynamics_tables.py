"""The runs of a dynamics figure (d-steps, nonsaturating-speed, pi-convergence) as a tidy table of outcomes.

Each run's trajectory is read from its fixed-noise snapshots (`snapshots.npz`, written by `gan_train`) and its
status.json, and measured by the one definition of converges and rate (`gandiv.gan.trajectory`) with the `gan`
section's window (`evaluation.convergence.window_steps`) and the `dynamics` section's tolerance
(`stationary_tol`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gandiv.exact.densities import target_from_config
from gandiv.gan import dynamics, runs, trajectory
from gandiv.results_io import read_json, read_npz
from gandiv.update_rules import UpdateRule
from gandiv.exact.quadrature import DEFAULT_POINTS_PER_SD
from gandiv.update_rules.stationary import ideal_adam_path

NAMES = ("rule", "variant", "pi", "seed", "outcome")  # what names a run in the tidy table
QUANTITIES = {"steps_to_tol": "steps", "wall_s_to_tol": "s", "start_distance": "target scales",
              "final_distance": "target scales", "window_rise": "target scales", "window_fall": "target scales"}
IDEAL = "ideal"  # the variant of the ideal discriminator's path (no runs: exact expected gradients)
CONFIG_KEYS = ("gan.evaluation.convergence.window_steps", "dynamics.stationary_tol")


def inputs(config, study: str) -> dict:
    """Every run's snapshots and status of a dynamics study, in run order."""
    members = runs.dynamics_runs(config, study)
    return {"snapshots": [run.file("snapshots.npz") for run in members],
            "status": [run.file("status.json") for run in members]}


def tolerance(config) -> tuple[float, int]:
    """(stationary_tol in target scales, window_steps) of the dynamics measure."""
    return (float(config["dynamics"]["stationary_tol"]),
            int(config["gan"]["evaluation"]["convergence"]["window_steps"]))


def run_trajectory(snapshot_file: str, theta_star: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(steps (K,), distance from theta* (K,), target scales) of one run, from its snapshots."""
    snapshots = read_npz(snapshot_file)
    theta = trajectory.parameters(snapshots["samples"], snapshots["noise"])
    return np.asarray(snapshots["steps"]), trajectory.distances(theta, theta_star)


def outcome_table(config, study: str, snapshot_files: list[str], status_files: list[str]) -> tuple[pd.DataFrame,
                                                                                                      dict]:
    """The tidy table (NAMES + quantity, value, unit; QUANTITIES per run: steps and the group's wall time to
    tolerance, NaN unless converged, and the distances of `trajectory.Outcome`) and each run's trajectory
    {(rule, variant, pi, seed): (steps, distance)} for drawing."""
    settings = dynamics.settings_of(config, study)
    theta_star = trajectory.stationary_point(target_from_config(config["targets"][settings["target"]]))
    tol, window = tolerance(config)
    rows, curves = [], {}
    for snapshot_file, status_file in zip(snapshot_files, status_files):
        run = runs.GanRun.from_folder(str(Path(snapshot_file).parent))
        status = read_json(status_file, required=("diverged", "wall_s"))
        steps, distance = run_trajectory(snapshot_file, theta_star)
        outcome = trajectory.classify(steps, distance, bool(status["diverged"]), tol, window)
        wall_per_step = float(status["wall_s"]) / settings["steps"]  # the group's: its runs train together
        values = {"steps_to_tol": outcome.steps_to_tol, "wall_s_to_tol": outcome.steps_to_tol * wall_per_step,
                  "start_distance": outcome.start_distance, "final_distance": outcome.final_distance,
                  "window_rise": outcome.window_rise, "window_fall": outcome.window_fall}
        names = {"rule": run.update_rule, "variant": run.discriminator, "pi": run.pi, "seed": run.seed,
                 "outcome": outcome.outcome}
        rows += [names | {"quantity": q, "value": float(values[q]), "unit": unit} for q, unit in QUANTITIES.items()]
        curves[(run.update_rule, run.discriminator, run.pi, run.seed)] = (steps, distance)
    return pd.DataFrame(rows, columns=[*NAMES, "quantity", "value", "unit"]), curves


def ideal_outcomes(config, study: str, rules: list[str], pi: float, start_mean: float) -> tuple[pd.DataFrame, dict]:
    """The same table and trajectories for the ideal discriminator (variant IDEAL, seed 0): Adam on the expected
    generator gradient by quadrature (`gandiv.update_rules.stationary.ideal_adam_path`) with `gan.optimizer`, from
    N(start_mean, 1), for the study's steps, kept every steps_per_call; measured as the runs are. Its error evidence,
    the row `quadrature_error`: the largest change of the path's distance to theta* when the path is recomputed on
    a grid twice as fine (target scales)."""
    settings = dynamics.settings_of(config, study)
    target = target_from_config(config["targets"][settings["target"]])
    theta_star = trajectory.stationary_point(target)
    tol, window = tolerance(config)
    rows, curves = [], {}
    for rule in rules:
        steps, theta = ideal_adam_path(target, UpdateRule(rule), pi, np.array([start_mean, 1.0]), settings["steps"],
                                       settings["steps_per_call"], config["gan"]["optimizer"])
        distance = trajectory.distances(theta, theta_star)
        _, finer = ideal_adam_path(target, UpdateRule(rule), pi, np.array([start_mean, 1.0]), settings["steps"],
                                   settings["steps_per_call"], config["gan"]["optimizer"],
                                   quad={"points_per_sd": 2 * DEFAULT_POINTS_PER_SD})
        outcome = trajectory.classify(steps, distance, False, tol, window)
        values = {"steps_to_tol": outcome.steps_to_tol, "wall_s_to_tol": np.nan,
                  "start_distance": outcome.start_distance, "final_distance": outcome.final_distance,
                  "window_rise": outcome.window_rise, "window_fall": outcome.window_fall}
        names = {"rule": rule, "variant": IDEAL, "pi": pi, "seed": 0, "outcome": outcome.outcome}
        rows += [names | {"quantity": q, "value": float(values[q]), "unit": unit} for q, unit in QUANTITIES.items()]
        rows.append(names | {"quantity": "quadrature_error", "unit": "target scales",
                             "value": float(np.max(np.abs(trajectory.distances(finer, theta_star) - distance)))})
        curves[(rule, IDEAL, pi, 0)] = (steps, distance)
    return pd.DataFrame(rows, columns=[*NAMES, "quantity", "value", "unit"]), curves


def runs_wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per run: NAMES and one column per quantity."""
    wide = table.pivot_table(index=list(NAMES), columns="quantity", values="value", dropna=False).reset_index()
    return wide.dropna(subset=["start_distance"]).sort_values(["rule", "variant", "pi", "seed"]).reset_index(drop=True)


def outcome_counts(wide: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per cell (the columns `by`): runs, each outcome's count, unstable runs (`trajectory.UNSTABLE`), and the median
    and range (the spread over seeds) of the converged runs' steps to tolerance."""
    cells = wide.groupby(by)
    counts = pd.DataFrame({"runs": cells.size()})
    for name in trajectory.OUTCOMES:
        counts[name] = cells.outcome.apply(lambda o, name=name: int((o == name).sum()))
    counts["unstable"] = counts[list(trajectory.UNSTABLE)].sum(axis=1)
    counts["median_steps_to_tol"] = cells.steps_to_tol.median()
    counts["steps_range"] = cells.steps_to_tol.agg(lambda s: f"{s.min():.0f}–{s.max():.0f}" if s.notna().any()
                                                   else "–")
    return counts


def censored(wide: pd.DataFrame, budget: int) -> np.ndarray:
    """Steps to tolerance of some runs, those that did not converge set to budget + 1 (`trajectory.censored_steps`)."""
    return trajectory.censored_steps(wide.outcome.to_numpy(), wide.steps_to_tol.to_numpy(), budget)

