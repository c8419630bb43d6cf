"""The exact JS_pi figures: jspi-limits (eqs 12-18) and jspi-interpolation (the path of the JS_pi minimiser)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from gandiv.exact.densities import target_from_config
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.pi_path import run_path
from gandiv.figures import jspi_interpolation, jspi_limits
from gandiv.figures.recipe import Computed, Context
from gandiv.pipeline.config import load_schema, pi_grid, validate_config
from gandiv.results_io import write_csv, write_json

SMOKE = Path(__file__).resolve().parents[1] / "config" / "smoke.yaml"


def _passed(record: dict, start: str):
    """The `passed` flag of the one deciding number whose name starts with `start`."""
    (number,) = [n for n in record["numbers"] if n["name"].startswith(start)]
    return number["passed"]


@pytest.fixture(scope="module")
def config():
    return validate_config(yaml.safe_load(SMOKE.read_text()), load_schema())


# ---------------------------------------------------------------- jspi-limits

@pytest.fixture(scope="module")
def limits(config):
    ctx = Context(config, config["figures"]["jspi-limits"])
    return jspi_limits.compute(ctx), ctx


def test_jspi_limits_hold_and_the_quadrature_kl_is_the_closed_form(limits):
    computed, ctx = limits
    table = computed.table
    pair = table[(table.pair == jspi_limits.LIMIT_PAIR_NAME) & table.pi.isna()].set_index("quantity").value
    # KL[N(0,1) || N(1, 1.5^2)] = log 1.5 + (1 + 1^2) / (2 * 1.5^2) - 1/2; the quadrature value is certified to
    # ~1e-12 (its exact_error), so 1e-9 leaves room only for round-off
    closed = np.log(1.5) + 2 / 4.5 - 0.5
    assert pair["KL[P||Q] closed form"] == pytest.approx(closed, abs=1e-12)
    assert pair["KL[P||Q]"] == pytest.approx(closed, abs=1e-9)
    record = jspi_limits.judge(computed, ctx)
    assert record["verdict"] == "reproduced"
    numbers = {n["name"]: n["value"] for n in record["numbers"]}
    # chi^2(P||Q) is finite for this pair (Q is wider), so JS_pi / pi - KL[P||Q] = O(pi): slope 1 on a log-log
    # plot; the next order shifts a fit over pi <= 1e-2 by O(1e-2), so 0.05 is ample
    slope = numbers[f"{jspi_limits.LIMIT_PAIR_NAME}: log-log slope of |JS_pi/pi - KL[P||Q]|"]
    assert slope == pytest.approx(1.0, abs=0.05)
    assert jspi_limits.draw(computed, ctx) is not None


@pytest.mark.parametrize("quantity, value, number", [
    (jspi_limits.SYMMETRY, 1e-9, "max symmetry residual"),  # a symmetry residual far above round-off
    (jspi_limits.ENTROPY_RATIO, 1.01, "max JS_pi / H(pi)"),  # JS_pi above its bound H(pi)
    # a limit error that does not shrink to 0: above 1% of the KLs at the smallest pi, and rising towards it
    (jspi_limits.LIMITS[0], 0.5, f"{jspi_limits.LIMITS[0]} at pi="),
    (jspi_limits.LIMITS[0], 0.5, f"steps of {jspi_limits.LIMITS[0]} that do not shrink"),
])
def test_jspi_limits_not_reproduced_when_a_claim_fails(limits, quantity, value, number):
    computed, ctx = limits
    table = computed.table.copy()
    table.loc[(table.quantity == quantity) & (table.pi == table.pi.min()), "value"] = value
    name = f"{jspi_limits.LIMIT_PAIR_NAME}: {number}"
    assert _passed(jspi_limits.judge(computed, ctx), name) is True
    failed = jspi_limits.judge(Computed(table), ctx)
    assert failed["verdict"] == "not reproduced"
    assert _passed(failed, name) is False
    assert name in failed["summary"].split("Failed: ")[1]


def test_jspi_limits_not_reproduced_when_a_kl_misses_the_sources_digits(limits):
    computed, ctx = limits
    table = computed.table.copy()
    kl_row = (table.pair == jspi_limits.LIMIT_PAIR_NAME) & table.pi.isna() & (table.quantity == "KL[P||Q]")
    table.loc[kl_row, "value"] = jspi_limits.SOURCE_KL["KL[P||Q]"] + 1e-4  # off in the 4th printed decimal
    name = "KL[P||Q] for N(0,1), N(1,1.5^2)"
    assert _passed(jspi_limits.judge(computed, ctx), name) is True
    failed = jspi_limits.judge(Computed(table), ctx)
    assert failed["verdict"] == "not reproduced" and _passed(failed, name) is False


# ---------------------------------------------------------------- jspi-interpolation

@pytest.fixture(scope="module")
def jspi_path(config, tmp_path_factory):
    """The smoke config's JS_pi path of bimodal_1d, written as the exact stage writes it."""
    folder = tmp_path_factory.mktemp("jspi")
    exact = config["exact"]
    quad = {"points_per_sd": exact["quadrature_points_per_sd"], "halfwidth_sd": exact["quadrature_halfwidth_sd"]}
    table, summary = run_path(target_from_config(config["targets"]["bimodal_1d"]), "bimodal_1d",
                              GaussianFamily(1, Family.ISOTROPIC), pi_grid(exact["pi_grid"]), exact["path_starts"],
                              config["seed"], exact["max_iter"], quad)
    write_csv(folder / "path.csv", table, float_format="%.10g")
    write_json(folder / "summary.json", summary)
    return folder, table, summary


