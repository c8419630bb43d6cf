"""Parameter domains: constructors and functions reject what the config rejects, with the parameter named."""

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gandiv.exact import discrete
from gandiv.exact import divergences as dv
from gandiv.sequence import scheduled_sampling as ss
from gandiv.pipeline.config import ConfigError, load_schema, validate_config
from gandiv.exact.densities import Discrete, GaussianMixture, gaussian, grid_of_gaussians, ring_of_gaussians, swiss_roll, target_from_config, theis2016_mixture
from gandiv.exact.domain import WEIGHT_TOL, DomainError
from gandiv.exact.families import Family, GaussianFamily
from gandiv.exact.quadrature import Grid

ROOT = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=40, deadline=None)
LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def _raises(param: str, fn, *args, **kwargs) -> DomainError:
    """fn(*args) raises a ValueError (a DomainError) whose message starts with the parameter's name."""
    with pytest.raises(ValueError) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, DomainError), info.value
    assert str(info.value).startswith(param) and info.value.param.startswith(param), str(info.value)
    assert "allowed: " in str(info.value)
    return info.value


# ------------------------------------------------------------ the examples of the brief


def test_duplicate_support_points_are_merged_into_the_same_law():
    a, b = Discrete([0, 0, 1], [0.25, 0.25, 0.5]), Discrete([0, 1], [0.5, 0.5])
    np.testing.assert_array_equal(a.support, [0.0, 1.0])
    np.testing.assert_array_equal(a.probs, [0.5, 0.5])
    # the same law: every divergence is 0 (closed form), exactly
    for value in (dv.kl_pq(a, b), dv.kl_qp(a, b), dv.js(a, b), dv.js_pi(a, b, 0.1), dv.tv(a, b),
                  dv.wasserstein1(a, b), dv.mmd(a, b, 1.0)):
        assert value == 0.0


def test_negative_probabilities_rejected():
    error = _raises("probs", Discrete, [0, 1, 2], [1.5, -0.5, 0])
    assert error.param == "probs[1]" and "non-negative" in error.allowed


def test_zero_weight_component_carries_no_mass():
    # P = N(0, 1) written as a mixture with a zero-weight component at 100; Q = N(100, 1).
    p = GaussianMixture([1.0, 0.0], [[0.0], [100.0]], [[[1.0]], [[1.0]]])
    q = gaussian(100.0, 1.0)
    assert p.n_components == 1  # dropped: a Gaussian, with closed forms
    # log N(100; 0, 1) = -100^2 / 2 - log sqrt(2 pi) = -5000.9189...
    assert p.log_prob(np.array([[100.0]]))[0] == pytest.approx(-5000.0 - LOG_SQRT_2PI, rel=1e-15)
    assert p.log_prob(np.array([[100.0]]))[0] == pytest.approx(-5000.9189385332, abs=1e-9)
    # KL[Q || P] for N(100, 1) vs N(0, 1) is 100^2 / 2 = 5000, by the closed form and on a grid
    assert dv.kl_qp(p, q) == pytest.approx(5000.0, rel=1e-15)
    assert dv.kl_qp(p, q, method="grid") == pytest.approx(5000.0, rel=1e-9)


def test_no_positive_weight_rejected():
    _raises("weights", GaussianMixture, [0.0, 0.0], [[0.0], [1.0]], [[[1.0]], [[1.0]]])


# ------------------------------------------------------------------ valid inputs


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


@st.composite
def mixtures(draw):
    k, d = draw(st.integers(1, 4)), draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    raw = rng.uniform(0.01, 1.0, k)
    weights = raw / raw.sum()
    means = rng.normal(0, 5, (k, d))
    covs = np.stack([_spd(rng, d) for _ in range(k)])
    return weights, means, covs


@FAST
@given(mixtures())
def test_valid_mixtures_accepted_unchanged(spec):
    weights, means, covs = spec
    mix = GaussianMixture(weights, means, covs)
    np.testing.assert_array_equal(mix.weights, weights)
    np.testing.assert_array_equal(mix.means, means)
    np.testing.assert_array_equal(mix.covariances, covs)
    # lists (the config's form) give the same mixture
    np.testing.assert_array_equal(GaussianMixture(weights.tolist(), means.tolist(), covs.tolist()).means, means)


