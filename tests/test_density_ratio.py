"""The density-ratio figure: frozen-Q discriminator training against a closed form, its determinism, the overlap
error, the verdict rule on hand-made tables, and end to end: the training job's file (read through the config keys
its rule declares), then compute/draw/judge on it and on synthetic GAN runs.
"""

import json

import numpy as np
import pandas as pd
import pytest

from gandiv.gan.training import configure_tensorflow

configure_tensorflow(1, use_gpu=False)  # the training job's settings: one thread, op determinism

from gandiv.exact.densities import gaussian, target_from_config  # noqa: E402
from gandiv.exact.quadrature import grid_for  # noqa: E402
from gandiv.figures import Context, density_ratio, figure_config_keys  # noqa: E402
from gandiv.figures.evidence import MIN_SEEDS  # noqa: E402
from gandiv.figures.recipe import Computed  # noqa: E402
from gandiv.figures.style import check_tidy  # noqa: E402
from gandiv.gan.frozen_q import DiscriminatorSettings, FrozenRun, train_frozen_q  # noqa: E402
from gandiv.pipeline.config_view import ConfigView, job_config  # noqa: E402
from gandiv.pipeline.gan_jobs import train_density_ratio_job  # noqa: E402
from gandiv.seeding import run_streams  # noqa: E402
from gandiv.update_rules import optimal_logit  # noqa: E402

SPEC = {"kind": "gaussian_mixture", "weights": [0.7, 0.3], "means": [[-2.0], [2.0]],
        "covariances": [[[0.36]], [[0.25]]]}
TARGET = target_from_config(SPEC)
GAN = {"discriminator": {"hidden": 64, "depth": 2}, "optimizer": {"d_learning_rate": 1e-3, "beta_1": 0.5},
       "batch_size": 256}
NETWORK = DiscriminatorSettings(64, 2, 1e-3, 0.5, 256)  # the config's gan.discriminator and gan.optimizer
QS = [{"mean": -0.8, "sd": 2.0}, {"mean": -1.4, "sd": 1.3}]  # the settings' defaults
PIS = [0.1, 0.5, 0.9]


def _runs(specs, job="test"):
    return [FrozenRun(m, sd, pi, run_streams(seed, {"job": job, "q_mean": m, "q_sd": sd, "pi": pi}))
            for m, sd, pi, seed in specs]


# ---------------------------------------------------------------- training against a closed form


def test_frozen_training_reaches_the_quadratic_log_ratio_of_two_gaussians():
    # P = N(0, 1), Q = N(0.5, 1.3^2): log(pi p / ((1-pi) q)) = log(pi/(1-pi)) + log 1.3 - x^2/2 + (x-0.5)^2/3.38,
    # a quadratic the ReLU network has to bend to; within 0.5 nats over M's mass, |log ratio| stays below 4 nats.
    p, q = gaussian(np.zeros(1), np.eye(1)), gaussian(0.5, 1.3**2)
    grid = grid_for(p, q, points_per_sd=8, halfwidth_sd=6)
    x = grid.points[:, 0]
    for pi in (0.3, 0.7):
        quadratic = np.log(pi / (1 - pi)) + np.log(1.3) - x**2 / 2 + (x - 0.5) ** 2 / (2 * 1.3**2)
        np.testing.assert_allclose(optimal_logit(p.log_prob(grid.points), q.log_prob(grid.points), pi), quadratic)
    runs = _runs([(0.5, 1.3, 0.3, 0), (0.5, 1.3, 0.7, 0)])
    training = train_frozen_q(p, runs, NETWORK, 2000, 100, x)
    assert training.logits.shape == (21, 2, len(x)) and list(training.steps) == list(range(0, 2001, 100))
    for r, run in enumerate(runs):
        errors = density_ratio.ratio_errors(p.log_prob(grid.points), q.log_prob(grid.points), run.pi,
                                            training.logits[:, r])
        assert errors["overlap_rmse"][0] > 1.0  # the untrained network is far from the ratio
        assert errors["overlap_rmse"][-1] < 0.2, errors["overlap_rmse"]  # in nats, M-weighted
        assert abs(density_ratio.window_drift(training.steps, errors["overlap_rmse"])) < 0.1


