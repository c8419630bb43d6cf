"""Swiss-roll KL-rule figure: tidy numbers, verdicts, the finite-difference field and a deterministic GIF."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.special import expit, softmax

from gandiv.exact.densities import swiss_roll
from gandiv.figures import Context, swissroll_kl
from gandiv.figures.snapshot_field import descent_field, probe_grid
from gandiv.figures.style import TIDY_COLUMNS, check_tidy

SPEC = {"kind": "swiss_roll", "n_components": 48, "turns": 1.5, "radius": [1.0, 5.0], "sd": 0.25}
P = swiss_roll(48, 1.5, (1.0, 5.0), 0.25)
N_SAMPLES, STEPS = 256, np.arange(5) * 500


def grid_points(target, n=41):
    """The pipeline's probe grid: P's component box +- 3 sd, meshgrid 'ij', float32 (as training.probe_points)."""
    axes = [np.linspace(lo, hi, n) for lo, hi in target.bounds(3.0)]
    return np.stack([m.ravel() for m in np.meshgrid(*axes, indexing="ij")], axis=1).astype("float32")


def logit(x):
    """a(x) = log P(x) - log N(x; 0, 4I): the KL-rule field grad a points from a broad blob onto the roll."""
    return P.log_prob(x) + np.sum(x**2, axis=1) / 8.0 + np.log(2 * np.pi * 4.0)


def grad_and_curvature(x):
    """Analytic grad a and the diagonal second derivatives d2a/dx_i^2, both (n, 2)."""
    var = SPEC["sd"] ** 2  # isotropic components with equal weights: closed forms, independent of densities.py
    diff = x[:, None, :] - P.means[None]
    g = -diff / var  # per-component grad log N_k
    r = softmax(-np.sum(diff**2, axis=2) / (2 * var), axis=1)  # responsibilities
    mean_g = np.einsum("nk,nki->ni", r, g)
    second = np.einsum("nk,nki->ni", r, g**2 - 1.0 / var) - mean_g**2
    return mean_g + x / 4.0, second + 1.0 / 4.0


def peer_run(folder, rule, seed, on_p, generator="mlp"):
    """A comparison run whose last snapshot has a share `on_p` of its fixed-z samples drawn from P (the rest at a
    blob around the origin, outside the roll): its end share in P's 95% region is about 0.95 * on_p."""
    rng = np.random.default_rng(100 + seed)
    folder.mkdir(parents=True, exist_ok=True)
    k = int(round(on_p * N_SAMPLES))
    last = np.concatenate([P.sample(k, rng), 0.1 * rng.standard_normal((N_SAMPLES - k, 2))])
    samples = np.stack([0.1 * rng.standard_normal((N_SAMPLES, 2)), last]).astype("float32")
    points = grid_points(P)
    np.savez(folder / "snapshots.npz", steps=np.array([0, 2000]), samples=samples,
             noise=rng.standard_normal((N_SAMPLES, 4)), probe_points=points,
             probe_logits=np.zeros((2, len(points)), "float32"))
    (folder / "status.json").write_text(json.dumps({"target": "swiss_roll", "generator": generator, "rule": rule,
                                                    "pi": 0.5, "seed": seed, "diverged": False}))
    return str(folder / "status.json"), str(folder / "snapshots.npz")


