"""jspi-convention and its study: runs with the real share of each batch as pi, from starts drawn per seed.

Verdict tables are built so that the answer is known: each run lands exactly on one of two optima, and
tables that differ only in where the runs land must change the verdict.
"""

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from gandiv.config_error import ConfigError
from gandiv.figures import jspi_convention
from gandiv.figures.evidence import fewest_agreeing, majority_p_value
from gandiv.figures.gan_tables import GRID_EVALUATION_COLUMNS
from gandiv.figures.recipe import Context
from gandiv.gan import runs
from gandiv.pipeline.config import load_schema, validate_config
from gandiv.results_io import write_csv, write_json

from conftest import REPO

ML_FIT = {"mean_0": 0.0, "scale": 2.0}  # KL[P||Q] optimum (maximum likelihood)
RKL_FIT = {"mean_0": -2.0, "scale": 0.5}  # KL[Q||P] optimum
AT = {"ml": (0.0, 2.0), "rkl": (-2.0, 0.5)}  # (mean, sd) exactly at each optimum


def evaluation_rows(pi, seed, landing, start, converged=True):
    """The rows the evaluation job writes for one convention run that lands at AT[landing] from `start`."""
    mean, sd = AT[landing]
    base = {"target": "t", "generator": "gaussian", "rule": "minimax", "pi": pi, "seed": seed, "diverged": False,
            "converged": converged, "exact": np.nan, "error": np.nan, "exact_error": np.nan, "note": ""}
    return [base | {"method": m, "quantity": q, "value": v} for m, q, v in (
        ("parameters", "generator_mean_0", mean), ("parameters", "generator_cov_00", sd**2),
        ("start", "start_mean_0", start), ("convergence", "generator_drift", 0.01))]


def judged(tmp_path, landings: dict, unconverged: int = 0):
    """The figure on runs {pi: [landing of each seed]}; the first `unconverged` seeds at every pi not converged."""
    rows = []
    for pi, seeds in landings.items():
        for seed, landing in enumerate(seeds):
            rows += evaluation_rows(pi, seed, landing, start=seed - 2.0, converged=seed >= unconverged)
    table = tmp_path / "evaluation.csv"
    write_csv(table, pd.DataFrame(rows)[list(GRID_EVALUATION_COLUMNS)], float_format="%.10g")
    summary = tmp_path / "summary.json"
    write_json(summary, {"kl_pq": ML_FIT, "kl_qp": RKL_FIT, "crossings": []})
    settings = {"target": "t", "rule": "minimax", "pi": list(landings), "seeds": [0], "pi_mode": "batch",
                "start_sd": 2.0}
    ctx = Context({}, settings, {"evaluation": str(table), "summary": str(summary)})
    computed = jspi_convention.compute(ctx)
    return computed, jspi_convention.judge(computed, ctx), ctx


def passed(record, words):
    return [n["passed"] for n in record["numbers"] if words in n["name"] and "threshold" in n]


def test_each_run_is_labelled_by_the_optimum_it_lands_nearer(tmp_path):
    computed, _, ctx = judged(tmp_path, {0.01: ["ml"] * 5, 0.5: ["ml", "rkl", "ml", "rkl", "rkl"],
                                         0.99: ["rkl"] * 5}, unconverged=1)
    assert list(computed.table.columns) == [*jspi_convention.NAMES, "quantity", "value", "unit"]
    table = jspi_convention.runs_wide(computed.table)
    assert len(table) == 15
    assert table.start_mean.tolist() == [s - 2.0 for s in range(5)] * 3  # each run's own drawn start
    at_half = table[table.pi == 0.5].set_index("seed").behaviour
    assert at_half.tolist() == ["not converged", "KL[Q||P]-like", "maximum-likelihood-like", "KL[Q||P]-like",
                                "KL[Q||P]-like"]
    ml_run = table[(table.pi == 0.01) & (table.seed == 1)].iloc[0]
    assert ml_run.distance_ml == 0.0  # exactly at the fit
    assert ml_run.distance_rkl == pytest.approx(np.hypot(2.0 / 0.5, np.log(4.0)), rel=1e-12)  # distance_to_fit
    shown = jspi_convention.report_table(computed.table)
    assert shown["converged / runs"].tolist() == ["4 / 5"] * 3
    assert shown["near the KL[Q‖P] optimum"].tolist() == [0, 3, 4]
    assert jspi_convention.draw(computed, ctx) is not None


def test_runs_following_eq12_do_not_reproduce_the_sentence_and_the_reverse_does(tmp_path):
    # The pair differs only in where the runs land (the deciding quantity).
    _, record, _ = judged(tmp_path, {0.01: ["ml"] * 5, 0.5: ["ml"] * 5, 0.99: ["rkl"] * 5})
    assert record["verdict"] == "not reproduced" and "eq. 12's reading" in record["summary"]
    assert passed(record, "follow the sentence") == [False, False]
    assert passed(record, "follow eq. 12") == [True, True]
    _, record, _ = judged(tmp_path, {0.01: ["rkl"] * 5, 0.5: ["ml"] * 5, 0.99: ["ml"] * 5})
    assert record["verdict"] == "reproduced"
    assert passed(record, "follow the sentence") == [True, True]
    _, record, _ = judged(tmp_path, {0.01: ["ml"] * 5, 0.99: ["ml"] * 5})  # one end each reading
    assert record["verdict"] == "partly"


