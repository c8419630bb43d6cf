"""Numbers that name folders: every value round-trips exactly, two values never share a folder, seeds are ints."""

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gandiv.pipeline.config import ConfigError, load_schema, path_number_lists, validate_config
from gandiv.path_tokens import int_token, number_token, parse_number
from gandiv.pipeline.wildcards import pattern
from gandiv.update_rules import LOGIT_RULES, UpdateRule

REPO = Path(__file__).resolve().parents[1]
SMOKE = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
FULL = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_token_round_trips_bit_for_bit(x):
    token = number_token(x)
    assert parse_number(token) == x
    assert "/" not in token and " " not in token


@settings(max_examples=500, deadline=None)
@given(st.floats(0, 1, exclude_min=True, exclude_max=True), st.floats(0, 1, exclude_min=True, exclude_max=True))
def test_number_token_is_one_to_one(a, b):
    assert (number_token(a) == number_token(b)) == (a == b)


def test_short_form_kept_where_it_round_trips():
    # Folders of the shipped configs keep their names: pi0.5, pi0.001, epsilon1, epsilon0.
    assert [number_token(x) for x in (0.5, 0.001, 1.0, 0.0, 1e-5)] == ["0.5", "0.001", "1", "0", "1e-05"]
    # The reported collision: :g writes both as 0.123456, and 0.9999999 as 1.
    assert [number_token(x) for x in (0.1234561, 0.1234564, 0.9999999)] == ["0.1234561", "0.1234564", "0.9999999"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, "0.5", None])
def test_number_token_rejects_non_numbers(bad):
    with pytest.raises(ValueError):
        number_token(bad)


@pytest.mark.parametrize("bad", [1.0, True, "1", 1.5])
def test_int_token_rejects_non_integers(bad):
    with pytest.raises(ValueError, match="integer"):
        int_token(bad)


@pytest.mark.parametrize("path, value, key", [
    (("gan", "grid", 0, "seeds"), [1.0], "gan.grid[0].seeds[0]"),
    (("seed",), 0.0, "seed"),
    (("exact", "n_starts"), 6.0, "exact.n_starts"),
    (("figures", "objectives-zoo", "seeds"), [0, 2.0], "figures.objectives-zoo.seeds[1]"),
    (("figures", "ss-inconsistency", "training", "seeds"), [0.0], "figures.ss-inconsistency.training.seeds[0]"),
])
def test_whole_floats_are_not_integers(path, value, key):
    cfg = copy.deepcopy(SMOKE)
    node = cfg
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(ConfigError) as info:
        validate_config(cfg, load_schema())
    assert info.value.path == key
    assert "expected integer" in str(info.value) and "float" in str(info.value)


@pytest.mark.parametrize("config", [SMOKE, FULL], ids=["smoke", "full"])
def test_every_path_number_of_the_shipped_configs_round_trips(config):
    for _, values, kind in path_number_lists(validate_config(config, load_schema())):
        for v in values:
            assert (int(int_token(v)) if kind == "int" else parse_number(number_token(v))) == v


def test_close_pis_plan_distinct_runs_at_their_exact_values(tmp_path):
    # The reported case: with :g the first two were one run (pi0.123456) and the third trained at pi = 1.
    cfg = copy.deepcopy(SMOKE)
    cfg["gan"]["grid"][0]["pi"] = [0.1234561, 0.1234564, 0.9999999]
    validate_config(cfg, load_schema())
    path = tmp_path / "close.yaml"
    path.write_text(yaml.safe_dump(cfg))
    result = subprocess.run([SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-n", "--cores", "1", "--configfile",
                             str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout + result.stderr
    for token in ("pi0.1234561/", "pi0.1234564/", "pi0.9999999/"):
        assert f"results/gan/grid/bimodal_1d/gaussian/minimax/plain/{token}seed0/status.json" in out, token
    assert "pi1/" not in out and "pi0.123456/" not in out


# ----------------------------------------------------------------- name constraints


def test_pattern_matches_exactly_the_enum_names():
    # As Snakemake uses a constraint: inside a named group of the whole path's regex.
    path = re.compile(rf"results/gan/(?P<update_rule>{pattern(UpdateRule)})/pi0.5")
    for rule in UpdateRule:
        assert path.fullmatch(f"results/gan/{rule.value}/pi0.5").group("update_rule") == rule.value
    # wgan is a prefix of wgan_gp: each path still names its own rule, and no near-miss matches
    assert path.fullmatch("results/gan/wgan_gp/pi0.5").group("update_rule") == "wgan_gp"
    for other in ("wgan_g", "wgan_gpx", "MINIMAX", "", "kl|minimax", "UpdateRule.KL"):
        assert path.fullmatch(f"results/gan/{other}/pi0.5") is None, other


def test_pattern_of_a_subset_keeps_its_order():
    assert pattern(LOGIT_RULES) == "minimax|nonsaturating|kl"  # the grid's rules, as the workflow wrote them
    assert pattern(["gaussian", "flow"]) == "gaussian|flow"


def test_pattern_escapes_regex_characters():
    assert re.fullmatch(pattern(["a.b", "c+"]), "axb") is None
    assert re.fullmatch(pattern(["a.b", "c+"]), "c+")


@pytest.mark.parametrize("bad", [[], ["a", ""], ["a", "a"], [1], [None]])
def test_pattern_rejects_what_would_match_wrongly(bad):
    with pytest.raises(ValueError, match="pattern"):
        pattern(bad)
