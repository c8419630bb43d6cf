"""critic-w1: W1 exactly and by optimal transport against independent computations, and a verdict rule that fails
when the critic's gap does not follow W1."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import wasserstein_distance

from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.figures import critic_w1 as cw
from gandiv.figures.recipe import Computed, Context
from gandiv.pipeline.config import ConfigError, load_schema, validate_config

REPO = Path(__file__).resolve().parents[1]


def test_the_gaussian_generator_is_read_off_its_fixed_noise_snapshot():
    noise = np.random.default_rng(0).normal(size=(200, 1)).astype("float32")
    samples = (0.7 + 1.3 * noise).astype("float32")  # what the generator x = mu + sd z stores (float32)
    q = cw.gaussian_from_snapshot(samples, noise)
    assert q.means[0, 0] == pytest.approx(0.7, abs=1e-6) and q.covariances[0, 0, 0] == pytest.approx(1.69, abs=1e-5)


@pytest.mark.parametrize("shift, sd", [(0.0, 1.0), (1.5, 1.0), (-3.0, 0.4)])
def test_exact_w1_of_equal_width_gaussians_is_the_mean_shift(shift, sd):
    # W1 = int |F_P^-1(u) - F_Q^-1(u)| du = |shift| when the sds agree (the quantile functions differ by a constant)
    w1, error = cw.exact_w1(gaussian([0.0], [[sd**2]]), gaussian([shift], [[sd**2]]))
    assert abs(w1 - abs(shift)) <= max(error, 1e-9) and error < 1e-6


def test_exact_w1_between_a_mixture_and_a_gaussian_matches_the_quantile_coupling():
    p = GaussianMixture([0.7, 0.3], [[-2.0], [2.0]], [[[0.36]], [[0.25]]])
    q = gaussian([0.5], [[1.0]])
    w1, error = cw.exact_w1(p, q)
    # independent route: W1 = int_0^1 |F_P^-1(u) - F_Q^-1(u)| du, P's quantiles by bisection on its exact CDF
    from scipy.optimize import brentq
    from scipy.stats import norm

    from gandiv.exact.divergences import mixture_cdf

    u = (np.arange(20000) + 0.5) / 20000
    quantile_p = np.array([brentq(lambda x: mixture_cdf(p, np.array([x]))[0] - v, -20, 20, xtol=1e-12) for v in u])
    brute = np.mean(np.abs(quantile_p - norm.ppf(u, 0.5, 1.0)))
    assert w1 == pytest.approx(brute, abs=1e-3)  # midpoint rule in u: O(1/n) at the tails' steep quantiles
    assert error < 1e-6


# ---------------------------------------------------------------- the verdict


def _table(gap_of, runs=5, steps=10, w1_error=0.01, rules=("wgan", "wgan_gp"), seed=0):
    """A synthetic table: W1 falling through training, each rule's gap = gap_of[rule](W1, rng)."""
    rng = np.random.default_rng(seed)
    rows = []
    for rule in rules:
        for run in range(runs):
            for k in range(steps):
                w1 = 2.0 * np.exp(-k / 3) + 0.1 + 0.05 * rng.normal()
                base = {"target": "ring8", "rule": rule, "seed": run, "step": 500 * (k + 1), "unit": "x units"}
                rows += [base | {"quantity": "critic_gap", "value": gap_of[rule](w1, rng), "error": np.nan,
                                 "kind": "critic"},
                         base | {"quantity": "w1", "value": w1, "error": w1_error, "kind": "estimate"}]
    return Computed(pd.DataFrame(rows))


CTX = Context(config={}, settings={"min_runs": 5, "targets": ["ring8"], "rules": ["wgan", "wgan_gp"]})
TRACK = {"wgan": lambda w, rng: 0.02 * w + 1e-4 * rng.normal(),  # clipping: K W1 with a small K
         "wgan_gp": lambda w, rng: 0.9 * w + 0.02 * rng.normal()}


def test_a_gap_that_follows_w1_is_reproduced():
    assert cw.judge(_table(TRACK), CTX)["verdict"] == "reproduced"


