"""Figures that read GAN grid evaluation tables (gan-grid, jspi-convention), on tables whose answers are known."""

import numpy as np
import pandas as pd
import pytest

from gandiv.figures import gan_grid, jspi_convention
from gandiv.figures.gan_tables import GRID_EVALUATION_COLUMNS, distance_to_fit, gaussian_generators
from gandiv.figures.recipe import Context
from gandiv.results_io import CorruptResultError, write_csv, write_json

PIS = (0.1, 0.3, 0.5, 0.7, 0.9)


def write_evaluation(path, rows, target="t", generator="gaussian"):
    """Write a grid evaluation table (every column, as gandiv.pipeline.gan_jobs writes it) from partial rows."""
    full = [{"target": target, "generator": generator, "diverged": False, "exact": np.nan, "error": np.nan,
             "exact_error": np.nan, "note": ""} | row for row in rows]
    write_csv(path, pd.DataFrame(full)[list(GRID_EVALUATION_COLUMNS)], float_format="%.10g")
    return str(path)


def parameter_rows(pi, seed, mean, sd, rule="minimax", diverged=False):
    """The `parameters` rows of one trained 1-D Gaussian generator."""
    return [{"rule": rule, "pi": pi, "seed": seed, "diverged": diverged, "method": "parameters", "quantity": q,
             "value": v} for q, v in (("generator_mean_0", mean), ("generator_cov_00", sd**2))]


# ---------------------------------------------------------------- gan_tables

def test_gaussian_generators_average_the_seeds_that_did_not_diverge(tmp_path):
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

def grid_rows(kl_qp_sign=-1, seeds=(0, 1)):
    """Minimax runs whose exact KL[P||Q] rises with pi and KL[Q||P] moves with `kl_qp_sign`, plus estimates."""
    rows = []
    for i, pi in enumerate(PIS):
        for seed in seeds:
            ident = {"rule": "minimax", "pi": pi, "seed": seed}
            rows += [ident | {"method": "exact", "quantity": "kl_pq", "value": 0.1 * i},
                     ident | {"method": "exact", "quantity": "kl_qp", "value": 1.0 + kl_qp_sign * 0.1 * i},
                     ident | {"method": "exact", "quantity": "js_pi", "value": 0.05}]
    return rows


def grid_figure(tmp_path, rows, extra=()):
    paths = [write_evaluation(tmp_path / "gaussian.csv", rows)]
    paths += [write_evaluation(tmp_path / f"{g}.csv", r, generator=g) for g, r in extra]
    ctx = Context({}, {"heatmap_target": "t", "heatmap_generator": "gaussian"}, {"evaluations": paths})
    computed = gan_grid.compute(ctx)
    return computed, gan_grid.judge(computed, ctx), ctx


def test_gan_grid_reproduced_when_kl_rises_and_reverse_kl_falls_with_pi(tmp_path):
    estimates = [{"rule": "kl", "pi": 0.5, "seed": 0, "method": "discriminator", "quantity": "js_pi", "value": 1.0,
                  "exact": 1.0 - e, "error": e} for e in (0.1, -0.2, 0.3)]
    mlp = [{"rule": "minimax", "pi": 0.5, "seed": 0, "method": "knn", "quantity": "sample_mean_0", "value": 0.0}]
    computed, record, ctx = grid_figure(tmp_path, grid_rows() + estimates, extra=[("mlp", mlp)])
    table = computed.table
    assert list(table.columns) == list(gan_grid.COLUMNS) and len(table) == len(grid_rows()) + 3 + 1
    assert table.generator.tolist()[-1] == "mlp"  # stacked in input order
    assert set(table[table.quantity == "sample_mean_0"].unit) == {"x units"}
    assert set(table[table.quantity != "sample_mean_0"].unit) == {"nats"}
    numbers = {n["name"]: n["value"] for n in record["numbers"]}
    # monotone in pi: Spearman's rho is +1 and -1 (scipy's correlation of the ranks rounds to 1 - 1 ulp)
    assert numbers["Spearman rho over pi of minimax kl_pq"] == pytest.approx(1.0, abs=1e-12)
    assert numbers["Spearman rho over pi of minimax kl_qp"] == pytest.approx(-1.0, abs=1e-12)
    assert numbers["median |error| of discriminator estimates"] == pytest.approx(0.2, rel=1e-9)  # |0.1|,|0.2|,|0.3|
    # 5 pi x 2 seeds of minimax, one kl run, one mlp run
    assert numbers["trained models"] == 12 and numbers["diverged"] == 0
    assert record["verdict"] == "reproduced"
    assert len(gan_grid.draw(computed, ctx).axes) >= 4


