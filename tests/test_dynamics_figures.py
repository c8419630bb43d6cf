"""The dynamics studies (d-steps, nonsaturating-speed, pi-convergence): their runs, settings and config rules, and
verdict rules that pass where the claim holds and fail on tables that differ only in the deciding quantity."""

import copy
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from gandiv.config_error import ConfigError
from gandiv.figures import d_steps, dynamics_tables, nonsaturating_speed, pi_convergence
from gandiv.figures.evidence import (fewest_for_share_difference, share_smaller_p, smaller_p, smallest_rank_p)
from gandiv.figures.recipe import Computed, Context
from gandiv.gan import dynamics, groups, runs
from gandiv.pipeline.config import load_schema, validate_config

from conftest import REPO


@pytest.fixture(scope="module")
def config():
    return validate_config(yaml.safe_load((REPO / "config" / "config.yaml").read_text()), load_schema())


def test_each_study_runs_every_variant_rule_pi_and_seed_with_its_settings(config):
    d = runs.dynamics_runs(config, "dsteps")
    assert len(d) == 2 * 4 * 5 and {r.discriminator for r in d} == {"dsteps1", "dsteps2", "dsteps5", "dsteps20"}
    assert len(runs.dynamics_runs(config, "speed")) == 2 * 2 * 5
    assert len(runs.dynamics_runs(config, "piconv")) == 5 * 2 * 5
    run = next(r for r in d if r.discriminator == "dsteps20")
    settings = runs.training_settings(config, run)
    assert settings["d_steps"] == 20 and settings["steps"] == 8000 and settings["steps_per_call"] == 100
    assert settings["generator"]["start_mean"] == 2.0
    far = next(r for r in runs.dynamics_runs(config, "speed") if r.discriminator == "start10")
    assert runs.training_settings(config, far)["generator"]["start_mean"] == 10.0
    assert runs.training_settings(config, far)["steps"] == 20000
    batch = next(r for r in runs.dynamics_runs(config, "piconv") if r.discriminator == "batch")
    assert runs.training_settings(config, batch)["pi_mode"] == "batch"
    for r in (run, far, batch):  # the path round trip names the variant
        assert runs.GanRun.from_folder(r.folder) == r and r.status["discriminator"] == r.discriminator
    # the grid's runs are untouched: no dynamics key in their settings
    grid = runs.grid_runs(config)[0]
    assert "start_mean" not in runs.training_settings(config, grid)["generator"]


def test_groups_never_mix_d_steps_or_batch_shares(config):
    for group in groups.training_groups(config):
        if group.study in dynamics.STUDIES:
            settings = [runs.training_settings(config, r) for r in group.runs]
            assert len({(s["d_steps"], s["pi_mode"], s["generator"]["start_mean"]) for s in settings}) == 1
            if settings[0]["pi_mode"] == "batch":
                assert len({r.pi for r in group.runs}) == 1
    speed = [g for g in groups.training_groups(config) if g.study == "speed"]
    assert all(set(g.rules) == {"minimax", "nonsaturating"} for g in speed)  # same wall time per step for both


def test_variant_tokens_round_trip_and_unknown_ones_are_refused(config):
    for study in dynamics.STUDIES:
        settings = dynamics.settings_of(config, study)
        for token in dynamics.tokens(study, settings):
            assert dynamics.variant(config, study, token)
    assert dynamics.variant(config, "speed", "start10").start_mean == 10.0
    with pytest.raises(ValueError, match="dsteps1, dsteps2"):
        dynamics.variant(config, "dsteps", "dsteps3")
    with pytest.raises(ValueError, match="not a dynamics study"):
        dynamics.settings_of(config, "grid")


@pytest.mark.parametrize("figure_id, key, value, message", [
    ("d-steps", "target", "bimodal_1d", "not one 1-D Gaussian"),
    ("nonsaturating-speed", "steps", 1500, "convergence window"),
    ("pi-convergence", "steps_per_call", 7, "multiple of steps_per_call"),
    ("d-steps", "d_steps", [5, 1], "increasing"),
    ("pi-convergence", "pi", [0.5, 0.1, 0.9], "increasing"),
])
def test_bad_settings_name_their_key(config, figure_id, key, value, message):
    bad = copy.deepcopy(config)
    bad["figures"][figure_id][key] = value
    with pytest.raises(ConfigError, match=message) as error:
        validate_config(bad, load_schema())
    assert f"figures.{figure_id}" in str(error.value)


