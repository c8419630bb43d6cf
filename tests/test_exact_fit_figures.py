"""The figures built from exact Gaussian fits (iclr-fig1, kl-vs-rkl-multimodal): their numbers against
independent computations, and each verdict rule on a table where the claim is true and on one where it is false."""

from __future__ import annotations

import numpy as np
import pytest

from gandiv.exact.densities import gaussian, target_from_config
from gandiv.figures import iclr_fig1, kl_vs_rkl_multimodal
from gandiv.figures.recipe import Computed, Context
from gandiv.results_io import write_json

EXACT = {"n_starts": 2, "max_iter": 300, "quadrature_points_per_sd": 3, "quadrature_halfwidth_sd": 8}


def _passed(record: dict, name: str):
    """The `passed` flag of the verdict's deciding number `name` (KeyError if it has no threshold)."""
    number = next(n for n in record["numbers"] if n["name"] == name)
    return number["passed"]

# ------------------------------------------------------------- iclr-fig1

TWO_MODES = {"kind": "gaussian_mixture", "weights": [0.5, 0.5], "means": [[-2.0, 0.0], [2.0, 0.0]],
             "covariances": [[[0.5, 0.0], [0.0, 0.5]], [[0.5, 0.0], [0.0, 0.5]]]}
# The isotropic ML fit matches moments: mean 0, variance the average of the mixture's variances,
# ((0.5 + 2^2) + 0.5) / 2 = 2.5; the reverse-KL fits sit on one mode.
ML = {"mean": [0.0, 0.0], "covariance": [[2.5, 0.0], [0.0, 2.5]]}
RIGHT = {"mean": [2.0, 0.0], "covariance": [[0.5, 0.0], [0.0, 0.5]]}
LEFT = {"mean": [-2.0, 0.0], "covariance": [[0.5, 0.0], [0.0, 0.5]]}


