"""The lecture's ML fit of a correlated 2-D Gaussian (kl-fit-gaussian2d): its numbers against independent
computations, its sample-size sweep, its verdict rule on true and false tables, and its config rules."""

from __future__ import annotations

import numpy as np
import pytest

from gandiv.exact.families import Family, GaussianFamily
from gandiv.figures import kl_fit_gaussian2d as fig
from gandiv.figures.recipe import Computed, Context
from gandiv.config_error import ConfigError

CORRELATED = {"kind": "gaussian", "mean": [1.0, -0.5], "covariance": [[2.0, 1.2], [1.2, 1.0]]}
# 600 steps of 0.05: the poor start is left behind by step ~300, so the averaged last half sits at the optimum.
SETTINGS = {"target": "correlated", "n_samples": 2000, "batch_size": 128, "steps": 600, "learning_rate": 0.05,
            "sample_sizes": [128, 256, 512, 1024], "sweep_seeds": 3}
CTX = Context(config={"seed": 0, "targets": {"correlated": CORRELATED}}, settings=SETTINGS)


@pytest.fixture(scope="module")
def fit():
    return fig.compute(CTX)


def _kl_gaussians(m0, s0, m1, s1):
    """KL[N(m0, s0) || N(m1, s1)] in nats, the textbook closed form."""
    inv = np.linalg.inv(s1)
    d = np.asarray(m1) - np.asarray(m0)
    return 0.5 * (np.trace(inv @ s0) + d @ inv @ d - len(d) + np.log(np.linalg.det(s1) / np.linalg.det(s0)))


def test_start_and_convergence(fit):
    wide = fit.table[fit.table.part == fig.TRAJECTORY].pivot(index="step", columns="quantity", values="value")
    assert wide.index[0] == 0 and wide.index[-1] == SETTINGS["steps"]
    # Step 0 is the poor start N((-3, 3), I): its KL and parameter distance are closed forms.
    start_kl = _kl_gaussians(CORRELATED["mean"], np.array(CORRELATED["covariance"]), [-3.0, 3.0], np.eye(2))
    assert wide[fig.KL].iloc[0] == pytest.approx(start_kl, rel=1e-12)  # a few floating operations apart
    family = GaussianFamily(2, Family.FULL)
    truth = family.pack(CORRELATED["mean"], np.array(CORRELATED["covariance"]))
    start = family.pack([-3.0, 3.0], np.eye(2))
    assert wide[fig.TO_TRUTH].iloc[0] == pytest.approx(np.linalg.norm(start - truth), rel=1e-12)
    # Adam brings KL down by orders of magnitude (from ~10 nats) and ends near the sample MLE.
    assert wide[fig.KL].iloc[-1] < 1e-2 * wide[fig.KL].iloc[0]
    assert wide[fig.TO_MLE].iloc[-1] < wide[fig.TO_MLE].iloc[0]
    assert 0 < fit.extras["sampling_kl"] < wide[fig.KL].iloc[0]
    assert len(fit.extras["samples"]) == fig.SHOWN_SAMPLES


def test_sweep_rows_match_an_independent_mle_and_keep_their_samples_when_sizes_change():
    family = GaussianFamily(2, Family.FULL)
    target = CTX.target("correlated")
    rows = fig.sweep_rows(target, family, SETTINGS | {"sample_sizes": [128, 256], "sweep_seeds": 2}, seed=7)
    alone = fig.sweep_rows(target, family, SETTINGS | {"sample_sizes": [256], "sweep_seeds": 2}, seed=7)
    # Set (n, k) draws from its own child stream: dropping another size leaves it unchanged, to the last bit.
    assert [r for r in rows if r["n_samples"] == 256] == alone
    assert len(rows) == 2 * 2 * 3  # sizes x sets x quantities
    # The MLE row against a fit-free computation: the same samples, moments by hand, the truth's Cholesky factor.
    samples = target.sample(256, np.random.default_rng(np.random.SeedSequence(7, spawn_key=(256, 1))))
    centred = samples - samples.mean(axis=0)
    mle = family.pack(samples.mean(axis=0), centred.T @ centred / len(samples))
    chol = np.linalg.cholesky(np.array(CORRELATED["covariance"]))
    truth = np.array([*CORRELATED["mean"], np.log(chol[0, 0]), chol[1, 0], np.log(chol[1, 1])])
    value = {(r["sample_set"], r["quantity"]): r["value"] for r in alone}
    assert value[1, fig.MLE_TO_TRUTH] == pytest.approx(np.linalg.norm(mle - truth), rel=1e-12)
    # The two sets are independent draws: their errors differ.
    assert value[0, fig.MLE_TO_TRUTH] != value[1, fig.MLE_TO_TRUTH]
    # The fit ends near its sample's MLE, well within that sample's sampling error (~0.1 at n = 256).
    assert value[1, fig.FIT_TO_MLE] < 0.5 * value[1, fig.MLE_TO_TRUTH]


