"""local-convergence: verdict rules that pass where the eigenvalues predict the trainings and fail where they do
not, the Dirac-GAN part, the step-size scan and the config rules."""

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from gandiv.config_error import ConfigError
from gandiv.figures import local_convergence as lc
from gandiv.figures.recipe import Computed, Context
from gandiv.pipeline.config import load_schema, validate_config
from gandiv.update_rules import joint

from conftest import REPO


@pytest.fixture(scope="module")
def config():
    return validate_config(yaml.safe_load((REPO / "config" / "config.yaml").read_text()), load_schema())


def dirac_rows(holds: bool = True, broken: str = "r1") -> list[dict]:
    """The Dirac part as compute writes it (from the real field), optionally with the paper's picture broken in the
    `broken` case: R1 not attracting, or WGAN's alternating descent contracting instead of circling."""
    rows = []
    for name, (r1, noise) in {"none": (0.0, 0.0), "r1": (0.1, 0.0), "noise": (0.0, 0.5), "wgan": (0.0, 0.0)}.items():
        slope, curvature = joint.DIRAC_LOSSES["wgan" if name == "wgan" else "gan"]
        lam = np.sort_complex(joint.dirac_eigenvalues(slope, curvature, r1=r1, noise_sd=noise))
        base = {"part": "dirac", "rule": "minimax", "pi": 0.5, "variant": name, "scheme": "", "seed": -1}
        for k in range(2):
            for kind in ("eigenvalue", "closed_form"):
                rows += [base | {"quantity": f"{kind}_{k}_real", "value": lam[k].real, "unit": ""},
                         base | {"quantity": f"{kind}_{k}_imag", "value": lam[k].imag, "unit": ""}]
        jac = np.array([[0.0, -slope], [slope, 2 * curvature * noise**2 - r1]])
        for scheme in lc.SCHEMES:
            for h in (0.01, 0.1):
                rho = joint.spectral_radius(lc.dirac_map_jacobian(jac, h, scheme))
                if not holds and name == broken:
                    rho = 1.01 if name == "r1" else 0.99
                rows.append(base | {"scheme": scheme, "quantity": f"spectral_radius_h{h:g}", "value": rho, "unit": ""})
    return rows


def joint_rows(agree: bool, cells: int = 8) -> list[dict]:
    """`cells` cells per scheme whose spectral radius predicts staying (even) or leaving (odd); the five seeds'
    distance ratios do what is predicted when `agree`, the opposite otherwise."""
    rows = []
    for i in range(cells):
        leaves = i % 2 == 1
        cell = {"part": "joint", "rule": "minimax", "pi": round(0.1 + 0.1 * i, 1), "variant": "none"}
        rows += [cell | {"scheme": "", "seed": -1, "quantity": q, "value": v, "unit": ""} for q, v in (
            ("equilibrium_found", 1.0), ("max_real_eigenvalue", 0.05 if leaves else -0.02),
            ("its_imaginary_part", 0.1), ("mean", 0.0), ("sd", 1.0), ("field_norm", 0.0),
            ("max_real_eigenvalue_error", 1e-9))]
        for scheme in lc.SCHEMES:
            rows += [cell | {"scheme": scheme, "seed": -1, "quantity": q, "value": v, "unit": ""} for q, v in (
                ("spectral_radius_at_training_step", 1.003 if leaves else 0.999), ("training_steps", 1200.0),
                ("largest_convergent_step", 0.0 if leaves else 0.3))]
            goes = leaves == agree
            rows += [cell | {"scheme": scheme, "seed": seed, "quantity": "distance_ratio",
                             "value": 10.0 if goes else 0.4, "unit": ""} for seed in range(5)]
    return rows


def ctx(config):
    return Context(config=config, settings=config["figures"]["local-convergence"])