@pytest.fixture(scope="module")
def iclr(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("fits")
    records = {"kl_pq": [ML], "js": [RIGHT], "kl_qp": [RIGHT, LEFT]}
    inputs = {}
    for name, minima in records.items():
        inputs[name] = str(tmp_path / f"{name}.json")
        write_json(inputs[name], {"minima": minima})
    ctx = Context(config={"seed": 0, "exact": EXACT, "targets": {"two": TWO_MODES}}, inputs=inputs,
                  settings={"target": "two", "family": "isotropic", "mmd_bandwidth": 1.0,
                            "quadrature_points_per_sd": 8, "quadrature_halfwidth_sd": 9})
    return iclr_fig1.compute(ctx), ctx


def test_iclr_fig1_table(iclr):
    computed, ctx = iclr
    value = computed.table.set_index(["fit", "quantity"]).value
    error = computed.table.set_index(["fit", "quantity"]).exact_error
    assert value["kl_pq", "sd"] == pytest.approx(np.sqrt(2.5), abs=1e-15)
    assert value["kl_qp", "local minima found"] == 2 and value["js", "local minima found"] == 1
    assert ("mmd", "local minima found") not in value.index  # the MMD fit has no fit record
    # Moment matching is the global minimiser of KL[P||Q] over Gaussians: no fit beats it (up to the
    # certified quadrature errors).
    for fit in ("js", "kl_qp", "mmd"):
        assert value["kl_pq", "kl_pq"] <= value[fit, "kl_pq"] + error["kl_pq", "kl_pq"] + error[fit, "kl_pq"]
    # Q on one mode: KL[Q||P] = log 2 - E_Q log(1 + q_other / q) <= log 2, and the other mode's share is
    # small (Q's mass beyond the midpoint is Phi(-2 / sqrt(0.5)) ~ 0.2%).
    assert np.log(2) - 0.05 < value["kl_qp", "kl_qp"] <= np.log(2) + error["kl_qp", "kl_qp"]
    assert value["kl_qp", "kl_qp"] < value["kl_pq", "kl_qp"]  # ML's mass between the modes costs reverse KL
    # The MMD fit minimises MMD from the exact fits' starts: no worse than the two mode fits it could reach.
    assert value["mmd", "mmd"] <= value["kl_qp", "mmd"] + 1e-9  # L-BFGS-B stops at gradient ~1e-5: tiny slack
    iclr_fig1.draw(computed, ctx)


def test_iclr_fig1_verdict_rules(iclr):
    computed, ctx = iclr
    record = iclr_fig1.judge(computed, ctx)
    assert record["verdict"] == "reproduced"  # the JS fit is the reverse-KL fit here: distance 0
    numbers = {n["name"]: n["value"] for n in record["numbers"]}
    assert numbers["ratio"] == 0.0
    assert numbers["local minima of KL[Q||P] found"] == 2
    assert _passed(record, "ratio") is True
    # The same fits but a JS fit next to the ML fit (the only change): the ratio exceeds 1, the claim fails.
    near_ml = computed.extras["fits"] | {"js": gaussian([0.1, 0.0], [[2.4, 0.0], [0.0, 2.4]])}
    failed = iclr_fig1.judge(Computed(computed.table, {"fits": near_ml}), ctx)
    assert failed["verdict"] == "not reproduced" and _passed(failed, "ratio") is False
    assert {n["name"]: n["value"] for n in failed["numbers"]}["ratio"] > 1
    assert "failed: the distance ratio" in failed["summary"]


# ------------------------------------------------------------- kl-vs-rkl-multimodal

TRIMODAL = {"kind": "gaussian_mixture", "weights": [0.4, 0.35, 0.25],
            "means": [[-3.0, 0.0], [2.5, 2.5], [2.0, -3.0]],
            "covariances": [[[1.0, 0.4], [0.4, 0.6]], [[0.7, -0.3], [-0.3, 0.9]], [[0.5, 0.0], [0.0, 0.5]]]}
MULTI = Context(config={"seed": 0, "exact": EXACT, "targets": {"tri": TRIMODAL}},
                settings={"target": "tri", "family": "full", "n_starts": 3})


@pytest.fixture(scope="module")
def multi():
    return kl_vs_rkl_multimodal.compute(MULTI)


def _column(table, objective, quantity):
    return table[(table.objective == objective) & (table.quantity == quantity)].value.to_numpy()


def test_kl_fits_match_moments_from_every_start(multi):
    p = target_from_config(TRIMODAL)
    t = multi.table
    assert len(_column(t, "kl_pq", "mean_x1")) == 3 and len(_column(t, "kl_qp", "mean_x1")) == 3
    # KL[P||Q] over full-covariance Gaussians is minimised by P's mean and covariance (independent closed
    # form). The fit minimises the quadrature KL to a gradient norm ~1e-9, so it matches the grid's moments,
    # seen ~5e-9 from the exact ones: 1e-6 leaves a factor of 100 for both errors.
    for i, quantity in enumerate(("mean_x1", "mean_x2")):
        np.testing.assert_allclose(_column(t, "kl_pq", quantity), p.mean()[i], rtol=0, atol=1e-6)
    for quantity, (i, j) in (("cov_11", (0, 0)), ("cov_12", (0, 1)), ("cov_22", (1, 1))):
        np.testing.assert_allclose(_column(t, "kl_pq", quantity), p.covariance()[i, j], rtol=0, atol=1e-6)
    # Each reverse-KL fit sits near a mode: within one sd of the mode the table names.
    modes = t[(t.objective == "kl_qp") & (t.quantity == "mean_x1")]["mode"].to_numpy()
    means = np.column_stack([_column(t, "kl_qp", "mean_x1"), _column(t, "kl_qp", "mean_x2")])
    for mode, mean in zip(modes, means):
        assert np.linalg.norm(mean - p.means[mode]) < 1.0


def _with(table, objective, quantity, values):
    out = table.copy()
    out.loc[(out.objective == objective) & (out.quantity == quantity), "value"] = values
    return out


SPREAD = "spread of KL[P||Q] fit means over starts"
BETWEEN = "P density at the KL[P||Q] fit's mean / lowest at a mode's centre"
MODES = "distinct modes reached by KL[Q||P] fits"


def test_kl_vs_rkl_verdict_rules(multi):
    t = multi.table
    kl_vs_rkl_multimodal.draw(multi, MULTI)
    # The computed fits with the reverse-KL fits spread over two modes: all three checks hold.
    spread_modes = t.assign(mode=np.where(t.objective == "kl_qp", t.start % 2, t["mode"]))
    record = kl_vs_rkl_multimodal.judge(Computed(spread_modes), MULTI)
    assert record["verdict"] == "reproduced"
    assert [_passed(record, name) for name in (SPREAD, BETWEEN, MODES)] == [True, True, True]
    # Each check alone fails on a table that differs only in its own rows: the verdict drops to partly.
    one_mode = spread_modes.assign(mode=np.where(t.objective == "kl_qp", 0, spread_modes["mode"]))
    p = target_from_config(TRIMODAL)
    starts = t[(t.objective == "kl_pq") & (t.quantity == "mean_x1")].start.to_numpy()
    apart = _with(spread_modes, "kl_pq", "mean_x1", _column(t, "kl_pq", "mean_x1") + np.where(starts == 1, 0.01, 0.0))
    on_a_mode = _with(_with(spread_modes, "kl_pq", "mean_x1", p.means[0, 0]), "kl_pq", "mean_x2", p.means[0, 1])
    # (apart: the ML fit from start 1 moved 0.01 x units, ten times the one-solution bar; on_a_mode: every ML fit
    # at mode 0's centre, where P's density is that mode's peak.)
    for table, name in ((one_mode, MODES), (apart, SPREAD), (on_a_mode, BETWEEN)):
        failed = kl_vs_rkl_multimodal.judge(Computed(table), MULTI)
        assert failed["verdict"] == "partly", name
        assert {n: _passed(failed, n) for n in (SPREAD, BETWEEN, MODES)} == {
            n: n != name for n in (SPREAD, BETWEEN, MODES)}
        assert "Failed:" in failed["summary"]
    # ML fits at different modes' centres: no single solution, no mass between modes; with one mode for
    # reverse KL nothing of the claim holds.
    scattered = _with(one_mode, "kl_pq", "mean_x1", p.means[:3, 0])
    scattered = _with(scattered, "kl_pq", "mean_x2", p.means[:3, 1])
    assert kl_vs_rkl_multimodal.judge(Computed(scattered), MULTI)["verdict"] == "not reproduced"
