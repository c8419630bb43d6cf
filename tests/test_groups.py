"""Grouped training: a run's numbers do not depend on its group; every rule and generator trains in a group; a
diverging run is recorded as diverged while its group-mates go on unaffected; groups are formed from the config."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from gandiv.exact.densities import GaussianMixture, ring_of_gaussians, target_dim  # noqa: E402
from gandiv.gan.compiled_loop import fit_in_chunks  # noqa: E402
from gandiv.gan.groups import training_groups  # noqa: E402
from gandiv.gan.recorder import GroupRecorder, probe_points  # noqa: E402
from gandiv.gan.stacked import unload_members  # noqa: E402
from gandiv.gan.training import RunSpec, build_group, configure_tensorflow, train_group  # noqa: E402
from gandiv.pipeline.config import load_schema, validate_in_place  # noqa: E402
from gandiv.seeding import run_streams  # noqa: E402

configure_tensorflow(1, use_gpu=False)  # the job's settings: op determinism, one thread, no arithmetic rewrites

BIMODAL = GaussianMixture([0.7, 0.3], [[-2.0], [2.0]], [[[0.36]], [[0.25]]])
RING = ring_of_gaussians(8, 2.0, 0.02)
TINY = {"pi_mode": "weights", "steps": 200, "steps_per_call": 100, "batch_size": 64, "n_snapshot_samples": 32,
        "generator": {"latent_dim": 3, "hidden": 8, "depth": 1, "flow_layers": 2},
        "discriminator": {"hidden": 8, "depth": 1},
        "optimizer": {"d_learning_rate": 1e-3, "g_learning_rate": 1e-3, "beta_1": 0.5}}
LOGIT_RULES = ["minimax", "nonsaturating", "kl", "lsgan"]
CASES = {  # name: (target, generator, rules of the group, settings)
    "gaussian-1d": (BIMODAL, "gaussian", LOGIT_RULES, TINY),
    "flow-1d": (BIMODAL, "flow", LOGIT_RULES, TINY),
    "mlp-1d": (BIMODAL, "mlp", LOGIT_RULES, TINY),
    "flow-2d": (RING, "flow", LOGIT_RULES, TINY),
    "wgan-gp-spectral-norm": (RING, "mlp", ["wgan_gp"], dict(TINY, d_steps=2, gp_weight=0.1, discriminator={
        "hidden": 8, "depth": 1, "spectral_norm": True})),
    "wgan-clipped-rmsprop": (RING, "mlp", ["wgan"], dict(TINY, d_steps=3, weight_clip=0.01, optimizer={
        "kind": "rmsprop", "d_learning_rate": 5e-3, "g_learning_rate": 5e-3, "beta_1": 0.5})),
    "gaussian-1d-instance-noise": (BIMODAL, "gaussian", ["minimax"], dict(TINY, instance_noise=0.5)),
}


def spec(target, rule, pi, seed):
    return RunSpec(target, rule, pi, run_streams(seed, {"job": "test_groups", "rule": rule, "pi": pi}))


def group_of(target, rules):
    """Every rule at two pi and two seeds: 4 to 16 runs, each rule's runs one slice."""
    return [spec(target, rule, pi, seed) for rule in rules for pi in (0.3, 0.5) for seed in (0, 1)]


def assert_same_run(a, b):
    for x, y in zip(a.networks.get_weights(), b.networks.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
    assert a.history.equals(b.history)
    for name in ("snapshots", "probe_logits", "singular_values"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.diverged, a.diverged_at, a.steps_done) == (b.diverged, b.diverged_at, b.steps_done)


@pytest.mark.parametrize("case", CASES)
def test_a_run_in_a_group_equals_the_run_alone_bit_for_bit(case):
    target, generator, rules, settings = CASES[case]
    group = group_of(target, rules)
    results = train_group(generator, group, settings)
    assert len(results) == len(group) and not any(r.diverged for r in results)
    assert all(len(r.history) == 2 and r.snapshots.shape[0] == 3 for r in results)  # two chunks, three snapshots
    for index in (0, len(group) - 1):  # the first and the last slot of the run axis
        assert_same_run(results[index], train_group(generator, [group[index]], settings)[0])
    # and the runs do differ from each other (they are not one run copied)
    assert not np.array_equal(results[0].snapshots[-1], results[1].snapshots[-1])


def test_instance_noise_draws_its_own_stream_and_zero_noise_is_no_noise():
    target, generator, _, settings = CASES["gaussian-1d"]
    run = [spec(target, "minimax", 0.5, 0)]
    plain = train_group(generator, run, settings)[0]
    assert_same_run(plain, train_group(generator, run, dict(settings, instance_noise=0.0))[0])
    noisy = train_group(generator, run, dict(settings, instance_noise=0.5))[0]
    assert not np.array_equal(plain.snapshots[-1], noisy.snapshots[-1])  # the discriminator saw other inputs
    model, _ = build_group(generator, run * 3, dict(settings, instance_noise=0.5))
    chunk = model.draw_chunk(200)
    seen = np.asarray(chunk["seen_noise"])  # (steps, d_steps, runs, n_real + n_fake, d): standard normal draws
    assert seen.shape == (200, 1, 3, 128, 1) and np.asarray(chunk["gen_seen_noise"]).shape == (200, 3, 64, 1)
    assert abs(seen.mean()) < 5 / np.sqrt(seen.size) and abs(seen.var() - 1) < 5 * np.sqrt(2 / seen.size)
    with pytest.raises(ValueError, match="instance_noise"):
        build_group(generator, run, dict(settings, instance_noise=-0.1))


def test_a_group_of_two_equals_its_runs_in_the_other_order():
    target, generator, rules, settings = CASES["mlp-1d"]
    a, b = spec(target, "kl", 0.3, 0), spec(target, "minimax", 0.7, 1)
    forward, backward = train_group(generator, [a, b], settings), train_group(generator, [b, a], settings)
    assert_same_run(forward[0], backward[1])
    assert_same_run(forward[1], backward[0])


def test_runs_on_different_targets_of_one_dimension_share_a_group():
    grid = GaussianMixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.0]], [np.eye(2) * 0.1] * 2)
    group = [spec(target, rule, 0.5, seed) for rule in ("minimax", "wgan") for target in (RING, grid, RING)
             for seed in (0, 1)][:8]
    settings = CASES["mlp-1d"][3]
    results = train_group("mlp", group, settings)
    for index in (0, 2, 5):
        assert_same_run(results[index], train_group("mlp", [group[index]], settings)[0])
    np.testing.assert_array_equal(results[2].probe_points, probe_points(grid))  # each run probes its own target
    with pytest.raises(ValueError, match="dimension"):
        build_group("mlp", [group[0], spec(BIMODAL, "kl", 0.5, 0)], settings)