def test_verdict_follows_whether_the_trainings_do_what_the_eigenvalues_predict(config):
    judged = {(agree, holds): lc.judge(Computed(pd.DataFrame(joint_rows(agree) + dirac_rows(holds))),
                                       ctx(config))["verdict"] for agree in (True, False) for holds in (True, False)}
    assert judged == {(True, True): "reproduced", (True, False): "partly", (False, True): "partly",
                      (False, False): "not reproduced"}
    # too few decided cells (2 per scheme = 4 < 5): inconclusive while the Dirac part holds
    few = pd.DataFrame(joint_rows(True, cells=2) + dirac_rows(True))
    assert lc.judge(Computed(few), ctx(config))["verdict"] == "inconclusive"
    # one or two seeds per cell are no majority: every cell unclear, inconclusive however many cells
    thin = pd.DataFrame([r for r in joint_rows(True, cells=8) if r["seed"] < 2] + dirac_rows(True))
    assert (lc.cells(thin).observed == "unclear").all()
    assert lc.judge(Computed(thin), ctx(config))["verdict"] == "inconclusive"


def test_cells_read_the_prediction_and_the_majority_of_seeds():
    c = lc.cells(pd.DataFrame(joint_rows(True, cells=2)))
    assert c.predicted.tolist() == ["stays", "stays", "leaves", "leaves"]
    assert c.observed.tolist() == ["stays", "stays", "leaves", "leaves"]
    assert c.dynamics.tolist() == ["convergent", "convergent", "divergent", "divergent"]
    assert lc.classify(0.0, 0.3) == "oscillating" and lc.classify(0.0, 0.0) == "neutral"


def test_dirac_reading_reproduces_the_papers_picture_from_the_real_field():
    reading = lc.dirac_reading(pd.DataFrame(dirac_rows(True)))
    assert reading["gap"] < 1e-12 and reading["holds"]
    assert not lc.dirac_reading(pd.DataFrame(dirac_rows(False)))["holds"]
    assert not lc.dirac_reading(pd.DataFrame(dirac_rows(False, broken="wgan")))["holds"]


def test_critic_cells_have_no_pi_and_are_judged_with_the_rest(config):
    # a critic cell (pi NaN, its constraint as the variant) reads like any other and shows "—" for pi
    rows = joint_rows(True, cells=4)
    critic = [r | {"rule": "wgan", "pi": float("nan"), "variant": "clip 0.01"} for r in joint_rows(False, cells=2)
              if r["pi"] == 0.2]  # one cell that leaves where predicted to: its trainings disagree
    c = lc.cells(pd.DataFrame(rows + critic))
    wgan = c[c.rule == "wgan"]
    assert len(wgan) == 2 and wgan.pi.isna().all() and (wgan.predicted == "leaves").all()
    assert (wgan.observed == "stays").all()
    assert set(lc.report_table(pd.DataFrame(rows + critic))["π"]) >= {"—"}
    judged = lc.judge(Computed(pd.DataFrame(rows + critic + dirac_rows(True))), ctx(config))
    share = next(n for n in judged["numbers"] if n["name"].startswith("share"))
    assert share["value"] == pytest.approx(8 / 10)  # the critic's two disagreeing cells count


def test_largest_convergent_step_of_a_known_field():
    # eigenvalues -1 and -4: simultaneous descent converges for h < 2/4 = 0.5
    jac = -np.diag([1.0, 4.0, 1.0, 1.0, 1.0, 1.0])
    steps = np.geomspace(1e-3, 10, 41)
    assert lc.largest_convergent_step(jac, "simultaneous", steps) == pytest.approx(steps[steps < 0.5].max())
    assert lc.largest_convergent_step(-jac, "simultaneous", steps) == 0.0


@pytest.mark.parametrize("key, value, message", [("target", "gaussian_1d", "not a 1-D mixture"),
                                                 ("target", "trimodal_2d", "not a 1-D mixture"),
                                                 ("step_sizes", {"smallest": 1.0, "largest": 0.1}, "smallest"),
                                                 ("training", {"steps": 1000, "every": 300}, "divide")])
def test_bad_settings_name_their_key(config, key, value, message):
    bad = copy.deepcopy(config)
    bad["figures"]["local-convergence"][key] = value
    with pytest.raises(ConfigError, match=message) as error:
        validate_config(bad, load_schema())
    assert "figures.local-convergence" in str(error.value)