def make_ctx(tmp_path, weights, generator="mlp", rule="kl", diverged=False, peers=None, unconverged=()):
    """Synthetic run: samples move from a blob at the origin onto P's samples as w goes 0 -> 1; plus comparison
    runs `peers` {rule: [on_p per seed]} (default: every rule's 5 seeds fully on P), converged unless
    (rule, seed) is in `unconverged`."""
    rng = np.random.default_rng(3)
    blob, on_p = 0.1 * rng.standard_normal((N_SAMPLES, 2)), P.sample(N_SAMPLES, rng)
    samples = np.stack([(1 - w) * blob + w * on_p for w in weights]).astype("float32")
    points = grid_points(P)
    base = logit(points.astype(float))
    logits = np.stack([(1.0 - 0.5 * w) * base for w in weights]).astype("float32")
    np.savez(tmp_path / "snapshots.npz", steps=STEPS[:len(weights)], samples=samples,
             noise=rng.standard_normal((N_SAMPLES, 4)), probe_points=points, probe_logits=logits)
    status = {"target": "swiss_roll", "generator": generator, "rule": rule, "pi": 0.5, "seed": 0,
              "diverged": diverged, "diverged_at": None, "steps_done": int(STEPS[len(weights) - 1]), "wall_s": 1.0}
    (tmp_path / "status.json").write_text(json.dumps(status))
    peers = peers or {r: [1.0] * 5 for r in ("kl", "minimax", "nonsaturating")}
    rows, statuses, snapshots = [], [], []
    for run_rule, shares in peers.items():
        for seed, share in enumerate(shares):
            paths = peer_run(tmp_path / f"peer_{run_rule}_{seed}", run_rule, seed, share, generator)
            statuses.append(paths[0])
            snapshots.append(paths[1])
            kl = 0.3 if run_rule == rule else 9.9  # another run of the group must not be picked up
            base_row = {"target": "swiss_roll", "generator": generator, "rule": run_rule, "pi": 0.5, "seed": seed,
                        "diverged": False, "converged": (run_rule, seed) not in unconverged, "exact_error": np.nan,
                        "note": ""}
            rows.append(base_row | {"quantity": "kl_qp", "method": "knn", "value": kl, "exact": np.nan,
                                    "error": np.nan})
            if generator == "flow":
                rows.append(base_row | {"quantity": "kl_qp", "method": "exact", "value": kl + 0.05,
                                        "exact": kl + 0.05, "error": 0.0})
    pd.DataFrame(rows).to_csv(tmp_path / "eval.csv", index=False)
    return Context(config={"targets": {"swiss_roll": SPEC}, "seed": 0, "gan": {"evaluation": {"knn_k": 5}}},
                   settings={"target": "swiss_roll", "generator": generator, "rule": rule, "pi": 0.5, "seed": 0},
                   inputs={"snapshots": str(tmp_path / "snapshots.npz"), "status": str(tmp_path / "status.json"),
                           "evaluation": str(tmp_path / "eval.csv"), "peer_statuses": statuses,
                           "peer_snapshots": snapshots})


class Result:
    """The figure's compute, draw and judge on one context: its table and verdict."""

    def __init__(self, ctx):
        computed = swissroll_kl.compute(ctx)
        swissroll_kl.draw(computed, ctx)
        self.data, self.verdict = computed.table, swissroll_kl.judge(computed, ctx)


def numbers(result):
    return {n["name"]: n["value"] for n in result.verdict["numbers"]}


def passed(result):
    return {n["name"].split(" (")[0]: n["passed"] for n in result.verdict["numbers"] if "threshold" in n}


def per_step(data, quantity):
    rows = data[data.samples.str.startswith("fixed z (n=") & (data.quantity == quantity)]
    return rows.set_index("step").value


OTHERS_ON_P = {"minimax": [1.0] * 5, "nonsaturating": [1.0, 0.98, 1.0, 0.99, 1.0]}


