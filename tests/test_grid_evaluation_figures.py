"""Figures that read GAN grid evaluation tables (gan-grid), on tables whose answers are known."""

import numpy as np
import pandas as pd
import pytest

from gandiv.figures import gan_grid
from gandiv.figures.gan_tables import GRID_EVALUATION_COLUMNS, distance_to_fit, gaussian_generators
from gandiv.figures.recipe import Context
from gandiv.results_io import CorruptResultError, write_csv, write_json

PIS = (0.1, 0.3, 0.5, 0.7, 0.9)
ML_FIT = {"mean_0": 0.0, "scale": 2.0}  # KL[P||Q] optimum of the path summary
RKL_FIT = {"mean_0": -2.0, "scale": 0.5}  # KL[Q||P] optimum


def write_evaluation(path, rows, target="t", generator="gaussian"):
    """Write a grid evaluation table (every column, as gandiv.pipeline.gan_jobs writes it) from partial rows."""
    full = [{"target": target, "generator": generator, "diverged": False, "converged": True, "exact": np.nan,
             "error": np.nan,
             "exact_error": np.nan, "note": ""} | row for row in rows]
    write_csv(path, pd.DataFrame(full)[list(GRID_EVALUATION_COLUMNS)], float_format="%.10g")
    return str(path)


def parameter_rows(pi, seed, mean, sd, rule="minimax", diverged=False):
    """The `parameters` rows of one trained 1-D Gaussian generator."""
    return [{"rule": rule, "pi": pi, "seed": seed, "diverged": diverged, "method": "parameters", "quantity": q,
             "value": v} for q, v in (("generator_mean_0", mean), ("generator_cov_00", sd**2))]


# ---------------------------------------------------------------- gan_tables

def test_gaussian_generators_average_the_converged_seeds(tmp_path):
    rows = (parameter_rows(0.1, 0, 1.0, 2.0) + parameter_rows(0.1, 1, 3.0, 4.0)
            + parameter_rows(0.1, 2, 99.0, 99.0, diverged=True) + parameter_rows(0.1, 3, 50.0, 1.0, rule="kl")
            + parameter_rows(0.5, 0, -1.0, 0.5))
    table = pd.read_csv(write_evaluation(tmp_path / "e.csv", rows))
    gans = gaussian_generators(table, "minimax")
    assert gans.pi.tolist() == [0.1, 0.5] and gans.seeds.tolist() == [2, 1]
    # the sd is sqrt of the written variance (10 significant digits): exact for these squares
    assert gans["mean"].tolist() == [2.0, -1.0] and gans["sd"].tolist() == [3.0, 0.5]
    assert gans.mean_spread.iloc[0] == pytest.approx(np.sqrt(2.0), rel=1e-12)  # sample sd of {1, 3}
    assert np.isnan(gans.sd_spread.iloc[1])  # one seed: no spread


def test_distance_to_fit_is_zero_at_the_fit_and_counts_fit_sds():
    fit = {"mean_0": 1.0, "scale": 2.0}
    assert distance_to_fit(1.0, 2.0, fit) == 0.0
    assert distance_to_fit(5.0, 2.0, fit) == pytest.approx(2.0, rel=1e-15)  # two fit sds away, same sd
    assert distance_to_fit(1.0, 2.0 * np.e, fit) == pytest.approx(1.0, rel=1e-15)  # log sd ratio 1


def test_an_evaluation_table_without_a_required_column_is_corrupt(tmp_path):
    path = tmp_path / "e.csv"
    write_csv(path, pd.DataFrame({"target": ["t"], "value": [1.0]}), float_format="%.10g")
    with pytest.raises(CorruptResultError, match="missing column 'generator'"):
        gan_grid.compute(Context({}, {}, {"evaluations": [str(path)]}))


# ---------------------------------------------------------------- gan-grid

