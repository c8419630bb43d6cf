"""instance-noise's verdict: it passes where GANs land at the exact global minimiser of their (pi, sigma) on both
sides of a jump line that moves, and fails or stays inconclusive where any of that is not so; the config rules."""

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from gandiv.config_error import ConfigError
from gandiv.figures import instance_noise as fig
from gandiv.figures.recipe import Computed, Context
from gandiv.pipeline.config import load_schema, validate_config

from conftest import REPO

# the exact minima (rank 0 global) per (sigma, pi): mode-seeking (-2, 0.6) or covering (-0.8, 2.0)
SEEKING, COVERING = (-2.0, 0.6), (-0.8, 2.0)
MINIMA = {(0.0, 0.5): [SEEKING, COVERING], (0.5, 0.5): [COVERING, SEEKING], (0.0, 0.8): [SEEKING, COVERING],
          (0.5, 0.8): [SEEKING, COVERING]}
JUMPS = {0.0: 0.228, 0.5: 0.631}


@pytest.fixture(scope="module")
def config():
    return validate_config(yaml.safe_load((REPO / "config" / "config.yaml").read_text()), load_schema())


def table(land_on_global=True, seeds=5, jumps=JUMPS, points=MINIMA) -> pd.DataFrame:
    """A table as compute writes it: the path's minima, the crossings, and seeds GAN runs per point landing near
    the global minimum (or the other one), with a spread of 0.02."""
    rows = []
    for (sigma, pi), found in points.items():
        for rank, (mean, sd) in enumerate(found):
            base = {"part": "path", "sigma": sigma, "pi": pi, "rank": rank, "seed": -1}
            rows += [base | {"quantity": q, "value": v, "unit": ""} for q, v in (
                ("mean_0", mean), ("scale", sd), ("js_pi", 0.1), ("js_pi_error", 1e-12), ("is_global", rank == 0))]
        where = found[0] if land_on_global else found[1]
        rng = np.random.default_rng(int(10 * sigma + 100 * pi))
        for seed in range(seeds):
            mean, sd = where[0] + 0.02 * rng.standard_normal(), where[1] + 0.02 * rng.standard_normal()
            gaps = [np.hypot(mean - m, sd - s) for m, s in found]
            base = {"part": "gan", "sigma": sigma, "pi": pi, "rank": -1, "seed": seed}
            rows += [base | {"quantity": "mean", "value": mean, "unit": ""},
                     base | {"quantity": "sd", "value": sd, "unit": ""},
                     base | {"quantity": "nearest_rank", "value": float(np.argmin(gaps)), "unit": ""},
                     base | {"quantity": "distance_to_global", "value": gaps[0], "unit": ""}]
    for sigma, pi_c in jumps.items():
        rows.append({"part": "crossing", "sigma": sigma, "pi": pi_c, "rank": -1, "seed": -1, "quantity": "jump",
                     "value": 1.1, "unit": ""})
    return pd.DataFrame(rows)


def judge(t, config):
    ctx = Context(config=config, settings=config["figures"][fig.ID])
    return fig.judge(Computed(t), ctx)["verdict"]


def test_verdict_passes_only_where_the_gans_land_at_the_global_minimiser_on_both_sides_of_a_moving_line(config):
    assert judge(table(), config) == "reproduced"
    # every run lands at the other local minimum: the exact analysis does not say where GANs go
    assert judge(table(land_on_global=False), config) == "not reproduced"
    # the jump line does not move with sigma
    assert judge(table(jumps={0.0: 0.228, 0.5: 0.228}), config) == "partly"
    # all points on one side of the line (where the mode-seeking branch is global): not both claims tested
    one_side = {k: v for k, v in MINIMA.items() if k[1] == 0.8 or k[0] == 0.0}
    assert judge(table(points=one_side), config) == "partly"
    # one or two seeds per point: nothing judged
    assert judge(table(seeds=2), config) == "inconclusive"


def test_a_point_matches_within_three_seed_sds_plus_the_floor():
    t = table()
    points = fig.gan_points(t)
    assert points.matches.all() and (points.seeds == 5).all() and points.at_a_local_minimum.all()
    # landing at the other local minimum: no match, but reported as landing at a local minimum (rank 1)
    other = fig.gan_points(table(land_on_global=False))
    assert not other.matches.any() and other.at_a_local_minimum.all() and (other.nearest_rank == 1).all()
    # shift one point's runs by 0.3 x units in mean (far beyond 3 x 0.02 + 0.05): that point no longer matches
    moved = t.copy()
    sel = (moved.part == "gan") & (moved.quantity == "mean") & (moved.sigma == 0.5) & (moved.pi == 0.5)
    moved.loc[sel, "value"] += 0.3
    assert fig.gan_points(moved).set_index(["pi", "sigma"]).matches.to_dict()[(0.5, 0.5)] is False


def test_sides_of_the_jump_line():
    assert fig.side(0.5, 0.228) == "mode-seeking" and fig.side(0.5, 0.631) == "covering"
    assert fig.side(0.9, float("nan")) == "covering"


@pytest.mark.parametrize("key, value, message", [("sigmas", [0.1, 0.5], "increase from 0"),
                                                 ("sigmas", [0.0, 0.5, 0.3], "increase from 0"),
                                                 ("gan_sigmas", [0.25], "not in sigmas"),
                                                 ("target", "gaussian_1d", "not a 1-D mixture"),
                                                 ("steps", 1000, "convergence window")])
def test_bad_settings_name_their_key(config, key, value, message):
    bad = copy.deepcopy(config)
    bad["figures"][fig.ID][key] = value
    with pytest.raises(ConfigError, match=message) as error:
        validate_config(bad, load_schema())
    assert f"figures.{fig.ID}" in str(error.value)