RATE = "log-log slope of mean |theta_fit - theta_true| on n"
REACH = "largest |theta_fit - theta_MLE| / mean |theta_MLE - theta_true| at n=1024"


def _passed(record: dict, name: str):
    (number,) = [n for n in record["numbers"] if n["name"] == name]
    return number["passed"]


def _sweep_rows(table, quantity, n=None):
    mask = (table.part == fig.SWEEP) & (table.quantity == quantity)
    return mask if n is None else mask & (table.n_samples == n)


def test_verdict_rules(fit):
    record = fig.judge(fit, CTX)
    assert record["verdict"] == "reproduced"
    assert _passed(record, RATE) is True and _passed(record, REACH) is True
    numbers = {n["name"]: n for n in record["numbers"]}
    assert numbers[RATE]["threshold"] == "in [-0.75, -0.25]" and numbers[REACH]["threshold"] == "<= 0.5"
    fig.draw(fit, CTX)
    t = fit.table
    rows = _sweep_rows(t, fig.FIT_TO_TRUTH)
    n = t.loc[rows, "n_samples"].to_numpy(float)
    # Two tables that differ only in the fits' errors against the truth: at the rate n^-1/2 the claim holds;
    # an error that stalls at the smallest size's level (slope 0) is not consistency.
    consistent, stalled = t.copy(), t.copy()
    consistent.loc[rows, "value"] = 2.0 / np.sqrt(n)
    stalled.loc[rows, "value"] = 2.0 / np.sqrt(n.min())
    held = fig.judge(Computed(consistent, fit.extras), CTX)
    assert held["verdict"] == "reproduced" and _passed(held, RATE) is True
    assert {n["name"]: n["value"] for n in held["numbers"]}[RATE] == pytest.approx(-0.5, abs=1e-12)
    failed = fig.judge(Computed(stalled, fit.extras), CTX)
    assert failed["verdict"] == "not reproduced" and _passed(failed, RATE) is False
    assert {n["name"]: n["value"] for n in failed["numbers"]}[RATE] == pytest.approx(0.0, abs=1e-12)
    assert "Failed: the error's slope" in failed["summary"] and "is outside [-0.75, -0.25]" in failed["summary"]
    # Two tables that differ only in how far the fits at the largest n end from their sample MLE: 0.4 and 0.6 of
    # the mean sampling error there (the bar is 0.5).
    sampling = t[_sweep_rows(t, fig.MLE_TO_TRUTH, 1024)].value.mean()
    near, far = t.copy(), t.copy()
    near.loc[_sweep_rows(t, fig.FIT_TO_MLE, 1024), "value"] = 0.4 * sampling
    far.loc[_sweep_rows(t, fig.FIT_TO_MLE, 1024), "value"] = 0.6 * sampling
    held = fig.judge(Computed(near, fit.extras), CTX)
    assert held["verdict"] == "reproduced" and _passed(held, REACH) is True
    failed = fig.judge(Computed(far, fit.extras), CTX)
    assert failed["verdict"] == "not reproduced" and _passed(failed, REACH) is False
    assert "Failed: at n=1024 the fits stay up to 0.60 of the sampling error" in failed["summary"]


MIXTURE = {"kind": "gaussian_mixture", "weights": [1.0], "means": [[0.0, 0.0]], "covariances": [[[1.0, 0.0],
                                                                                                 [0.0, 1.0]]]}
LINE = {"kind": "gaussian", "mean": [0.0], "covariance": [[1.0]]}


@pytest.mark.parametrize("target, fragments", [
    ("mixture", ["'mixture' is a 2-D gaussian_mixture", "2-D target of kind gaussian: correlated"]),
    ("line", ["'line' is a 1-D gaussian", "2-D target of kind gaussian: correlated"]),
])
def test_check_wants_a_2d_gaussian(target, fragments):
    config = {"targets": {"correlated": CORRELATED, "mixture": MIXTURE, "line": LINE}}
    with pytest.raises(ConfigError, match="figures.kl-fit-gaussian2d.target") as error:
        fig.check(SETTINGS | {"target": target}, config)
    for fragment in fragments:
        assert fragment in str(error.value)
    fig.check(SETTINGS, config)  # the correlated 2-D Gaussian passes


def test_check_wants_a_minibatch_within_the_sample():
    config = {"targets": {"correlated": CORRELATED}}
    with pytest.raises(ConfigError, match=r"batch_size.*2001 exceeds n_samples=2000.*\[1, 2000\]"):
        fig.check(SETTINGS | {"batch_size": 2001}, config)
    sizes = {"sample_sizes": [2000, 4000]}
    fig.check(SETTINGS | sizes | {"batch_size": 2000}, config)  # a minibatch as large as the sample is allowed


def test_check_wants_every_sweep_sample_at_least_a_minibatch():
    config = {"targets": {"correlated": CORRELATED}}
    with pytest.raises(ConfigError, match=r"sample_sizes\[1\].*100 is below batch_size=128.*>= 128"):
        fig.check(SETTINGS | {"sample_sizes": [128, 100]}, config)