@st.composite
def laws(draw):
    n = draw(st.integers(1, 6))
    support = draw(st.lists(st.floats(-100, 100), min_size=n, max_size=n, unique=True))
    raw = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n)))
    return np.array(support), raw / raw.sum()


@FAST
@given(laws(), st.randoms(use_true_random=False))
def test_shuffled_split_copy_of_a_law_is_the_law(law, random):
    support, probs = law
    # split each atom in two exact halves, append, shuffle: the same law
    points = list(zip(support, probs / 2)) * 2
    random.shuffle(points)
    law_a, law_b = Discrete(support, probs), Discrete(*map(list, zip(*points)))
    np.testing.assert_array_equal(law_b.support, law_a.support)
    np.testing.assert_array_equal(law_b.probs, law_a.probs)
    for value in (dv.kl_pq(law_a, law_b), dv.kl_qp(law_a, law_b), dv.tv(law_a, law_b),
                  dv.wasserstein1(law_a, law_b), dv.mmd(law_a, law_b, 1.0)):
        assert value == 0.0
    assert abs(dv.js(law_a, law_b)) < 1e-15  # log of the mixture M = P: round-off only


@FAST
@given(laws(), st.lists(st.floats(0.05, 0.95), min_size=1, max_size=6))
def test_any_split_of_atoms_merges_to_the_law(law, shares):
    support, probs = law
    share = np.resize(shares, len(probs))
    copy_ = Discrete(np.concatenate([support, support]), np.concatenate([probs * share, probs * (1 - share)]))
    np.testing.assert_array_equal(copy_.support, np.sort(support))
    np.testing.assert_allclose(copy_.probs, probs[np.argsort(support)], rtol=1e-15)
    assert abs(dv.kl_pq(copy_, Discrete(support, probs))) < 1e-15


@FAST
@given(n=st.integers(1, 40), turns=st.floats(0.1, 5), r0=st.floats(0.1, 5), extra=st.floats(0.1, 5),
       sd=st.floats(0.01, 2), per_side=st.integers(1, 6))
def test_valid_generated_targets_accepted(n, turns, r0, extra, sd, per_side):
    assert swiss_roll(n, turns, (r0, r0 + extra), sd).n_components == n
    assert ring_of_gaussians(n, r0, sd).n_components == n
    assert grid_of_gaussians(per_side, extra, sd).n_components == per_side**2
    assert theis2016_mixture(np.int64(n), n_components=np.int64(3)).n_components == 3


# -------------------------------------------------------------- invalid mixtures

MIX_W, MIX_M, MIX_C = [0.3, 0.7], [[0.0, 0.0], [1.0, 2.0]], [np.eye(2), [[2.0, 0.5], [0.5, 1.0]]]


@FAST
@given(i=st.integers(0, 1), bad=st.floats(-10, -1e-6))
def test_negative_weight_rejected(i, bad):
    weights = [1.0 - bad, 1.0 - bad]
    weights[i] = bad
    weights[1 - i] = 1.0 - bad
    assert _raises("weights", GaussianMixture, weights, MIX_M, MIX_C).param == f"weights[{i}]"


@FAST
@given(factor=st.floats(0.0, 3.0).filter(lambda f: abs(f - 1.0) > 1e-6))
def test_weights_not_summing_to_one_rejected(factor):
    error = _raises("weights", GaussianMixture, np.multiply(MIX_W, factor), MIX_M, MIX_C)
    assert f"tolerance {WEIGHT_TOL:g}" in error.allowed


def test_weights_within_tolerance_accepted():
    GaussianMixture([0.3, 0.7 + 0.5 * WEIGHT_TOL], MIX_M, MIX_C)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("param, build", [
    ("weights", lambda b: ([b, 0.7], MIX_M, MIX_C)),
    ("means[1]", lambda b: (MIX_W, [[0.0, 0.0], [1.0, b]], MIX_C)),
    ("covariances[0]", lambda b: (MIX_W, MIX_M, [[[1.0, 0.0], [0.0, b]], MIX_C[1]])),
])
def test_non_finite_mixture_parameters_rejected(bad, param, build):
    _raises(param, GaussianMixture, *build(bad))


