"""Every exact value carries an error estimate; values that cannot be certified are refused, never returned wrong.

Also: a degenerate sample set (a collapsed generator) gives NaN k-NN estimates with a reason, not a crashed job.
"""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gandiv.exact import divergences as dv  # noqa: E402
from gandiv.exact.densities import GaussianMixture, gaussian  # noqa: E402
from gandiv.samples.knn import knn_kl_both_or_reason  # noqa: E402
from gandiv.exact.quadrature import QuadratureError, grid_for, refined_grid  # noqa: E402

BIMODAL = GaussianMixture([0.7, 0.3], [[-2.0], [2.0]], [[[0.36]], [[0.25]]])  # config/smoke.yaml's bimodal_1d
TINY = {"device": "cpu", "threads": 1, "pi_mode": "weights", "steps": 200, "steps_per_call": 100, "batch_size": 64,
        "n_snapshot_samples": 32, "generator": {"latent_dim": 3, "hidden": 8, "depth": 1, "flow_layers": 2},
        "discriminator": {"hidden": 8, "depth": 1},
        "optimizer": {"d_learning_rate": 1e-3, "g_learning_rate": 1e-3, "beta_1": 0.5}}


def kl_qp_gauss_hermite(p: GaussianMixture, mean: float, sd: float, n: int = 200) -> float:
    """KL[Q||P] = E_Q[log q - log p] for a 1-D Gaussian Q by Gauss-Hermite quadrature: independent of the grids."""
    t, w = np.polynomial.hermite.hermgauss(n)
    x = mean + np.sqrt(2.0) * sd * t
    log_q = -0.5 * t**2 * 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)
    return float(w @ (log_q - p.log_prob(x[:, None])) / np.sqrt(np.pi))


def test_a_narrow_q_is_refused_not_returned_wrong():
    # The reported case: Q = N(2, (1e-5)^2) against bimodal_1d gave JS 0.945 > log 2, TV 1.36 > 1 and
    # KL[Q||P] 19.9 (true 11.52 by Gauss-Hermite) after a grid capped with only a warning.
    q = gaussian(2.0, 1e-10)
    assert kl_qp_gauss_hermite(BIMODAL, 2.0, 1e-5) == pytest.approx(11.52, abs=0.01)
    with pytest.raises(QuadratureError, match="points"):
        dv.certified_divergences(BIMODAL, q, ("kl_pq", "kl_qp", "js", "js_pi", "tv"), pi=0.5)
    for fn in (dv.kl_qp, dv.js, dv.tv):  # the plain functions refuse too: no capped grid anywhere
        with pytest.raises(QuadratureError):
            fn(BIMODAL, q)


@pytest.mark.parametrize("sd", [0.05, 0.01])
def test_a_narrow_but_resolvable_q_is_certified_and_right(sd):
    # Certified values must agree with an independent integrator within their stated error (plus float round-off).
    out = dv.certified_divergences(BIMODAL, gaussian(2.0, sd**2), ("kl_qp", "js"), pi=None)
    truth = kl_qp_gauss_hermite(BIMODAL, 2.0, sd)
    assert abs(out["kl_qp"].value - truth) <= out["kl_qp"].error + 1e-9
    assert out["kl_qp"].method == "quadrature" and out["kl_qp"].error < 1e-6
    assert 0.0 <= out["js"].value <= np.log(2.0)


def test_zero_weight_component_contributes_nothing():
    # weights [1, 0], means 0 and 100: KL[Q||P] for Q = N(100, 1) is 100^2 / 2 = 5000, not 690.8 (a floored log).
    p = GaussianMixture([1.0, 0.0], [[0.0], [100.0]], [[[1.0]], [[1.0]]])
    out = dv.certified_divergences(p, gaussian(100.0, 1.0), ("kl_qp", "kl_pq"))
    assert out["kl_qp"].value == pytest.approx(5000.0, rel=1e-9)
    assert out["kl_pq"].value == pytest.approx(5000.0, rel=1e-9)


def test_too_coarse_a_grid_is_caught_by_its_own_error_estimate():
    # At 0.3 points per sd the trapezoid sum is far from converged; the refined grid shows it.
    p, q = BIMODAL, gaussian(0.5, 2.0)
    grid = grid_for(p, q, points_per_sd=0.3)
    with pytest.raises(QuadratureError, match="refined"):
        dv.certified_on_grids(p.log_prob, q.log_prob, grid, refined_grid(grid, p, q), ["kl_pq"])


@pytest.mark.parametrize("quantity, value, pi", [("js", 0.945, None), ("tv", 1.36, None), ("kl_qp", -0.2, None),
                                                 ("js_pi", 0.7, 0.2), ("js_pi", -0.01, 0.5)])
def test_bound_checks_fail_on_impossible_values(quantity, value, pi):
    with pytest.raises(QuadratureError, match="bounds"):
        dv.check_bounds(quantity, value, 1e-6, pi)
    lo, hi = dv.theory_bounds(quantity, pi)
    dv.check_bounds(quantity, min(max(value, lo), hi), 0.0, pi)  # the same quantity inside its bounds passes