def test_ratio_errors_weight_by_the_mixture_and_decide_on_the_overlap():
    # Off by 1 nat everywhere gives 1 on both; off by 1 nat only beyond 4 sds of Q (M's mass there: 3e-5) gives
    # sqrt(3e-5) over the whole line and nothing over the overlap, where the Bayes-optimal D is in [0.01, 0.99].
    q = gaussian(-0.8, 4.0)
    grid = grid_for(TARGET, q, points_per_sd=8, halfwidth_sd=6)
    log_p, log_q = TARGET.log_prob(grid.points), q.log_prob(grid.points)
    exact = optimal_logit(log_p, log_q, 0.5)
    far = np.abs(grid.points[:, 0] + 0.8) > 8.0
    errors = density_ratio.ratio_errors(log_p, log_q, 0.5, np.stack([exact + 1.0, exact + far, exact]))
    np.testing.assert_allclose(errors["rmse"], [1.0, 0.0054, 0.0], atol=1e-4)
    np.testing.assert_allclose(errors["overlap_rmse"], [1.0, 0.0, 0.0], atol=1e-12)
    # The overlap is |exact| <= log 99; a logit 30 nats off outside it (D 1e-13 instead of 1e-4, no loss to speak
    # of) moves the whole-line RMSE by nats and the overlap RMSE not at all.
    overlap = errors["overlap"]
    np.testing.assert_array_equal(overlap, np.abs(exact) <= np.log(99.0))
    assert 0.0 < overlap.mean() < 1.0
    tails = density_ratio.ratio_errors(log_p, log_q, 0.5, np.where(overlap, exact + 0.1, exact - 30.0))
    np.testing.assert_allclose(tails["overlap_rmse"], 0.1, rtol=1e-9)
    assert tails["rmse"] > 5.0
    nan = density_ratio.ratio_errors(log_p, log_q, 0.5, np.where(far, np.nan, exact))
    assert np.isnan(nan["rmse"]) and np.isnan(nan["overlap_rmse"])


# ---------------------------------------------------------------- determinism


def test_frozen_training_is_determined_by_the_seed():
    x = np.linspace(-5.0, 5.0, 64)
    specs = [(-1.4, 1.3, 0.5, 0), (-1.4, 1.3, 0.5, 1), (-0.8, 2.0, 0.1, 0)]
    first = train_frozen_q(TARGET, _runs(specs), NETWORK, 200, 50, x)
    again = train_frozen_q(TARGET, _runs(specs), NETWORK, 200, 50, x)
    np.testing.assert_array_equal(first.logits, again.logits)
    assert np.abs(first.logits[-1, 0] - first.logits[-1, 1]).max() > 1e-3  # seeds 0 and 1 differ
    alone = train_frozen_q(TARGET, _runs(specs[1:2]), NETWORK, 200, 50, x)
    np.testing.assert_array_equal(alone.logits[:, 0], first.logits[:, 1])  # a run's numbers ignore its group


# ---------------------------------------------------------------- the verdict on hand-made tables


def _settings(seeds=5):
    return {"target": "bimodal_1d", "generator": "gaussian",
            "frozen": {"qs": QS, "pi": PIS, "seeds": list(range(seeds)), "steps": 6000, "steps_per_call": 100,
                       "convergence_tol": 0.1}}


def _frozen_rows(overlap_rmse, converged=lambda q, pi, seed: True, seeds=5):
    """Per-run summary rows of the frozen-Q view as `compute` writes them; overlap_rmse(q, pi, seed) gives the
    deciding RMSE. The whole-line RMSE is large (1.5 nats, as measured), and must not decide."""
    rows, rng = [], np.random.default_rng(0)
    for q in QS:
        for pi in PIS:
            for seed in range(seeds):
                ident = {"target": "bimodal_1d", "generator": None, "view": density_ratio.FROZEN, "rule": None,
                         "q_mean": q["mean"], "q_sd": q["sd"], "pi": pi, "seed": seed, "diverged": False,
                         "converged": converged(q, pi, seed), "x": np.nan, "unit": "nats"}
                value = overlap_rmse(q, pi, seed) + rng.normal(0.0, 0.01)
                rows += [ident | {"step": 6000, "quantity": quantity, "value": v}
                         for quantity, v in ((density_ratio.OVERLAP_RMSE, value), (density_ratio.RMSE, 1.5),
                                             (density_ratio.DRIFT, 0.01))]
    return rows


def _gan_rows():
    rows = []
    for rule in ("minimax", "kl"):
        for seed, converged in ((0, True), (1, False)):
            ident = {"target": "bimodal_1d", "generator": "gaussian", "view": density_ratio.DURING, "rule": rule,
                     "q_mean": -1.0, "q_sd": 1.5, "pi": 0.5, "seed": seed, "diverged": False,
                     "converged": converged, "step": 4000, "x": np.nan, "unit": "nats"}
            rows += [ident | {"quantity": q, "value": v} for q, v in ((density_ratio.OVERLAP_RMSE, 0.7),
                                                                      (density_ratio.RMSE, 0.9))]
    return rows