# The config's bimodal_1d: the minimax landing point moves from maximum-likelihood-like (pi = 0.1) to mode-seeking
# (pi = 0.9); the kl rule's stays mode-seeking at every pi (ideal-D theory, tests/test_stationary.py)
BIMODAL = {"kind": "gaussian_mixture", "weights": [0.7, 0.3], "means": [[-2.0], [2.0]],
           "covariances": [[[0.36]], [[0.25]]]}
GRID_CONFIG = {"targets": {"t": BIMODAL}, "seed": 0,
               "exact": {"quadrature_points_per_sd": 4, "quadrature_halfwidth_sd": 9}}
GRID_PIS = (0.1, 0.5, 0.9)


@pytest.fixture(scope="module")
def landing_points():
    """(rule, pi) -> the rule's global ideal-D stable point (mean, sd, kl_pq, kl_qp) on BIMODAL."""
    from gandiv.exact.densities import target_from_config
    from gandiv.figures.stationary_cells import theory_points
    target = target_from_config(BIMODAL)
    quad = {"points_per_sd": 4, "halfwidth_sd": 9}
    empty = pd.DataFrame({"mean": [], "sd": []})
    return {(rule, pi): next(p for p in theory_points(target, rule, pi, 0, quad, empty) if p["is_global"])
            for rule in ("minimax", "kl") for pi in GRID_PIS}


def grid_rows(points, seeds=5, move=None, unconverged=(), diverged_seed=None):
    """Runs at their rule's landing point (jitter sd 0.01 in every number): parameter rows and exact divergences.

    move(rule, pi) -> (rule, pi) whose landing point the cell's runs take instead (default: their own)."""
    rng = np.random.default_rng(3)
    rows = []
    for (rule, pi) in points:
        p = points[move(rule, pi) if move else (rule, pi)]
        for seed in range(seeds):
            ident = {"rule": rule, "pi": pi, "seed": seed, "converged": (rule, pi, seed) not in unconverged}
            jitter = rng.normal(0, 0.01, 4)
            rows += parameter_rows(pi, seed, p["mean"] + jitter[0], p["sd"] + jitter[1], rule=rule)
            rows[-2:] = [r | ident for r in rows[-2:]]
            rows += [ident | {"method": "exact", "quantity": "kl_pq", "value": p["kl_pq"] + jitter[2]},
                     ident | {"method": "exact", "quantity": "kl_qp", "value": p["kl_qp"] + jitter[3]}]
    if diverged_seed is not None:  # absurd values that would reverse every check if they counted
        for (rule, pi) in points:
            ident = {"rule": rule, "pi": pi, "seed": diverged_seed, "diverged": True, "converged": False}
            rows += [ident | {"method": "parameters", "quantity": "generator_mean_0", "value": 50.0},
                     ident | {"method": "parameters", "quantity": "generator_cov_00", "value": 1e4},
                     ident | {"method": "exact", "quantity": "kl_pq", "value": 100.0 * (1 - pi)},
                     ident | {"method": "exact", "quantity": "kl_qp", "value": 100.0 * pi}]
    return rows


def grid_figure(tmp_path, rows, crossings=(), extra=()):
    paths = [write_evaluation(tmp_path / "gaussian.csv", [{"converged": True} | r for r in rows])]
    paths += [write_evaluation(tmp_path / f"{g}.csv", [{"converged": True} | r for r in e], generator=g)
              for g, e in extra]
    summary = tmp_path / "summary.json"
    write_json(summary, {"kl_pq": ML_FIT, "kl_qp": RKL_FIT, "crossings": [{"pi": pi, "jump": 1.0} for pi in crossings]})
    ctx = Context(GRID_CONFIG, {"heatmap_target": "t", "heatmap_generator": "gaussian"},
                  {"evaluations": paths, "summary": str(summary)})
    computed = gan_grid.compute(ctx)
    return computed, gan_grid.judge(computed, ctx), ctx


def deciding(record):
    return {n["name"].split(" (")[0]: n["passed"] for n in record["numbers"] if "threshold" in n}


def number(record, prefix):
    return next(n for n in record["numbers"] if n["name"].startswith(prefix))