def test_kl_rule_on_the_roll_as_well_as_the_others_is_reproduced_with_a_tidy_table(tmp_path):
    result = Result(make_ctx(tmp_path, np.linspace(0, 1, 5), peers={"kl": [1.0, 0.99, 1.0, 0.98, 1.0]} | OTHERS_ON_P))
    data = result.data
    check_tidy(data)
    assert tuple(data.columns[-3:]) == TIDY_COLUMNS
    assert not data.duplicated(["step", "samples", "method", "quantity"]).any()
    log_p = per_step(data, "mean log P(x)")
    assert list(log_p.index) == list(STEPS)
    assert np.all(np.diff(log_p.to_numpy()) > 0)
    share = per_step(data, "share in P's 95% region")
    assert share.iloc[0] == 0.0 and share.iloc[-1] >= 0.8  # last snapshot = draws of P: ~0.95
    assert per_step(data, "P components reached").iloc[-1] == 48
    assert result.verdict["verdict"] == "reproduced", result.verdict["summary"]
    assert all(passed(result).values())
    got = numbers(result)
    assert got["shown run: KL[Q||P] at the end (knn, evaluation)"] == 0.3  # this run's row, not the minimax run's
    assert "shown run: KL[Q||P] at the end (exact, evaluation)" not in got  # mlp: no exact density
    assert got["shown run: gain in mean log P"] > 5.0
    assert 0.9 <= got["end share in P's 95% region, kl rule (seed mean)"] <= 1.0


def test_kl_rule_off_the_roll_is_not_reproduced(tmp_path):
    result = Result(make_ctx(tmp_path, np.zeros(5), generator="flow", peers={"kl": [0.5] * 5} | OTHERS_ON_P))
    assert result.verdict["verdict"] == "not reproduced"
    assert passed(result)["end share in P's 95% region, kl rule"] is False
    got = numbers(result)
    assert got["shown run: gain in mean log P"] == 0.0
    assert got["shown run: KL[Q||P] at the end (exact, evaluation)"] == pytest.approx(0.35)


def test_kl_rule_clearly_behind_another_rule_is_partly_reproduced(tmp_path):
    """Differs from the reproduced case only in the kl rule's end share (0.9 of its samples from P, not ~1)."""
    result = Result(make_ctx(tmp_path, np.linspace(0, 1, 5), peers={"kl": [0.9, 0.89, 0.9, 0.88, 0.9]} | OTHERS_ON_P))
    assert result.verdict["verdict"] == "partly", result.verdict["summary"]
    flags = passed(result)
    assert flags["end share in P's 95% region, kl rule"] is True
    assert flags["p-value that minimax ends higher than kl"] is False


def test_too_few_converged_kl_seeds_is_inconclusive(tmp_path):
    ctx = make_ctx(tmp_path, np.linspace(0, 1, 5), unconverged={("kl", 1), ("kl", 2), ("kl", 3)})
    result = Result(ctx)
    assert result.verdict["verdict"] == "inconclusive"
    assert numbers(result)["converged seeds of the kl rule"] == 2


def test_seeds_too_noisy_to_see_a_shortfall_are_inconclusive(tmp_path):
    """End shares that scatter widely: no significant difference, but none could have been seen."""
    noisy = {"kl": [1.0, 0.85, 1.0, 0.86, 0.99], "minimax": [1.0, 0.86, 1.0, 0.85, 1.0],
             "nonsaturating": [0.9] * 5}
    result = Result(make_ctx(tmp_path, np.linspace(0, 1, 5), peers=noisy))
    assert result.verdict["verdict"] == "inconclusive", result.verdict["summary"]
    assert passed(result)["minimum detectable shortfall"] is False


def test_status_of_another_run_is_refused(tmp_path):
    ctx = make_ctx(tmp_path, np.linspace(0, 1, 5), rule="minimax")
    with pytest.raises(ValueError, match="rule"):
        swissroll_kl.compute(Context(ctx.config, ctx.settings | {"rule": "kl"}, ctx.inputs))