def _judge(rows, seeds=5):
    table = pd.DataFrame(rows).reindex(columns=density_ratio.COLUMNS)
    ctx = Context(config={}, settings=_settings(seeds))
    record = density_ratio.judge(Computed(table), ctx)
    json.dumps(record)
    return record


def _deciding(record):
    return [n for n in record["numbers"] if "threshold" in n and n["name"].startswith("median overlap RMSE")]


@pytest.mark.parametrize("overlap_rmse, expected, passing", [
    (lambda q, pi, seed: 0.10, "reproduced", 6),
    (lambda q, pi, seed: 0.60 if q["sd"] == 2.0 else 0.10, "partly", 3),
    (lambda q, pi, seed: 0.60, "not reproduced", 0),  # the pair of the first case: only the deciding RMSE differs
])
def test_verdict_follows_the_median_overlap_rmse_against_the_threshold(overlap_rmse, expected, passing):
    record = _judge(_frozen_rows(overlap_rmse) + _gan_rows())
    assert record["verdict"] == expected, record["summary"]
    deciding = _deciding(record)
    assert len(deciding) == 6
    assert all(n["threshold"] == f"< {density_ratio.RMSE_TOL:g}" for n in deciding)
    assert sum(n["passed"] for n in deciding) == passing
    assert [n["name"] for n in record["numbers"] if "threshold" in n] == [
        "fewest converged seeds in a cell read", *(n["name"] for n in deciding)]  # the whole-line RMSE only reported
    assert all(np.isfinite(n["value"]) for n in record["numbers"])
    numbers = {n["name"]: n for n in record["numbers"]}
    assert numbers["fewest converged seeds in a cell read"]["passed"] is True
    assert numbers["median whole-line M-weighted RMSE over converged seeds, Q = N(-0.8, 2²), π=0.5"]["value"] == 1.5
    assert numbers["converged GAN runs (during-training view)"]["value"] == 2  # the non-converged GAN runs left out
    assert numbers["median overlap RMSE of converged GAN runs, minimax (during training)"]["value"] == 0.7
    assert 0 < numbers["seed spread (sd) of the overlap RMSE, pooled over cells"]["value"] < 0.02
    assert "6000 steps against each of 2 frozen Gaussians" in record["summary"]  # read from the table
    assert "whole line, median up to 1.50 nats" in record["summary"]


def test_verdict_is_inconclusive_with_too_few_converged_seeds():
    # One seed of one cell still drifting leaves that cell MIN_SEEDS - 1 converged seeds; the rest pass.
    def drifting(q, pi, seed):
        return not (q["sd"] == 1.3 and pi == 0.5 and seed == 0)

    record = _judge(_frozen_rows(lambda q, pi, seed: 0.10, drifting) + _gan_rows())
    assert record["verdict"] == "inconclusive", record["summary"]
    numbers = {n["name"]: n for n in record["numbers"]}
    fewest = numbers["fewest converged seeds in a cell read"]
    assert fewest["value"] == MIN_SEEDS - 1 and fewest["passed"] is False
    thin = numbers["median overlap RMSE over converged seeds, Q = N(-1.4, 1.3²), π=0.5"]
    assert thin["passed"] is None and np.isfinite(thin["value"])  # measured, but too few seeds to decide
    assert sum(n["passed"] is True for n in _deciding(record)) == 5
    # fewer seeds than MIN_SEEDS in the settings: inconclusive too
    assert _judge(_frozen_rows(lambda q, pi, seed: 0.10, seeds=3) + _gan_rows(), seeds=3)["verdict"] == "inconclusive"


# ---------------------------------------------------------------- training job -> figure, end to end


def _gan_inputs(tmp_path):
    """Four GAN runs (minimax and kl, pi 0.3, seeds 0 and 1) whose final logit is the exact log ratio for their Q
    plus noise of sd 0.03; seed 1 did not meet the GAN convergence criterion."""
    rng = np.random.default_rng(1)
    rows, inputs = [], {"statuses": [], "snapshots": []}
    lo, hi = TARGET.bounds(3.0)[0]
    x = np.linspace(lo, hi, 401)[:, None].astype("float32")
    for k, (rule, seed) in enumerate((("minimax", 0), ("minimax", 1), ("kl", 0), ("kl", 1))):
        mean, var = -1.5 + 0.3 * seed, 0.9
        ident = {"target": "bimodal_1d", "generator": "gaussian", "rule": rule, "pi": 0.3, "seed": seed,
                 "diverged": False, "converged": seed == 0}
        blank = {"exact": np.nan, "error": np.nan, "exact_error": np.nan, "note": ""}
        rows += [ident | {"quantity": "generator_mean_0", "method": "parameters", "value": mean} | blank,
                 ident | {"quantity": "generator_cov_00", "method": "parameters", "value": var} | blank]
        exact = optimal_logit(TARGET.log_prob(x.astype(float)), gaussian(mean, var).log_prob(x.astype(float)), 0.3)
        logits = np.stack([rng.normal(0, 1, exact.shape), exact + rng.normal(0.0, 0.03, exact.shape)])
        snap, status = tmp_path / f"snap{k}.npz", tmp_path / f"status{k}.json"
        np.savez(snap, probe_points=x, probe_logits=logits.astype("float32"), steps=np.array([0, 1000]),
                 samples=rng.normal(size=(2, 64, 1)).astype("float32"), noise=rng.normal(size=(64, 1)))
        status.write_text(json.dumps({key: ident[key] for key in ("target", "generator", "rule", "pi", "seed",
                                                                  "diverged")}))
        inputs["snapshots"].append(str(snap))
        inputs["statuses"].append(str(status))
    inputs["evaluation"] = str(tmp_path / "eval.csv")
    pd.DataFrame(rows).to_csv(inputs["evaluation"], index=False)
    return inputs