def test_batch_share_is_checked_before_any_job(config):
    bad = copy.deepcopy(config)
    bad["figures"]["pi-convergence"]["pi"] = [0.0001, 0.5, 0.9]
    with pytest.raises(ConfigError, match=r"figures.pi-convergence.pi\[0\]"):
        validate_config(bad, load_schema())


def tidy(rows: list[dict]) -> pd.DataFrame:
    """A dynamics figure's tidy table from runs given as (rule, variant, pi, seed, outcome, steps_to_tol)."""
    out = []
    for r in rows:
        values = {"steps_to_tol": r.get("steps", np.nan), "wall_s_to_tol": np.nan, "start_distance": 2.0,
                  "final_distance": 0.01 if r["outcome"] == "converged" else 0.5, "window_rise": 0.0,
                  "window_fall": 0.0}
        names = {k: r[k] for k in dynamics_tables.NAMES}
        out += [names | {"quantity": q, "value": v, "unit": dynamics_tables.QUANTITIES[q]} for q, v in values.items()]
    return pd.DataFrame(out)


def ctx(config, figure_id):
    return Context(config=config, settings=config["figures"][figure_id])


def d_steps_table(unstable_at_20: int) -> pd.DataFrame:
    rows = []
    for rule in ("minimax", "nonsaturating"):
        for d in (1, 2, 5, 20):
            for seed in range(5):
                bad = d == 20 and seed < unstable_at_20
                rows.append({"rule": rule, "variant": f"dsteps{d}", "pi": 0.5, "seed": seed,
                             "outcome": "oscillating" if bad else "converged", "steps": np.nan if bad else 3000})
    return tidy(rows)


def test_d_steps_verdict_follows_the_unstable_runs_with_many_steps(config):
    # 10 runs per end pooled over rules: 0 vs 8 unstable -> p = 2e-4 (reproduced); 0 vs 0 -> not reproduced;
    # 0 vs 2 -> fewer, not significant (p = 0.24): inconclusive.
    c = ctx(config, "d-steps")
    got = {k: d_steps.judge(Computed(d_steps_table(k)), c)["verdict"]
           for k in (4, 0, 1)}
    assert got == {4: "reproduced", 0: "not reproduced", 1: "inconclusive"}
    few = d_steps_table(4)
    thin = few[few.seed < 3]
    assert d_steps.judge(Computed(thin), c)["verdict"] == "inconclusive"


def speed_table(fast_steps: float, slow_steps: float) -> pd.DataFrame:
    rows = []
    for start in ("start2", "start10"):
        for rule, steps in (("nonsaturating", fast_steps), ("minimax", slow_steps)):
            for seed in range(5):
                rows.append({"rule": rule, "variant": start, "pi": 0.5, "seed": seed, "outcome": "converged",
                             "steps": steps + 100 * seed})
    return tidy(rows)


def test_speed_verdict_follows_which_rule_arrives_first(config):
    c = ctx(config, "nonsaturating-speed")
    assert nonsaturating_speed.judge(Computed(speed_table(2000, 9000)), c)["verdict"] == "reproduced"
    assert nonsaturating_speed.judge(Computed(speed_table(9000, 2000)), c)["verdict"] == "not reproduced"
    # only the far start differs: partly
    mixed = pd.concat([speed_table(2000, 9000).query("variant == 'start10'"),
                       speed_table(9000, 2000).query("variant == 'start2'")])
    assert nonsaturating_speed.judge(Computed(mixed), c)["verdict"] == "partly"


def pi_table(bad_end: bool) -> pd.DataFrame:
    rows = []
    for mode in ("weights", "batch"):
        for pi in (0.1, 0.3, 0.5, 0.7, 0.9):
            for seed in range(5):
                slow = bad_end and pi == 0.9 and mode == "batch"
                rows.append({"rule": "minimax", "variant": mode, "pi": pi, "seed": seed, "outcome": "converged",
                             "steps": (9000 if slow else 3000) + 10 * seed})
    return tidy(rows)


def test_pi_convergence_verdict_follows_the_steps_at_the_ends(config):
    # 5 vs 5, complete separation: p = 1/252 = 0.004 < 0.05 / 8 = 0.00625 (Bonferroni over 4 cells x 2 tests)
    c = ctx(config, "pi-convergence")
    assert pi_convergence.judge(Computed(pi_table(True)), c)["verdict"] == "reproduced"
    assert pi_convergence.judge(Computed(pi_table(False)), c)["verdict"] == "not reproduced"