@settings(max_examples=30, deadline=None)
@given(m=st.floats(-4, 4), s=st.floats(0.2, 3.0), pi=st.floats(0.01, 0.99))
def test_certified_values_obey_theory_and_match_closed_forms(m, s, pi):
    p, q = gaussian(0.0, 1.0), gaussian(m, s**2)
    out = dv.certified_divergences(p, q, ("kl_pq", "kl_qp", "js", "js_pi"), pi=pi)
    assert out["kl_pq"].method == "closed form" and out["kl_pq"].error == 0.0
    # Quadrature against the closed form: an independent computation, agreeing within the stated error.
    kl_grid = dv.certified_on_grids(p.log_prob, q.log_prob, grid := grid_for(p, q), refined_grid(grid, p, q),
                                    ["kl_pq"])["kl_pq"]
    assert abs(kl_grid.value - out["kl_pq"].value) <= kl_grid.error + 1e-9 * max(1, out["kl_pq"].value)
    assert 0.0 <= out["js_pi"].value <= dv.binary_entropy(pi) + out["js_pi"].error
    # Symmetry JS_pi[P||Q] = JS_{1-pi}[Q||P], each certified on its own.
    swapped = dv.certified_divergences(q, p, ("js_pi",), pi=1.0 - pi)["js_pi"]
    assert abs(swapped.value - out["js_pi"].value) <= swapped.error + out["js_pi"].error + 1e-12


def test_degenerate_samples_give_nan_with_a_reason():
    rng = np.random.default_rng(0)
    real = rng.standard_normal((500, 2))
    collapsed = np.zeros((500, 2))  # every generated sample equal: full mode collapse
    values, note = knn_kl_both_or_reason(real, collapsed, k=5)
    assert np.isnan(values["kl_pq"]) and np.isnan(values["kl_qp"]) and "zero k-NN distance" in note
    values, note = knn_kl_both_or_reason(real, np.full((500, 2), np.inf), k=5)
    assert np.isnan(values["kl_qp"]) and "non-finite" in note
    values, note = knn_kl_both_or_reason(real, rng.standard_normal((500, 2)), k=5)
    assert note == "" and abs(values["kl_pq"]) < 0.2  # same law: KL 0 up to the estimator's spread at n = 500


def test_collapsed_generators_are_evaluated_with_reasons_not_crashes():
    from gandiv.gan.evaluation import evaluate_run
    from gandiv.seeding import run_streams
    from gandiv.gan.training import build_run

    streams = run_streams(0, {"job": "test"})
    evaluation = lambda: streams.numpy("evaluation")  # noqa: E731

    # An mlp generator whose last kernel and bias are zero puts every sample at 0 (the reported crash).
    model = build_run(BIMODAL, "mlp", streams, TINY)
    last = model.generator.layers[-1]
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    rows = {(r["quantity"], r["method"]): r
            for r in evaluate_run(BIMODAL, model, "mlp", "kl", 0.5, 1000, 5, evaluation(), 8.0)}
    assert np.isnan(rows[("kl_pq", "knn")]["value"]) and "zero k-NN distance" in rows[("kl_pq", "knn")]["note"]
    assert np.isfinite(rows[("kl_pq", "discriminator")]["value"])  # the other estimates are still made

    # A Gaussian generator collapsed to sd 1e-5 at x = 2: exact values NaN with the reason, never 19.9.
    model = build_run(BIMODAL, "gaussian", streams, TINY)
    model.generator.mean.assign([2.0])
    model.generator.chol_raw.assign([[np.log(1e-5)]])
    rows = {(r["quantity"], r["method"]): r for r in evaluate_run(BIMODAL, model, "gaussian", "kl", 0.5, 1000, 5,
                                                                           evaluation(), 8.0)}
    for quantity in ("kl_pq", "kl_qp", "js", "js_pi"):
        assert np.isnan(rows[(quantity, "exact")]["value"])
        assert "exact values undefined" in rows[(quantity, "exact")]["note"]
    # A healthy Gaussian generator: every exact value with its error estimate, bounds respected.
    model.generator.chol_raw.assign([[0.0]])
    rows = {(r["quantity"], r["method"]): r for r in evaluate_run(BIMODAL, model, "gaussian", "kl", 0.5, 1000, 5,
                                                                           evaluation(), 8.0)}
    for quantity in ("kl_pq", "kl_qp", "js", "js_pi"):
        row = rows[(quantity, "exact")]
        assert np.isfinite(row["value"]) and 0.0 <= row["exact_error"] < 1e-6 and row["note"] == ""


def test_a_configured_target_that_cannot_be_certified_stops_naming_the_target_and_keys(tmp_path):
    import yaml

    from gandiv.pipeline.config import load_schema, validate_config
    from gandiv.pipeline.figure_jobs import build_figure
    from gandiv.pipeline.exact_jobs import fit_exact

    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "smoke.yaml").read_text())
    # Components 1e-4 and 1 wide, 200 apart: one uniform grid would need ~10^7 points per axis.
    config["targets"]["bimodal_1d"] = {"kind": "gaussian_mixture", "weights": [0.5, 0.5], "means": [[0.0], [200.0]],
                                       "covariances": [[[1e-8]], [[1.0]]]}
    config = validate_config(config, load_schema())
    with pytest.raises(QuadratureError, match="target 'bimodal_1d'.*'targets.bimodal_1d'.*quadrature"):
        fit_exact(config, "bimodal_1d", "isotropic", "kl_qp", str(tmp_path / "fit.json"))
    assert not (tmp_path / "fit.json").exists()
    outputs = {k: str(tmp_path / f"out.{k}") for k in ("png", "pdf", "csv", "verdict")}
    with pytest.raises(QuadratureError, match="figure 'jspi-limits'.*targets.bimodal_1d"):
        build_figure(config, "jspi-limits", {}, outputs)
    assert not any((tmp_path / f"out.{k}").exists() for k in outputs)