def _declared_view(config, keys):
    """The config as a job sees it: only the keys its rule declares (`declared` in workflow/rules/common.smk)."""
    return ConfigView(job_config(config, keys), keys)


def _reads_every_key(view, keys):
    """Every declared key was read (so a change of it rightly reruns the job)."""
    return all(any(r == k or r.startswith((k + ".", k + "[")) for r in view.reads) for k in keys)


def test_training_job_then_figure(tmp_path, monkeypatch):
    monkeypatch.setattr("gandiv.gan.training.configure_tensorflow", lambda *a, **k: None)  # TF is running already
    settings = {"target": "bimodal_1d", "generator": "gaussian",
                "frozen": {"qs": QS, "pi": [0.5], "seeds": [0, 1], "steps": 250, "steps_per_call": 50,
                           "convergence_tol": 0.1}}
    config = {"targets": {"bimodal_1d": SPEC}, "gan": GAN, "figures": {"density-ratio": settings}}
    # the training job: reads exactly the keys its rule declares, writes the logits after every call
    keys = density_ratio.training_keys(config)
    view = _declared_view(config, keys)
    out = tmp_path / "frozen_q.npz"
    train_density_ratio_job(view, 1, str(out))
    assert _reads_every_key(view, keys) and not any(".convergence_tol" in r for r in view.reads)
    data = np.load(out)
    assert set(data.files) == set(density_ratio.FROZEN_ARRAYS)
    n = len(data["x"])
    assert data["logits"].shape == (6, 4, n) and list(data["steps"]) == [0, 50, 100, 150, 200, 250]
    assert list(zip(data["q_mean"], data["q_sd"], data["pi"], data["seed"])) == density_ratio.frozen_specs(
        settings["frozen"])
    # the figure: reads only its declared keys and the training's file, no TensorFlow settings
    fig_keys = figure_config_keys("density-ratio", settings)
    assert not any(k.startswith("gan.") for k in fig_keys)
    fig_view = _declared_view(config, fig_keys)
    ctx = Context(config=fig_view, settings=fig_view["figures"]["density-ratio"],
                  inputs=_gan_inputs(tmp_path) | {"frozen": str(out)})
    computed = density_ratio.compute(ctx)
    check_tidy(computed.table)
    assert list(computed.table.columns) == density_ratio.COLUMNS
    frozen = density_ratio.run_summaries(computed.table, density_ratio.FROZEN)
    assert len(frozen) == 4 and frozen.overlap_rmse.notna().all() and frozen.drift.notna().all()
    trace = computed.table[computed.table.quantity == density_ratio.OVERLAP_TRACE]
    assert len(trace) == 4 * 6 and trace.step.max() == 250
    gans = density_ratio.run_summaries(computed.table, density_ratio.DURING)
    assert len(gans) == 4 and list(gans.converged) == [True, False, True, False]
    assert gans.overlap_rmse.between(0.02, 0.04).all()  # the noise's sd: the exact ratio is measured where m has mass
    curves = computed.table[(computed.table.view == density_ratio.DURING)
                            & (computed.table.quantity == density_ratio.LOGIT)]
    assert curves.seed.eq(0).all()  # the converged seed is the one drawn
    np.testing.assert_allclose(curves.value - curves.exact, curves.error)
    density_ratio.draw(computed, ctx)
    record = density_ratio.judge(computed, ctx)
    assert record["verdict"] == "inconclusive"  # two seeds per cell, fewer than MIN_SEEDS
    assert "250 steps against each of 2 frozen Gaussians" in record["summary"]
    json.dumps(record)
    assert _reads_every_key(fig_view, fig_keys)
