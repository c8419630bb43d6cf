"""The lecture's ML fit of a correlated 2-D Gaussian (kl-fit-gaussian2d): its numbers against independent
computations, its verdict rule on true and false tables, and its config rules."""

from __future__ import annotations

import numpy as np
import pytest

from gandiv.exact.families import Family, GaussianFamily
from gandiv.figures import kl_fit_gaussian2d as fig
from gandiv.figures.recipe import Computed, Context
from gandiv.config_error import ConfigError

CORRELATED = {"kind": "gaussian", "mean": [1.0, -0.5], "covariance": [[2.0, 1.2], [1.2, 1.0]]}
SETTINGS = {"target": "correlated", "n_samples": 2000, "batch_size": 128, "steps": 300, "learning_rate": 0.05}
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
    wide = fit.table.pivot(index="step", columns="quantity", values="value")
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


def test_verdict_rules(fit):
    assert fig.judge(fit, CTX)["verdict"] == "reproduced"
    fig.draw(fit, CTX)
    t = fit.table
    last = t.step == t.step.max()
    stuck = t.copy()
    stuck.loc[last & (t.quantity == fig.TO_MLE), "value"] = 0.1  # beyond 0.05 of the MLE
    assert fig.judge(Computed(stuck, fit.extras), CTX)["verdict"] == "not reproduced"
    far = t.copy()
    far.loc[last & (t.quantity == fig.KL), "value"] = 10 * fit.extras["sampling_kl"] + 2e-3
    assert fig.judge(Computed(far, fit.extras), CTX)["verdict"] == "not reproduced"


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
    fig.check(SETTINGS | {"batch_size": 2000}, config)  # a minibatch as large as the sample is allowed