def test_runs_near_neither_optimum_vote_for_neither_reading(tmp_path):
    # The same table as a reproduced one, except that at the smallest pi two runs stopped far from both optima.
    rows = {0.01: ["rkl"] * 5, 0.99: ["ml"] * 5}
    assert judged(tmp_path, rows)[1]["verdict"] == "reproduced"
    AT["far"] = (3.5, 1.3)  # where a minimax discriminator saturates: a stuck run, not a landing
    try:
        computed, record, _ = judged(tmp_path, {0.01: ["rkl", "rkl", "rkl", "far", "far"], 0.99: ["ml"] * 5})
    finally:
        del AT["far"]
    assert jspi_convention.runs_wide(computed.table).behaviour.tolist()[3:5] == ["near neither optimum"] * 2
    assert record["verdict"] == "inconclusive"  # 3 of 5: p = 0.5 either way
    assert jspi_convention.behaviour(True, 0.49, 3.0) == "maximum-likelihood-like"
    assert jspi_convention.behaviour(True, 0.51, 3.0) == "near neither optimum"
    assert jspi_convention.behaviour(False, 0.0, 3.0) == "not converged"


def test_a_split_end_or_too_few_converged_runs_is_inconclusive(tmp_path):
    # 4 of 5 agree: p = 6/32 > 0.05 either way, so the end is undecided
    _, record, _ = judged(tmp_path, {0.01: ["ml", "ml", "ml", "ml", "rkl"], 0.99: ["rkl"] * 5})
    assert record["verdict"] == "inconclusive" and "split at π=0.01" in record["summary"]
    # a unanimous table, but one run per end not converged: 4 converged runs are fewer than MIN_SEEDS
    _, record, _ = judged(tmp_path, {0.01: ["ml"] * 5, 0.99: ["rkl"] * 5}, unconverged=1)
    assert record["verdict"] == "inconclusive"
    assert passed(record, "converged runs") == [False, False]


def test_the_sign_test_and_its_power_statement():
    assert majority_p_value(5, 5) == pytest.approx(1 / 32)
    assert majority_p_value(4, 5) == pytest.approx(6 / 32)
    assert majority_p_value(0, 0) == 1.0
    assert fewest_agreeing(4) is None  # 1/16 > 0.05: four runs cannot decide
    assert fewest_agreeing(5) == 5 and fewest_agreeing(10) == 9  # 11/1024 < 0.05 < 56/1024


# ---------------------------------------------------------------- the study and its config

SHIPPED = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_the_study_trains_each_pi_and_seed_with_the_figures_pi_mode_and_start():
    config = validate_config(copy.deepcopy(SHIPPED), load_schema())
    settings = config["figures"]["jspi-convention"]
    study = runs.convention_runs(config)
    assert len(study) == len(settings["pi"]) * len(settings["seeds"])
    assert all(runs.GanRun.from_folder(r.folder) == r for r in study)
    assert {r.folder.split("/")[2] for r in study} == {"convention"}
    training = runs.training_settings(config, study[0])
    assert training["pi_mode"] == settings["pi_mode"] == "batch" and config["gan"]["pi_mode"] == "weights"
    assert training["generator"]["start_sd"] == settings["start_sd"]
    grid = runs.training_settings(config, runs.grid_runs(config)[0])
    assert "start_sd" not in grid["generator"]  # the grid's Gaussians start at N(0, 1)
    assert len({r.streams().numpy("generator_start").random() for r in study[:5]}) == 5  # one start per seed


@pytest.mark.parametrize("change, key, words", [
    ({"pi": [0.0005, 0.5]}, "figures.jspi-convention.pi[0]", "0 real and 512 generated"),
    ({"target": "iclr_mog10"}, "figures.jspi-convention.target", "is 2-D"),
    ({"pi_mode": "share"}, "figures.jspi-convention.pi_mode", "batch"),
    ({"start_sd": 0}, "figures.jspi-convention.start_sd", "0"),
    ({"seeds": [0, 0]}, "figures.jspi-convention.seeds", "unique"),  # the shared $defs/seed_list
])
def test_bad_settings_fail_naming_the_key(change, key, words):
    config = copy.deepcopy(SHIPPED)
    config["figures"]["jspi-convention"] |= change
    with pytest.raises(ConfigError) as error:
        validate_config(config, load_schema())
    assert key in str(error.value) and words in str(error.value)


def test_a_drawn_start_is_the_gaussian_generators_initial_mean():
    from gandiv.exact.densities import target_from_config
    from gandiv.gan.training import build_run, gaussian_start

    config = validate_config(copy.deepcopy(SHIPPED), load_schema())
    run = runs.convention_runs(config)[3]
    target = target_from_config(config["targets"][run.target])
    model = build_run(target, "gaussian", run.streams(), runs.network_settings(config, run))
    start = gaussian_start(run.streams(), 1, config["figures"]["jspi-convention"]["start_sd"])
    assert np.asarray(model.generator.mean).tolist() == start.astype("float32").tolist()
    assert np.asarray(model.generator.cholesky()).tolist() == [[1.0]]  # sd starts at 1
    grid_run = runs.grid_runs(config)[0]
    plain = build_run(target, "gaussian", grid_run.streams(), runs.network_settings(config, grid_run))
    assert np.asarray(plain.generator.mean).tolist() == [0.0]
    with pytest.raises(ValueError, match="start_sd"):
        build_run(target, "mlp", run.streams(), runs.network_settings(config, run))