@FAST
@given(delta=st.floats(1e-6, 10.0))
def test_asymmetric_covariance_rejected(delta):
    cov = [[2.0, 0.5 + delta], [0.5, 1.0]]
    assert "not symmetric" in _raises("covariances[1]", GaussianMixture, MIX_W, MIX_M, [np.eye(2), cov]).problem
    assert "not symmetric" in _raises("covariance", gaussian, [0.0, 0.0], cov).problem


@FAST
@given(rho=st.floats(1.01, 10.0), scale=st.floats(0.01, 10.0))
def test_non_positive_definite_covariance_rejected(rho, scale):
    cov = scale * np.array([[1.0, rho], [rho, 1.0]])  # eigenvalues scale (1 +- rho): one < 0
    assert "positive definite" in _raises("covariances[0]", GaussianMixture, MIX_W, MIX_M, [cov, np.eye(2)]).problem
    _raises("covariance", gaussian, [0.0, 0.0], cov)
    _raises("covariance", gaussian, 0.0, -scale)


@pytest.mark.parametrize("param, args", [
    ("means", (MIX_W, [[0.0, 0.0]], MIX_C)),  # one mean for two weights
    ("means", (MIX_W, [0.0, 1.0], MIX_C)),  # rows are not vectors
    ("means[1]", (MIX_W, [[0.0, 0.0], [1.0]], MIX_C)),  # ragged
    ("means[0]", (MIX_W, [[], []], MIX_C)),  # d = 0
    ("covariances", (MIX_W, MIX_M, [np.eye(2)])),
    ("covariances[0]", (MIX_W, MIX_M, [np.eye(3), np.eye(2)])),
    ("covariances[1]", (MIX_W, MIX_M, [np.eye(2), [[1.0, 0.0], [0.0]]])),
    ("weights", ([[0.3, 0.7]], MIX_M, MIX_C)),
    ("weights", ([], [], [])),
    ("weights", ([True, False], MIX_M, MIX_C)),
])
def test_wrong_mixture_shapes_rejected(param, args):
    _raises(param, GaussianMixture, *args)


@pytest.mark.parametrize("param, args", [
    ("mean", ([[0.0, 1.0]], np.eye(2))),
    ("mean", ([], [[1.0]])),
    ("covariance", ([0.0, 1.0], 1.0)),  # a number only in 1-D
    ("covariance", ([0.0, 1.0], np.eye(3))),
    ("covariance", (0.0, [1.0, 1.0])),
])
def test_wrong_gaussian_shapes_rejected(param, args):
    _raises(param, gaussian, *args)


# --------------------------------------------------------------- invalid laws


@pytest.mark.parametrize("param, args", [
    ("probs", ([0.0, 1.0], [0.5, 0.6])),
    ("probs", ([0.0, 1.0, 2.0], [0.5, 0.5])),
    ("probs", ([0.0, 1.0], [0.5, np.nan])),
    ("probs", ([], [])),
    ("support", ([0.0, np.inf], [0.5, 0.5])),
    ("support", ([[0.0, 1.0]], [0.5, 0.5])),
])
def test_invalid_discrete_laws_rejected(param, args):
    _raises(param, Discrete, *args)


# ------------------------------------------------------------- counts and scalars

NOT_COUNTS = [True, np.bool_(True), 2.0, 0, -3, "4", None]


@pytest.mark.parametrize("bad", NOT_COUNTS, ids=repr)
def test_counts_must_be_positive_integers(bad):
    _raises("n_components", swiss_roll, bad, 1.5, (1.0, 5.0), 0.25)
    _raises("n_modes", ring_of_gaussians, bad, 2.0, 0.02)
    _raises("n_per_side", grid_of_gaussians, bad, 2.0, 0.05)
    _raises("n_components", theis2016_mixture, 22, bad)
    _raises("dim", GaussianFamily, bad, Family.FULL)
    _raises("n", discrete.rademacher_sum_law, bad)
    _raises("n", discrete.tv_bernoulli_trials, 0.3, 0.6, bad)
    _raises("m", discrete.sample_loss_minimiser, 0.6, bad, "cramer")


