"""kl-rule-theory's verdict on synthetic runs whose answers are known (evaluation tables in the pipeline's format).

The deciding quantities: the theory gap (checked elsewhere), the converged seeds per claimed cell, whether every
kl/minimax cell sits at its global stable point, and whether the kl and nonsaturating rules predict landing
points far enough apart for the GANs to tell them apart. Each is flipped on its own below.
"""

import json

import numpy as np
import pandas as pd
import pytest

from gandiv.exact.densities import target_from_config
from gandiv.exact.families import Family, GaussianFamily
from gandiv.figures import Context, kl_rule_theory
from gandiv.figures.stationary_cells import N_STARTS
from gandiv.update_rules import UpdateRule
from gandiv.update_rules.stationary import stationary_points

# Two overlapping modes (sd 1, means -2 and 2, weights 0.7/0.3): at pi = 0.5 the kl rule's only stable point is
# (-0.78, 1.89) and the nonsaturating rule's (-1.85, 1.14), 1.3 x units apart (config/config.yaml's overlapping_1d).
OVERLAPPING = {"kind": "gaussian_mixture", "weights": [0.7, 0.3], "means": [[-2.0], [2.0]],
               "covariances": [[[1.0]], [[1.0]]]}
# The bimodal target where the two rules land on the same point (the finding).
BIMODAL = {"kind": "gaussian_mixture", "weights": [0.7, 0.3], "means": [[-2.0], [2.0]],
           "covariances": [[[0.36]], [[0.25]]]}
CELLS = (("minimax", 0.1), ("minimax", 0.5), ("nonsaturating", 0.5), ("kl", 0.5), ("kl", 0.9))
QUAD = {"points_per_sd": 4, "halfwidth_sd": 9}


def _config(spec):
    return {"targets": {"t": spec}, "seed": 0,
            "exact": {"quadrature_points_per_sd": QUAD["points_per_sd"], "quadrature_halfwidth_sd": 9}}


def _rows(rule, pi, seed, mean, var, diverged=False, converged=True):
    ident = {"target": "t", "generator": "gaussian", "rule": rule, "pi": pi, "seed": seed, "diverged": diverged,
             "converged": converged and not diverged}
    blank = {"exact": np.nan, "error": np.nan, "exact_error": np.nan, "note": ""}
    return [ident | {"quantity": "generator_mean_0", "method": "parameters", "value": mean} | blank,
            ident | {"quantity": "generator_cov_00", "method": "parameters", "value": var} | blank]


def _global_point(spec, rule, pi):
    points = stationary_points(target_from_config(spec), GaussianFamily(1, Family.ISOTROPIC), UpdateRule(rule), pi,
                               n_starts=N_STARTS, seed=0, quad=QUAD, stable_only=True)
    return points[0].theta[0], float(np.exp(points[0].theta[1]))


def _judge(tmp_path, spec, seeds=5, place=None, unconverged=()):
    """kl-rule-theory on runs at each cell's global stable point (or place(rule, pi)), jitter sd 0.01."""
    rng = np.random.default_rng(2)
    rows = []
    for rule, pi in CELLS:
        mean, sd = (place or (lambda r, p: _global_point(spec, r, p)))(rule, pi)
        for seed in range(seeds):
            rows += _rows(rule, pi, seed, mean + rng.normal(0, 0.01), (sd + rng.normal(0, 0.01)) ** 2,
                          converged=(rule, pi, seed) not in unconverged)
    rows += _rows("kl", 0.5, seeds, 40.0, 1e4, diverged=True)  # a diverged run is left out
    path = tmp_path / "eval.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    ctx = Context(config=_config(spec), settings={"target": "t", "generator": "gaussian"},
                  inputs={"evaluation": str(path)})
    computed = kl_rule_theory.compute(ctx)
    record = kl_rule_theory.judge(computed, ctx)
    json.dumps(record)
    return record


def _number(record, prefix):
    return next(n for n in record["numbers"] if n["name"].startswith(prefix))


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory):
    return _judge(tmp_path_factory.mktemp("ok"), OVERLAPPING)


def test_reproduced_when_every_claimed_cell_sits_at_its_global_point_and_the_rules_separate(reproduced):
    assert reproduced["verdict"] == "reproduced", reproduced["summary"]
    deciding = [n for n in reproduced["numbers"] if "threshold" in n]
    assert deciding and all(n["passed"] for n in deciding)
    assert _number(reproduced, "largest separation")["value"] > 1.0  # 1.3 x units at pi = 0.5
    assert 0 < _number(reproduced, "largest minimum detectable shift")["value"] < 0.2


def test_a_kl_cell_at_the_nonsaturating_point_is_not_reproduced(tmp_path, reproduced):
    """Only the kl cells move (to the nonsaturating rule's landing point): the at-global number must fail."""
    def place(rule, pi):
        return _global_point(OVERLAPPING, "nonsaturating" if rule == "kl" else rule, pi)
    record = _judge(tmp_path, OVERLAPPING, place=place)
    assert record["verdict"] in ("partly", "not reproduced"), record["summary"]
    assert _number(record, "kl/minimax cells at the global")["passed"] is False
    assert _number(reproduced, "kl/minimax cells at the global")["passed"] is True


def test_too_few_converged_seeds_is_inconclusive(tmp_path):
    unconverged = {("kl", 0.9, s) for s in range(2)}  # 3 of 5 seeds converged in one cell
    record = _judge(tmp_path, OVERLAPPING, unconverged=unconverged)
    assert record["verdict"] == "inconclusive", record["summary"]
    assert _number(record, "fewest converged seeds")["value"] == 3
    assert _number(record, "fewest converged seeds")["passed"] is False
    assert _number(record, "runs that did not converge")["value"] == 2


def test_rules_that_predict_the_same_point_cannot_reproduce_the_claim(tmp_path):
    """On the bimodal target the kl and nonsaturating rules land together: GANs there cannot single out KL."""
    record = _judge(tmp_path, BIMODAL)
    assert record["verdict"] == "inconclusive", record["summary"]
    assert _number(record, "largest separation")["passed"] is False
    assert _number(record, "kl/minimax cells at the global")["passed"] is True