def test_a_gap_unrelated_to_w1_is_not_reproduced():
    noise = {rule: (lambda w, rng: 1.0 + 0.1 * rng.normal()) for rule in TRACK}
    assert cw.judge(_table(noise), CTX)["verdict"] == "not reproduced"


def test_a_penalised_critic_whose_gap_is_five_times_w1_fails_its_scale():
    wrong = TRACK | {"wgan_gp": lambda w, rng: 5.0 * w + 0.02 * rng.normal()}
    record = cw.judge(_table(wrong), CTX)
    assert record["verdict"] == "partly"
    scale = [n for n in record["numbers"] if n["name"] == "ring8 wgan_gp: median final gap / W1"][0]
    assert scale["passed"] is False and scale["value"] == pytest.approx(5.0, rel=0.1)


def test_too_few_runs_or_points_or_a_w1_that_does_not_move_is_inconclusive():
    assert cw.judge(_table(TRACK, runs=3), CTX)["verdict"] == "inconclusive"
    assert cw.judge(_table(TRACK, runs=5, steps=1), CTX)["verdict"] == "inconclusive"  # 5 points: < MIN_POINTS
    assert cw.judge(_table(TRACK, w1_error=1.0), CTX)["verdict"] == "inconclusive"  # W1's range < 5x its error


def test_a_configured_cell_without_runs_keeps_the_verdict_from_passing():
    record = cw.judge(_table(TRACK, rules=("wgan_gp",)), CTX)  # no wgan runs at all
    assert record["verdict"] == "inconclusive"
    assert [n for n in record["numbers"] if n["name"] == "ring8 wgan: runs"][0]["passed"] is False


def test_a_gap_that_merely_decays_as_w1_does_is_not_an_estimate_of_it():
    # both fall through training (rank correlation high), but the gap falls like exp(5 W1), not like W1
    decaying = {rule: (lambda w, rng: 3.0 * np.exp(-5.0 * (2.0 - w))) for rule in TRACK}
    record = cw.judge(_table(decaying), CTX)
    rho = [n for n in record["numbers"] if n["name"] == "ring8 wgan: Spearman(gap, W1)"][0]
    spread = [n for n in record["numbers"] if n["name"] == "ring8 wgan: slope of log gap on log W1"][0]
    assert rho["passed"] is True and spread["passed"] is False
    assert record["verdict"] == "not reproduced"


def test_a_negative_gap_is_no_estimate_of_a_distance():
    negative = TRACK | {"wgan": lambda w, rng: -0.02 * w}
    record = cw.judge(_table(negative), CTX)
    assert record["verdict"] == "partly"


# ---------------------------------------------------------------- config


@pytest.mark.parametrize("change, key", [
    ({"targets": ["swiss_roll"]}, r"figures\.critic-w1\.targets\[0\]"),
    ({"rules": ["wgan"]}, r"figures\.critic-w1\.rules\[0\]"),  # the smoke zoo trains wgan_gp only
    ({"rules": ["minimax"]}, r"figures\.critic-w1\.rules\[0\]"),  # not a critic rule: refused by the schema
])
def test_targets_and_rules_the_zoo_does_not_train_are_refused_naming_the_key(change, key):
    raw = copy.deepcopy(yaml.safe_load((REPO / "config" / "smoke.yaml").read_text()))
    raw["figures"]["critic-w1"] |= change
    with pytest.raises(ConfigError, match=key):
        validate_config(raw, load_schema())


def test_the_figure_reads_the_plain_critic_runs_of_its_targets():
    config = validate_config(yaml.safe_load((REPO / "config" / "config.yaml").read_text()), load_schema())
    runs = cw.critic_runs(config)
    zoo = config["figures"]["objectives-zoo"]
    assert len(runs) == 3 * 2 * len(zoo["seeds"])  # targets x rules x seeds
    assert {run.discriminator for run in runs} == {"plain"} and {run.update_rule for run in runs} == {"wgan", "wgan_gp"}
    assert [run.file("status.json") for run in runs] == cw.inputs(config)["statuses"]


