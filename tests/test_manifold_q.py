"""manifold-q: the line it builds Q on, its config checks, and a verdict rule that fails when the deciding quantity
differs: a JS_pi that stops short of H(pi), KLs that stop growing or disagree with their independent routes, curves
that do not stay on P's mass, too few runs."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from gandiv.exact.densities import GaussianMixture
from gandiv.exact.divergences import binary_entropy
from gandiv.figures import manifold_q as mq
from gandiv.figures.recipe import Computed, Context
from gandiv.pipeline.config import ConfigError, load_schema, validate_config

REPO = Path(__file__).resolve().parents[1]
H = binary_entropy(0.5)
EPS = [1.0, 0.1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]
SETTINGS = {"pi": 0.5, "eps": EPS, "rules": ["minimax", "nonsaturating"], "min_runs": 5, "target": "trimodal_2d",
            "latent_dim": 1}
CTX = Context(config={"gan": {"evaluation": {"convergence": {"window_steps": 2000}}}}, settings=SETTINGS)


def _row(part, quantity, value, error=1e-10, **names):
    return mq._row(part, quantity, value, error, "synthetic", **names)


def _table(deficit=lambda eps: 0.4 * eps * np.sqrt(1 + np.log(1 / eps)), kl_qp=lambda eps: 2.0 + np.log(1 / eps),
           kl_pq=lambda eps: 3.0 / eps ** 2, check_shift=0.0, w1_end=1.0, w1_bump=None, runs=5, diverged=0):
    """A table as compute writes it, with the theory's behaviour unless a deciding quantity is changed."""
    rows = []
    for eps in EPS:
        rows += [_row("thin", "js_pi", H - deficit(eps), eps=eps), _row("thin", "kl_qp", kl_qp(eps), eps=eps),
                 _row("thin", "kl_pq", kl_pq(eps), eps=eps),
                 _row("thin", "kl_qp_check", kl_qp(eps) + check_shift, eps=eps),
                 _row("thin", "kl_pq_check", kl_pq(eps), eps=eps)]
    for offset in (-1.0, 0.0, 1.0):
        rows += [_row("path", "js_pi_limit", H, 0.0, offset=offset),
                 _row("path", "js_pi_thinnest", H - deficit(EPS[-1]), offset=offset),
                 _row("path", "w1", 2.0 + abs(offset), 0.05, offset=offset),
                 _row("path", "js_pi_smoothed", 0.3 + 0.1 * abs(offset), 1e-9, offset=offset, sigma=0.5)]
    for rule in SETTINGS["rules"]:
        for seed in range(runs):
            steps = np.arange(0, 12001, 500)
            w1 = np.where(steps == 0, 3.0, w1_end)
            if w1_bump is not None:
                w1 = np.where(steps == 11000, w1_bump, w1)
            for step, value in zip(steps, w1):
                error = 0.1 if step in (0, 12000) else np.nan
                rows += [_row("gan", "w1", value, error, rule=rule, seed=seed, step=int(step)),
                         _row("gan", "mean_log_p", -8.0 if step == 0 else -3.5, 0.05, rule=rule, seed=seed,
                              step=int(step))]
            rows += [_row("gan", "converged", 0.0, 0.0, rule=rule, seed=seed),
                     _row("gan", "diverged", float(seed < diverged), 0.0, rule=rule, seed=seed)]
    return Computed(pd.DataFrame(rows, columns=mq.COLUMNS))


def _verdict(**changes):
    return mq.judge(_table(**changes), CTX)


def _number(record, start):
    return next(n for n in record["numbers"] if n["name"].startswith(start))


def test_the_theory_and_curves_that_stay_on_p_are_reproduced():
    record = _verdict()
    assert record["verdict"] == "reproduced", record["summary"]
    assert _number(record, "minimax: runs that met")["value"] == 0  # reported, not required


def test_a_js_that_stops_short_of_the_entropy_of_the_coin_fails_the_limit():
    record = _verdict(deficit=lambda eps: 0.05 + 0.3 * eps)  # a plateau: JS_pi -> H(pi) - 0.05
    assert record["verdict"] == "partly"
    assert _number(record, "(H(pi) - JS_pi) / H(pi) at the thinnest")["passed"] is False