NOT_POSITIVE = [0.0, -1.0, np.nan, np.inf, True, "1", None]


@pytest.mark.parametrize("bad", NOT_POSITIVE, ids=repr)
def test_scales_must_be_finite_and_positive(bad):
    _raises("sd", swiss_roll, 48, 1.5, (1.0, 5.0), bad)
    _raises("turns", swiss_roll, 48, bad, (1.0, 5.0), 0.25)
    _raises("radius", ring_of_gaussians, 8, bad, 0.02)
    _raises("spacing", grid_of_gaussians, 5, bad, 0.05)
    _raises("bandwidth", dv.mmd, gaussian(0.0, 1.0), gaussian(1.0, 1.0), bad)
    _raises("learning_rate", discrete.sgd_on_sample_loss, 0.6, 2, "cramer", 10, bad, 2, 0)


@pytest.mark.parametrize("radius", [(5.0, 1.0), (1.0, 1.0), (0.0, 1.0), (1.0,), (1.0, 2.0, 3.0)])
def test_swiss_roll_radius_ordered(radius):
    _raises("radius", swiss_roll, 48, 1.5, radius, 0.25)


def test_theis_seed_range():
    _raises("seed", theis2016_mixture, -1)
    _raises("seed", theis2016_mixture, 2**32)


NOT_PI = [0.0, 1.0, -0.1, 1.5, np.nan, np.inf, True, None]


@pytest.mark.parametrize("bad", NOT_PI, ids=repr)
def test_pi_must_be_in_the_open_unit_interval(bad):
    p, q = gaussian(0.0, 1.0), gaussian(1.0, 2.0)
    log_p, grid = np.zeros(3), Grid(np.zeros((3, 1)), 1.0, (np.zeros(3),))
    _raises("pi", dv.js_pi, p, q, bad)
    _raises("pi", dv.log_mixture, log_p, log_p, bad)
    _raises("pi", dv.js_pi_on_grid, log_p, log_p, bad, grid)
    _raises("pi", dv.binary_entropy, bad)


@FAST
@given(pi=st.floats(0.0, 1.0, exclude_min=True, exclude_max=True))
def test_pi_inside_accepted(pi):
    assert 0.0 <= dv.binary_entropy(pi) <= np.log(2.0) + 1e-15


@pytest.mark.parametrize("bad", [-0.1, 1.1, np.nan, True], ids=repr)
def test_bernoulli_probabilities_in_unit_interval(bad):
    _raises("p", discrete.tv_bernoulli_trials, bad, 0.5, 3)
    _raises("q", discrete.tv_bernoulli_trials, 0.5, bad, 3)
    _raises("delta", discrete.tv_trials_lower_bound, bad, 3)
    _raises("theta_star", discrete.true_gradient, np.array([0.5]), bad, "cramer")
    _raises("theta_star", discrete.expected_sample_gradient, np.array([0.5]), bad, 3, "cramer")


def test_discrete_laws_and_losses_checked():
    _raises("probs", discrete.tv_atoms_vs_density, [0.5, 0.6])
    _raises("probs", discrete.kolmogorov_to_normal, [0.0, 1.0], [0.5, -0.5])
    _raises("theta", discrete.expected_sample_gradient, np.array([np.nan]), 0.5, 3, "cramer")
    _raises("loss", discrete.sample_loss_minimiser, 0.5, 3, "kl")
    _raises("loss", discrete.sgd_on_sample_loss, 0.5, 3, "kl", 10, 0.1, 2, 0)


def test_kl_method_checked():
    _raises("method", dv.kl_pq, gaussian(0.0, 1.0), gaussian(1.0, 1.0), method="quadrature")


# ------------------------------------------------------------------- families


def test_family_kind_and_theta_checked():
    _raises("kind", GaussianFamily, 2, "full")
    family = GaussianFamily(2, Family.FULL)
    _raises("theta", family.density, np.zeros(4))
    _raises("theta", family.density, np.array([0.0, np.nan, 0.0, 0.0, 0.0]))
    _raises("theta", family.density, np.zeros((1, 5)))


# ---------------------------------------------------------------- joint tables

