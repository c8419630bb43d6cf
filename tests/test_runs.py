"""One spec for every GAN run (gandiv.gan.runs): folders, streams, settings, groups."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gandiv.gan.runs import RUN_FILES, GanRun, evaluation_groups, grid_runs, runs_of, training_settings, zoo_runs
from gandiv.seeding import run_streams

GAN = {"device": "cpu", "threads": 1, "pi_mode": "weights", "steps": 10, "steps_per_call": 5,
       "grid": [{"targets": ["a"], "generators": ["gaussian", "mlp"], "rules": ["minimax", "kl"], "pi": [0.25, 0.5],
                 "seeds": [0, 1]},
                {"targets": ["a"], "generators": ["gaussian"], "rules": ["minimax"], "pi": [0.5], "seeds": [0]}],
       "evaluation": {"n_samples": 100, "knn_k": 5, "quadrature_points_per_sd": 8}}
ZOO = {"targets": ["ring"], "density_runs": {"targets": ["a"], "generator": "flow", "flow_layers": 2},
       "rules": ["nonsaturating", "wgan"], "spectral_norm_rules": ["nonsaturating"], "seeds": [3]}
CONFIG = {"gan": GAN, "figures": {"objectives-zoo": ZOO}}


@given(study=st.sampled_from(["grid", "zoo"]), target=st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
       generator=st.sampled_from(["gaussian", "flow", "mlp"]), rule=st.sampled_from(["minimax", "kl", "wgan_gp"]),
       discriminator=st.sampled_from(["plain", "spectral_norm"]),
       pi=st.floats(min_value=1e-6, max_value=1 - 1e-6), seed=st.integers(0, 2**31))
def test_a_run_folder_names_its_run_exactly(study, target, generator, rule, discriminator, pi, seed):
    run = GanRun(study, target, generator, rule, discriminator, pi, seed)
    assert GanRun.from_folder(run.folder) == run  # exact round trip, pi included
    assert all(run.file(name).startswith(run.folder + "/") for name in RUN_FILES)


def test_a_foreign_folder_or_file_is_refused_by_name():
    with pytest.raises(ValueError, match="not a GAN run folder"):
        GanRun.from_folder("results/gan/grid/a/gaussian/minimax/pi0.5/seed0")  # no discriminator part
    with pytest.raises(ValueError, match="status.json"):
        GanRun("grid", "a", "mlp", "kl", "plain", 0.5, 0).file("weights.h5")


def test_the_grid_repeats_no_run_and_keeps_config_order():
    runs = grid_runs(CONFIG)
    assert len(runs) == 2 * 2 * 2 * 2  # the second entry repeats a run of the first
    assert runs[0] == GanRun("grid", "a", "gaussian", "minimax", "plain", 0.25, 0)
    assert [r.seed for r in runs[:2]] == [0, 1]
    assert len(runs_of(CONFIG, "grid", "a", "mlp")) == 8


def test_the_zoo_is_a_grid_at_pi_one_half_with_per_rule_settings():
    runs = zoo_runs(CONFIG)
    assert {r.pi for r in runs} == {0.5} and len(runs) == 2 * 3
    assert {r.generator for r in runs if r.target == "a"} == {"flow"}
    assert {r.generator for r in runs if r.target == "ring"} == {"mlp"}
    assert evaluation_groups(CONFIG) == [("grid", "a", "gaussian"), ("grid", "a", "mlp"), ("zoo", "a", "flow"),
                                         ("zoo", "ring", "mlp")]


def test_grid_settings_are_one_d_step_without_clipping_or_penalty():
    settings = training_settings(CONFIG, grid_runs(CONFIG)[0])
    assert (settings["d_steps"], settings["weight_clip"], settings["gp_weight"]) == (1, None, 0.0)
    assert "grid" not in settings and "evaluation" not in settings


def test_streams_are_the_runs_identity_and_differ_between_studies():
    grid = GanRun("grid", "a", "gaussian", "minimax", "plain", 0.25, 7)
    # the identity every grid run has had since its streams were introduced: keeps trained numbers unchanged
    legacy = run_streams(7, {"target": "a", "generator": "gaussian", "rule": "minimax", "pi": 0.25, "job": "gan-grid"})
    assert grid.streams() == legacy
    zoo = GanRun("zoo", "a", "gaussian", "minimax", "plain", 0.25, 7)
    assert zoo.streams() == run_streams(7, {"target": "a", "generator": "gaussian", "rule": "minimax", "pi": 0.25,
                                            "discriminator": "plain", "job": "gan-zoo"})
    assert zoo.streams() != grid.streams()
    assert GanRun("grid", "a", "gaussian", "minimax", "plain", 0.25, 8).streams() != grid.streams()
