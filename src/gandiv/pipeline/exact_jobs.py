"""Jobs of the exact stage: one certified multi-start fit, and one JS_pi path over the pi grid."""

from __future__ import annotations

import contextlib
import logging

from gandiv.exact.densities import target_from_config
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.fitting import FitObjective, fit, fit_problem, to_record
from gandiv.exact.pi_path import pi_grid, run_path
from gandiv.exact.quadrature import QuadratureError
from gandiv.results_io import write_csv, write_json

log = logging.getLogger("gandiv")


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
    objective, pi = FitObjective(objective_name).problem_args()
    exact = config["exact"]
    log.info("fitting %s %s by %s from %d starts", target_name, family_name, objective_name, exact["n_starts"])
    result = fit(fit_problem(target, family, objective, pi=pi, **_quadrature(config)),
                 exact["n_starts"], config["seed"], exact["max_iter"])
    for m in result.minima:
        log.info("local minimum: value %.8f theta %s (%d starts, |grad| %.1e)", m.value, m.theta, m.n_starts,
                 m.grad_norm)
    write_json(out_json, to_record(result, target_name))


def jspi_path_job(config: dict, target_name: str, family_name: str, out_csv: str, out_json: str) -> None:
    """Sweep pi for one target: every local minimum of JS_pi, the jumps of the global one, both KL optima."""
    with configured_target(target_name):
        _jspi_path_job(config, target_name, family_name, out_csv, out_json)


def _jspi_path_job(config: dict, target_name: str, family_name: str, out_csv: str, out_json: str) -> None:
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