BAD_JOINTS = [
    [[0.5, 0.5]],  # not square
    [[0.5, 0.2], [0.3]],  # ragged
    [[0.4, 0.4], [0.1, 0.0]],  # sums to 0.9
    [[0.5, 0.5], [0.0, 0.0]],  # x1 = 1 impossible
    [[0.6, -0.1], [0.25, 0.25]],  # negative entry
    [[0.5, np.nan], [0.25, 0.25]],
]


@pytest.mark.parametrize("table", BAD_JOINTS, ids=range(len(BAD_JOINTS)))
def test_invalid_joint_tables_rejected(table):
    _raises("joint", ss.marginals, table)
    _raises("joint", ss.algorithm_fixed_point, table, 0.5)
    _raises("joint", ss.idealised_minimiser, table, 0.5)


@pytest.mark.parametrize("eps", [-0.1, 1.5, np.nan, True], ids=repr)
def test_epsilon_in_unit_interval(eps):
    joint = [[0.4, 0.1], [0.1, 0.4]]
    _raises("eps", ss.algorithm_fixed_point, joint, eps)
    _raises("eps", ss.ss_objective, joint, np.full(2, 0.5), np.full((2, 2), 0.5), eps)


# ------------------------------------------------------- config and constructor agree


@pytest.fixture(scope="module")
def schema():
    return load_schema()


@pytest.fixture()
def config():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


BAD_TARGETS = [
    {"kind": "gaussian_mixture", "weights": [0.7, 0.2], "means": [[0.0], [1.0]], "covariances": [[[1.0]], [[1.0]]]},
    {"kind": "gaussian_mixture", "weights": [0.5, 0.5], "means": [[0.0], [1.0]], "covariances": [[[1.0]], [[-1.0]]]},
    {"kind": "gaussian_mixture", "weights": [0.5, 0.5], "means": [[0.0, 0.0], [1.0]],
     "covariances": [[[1.0]], [[1.0]]]},
    {"kind": "gaussian", "mean": [0.0, 0.0], "covariance": [[1.0, 0.3], [0.2, 1.0]]},
    {"kind": "gaussian", "mean": [0.0, 0.0], "covariance": [[1.0, 2.0], [2.0, 1.0]]},
    {"kind": "swiss_roll", "n_components": 48, "turns": 1.5, "radius": [5.0, 1.0], "sd": 0.25},
    {"kind": "swiss_roll", "n_components": 48.0, "turns": 1.5, "radius": [1.0, 5.0], "sd": 0.25},
    {"kind": "ring_of_gaussians", "n_modes": 8.0, "radius": 2.0, "sd": 0.02},
    {"kind": "grid_of_gaussians", "n_per_side": 5.0, "spacing": 2.0, "sd": 0.05},
]


@pytest.mark.parametrize("spec", BAD_TARGETS, ids=range(len(BAD_TARGETS)))
def test_config_and_constructor_reject_the_same_targets(config, schema, spec):
    with pytest.raises(ValueError) as built:
        target_from_config(copy.deepcopy(spec))
    assert isinstance(built.value, DomainError)
    config["targets"]["bad"] = spec
    with pytest.raises(ConfigError) as validated:
        validate_config(config, schema)
    assert validated.value.path == f"targets.bad.{built.value.param}", str(validated.value)
    # the same problem; the config may narrow what is allowed (targets have d in {1, 2})
    # (a whole float where a count belongs is caught earlier, by the schema's strict integer type)
    assert f"': {built.value.problem}; allowed: " in str(validated.value) or (
        "expected integer" in str(validated.value) and "a float" in str(validated.value))


def test_config_and_functions_reject_the_same_joint(config, schema):
    table = [[0.5, 0.5], [0.0, 0.0]]
    error = _raises("joint", ss.marginals, table)
    config["figures"]["ss-inconsistency"]["joints"]["weak"] = table
    with pytest.raises(ConfigError) as validated:
        validate_config(config, schema)
    assert validated.value.path == "figures.ss-inconsistency.joints.weak"
    assert str(validated.value).endswith(f"{error.problem}; allowed: {error.allowed}")


def test_config_targets_build(config, schema):
    for spec in validate_config(config, schema)["targets"].values():
        target_from_config(spec)