def interpolation(config, folder, evaluations=()):
    inputs = {"paths": [str(folder / "path.csv")], "summaries": [str(folder / "summary.json")]}
    if evaluations:
        inputs["evaluations"] = list(evaluations)
    ctx = Context(config, {"targets": ["bimodal_1d"], "family": "isotropic"}, inputs)
    return jspi_interpolation.compute(ctx), ctx


def test_jspi_path_ends_at_both_kl_optima(config, jspi_path):
    folder, path, summary = jspi_path
    computed, ctx = interpolation(config, folder)
    record = jspi_interpolation.judge(computed, ctx)
    numbers = [n["value"] for n in record["numbers"]]
    # the path's smallest pi is 1e-3 (and 1 - 1e-3): the global fit is the KL optimum up to O(pi) = 1e-3 sds
    assert numbers[0] < 1e-2 and numbers[1] < 1e-2
    assert numbers[2] == len(summary["crossings"])
    assert record["numbers"][0]["passed"] is True and record["numbers"][1]["passed"] is True
    # The smoke path of bimodal_1d switches branch once (the exact stage's bisection): partly, and the summary
    # names the pi of the jump and the grid points of the path table around it, for other figures to refer to.
    (crossing,) = summary["crossings"]
    assert record["verdict"] == "partly"
    assert _passed(record, "bimodal_1d: jumps of the global minimiser") is False
    grid = np.sort(path[path.is_global].pi.to_numpy())
    before, after = grid[grid < crossing["pi"]].max(), grid[grid > crossing["pi"]].min()
    assert (f"the global minimiser jumps at pi = {crossing['pi']:.4f} (between the path's grid points "
            f"pi = {before:.4g} and {after:.4g}" in record["summary"])
    # The same table and summary without the jump: reproduced, the jump check passes.
    no_jumps = Computed(computed.table, computed.extras | {"summaries": {"bimodal_1d": summary | {"crossings": []}}})
    gradual = jspi_interpolation.judge(no_jumps, ctx)
    assert gradual["verdict"] == "reproduced"
    assert _passed(gradual, "bimodal_1d: jumps of the global minimiser") is True


def test_jspi_interpolation_not_reproduced_when_an_end_misses_its_optimum(config, jspi_path):
    folder, _, summary = jspi_path
    computed, ctx = interpolation(config, folder)
    extras = computed.extras | {"summaries": {"bimodal_1d": summary | {"crossings": []}}}  # a gradual path
    table = computed.table.copy()
    first = (table.pi == table.pi.min()) & table.is_global & (table.quantity == "mean_0")
    table.loc[first, "value"] += 0.1 * summary["kl_pq"]["scale"]  # 0.1 optimum sds off, tolerance 1e-2
    end = "bimodal_1d: fit at pi=1.0e-03 vs KL[P||Q] optimum"
    held = jspi_interpolation.judge(Computed(computed.table, extras), ctx)
    assert held["verdict"] == "reproduced" and _passed(held, end) is True
    failed = jspi_interpolation.judge(Computed(table, extras), ctx)
    assert failed["verdict"] == "not reproduced" and _passed(failed, end) is False
    assert f"Failed: {end} is 1.0e-01 optimum sds" in failed["summary"]


def test_a_gan_at_the_exact_global_fit_is_zero_fit_sds_from_it(config, jspi_path, tmp_path):
    folder, path, _ = jspi_path
    best = path[path.is_global].set_index("pi")
    low, high = (best.iloc[np.abs(best.index - pi).argmin()] for pi in (0.3, 0.5))  # grid points near 0.3, 0.5
    generators = [("minimax", high.name, high.mean_0, high.scale),  # the path's global fit there
                  ("minimax", low.name, low.mean_0 + 2 * low.scale, low.scale),  # two fit sds off in mean
                  ("kl", low.name, 99.0, 1.0)]  # another rule: not compared
    rows = [{"target": "bimodal_1d", "generator": "gaussian", "rule": rule, "pi": pi, "seed": 0, "diverged": False,
             "converged": True,
             "quantity": quantity, "method": "parameters", "value": value, "exact": np.nan, "error": np.nan,
             "exact_error": np.nan, "note": ""}
            for rule, pi, mean, sd in generators for quantity, value in (("generator_mean_0", mean),
                                                                         ("generator_cov_00", sd**2))]
    write_csv(tmp_path / "e.csv", pd.DataFrame(rows), float_format="%.10g")
    computed, ctx = interpolation(config, folder, [str(tmp_path / "e.csv")])
    (pi_low, gap_low), (pi_high, gap_high) = computed.extras["gaps"]["bimodal_1d"]  # in increasing pi
    # the figure refits JS_pi at each pi (gandiv.exact.fitting, other starts): both fits converge to ~1e-6 of
    # the minimiser, and the table is written to 10 digits, so 1e-3 fit sds separates them from any other point
    assert (pi_low, pi_high) == pytest.approx((low.name, high.name), rel=1e-9)
    assert gap_high == pytest.approx(0.0, abs=1e-3)
    assert gap_low == pytest.approx(2.0, abs=1e-3)
    record = jspi_interpolation.judge(computed, ctx)
    assert "land within one fit-sd of the exact global JS_pi fit at 1 of 2 pi values" in record["summary"]
    assert jspi_interpolation.draw(computed, ctx) is not None
    assert len(computed.table) == 5 * len(path)  # js_pi, scale, grad_norm, n_starts, mean_0 per local minimum