def test_a_table_without_finite_snapshots_is_inconclusive_and_still_drawn():
    empty = Computed(pd.DataFrame(columns=["target", "rule", "seed", "step", "quantity", "value", "unit", "error",
                                           "kind"]))
    assert cw.judge(empty, CTX)["verdict"] == "inconclusive"
    cw.draw(empty, CTX)


# ---------------------------------------------------------------- compute, on run files written here


def _write_run(folder: Path, target: str, generator: str, rule: str, seed: int, samples, noise, steps, gaps):
    import json

    folder.mkdir(parents=True)
    (folder / "status.json").write_text(json.dumps({"target": target, "generator": generator, "rule": rule, "pi": 0.5,
                                                    "seed": seed, "diverged": False}))
    np.savez(folder / "snapshots.npz", steps=np.array(steps), samples=samples, noise=noise,
             probe_points=np.zeros((3, samples.shape[-1])), probe_logits=np.zeros((len(steps), 3)))
    pd.DataFrame({"step": steps, "real_logit": gaps, "fake_logit": np.zeros(len(steps)), "d_loss": 0.0,
                  "g_loss": 0.0}).to_csv(folder / "history.csv", index=False)
    return [str(folder / name) for name in ("status.json", "snapshots.npz", "history.csv")]


def test_compute_reads_gaps_from_histories_and_w1_exactly_or_by_transport(tmp_path):
    rng = np.random.default_rng(3)
    noise_1d = rng.normal(size=(400, 1)).astype("float32")
    samples_1d = np.stack([mu + 1.0 * noise_1d for mu in (3.0, 1.0)])  # a Gaussian generator moving towards P
    noise_2d = rng.normal(size=(256, 2)).astype("float32")
    samples_2d = np.stack([noise_2d + [1.0, 0.0], noise_2d])
    files = [_write_run(tmp_path / "a", "unit", "gaussian", "wgan_gp", 0, samples_1d, noise_1d, [100, 200],
                        [2.5, 0.9]),
             _write_run(tmp_path / "b", "unit2", "mlp", "wgan_gp", 0, samples_2d, noise_2d, [100, 200], [1.0, 0.1])]
    config = {"seed": 0, "targets": {"unit": {"kind": "gaussian", "mean": [0.0], "covariance": [[1.0]]},
                                     "unit2": {"kind": "gaussian", "mean": [0.0, 0.0],
                                               "covariance": [[1.0, 0.0], [0.0, 1.0]]}}}
    ctx = Context(config=config, settings={"targets": ["unit", "unit2"], "rules": ["wgan_gp"], "ot_samples": 64,
                                           "min_runs": 2},
                  inputs={"statuses": [f[0] for f in files], "snapshots": [f[1] for f in files],
                          "histories": [f[2] for f in files]})
    table = cw.compute(ctx).table
    one_d = table[(table.target == "unit") & (table.quantity == "w1")]
    # P = N(0, 1), Q = N(mu, 1): W1 = |mu| exactly
    assert list(one_d.kind) == ["exact", "exact"]
    assert one_d.value.to_numpy() == pytest.approx([3.0, 1.0], abs=1e-5)
    gaps = table[(table.target == "unit") & (table.quantity == "critic_gap")].value.to_numpy()
    assert gaps == pytest.approx([2.5, 0.9])
    two_d = table[(table.target == "unit2") & (table.quantity == "w1")]
    assert set(two_d.kind) == {"estimate (POT, n=64)"} and (two_d.error > 0).all()
    # a shift of 1 against none: the first estimate is larger, and both stay within their errors of the truth
    # (W1 = 1 and 0) plus the estimator's known upward bias at 64 points
    first, last = two_d.value.to_numpy()
    assert first > last
    limit = table[(table.target == "unit2") & (table.quantity == "w1_large_sample_limit")]
    assert abs(limit.value.iloc[0] - 0.0) <= limit.error.iloc[0] + 0.1