def test_gan_grid_partly_or_not_reproduced_when_the_trend_fails(tmp_path):
    _, record, _ = grid_figure(tmp_path, grid_rows(kl_qp_sign=+1))  # KL[Q||P] rises too
    assert record["verdict"] == "partly"
    rows = [r | {"value": -r["value"]} if r["quantity"] == "kl_pq" else r for r in grid_rows(kl_qp_sign=+1)]
    _, record, _ = grid_figure(tmp_path, rows)
    assert record["verdict"] == "not reproduced"


def test_gan_grid_leaves_diverged_runs_out_of_the_trend_but_counts_them(tmp_path):
    # a diverged seed with absurd values at every pi would reverse the trend if it were averaged in
    rows = grid_rows() + [r | {"seed": 9, "diverged": True, "value": 100.0 - 10 * r["pi"]}
                          for r in grid_rows(seeds=(9,))]
    _, record, _ = grid_figure(tmp_path, rows)
    numbers = {n["name"]: n["value"] for n in record["numbers"]}
    assert numbers["diverged"] == 5 and numbers["trained models"] == 15  # seed 9 diverged at each of the 5 pi
    assert record["verdict"] == "reproduced"


# ---------------------------------------------------------------- jspi-convention

ML_FIT = {"mean_0": 0.0, "scale": 2.0}  # KL[P||Q] optimum
RKL_FIT = {"mean_0": -2.0, "scale": 0.5}  # KL[Q||P] optimum


def convention(tmp_path, generators):
    """jspi-convention on trained generators {pi: (mean, sd)} (two seeds each, +-0.1 around the mean)."""
    rows = []
    for pi, (mean, sd) in generators.items():
        rows += parameter_rows(pi, 0, mean - 0.1, sd) + parameter_rows(pi, 1, mean + 0.1, sd)
    summary = tmp_path / "summary.json"
    write_json(summary, {"kl_pq": ML_FIT, "kl_qp": RKL_FIT, "crossings": []})
    ctx = Context({}, {"target": "t", "rule": "minimax"},
                  {"evaluation": write_evaluation(tmp_path / "e.csv", rows), "summary": str(summary)})
    computed = jspi_convention.compute(ctx)
    return computed, jspi_convention.judge(computed, ctx), ctx


def test_jspi_convention_small_share_of_real_samples_is_ml_like(tmp_path):
    computed, record, ctx = convention(tmp_path, {0.1: (0.0, 2.0), 0.5: (-1.0, 1.0), 0.9: (-1.9, 0.55)})
    table = computed.table
    ends = table.drop_duplicates("pi").set_index("pi").behaviour
    assert ends[0.1] == "maximum-likelihood-like" and ends[0.9] == "KL[Q||P]-like"
    # the seed average (0.1 - 0.1 + 0.1 + 0.1) / 2 sits on the fit: distance 0 up to float round-off of the mean
    d = table[(table.pi == 0.1) & (table.quantity == "distance to KL[P||Q] optimum")].value.iloc[0]
    assert d == pytest.approx(0.0, abs=1e-15)
    d = table[(table.pi == 0.1) & (table.quantity == "distance to KL[Q||P] optimum")].value.iloc[0]
    assert d == pytest.approx(np.hypot(2.0 / 0.5, np.log(4.0)), rel=1e-12)  # closed form of distance_to_fit
    assert table[table.quantity == "seeds"].value.tolist() == [2, 2, 2]
    assert record["verdict"] == "not reproduced"  # eq. 12 holds, so the note's sentence is not reproduced
    assert "From 6 trained Gaussian generators" in record["summary"]
    assert [n["name"] for n in record["numbers"]] == [f"pi={pi:g}: distance to KL[P||Q] / KL[Q||P] optimum"
                                                      for pi in (0.1, 0.5, 0.9)]
    assert jspi_convention.draw(computed, ctx) is not None


def test_jspi_convention_reversed_behaviour_reproduces_the_sentence(tmp_path):
    _, record, _ = convention(tmp_path, {0.1: (-1.9, 0.55), 0.9: (0.1, 2.0)})
    assert record["verdict"] == "reproduced"
    _, record, _ = convention(tmp_path, {0.1: (0.0, 2.0), 0.9: (0.0, 2.0)})  # ML-like at both ends
    assert record["verdict"] == "partly"
