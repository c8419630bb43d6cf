"""jspi-mutual-information: JS_pi = I(coin; sample), and the Bayes error of guessing the coin within its bounds."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import xlogy
from scipy.stats import norm

from gandiv.exact import divergences as dv
from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.exact.quadrature import grid_for
from gandiv.figures import figure_config_keys
from gandiv.figures import jspi_mutual_information as mi
from gandiv.figures.recipe import Computed, Context
from gandiv.pipeline.config import ConfigError, load_schema, validate_config

BIMODAL = GaussianMixture([0.7, 0.3], [[-2.0], [2.0]], [[[0.36]], [[0.25]]])
QUADRATURE = {"points_per_sd": 8, "halfwidth_sd": 12}


def _logs(p, q, grid):
    return dv.log_density(p, grid.points), dv.log_density(q, grid.points)


@pytest.mark.parametrize("pi", [0.05, 0.3, 0.5, 0.8])
def test_identical_laws_carry_no_information_and_fano_is_tight(pi):
    grid = grid_for(BIMODAL, **QUADRATURE)
    log_p, _ = _logs(BIMODAL, BIMODAL, grid)
    cond = mi.conditional_entropy_on_grid(log_p, log_p, pi, grid)
    assert cond == pytest.approx(dv.binary_entropy(pi), abs=1e-12)  # the sample says nothing: I = 0
    e_star = mi.bayes_error_on_grid(log_p, log_p, pi, grid)
    assert e_star == pytest.approx(min(pi, 1 - pi), abs=1e-9)  # guess the likelier side of the coin
    # Fano's bound is reached with equality when the sample is useless; Hellman-Raviv lies above
    assert mi.fano_lower_bound(cond) == pytest.approx(min(pi, 1 - pi), abs=1e-9)
    assert mi.hellman_raviv_upper_bound(cond) >= e_star


@pytest.mark.parametrize("pi", [0.1, 0.5, 0.75])
def test_bayes_error_of_two_equal_variance_gaussians_is_the_closed_form(pi):
    p, q = gaussian(0.0, 1.0), gaussian(1.5, 1.0)
    # min(pi p, (1 - pi) q) has a kink at t: the midpoint rule errs by at most (jump of the slope) h^2 / 8 there,
    # with jump <= 0.23 for these pairs and h = 1/400: 1.8e-7; the smooth parts converge far faster
    grid = grid_for(p, q, points_per_sd=400, halfwidth_sd=12)
    t = 0.75 + np.log(pi / (1 - pi)) / 1.5  # pi p(t) = (1 - pi) q(t)
    closed = (1 - pi) * norm.cdf(t - 1.5) + pi * norm.sf(t)
    assert mi.bayes_error_on_grid(*_logs(p, q, grid), pi, grid) == pytest.approx(closed, abs=2e-7)


@pytest.mark.parametrize("pi", [0.02, 0.3, 0.5, 0.9])
def test_mutual_information_by_the_posterior_equals_js_pi_by_the_divergence_formula(pi):
    q = gaussian(0.5, 2.0)
    grid = grid_for(BIMODAL, q, **QUADRATURE)
    log_p, log_q = _logs(BIMODAL, q, grid)
    information = dv.binary_entropy(pi) - mi.conditional_entropy_on_grid(log_p, log_q, pi, grid)
    # two formulas on the same grid: agreement to round-off (1e-12), far below the quadrature error
    assert information == pytest.approx(dv.js_pi_on_grid(log_p, log_q, pi, grid), abs=1e-12)


def test_far_apart_laws_reveal_the_coin():
    p, q, pi = gaussian(0.0, 1.0), gaussian(40.0, 1.0), 0.3
    grid = grid_for(p, q, **QUADRATURE)
    log_p, log_q = _logs(p, q, grid)
    assert mi.conditional_entropy_on_grid(log_p, log_q, pi, grid) < 1e-12  # I = H(pi): the sample tells the coin
    assert mi.bayes_error_on_grid(log_p, log_q, pi, grid) < 1e-12


@settings(max_examples=60, deadline=None)
@given(e=st.floats(min_value=1e-9, max_value=0.5 - 1e-9))
def test_fano_bound_inverts_the_binary_entropy_on_the_lower_half(e):
    h = lambda x: -xlogy(x, x) - xlogy(1 - x, 1 - x)  # noqa: E731
    found = mi.fano_lower_bound(h(e))
    assert h(found) == pytest.approx(h(e), rel=1e-12, abs=1e-15)  # the bound has the given entropy (to round-off)
    if e <= 0.45:  # away from 1/2, where h is flat (h'(e) = log((1-e)/e) >= 0.2), e itself comes back
        assert found == pytest.approx(e, rel=1e-9, abs=1e-12)


def _config(extra=None):
    """The smoke config with only this figure."""
    text = (Path(__file__).parents[1] / "config" / "smoke.yaml").read_text()
    config = yaml.safe_load(text)
    config["figures"] = {mi.ID: config["figures"][mi.ID] | (extra or {})}
    return config


def _computed():
    config = validate_config(_config(), load_schema())
    return mi.compute(Context(config, config["figures"][mi.ID])), config


def test_the_figure_reproduces_the_claim_and_declares_what_it_reads():
    computed, config = _computed()
    record = mi.judge(computed)
    assert record["verdict"] == "reproduced"
    assert figure_config_keys(mi.ID, config["figures"][mi.ID]) == [
        f"figures.{mi.ID}", "exact.quadrature_points_per_sd", "exact.quadrature_halfwidth_sd", "targets.bimodal_1d",
        "targets.correlated_2d"]
    mi.draw(computed)


EQUAL = "largest |JS_pi - I(C;X)| / allowed error"
BOUNDED = "worst breach of the Fano / Hellman-Raviv bounds by e*"


def _passed(record: dict, name: str):
    (number,) = [n for n in record["numbers"] if n["name"] == name]
    return number["passed"]


def test_the_verdict_fails_when_the_claim_is_false():
    computed, _ = _computed()
    table = computed.table
    record = mi.judge(computed)
    assert _passed(record, EQUAL) is True and _passed(record, BOUNDED) is True
    # JS with the other convention (pi on Q) is not the information of a coin that picks P with probability pi
    swapped = table.copy()
    for (pair, pi), rows in table.groupby(["pair", "pi"]):
        other = table[(table.pair == pair) & (table.pi == round(1 - pi, 12)) & (table.quantity == "js_pi")]
        swapped.loc[rows.index[rows.quantity == "js_pi"], "value"] = other.value.to_numpy()
    failed = mi.judge(Computed(swapped))
    assert failed["verdict"] == "partly"  # the bounds, from the true JS_pi... still hold
    assert _passed(failed, EQUAL) is False and _passed(failed, BOUNDED) is True
    assert "Failed: JS_pi and I(C; X) differ" in failed["summary"]
    beyond = table.copy()
    beyond.loc[beyond.quantity == "bayes_error", "value"] += 0.2  # above every Hellman-Raviv bound here
    failed = mi.judge(Computed(beyond))
    assert failed["verdict"] == "partly"
    assert _passed(failed, EQUAL) is True and _passed(failed, BOUNDED) is False
    assert "Failed: e* leaves its bounds" in failed["summary"]
    both = swapped.copy()
    both.loc[both.quantity == "bayes_error", "value"] += 0.2
    assert mi.judge(Computed(both))["verdict"] == "not reproduced"


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"figures.jspi-mutual-information.pairs\[0\].q.mean"):
        validate_config(_config({"pairs": [{"p": "bimodal_1d", "q": {"mean": [0.0, 1.0], "covariance": [[1.0]]}}]}),
                        load_schema())
    with pytest.raises(ConfigError, match="undefined target 'nowhere'"):
        validate_config(_config({"pairs": [{"p": "nowhere", "q": {"mean": [0.0], "covariance": [[1.0]]}}]}),
                        load_schema())
    with pytest.raises(ConfigError, match=r"pairs\[0\].q.covariance"):
        validate_config(_config({"pairs": [{"p": "bimodal_1d", "q": {"mean": [0.0], "covariance": [[-1.0]]}}]}),
                        load_schema())
