"""A Gaussian on a line against a 2-D mixture (gandiv.exact.line_gaussian): the line-frame quadrature against the
uniform grid where both work, against independent routes where only it does, its limits as the line thins, and its
invariance under moving both laws together."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gandiv.exact import line_gaussian as lg
from gandiv.exact.densities import GaussianMixture, gaussian
from gandiv.exact.divergences import binary_entropy, certified_divergences, kl_gaussians
from gandiv.exact.quadrature import QuadratureError

TRIMODAL = GaussianMixture([0.4, 0.35, 0.25], [[-3.0, 0.0], [2.5, 2.5], [2.0, -3.0]],
                           [[[1.0, 0.4], [0.4, 0.6]], [[0.7, -0.3], [-0.3, 0.9]], [[0.5, 0.0], [0.0, 0.5]]])
LINE = lg.LineGaussian([0.3, -0.2], [1.0, 0.4], 2.5)
GRID = {"points_per_sd": 4, "halfwidth_sd": 9}


def _agree(a, b, slack=1e-9):
    """Two certified values agree within their summed errors plus `slack` relative round-off."""
    return abs(a.value - b.value) <= a.error + b.error + slack * max(1.0, abs(a.value))


@pytest.mark.parametrize("eps", [1.0, 0.5])
def test_the_line_frame_agrees_with_the_uniform_grid_where_q_is_thick_enough_for_it(eps):
    ours = lg.thin_divergences(TRIMODAL, LINE, eps, 0.3, **GRID)
    grid = certified_divergences(TRIMODAL, LINE.thickened(eps), ("kl_pq", "kl_qp", "js_pi"), 0.3, **GRID)
    for name in ours:
        assert _agree(ours[name], grid[name]), name


def test_the_uniform_grid_refuses_a_thin_line_which_the_line_frame_certifies():
    with pytest.raises(QuadratureError):
        certified_divergences(TRIMODAL, LINE.thickened(1e-3), ("js",), **GRID)
    assert lg.thin_divergences(TRIMODAL, LINE, 1e-3, **GRID)["js_pi"].error < 1e-9


@pytest.mark.parametrize("eps", [0.3, 1e-2, 1e-4, 1e-6])
def test_both_kls_agree_with_their_independent_routes(eps):
    ours = lg.thin_divergences(TRIMODAL, LINE, eps, **GRID)
    entropy_p = lg.entropy(TRIMODAL, **GRID)
    assert _agree(ours["kl_qp"], lg.kl_qp_entropy_route(TRIMODAL, LINE, eps))
    assert _agree(ours["kl_pq"], lg.kl_pq_moments(TRIMODAL, LINE, eps, entropy_p))


def test_between_gaussians_the_kls_are_the_closed_form():
    p = gaussian([0.5, -1.0], [[2.0, 0.6], [0.6, 1.0]])
    for eps in (0.7, 1e-3):
        ours = lg.thin_divergences(p, LINE, eps, **GRID)
        q = LINE.thickened(eps)
        assert ours["kl_pq"].value == pytest.approx(kl_gaussians(p, q), rel=1e-8)
        assert ours["kl_qp"].value == pytest.approx(kl_gaussians(q, p), rel=1e-8)


def test_the_entropy_of_a_gaussian_is_its_closed_form():
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    closed = 0.5 * np.log((2 * np.pi * np.e) ** 2 * np.linalg.det(cov))
    assert lg.entropy(gaussian([0.0, 1.0], cov)).value == pytest.approx(closed, abs=1e-12)


@pytest.mark.parametrize("pi", [0.1, 0.5, 0.9])
def test_js_pi_climbs_to_the_entropy_of_the_coin_as_the_line_thins(pi):
    # Mutually singular in the limit: JS_pi -> H(pi). The shortfall shrinks about like eps sqrt(log 1/eps): every
    # decade of eps cuts it by well over half.
    deficits = [binary_entropy(pi) - lg.thin_divergences(TRIMODAL, LINE, eps, pi, ("js_pi",), **GRID)["js_pi"].value
                for eps in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)]
    assert all(d > 0 for d in deficits)
    assert all(later < 0.5 * earlier for earlier, later in zip(deficits, deficits[1:]))
    assert deficits[-1] < 1e-3 * binary_entropy(pi)


def test_kl_q_p_grows_like_log_one_over_eps_and_kl_p_q_like_eps_to_the_minus_two():
    # KL[Q_eps||P] = -H(Q_eps) - E log p and -H(Q_eps) = -log eps + const: exactly log 10 more per decade once
    # E_{Q_eps} log p has settled (its change is O(eps^2)). KL[P||Q_eps] = E_P[n^2] / (2 eps^2) + O(log 1/eps).
    values = {eps: lg.thin_divergences(TRIMODAL, LINE, eps, **GRID) for eps in (1e-5, 1e-6)}
    assert values[1e-6]["kl_qp"].value - values[1e-5]["kl_qp"].value == pytest.approx(np.log(10), rel=1e-6)
    ratio = values[1e-6]["kl_pq"].value / values[1e-5]["kl_pq"].value
    assert ratio == pytest.approx(100.0, rel=1e-6)


def test_the_singular_limit_is_the_closed_form():
    limit = lg.singular_limit(0.25)
    assert limit["js_pi"].value == binary_entropy(0.25) and limit["js_pi"].error == 0.0
    assert limit["kl_pq"].value == np.inf and limit["kl_qp"].value == np.inf


@settings(max_examples=8, deadline=None)
@given(angle=st.floats(0, 2 * np.pi), shift=st.tuples(st.floats(-3, 3), st.floats(-3, 3)))
def test_moving_p_and_the_line_together_changes_nothing(angle, shift):
    # Divergences are invariant under a rigid motion applied to both laws (Jacobian 1).
    c, s = np.cos(angle), np.sin(angle)
    rotation, shift = np.array([[c, -s], [s, c]]), np.asarray(shift)
    moved_p = GaussianMixture(TRIMODAL.weights, TRIMODAL.means @ rotation.T + shift,
                              np.einsum("ij,kjl,ml->kim", rotation, TRIMODAL.covariances, rotation))
    moved_line = lg.LineGaussian(rotation @ LINE.centre + shift, rotation @ LINE.direction, LINE.scale)
    before = lg.thin_divergences(TRIMODAL, LINE, 1e-3, 0.4, **GRID)
    after = lg.thin_divergences(moved_p, moved_line, 1e-3, 0.4, **GRID)
    for name in before:
        assert _agree(before[name], after[name], slack=1e-8), name


def test_the_smoothed_pair_is_the_convolution_of_each_law_with_the_noise():
    # Adding independent N(0, sigma^2 I) noise adds sigma^2 I to every covariance (checked by sampling moments).
    rng = np.random.default_rng(0)
    x = LINE.sample(200_000, rng) + 0.4 * rng.standard_normal((200_000, 2))
    np.testing.assert_allclose(np.cov(x.T), LINE.smoothed(0.4).covariances[0], atol=0.05)
    assert lg.smoothed_target(TRIMODAL, 0.4).covariances[2] == pytest.approx(np.diag([0.66, 0.66]))


@pytest.mark.parametrize("bad, match", [({"eps": 0.0}, "eps"), ({"eps": -1.0}, "eps"), ({"pi": 1.0}, "pi"),
                                        ({"quantities": ("tv",)}, "tv")])
def test_bad_arguments_are_refused_naming_the_parameter(bad, match):
    kwargs = {"eps": 0.1, "pi": 0.5, "quantities": ("js_pi",)} | bad
    with pytest.raises(ValueError, match=match):
        lg.thin_divergences(TRIMODAL, LINE, **kwargs)


@pytest.mark.parametrize("args, match", [(([0.0], [1.0, 0.0], 1.0), "centre"), (([0.0, 0.0], [0.0, 0.0], 1.0),
                                                                                "direction"),
                                         (([0.0, 0.0], [1.0, 0.0], 0.0), "scale")])
def test_a_line_needs_a_centre_a_direction_and_a_positive_scale(args, match):
    with pytest.raises(ValueError, match=match):
        lg.LineGaussian(*args)


@pytest.mark.parametrize("sigma", [0.05, 0.4])
def test_the_smoothed_line_is_the_widened_line_made_sigma_thick_and_certified_as_on_the_grid(sigma):
    np.testing.assert_allclose(LINE.widened(sigma).thickened(sigma).covariances, LINE.smoothed(sigma).covariances,
                               atol=1e-12)
    if sigma == 0.4:  # thick enough for one uniform grid over P: the two quadratures agree
        p = lg.smoothed_target(TRIMODAL, sigma)
        ours = lg.thin_divergences(p, LINE.widened(sigma), sigma, 0.5, ("js_pi",), **GRID)["js_pi"]
        grid = certified_divergences(p, LINE.smoothed(sigma), ("js_pi",), 0.5, **GRID)["js_pi"]
        assert _agree(ours, grid)