def test_the_tests_behind_the_verdicts_against_hand_computed_values():
    # Fisher, 0 of 10 against 4 of 10: P(X <= 0) under the hypergeometric(20, 4, 10) = C(16,10)/C(20,10)
    assert share_smaller_p(0, 10, 4, 10) == pytest.approx(math.comb(16, 10) / math.comb(20, 10))
    assert fewest_for_share_difference(10, 10) == 4  # 3 of 10 gives p = C(17,10)/C(20,10) = 0.105
    # Mann-Whitney, complete separation of 5 and 5: 1 / C(10, 5); every value tied: no evidence
    assert smaller_p(np.arange(5), np.arange(5) + 10) == pytest.approx(1 / 252)
    assert smallest_rank_p(5, 5) == pytest.approx(1 / 252)
    assert smaller_p(np.full(5, 7.0), np.full(5, 7.0)) == 1.0
    # censored runs tie at the budget: 5 converged against 5 that never did is still a complete separation
    assert smaller_p(np.array([1, 2, 3, 4, 5.0]), np.full(5, 1e9)) == pytest.approx(1 / 252)


def test_a_dynamics_figure_without_a_gan_section_is_refused_by_name(config):
    bad = copy.deepcopy(config)
    del bad["gan"]
    for figure_id in ("gan-grid", "jspi-convention", "kl-rule-theory", "density-ratio", "swissroll-kl",
                      "nonsaturating-speed", "pi-convergence"):
        bad["figures"].pop(figure_id)
    with pytest.raises(ConfigError, match="figures.d-steps.*`gan` section"):
        validate_config(bad, load_schema())


def test_verdicts_that_could_not_have_seen_an_effect_say_inconclusive(config):
    # nonsaturating-speed: no run converged at either start -> every value ties at the budget: untestable
    never = tidy([{"rule": rule, "variant": start, "pi": 0.5, "seed": seed, "outcome": "travelling"}
                  for start in ("start2", "start10") for rule in dynamics.SPEED_RULES for seed in range(5)])
    assert nonsaturating_speed.judge(Computed(never), ctx(config, "nonsaturating-speed"))["verdict"] == "inconclusive"
    # pi-convergence with two rules: 16 tests, level 0.05/16 = 0.0031 < 1/252, the smallest p of 5 against 5 seeds
    two_rules = copy.deepcopy(config)
    two_rules["figures"]["pi-convergence"]["rules"] = ["minimax", "nonsaturating"]
    table = pd.concat([pi_table(False), pi_table(False).assign(rule="nonsaturating")])
    assert pi_convergence.judge(Computed(table), ctx(two_rules, "pi-convergence"))["verdict"] == "inconclusive"
    # the same seeds under one rule (8 tests, level 0.00625 > 1/252) can decide: no effect -> not reproduced
    assert pi_convergence.judge(Computed(pi_table(False)), ctx(config, "pi-convergence"))["verdict"] == \
        "not reproduced"
    assert set(dynamics.SPEED_RULES) <= {"minimax", "nonsaturating", "kl"}


def test_speed_refuses_more_seeds_than_one_group_holds(config):
    bad = copy.deepcopy(config)
    bad["figures"]["nonsaturating-speed"]["seeds"] = list(range(8))
    with pytest.raises(ConfigError, match="figures.nonsaturating-speed.seeds"):
        validate_config(bad, load_schema())


def test_a_fixed_start_is_the_gaussian_generators_initial_mean_for_every_seed(config):
    from gandiv.exact.densities import target_from_config
    from gandiv.gan.training import build_run

    far = [r for r in runs.dynamics_runs(config, "speed") if r.discriminator == "start10"]
    target = target_from_config(config["targets"][far[0].target])
    for run in far[:2]:  # two seeds: the same start, whatever the streams
        model = build_run(target, "gaussian", run.streams(), runs.network_settings(config, run))
        assert np.asarray(model.generator.mean).tolist() == [10.0]
        assert np.asarray(model.generator.cholesky()).tolist() == [[1.0]]
    with pytest.raises(ValueError, match="start_mean"):
        build_run(target, "mlp", far[0].streams(), runs.network_settings(config, far[0]))