def test_critics_make_d_steps_updates_per_generator_step_and_stay_clipped():
    target, generator, rules, settings = CASES["wgan-clipped-rmsprop"]
    model, members = build_group(generator, group_of(target, rules), settings)
    fit_in_chunks(model, settings["steps"], settings["steps_per_call"])
    assert int(model.d_optimizer.iterations) == 3 * 200 and int(model.g_optimizer.iterations) == 200
    unload_members(model.discriminator, [m.discriminator for m in members])
    weights = np.concatenate([w.ravel() for m in members for w in m.discriminator.get_weights()])
    assert np.abs(weights).max() <= 0.01 + 1e-9 and np.abs(weights).max() == pytest.approx(0.01)


def test_a_diverging_run_is_recorded_while_its_group_mates_go_on_unaffected():
    target, generator, rules, settings = CASES["gaussian-1d"]
    group = group_of(target, ["kl"])
    model, members = build_group(generator, group, settings)
    # Run 1's generator scale exp(100) overflows float32: its samples are inf and its losses NaN from step 1.
    chol = model.generator.chol_raw.numpy()
    chol[1] = 100.0
    model.generator.chol_raw.assign(chol)
    fixed = np.zeros((len(group), 4, 1), dtype="float32")
    probe = np.stack([probe_points(target)] * len(group))
    recorder = GroupRecorder(fixed, settings["steps_per_call"], settings["steps"], probe)
    fit_in_chunks(model, settings["steps"], settings["steps_per_call"], [recorder])
    assert recorder.diverged_at == [None, 100, None, None] and recorder.steps_done == [200, 0, 200, 200]
    assert recorder.rows[1] == [] and len(recorder.rows[0]) == 2
    unload_members(model.generator, [m.generator for m in members])
    unload_members(model.discriminator, [m.discriminator for m in members])
    assert members[1].generator.chol_raw.numpy()[0, 0] == 100.0  # its last finite state: where it started
    assert all(np.isfinite(w).all() for w in members[1].discriminator.get_weights())
    for index in (0, 2, 3):
        alone = train_group(generator, [group[index]], settings)[0]
        for x, y in zip(members[index].get_weights(), alone.networks.get_weights(), strict=True):
            np.testing.assert_array_equal(x, y)


def test_groups_cover_every_run_once_within_the_size_and_share_their_settings():
    config = yaml.safe_load(open("config/config.yaml"))
    validate_in_place(config, load_schema())
    from gandiv.gan.runs import all_runs, training_settings

    for size in (1, 4, 15):
        config["gan"]["group_size"] = config["figures"]["objectives-zoo"]["group_size"] = size
        groups = training_groups(config)
        runs = [run for group in groups for run in group.runs]
        assert sorted(runs, key=repr) == sorted(all_runs(config), key=repr) and len(set(runs)) == len(runs)
        assert all(len(group.runs) <= size for group in groups)
        assert len({group.rule_name for group in groups}) == len(groups)
        for group in groups:
            assert len({(r.study, r.generator, r.discriminator) for r in group.runs}) == 1
            assert len({target_dim(config["targets"][r.target]) for r in group.runs}) == 1
            assert len({repr(training_settings(config, r)) for r in group.runs}) == 1
            rules = [r.update_rule for r in group.runs]
            assert rules == sorted(rules, key=rules.index)  # each rule's runs are one slice
    config["gan"]["pi_mode"] = "batch"  # the batch's composition depends on pi: one pi per group
    assert all(len({r.pi for r in g.runs}) == 1 for g in training_groups(config) if g.study == "grid")