def test_finite_difference_field_matches_the_analytic_gradient():
    points = grid_points(P)
    xs, ys = probe_grid(points)
    a = logit(points.astype(float)).astype("float32")
    u, v = descent_field(a, xs, ys, "kl")  # KL rule: loss = -a, so the descent field is +grad a
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    inner = (slice(1, -1), slice(1, -1))
    x = np.column_stack([gx[inner].ravel(), gy[inner].ravel()])
    exact, _ = grad_and_curvature(x)
    # Central difference = mean of the true derivative over [x - h, x + h], so its error is at most
    # (h / 2) * max |d2a/dx_i^2| on that segment (sampled at 21 points), plus float32 rounding of a
    # (|a| * 2^-24 at each end, divided by 2h) and a small slack for the sampled maximum.
    tolerance = []
    for i, h in enumerate((np.diff(xs).mean(), np.diff(ys).mean())):
        offsets = np.linspace(-h, h, 21)
        curv = np.max([np.abs(grad_and_curvature(x + t * np.eye(2)[i])[1][:, i]) for t in offsets], axis=0)
        rounding = np.max(np.abs(a)) * 2.0**-24 / h
        tolerance.append(1.05 * h / 2 * curv + rounding + 1e-6)
    fd = np.column_stack([u[inner].ravel(), v[inner].ravel()])
    for i in range(2):
        assert np.all(np.abs(fd[:, i] - exact[:, i]) <= tolerance[i])
    # On P's roll (95% region) the grid resolves a: the field points along grad a there.
    on_roll = P.log_prob(x) >= np.quantile(P.log_prob(P.sample(20000, np.random.default_rng(0))), 0.05)
    cosine = np.sum(fd * exact, axis=1) / np.linalg.norm(fd, axis=1) / np.linalg.norm(exact, axis=1)
    assert on_roll.sum() > 100 and np.median(cosine[on_roll]) > 0.95


@pytest.mark.parametrize("rule, push", [("kl", lambda a: np.ones_like(a)), ("minimax", expit),
                                        ("nonsaturating", lambda a: expit(-a))])
def test_field_is_minus_the_loss_derivative_times_the_logit_gradient(rule, push):
    # A linear logit a = 0.7 x1 - 0.4 x2 has an exact finite-difference gradient, so only -loss'(a) is tested.
    points = grid_points(P).astype(float)
    xs, ys = probe_grid(points)
    a = 0.7 * points[:, 0] - 0.4 * points[:, 1]
    u, v = descent_field(a, xs, ys, rule)
    w = push(a).reshape(len(xs), len(ys))
    np.testing.assert_allclose(u, 0.7 * w, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(v, -0.4 * w, rtol=1e-9, atol=1e-12)


def test_probe_grid_in_xy_order_is_refused():
    points = grid_points(P)
    xy = points.reshape(41, 41, 2).transpose(1, 0, 2).reshape(-1, 2)
    with pytest.raises(ValueError, match="'ij'"):
        probe_grid(xy)


def test_animation_has_one_frame_per_snapshot_and_is_deterministic(tmp_path):
    ctx = make_ctx(tmp_path, np.linspace(0, 1, 5), peers={"kl": [1.0]})
    first, second = tmp_path / "a" / "swissroll.gif", tmp_path / "b.gif"
    swissroll_kl.ANIMATION.render(ctx, str(first))
    swissroll_kl.ANIMATION.render(ctx, str(second))
    with Image.open(first) as gif:
        assert gif.n_frames == len(STEPS)
    assert first.read_bytes() == second.read_bytes()
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize("change, key, message", [
    ({"seed": 7}, "seed", "7 is not trained for 'swiss_roll' with 'mlp'"),
    ({"pi": 0.3}, "pi", "0.3 is not trained for 'swiss_roll' with 'mlp'"),
    ({"generator": "gaussian"}, "generator", "generator 'gaussian' is not trained on 'swiss_roll'"),
])
def test_config_check_wants_a_trained_run(change, key, message):
    from pathlib import Path

    import yaml

    from gandiv.pipeline.config import ConfigError, load_schema, validate_config

    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "config.yaml").read_text())
    validate_config(config, load_schema())  # the shipped run is trained
    config["figures"]["swissroll-kl"] |= change
    with pytest.raises(ConfigError, match=message) as info:
        validate_config(config, load_schema())
    assert info.value.path == f"figures.swissroll-kl.{key}"
