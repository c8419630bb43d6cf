"""Scheduled sampling on pairs of symbols: closed form against numerics, and both limits of epsilon."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import softmax

from gandiv.sequence import scheduled_sampling as ss

STRONG = np.array([[0.30, 0.05, 0.00], [0.02, 0.25, 0.03], [0.05, 0.00, 0.30]])
WEAK = np.array([[0.15, 0.10], [0.35, 0.40]])
EPSILONS = (0.0, 0.2, 0.5, 0.8, 1.0)


@pytest.mark.parametrize("joint", [STRONG, WEAK])
@pytest.mark.parametrize("eps", EPSILONS)
def test_closed_form_fixed_point_matches_the_iterated_algorithm(joint, eps):
    closed, numeric = ss.algorithm_fixed_point(joint, eps), ss.algorithm_fixed_point_numerically(joint, eps)
    for a, b in zip(closed, numeric):
        np.testing.assert_allclose(a, b, atol=1e-6)  # the bar; measured ~1e-9


@pytest.mark.parametrize("joint", [STRONG, WEAK])
def test_epsilon_one_recovers_p_and_zero_the_factorised_law(joint):
    p1, p2, _ = ss.marginals(joint)
    for solve in (ss.algorithm_fixed_point, ss.idealised_minimiser):
        np.testing.assert_allclose(ss.model_joint(*solve(joint, 1.0)), joint, atol=1e-9)
        np.testing.assert_allclose(ss.model_joint(*solve(joint, 0.0)), np.outer(p1, p2), atol=1e-9)
    # At epsilon = 0 the model's KL to P is exactly the mutual information I(x1; x2).
    mutual_information = ss.kl_joint(joint, np.outer(p1, p2))
    assert ss.kl_joint(joint, ss.model_joint(*ss.algorithm_fixed_point(joint, 0.0))) == pytest.approx(
        mutual_information, abs=1e-12)


def test_scheduled_sampling_is_improper_for_every_epsilon_below_one():
    kls = [ss.kl_joint(STRONG, ss.model_joint(*ss.algorithm_fixed_point(STRONG, eps)))
           for eps in np.linspace(0, 1, 11)]
    assert all(k > 1e-6 for k in kls[:-1]) and kls[-1] < 1e-12
    assert all(a > b for a, b in zip(kls, kls[1:]))  # the optimum moves monotonically from P1 P2 to P


@pytest.mark.parametrize("eps", (0.3, 0.7))
def test_idealised_minimiser_is_the_global_minimum_of_eq6(eps):
    # Independent check: minimise eq. 6 over all K + K^2 logits directly, from several starts.
    k = STRONG.shape[0]

    def objective(theta):
        return ss.ss_objective(STRONG, softmax(theta[:k]), softmax(theta[k:].reshape(k, k), axis=1), eps)

    rng = np.random.default_rng(0)
    direct = min((minimize(objective, rng.normal(0, 1, k + k * k), method="BFGS", options={"gtol": 1e-10})
                  for _ in range(4)), key=lambda r: r.fun)
    q1, q2 = ss.idealised_minimiser(STRONG, eps)
    value = ss.ss_objective(STRONG, q1, q2, eps)
    # Finite-difference BFGS over 12 logits reaches the minimum value to ~1e-9 and the solution to ~1e-5.
    assert value == pytest.approx(direct.fun, abs=1e-8)
    np.testing.assert_allclose(ss.model_joint(q1, q2), ss.model_joint(softmax(direct.x[:k]),
                                                                      softmax(direct.x[k:].reshape(k, k), axis=1)),
                               atol=1e-4)
    # The algorithm's fixed point ignores the prefix-sampling term's dependence on Q1, so it does no better.
    assert value <= ss.ss_objective(STRONG, *ss.algorithm_fixed_point(STRONG, eps), eps) + 1e-12