def test_a_deficit_that_stops_shrinking_fails_even_when_small():
    record = _verdict(deficit=lambda eps: max(1e-5, 0.4 * eps))  # flat below eps = 2.5e-5
    assert record["verdict"] == "partly"
    assert _number(record, "H(pi) - JS_pi shrinks")["passed"] is False


def test_a_kl_q_p_that_stops_growing_fails():
    record = _verdict(kl_qp=lambda eps: 5.0 - eps)  # bounded: no singular limit
    assert record["verdict"] == "partly" and _number(record, "d KL[Q||P]")["passed"] is False


def test_a_kl_p_q_growing_only_like_one_over_eps_fails():
    record = _verdict(kl_pq=lambda eps: 3.0 / eps)
    assert record["verdict"] == "partly" and _number(record, "d log KL[P||Q]")["passed"] is False


def test_kls_that_disagree_with_their_independent_routes_fail():
    record = _verdict(check_shift=1e-6)  # 1e-6 nats against errors of 2e-10
    assert record["verdict"] == "partly"
    assert _number(record, "largest KL disagreement")["passed"] is False


def test_curves_that_do_not_reach_p_fail_the_gan_part():
    record = _verdict(w1_end=2.0)  # 3.0 -> 2.0: W1 fell by a third, not to half
    assert record["verdict"] == "partly"
    assert _number(record, "minimax: share of them")["passed"] is False


def test_a_curve_that_leaves_p_within_the_final_window_fails():
    assert _verdict(w1_bump=2.5)["verdict"] == "partly"  # step 11,000: inside the last 2,000 steps
    assert _verdict(w1_bump=None)["verdict"] == "reproduced"


def test_both_parts_failing_is_not_reproduced():
    assert _verdict(w1_end=2.9, kl_qp=lambda eps: 5.0 - eps)["verdict"] == "not reproduced"


def test_too_few_runs_are_inconclusive_and_diverged_runs_do_not_count():
    assert _verdict(runs=3)["verdict"] == "inconclusive"
    assert _verdict(runs=5, diverged=1)["verdict"] == "inconclusive"


def test_the_principal_line_lies_along_ps_largest_variance_and_shifts_along_its_normal():
    p = GaussianMixture([0.5, 0.5], [[-2.0, -1.0], [2.0, 1.0]], [np.eye(2) * 0.3] * 2)
    line = mq.principal_line(p)
    # along (2, 1) / sqrt(5), with the sign fixed: the largest-magnitude component positive, whatever LAPACK returns
    np.testing.assert_allclose(line.direction, np.array([2.0, 1.0]) / np.sqrt(5), atol=1e-12)
    np.testing.assert_allclose(line.centre, [0.0, 0.0], atol=1e-12)
    assert line.scale ** 2 == pytest.approx(0.3 + 5.0)  # within-component variance plus the means' spread
    moved = mq.shifted(line, p, 2.0)
    flipped = mq.principal_line(GaussianMixture(p.weights, p.means[::-1], p.covariances))  # same P, other order
    np.testing.assert_allclose(flipped.direction, line.direction, atol=1e-12)
    sd_normal = np.sqrt(line.normal @ p.covariance() @ line.normal)
    assert (moved.centre - line.centre) @ line.normal == pytest.approx(2.0 * sd_normal)
    assert (moved.centre - line.centre) @ line.direction == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("change, key", [
    (lambda f: f.update(target="bimodal_1d"), "figures.manifold-q.target"),
    (lambda f: f.update(eps=[1e-3, 1e-2, 1e-1]), "figures.manifold-q.eps"),
    (lambda f: f.update(latent_dim=2), "figures.manifold-q.latent_dim"),
])
def test_a_1d_target_an_unordered_eps_or_a_latent_as_large_as_the_data_are_refused(change, key):
    config = copy.deepcopy(yaml.safe_load((REPO / "config" / "smoke.yaml").read_text()))
    change(config["figures"]["manifold-q"])
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(config, load_schema())