def test_gan_grid_reproduced_when_converged_runs_follow_their_rules_and_the_path_is_gradual(tmp_path,
                                                                                            landing_points):
    estimates = [{"rule": "kl", "pi": 0.5, "seed": 0, "method": "discriminator", "quantity": "js_pi", "value": 1.0,
                  "exact": 1.0 - e, "error": e} for e in (0.1, -0.2, 0.3)]
    mlp = [{"rule": "minimax", "pi": 0.5, "seed": 0, "method": "samples", "quantity": "sample_mean_0", "value": 0.0}]
    computed, record, ctx = grid_figure(tmp_path, grid_rows(landing_points) + estimates, extra=[("mlp", mlp)])
    table = computed.table
    assert list(table.columns) == list(gan_grid.COLUMNS)
    assert set(table[table.quantity == "sample_mean_0"].unit) == {"x units"}
    assert set(table[table.quantity.isin(["kl_pq", "kl_qp", "js_pi"])].unit) == {"nats"}
    assert len(table[table.method == gan_grid.THEORY]) >= 2 * len(landing_points)  # mean and sd of each point
    assert record["verdict"] == "reproduced", record["summary"]
    assert all(deciding(record).values()), deciding(record)
    assert number(record, "median |error| of discriminator")["value"] == pytest.approx(0.2, rel=1e-9)
    assert number(record, "trained models")["value"] == 2 * 3 * 5 + 1  # + the mlp run (the estimates are a kl run's)
    assert len(gan_grid.draw(computed, ctx).axes) >= 4


def test_gan_grid_judges_a_jump_of_the_path_as_jspi_interpolation_does(tmp_path, landing_points):
    _, record, _ = grid_figure(tmp_path, grid_rows(landing_points), crossings=[0.228])
    assert record["verdict"] == "partly", record["summary"]
    assert number(record, "jumps of the exact")["passed"] is False
    _, outside, _ = grid_figure(tmp_path, grid_rows(landing_points), crossings=[0.05])  # outside the trained range
    assert outside["verdict"] == "reproduced"


def test_gan_grid_fails_when_pi_does_not_move_the_minimax_fit(tmp_path, landing_points):
    """Only the minimax runs at pi = 0.9 change: they stay at the pi = 0.1 landing point."""
    move = lambda rule, pi: (rule, 0.1) if (rule, pi) == ("minimax", 0.9) else (rule, pi)  # noqa: E731
    _, record, _ = grid_figure(tmp_path, grid_rows(landing_points, move=move))
    assert record["verdict"] in ("partly", "not reproduced"), record["summary"]
    flags = deciding(record)
    assert flags["p-value that minimax kl_qp falls from pi=0.1 to 0.9"] is False
    assert flags["cells at their own rule's global stable point"] is False


def test_gan_grid_fails_when_the_rule_does_not_change_the_landing_point(tmp_path, landing_points):
    """The kl runs sit at the minimax landing point of their pi: the rule changes nothing."""
    _, record, _ = grid_figure(tmp_path, grid_rows(landing_points, move=lambda rule, pi: ("minimax", pi)))
    assert record["verdict"] in ("partly", "not reproduced"), record["summary"]
    assert [v for k, v in deciding(record).items() if k.startswith("p-value that kl and minimax")] == [False]


def test_gan_grid_is_inconclusive_with_too_few_converged_seeds(tmp_path, landing_points):
    unconverged = {("kl", 0.5, s) for s in range(3)}
    _, record, _ = grid_figure(tmp_path, grid_rows(landing_points, unconverged=unconverged))
    assert record["verdict"] == "inconclusive", record["summary"]
    assert number(record, "fewest converged seeds")["value"] == 2
    assert number(record, "fewest converged seeds")["passed"] is False


def test_gan_grid_leaves_diverged_runs_out_but_counts_them(tmp_path, landing_points):
    _, record, _ = grid_figure(tmp_path, grid_rows(landing_points, diverged_seed=9))
    assert number(record, "diverged")["value"] == len(landing_points)
    assert number(record, "converged")["value"] == 5 * len(landing_points)
    assert record["verdict"] == "reproduced", record["summary"]
