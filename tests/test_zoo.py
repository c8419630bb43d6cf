"""The objectives zoo: its runs, their settings, and what a trained discriminator or critic says about P and Q."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from gandiv import divergences as dv
from gandiv.densities import gaussian
from gandiv.experiments.zoo_figures import _judge
from gandiv.gan_theory import UpdateRule, lsgan_logit, optimal_logit
from gandiv.zoo import training_settings, zoo_runs
from gandiv.zoo_eval import discriminator_plug_ins

ZOO = {"targets": ["ring8", "grid25"], "rules": ["nonsaturating", "wgan"], "spectral_norm_rules": ["nonsaturating"],
       "seeds": [0, 1], "steps": 1000, "steps_per_call": 500, "batch_size": 64, "n_snapshot_samples": 10,
       "generator": {"latent_dim": 2, "hidden": 8, "depth": 1}, "discriminator": {"hidden": 8, "depth": 1},
       "objectives": {"nonsaturating": {"optimizer": "adam", "learning_rate": 1e-3, "beta_1": 0.5, "beta_2": 0.9,
                                        "d_steps": 1, "weight_clip": None, "gp_weight": 0.0},
                      "wgan": {"optimizer": "rmsprop", "learning_rate": 5e-4, "beta_1": 0.5, "beta_2": 0.9,
                               "d_steps": 5, "weight_clip": 0.01, "gp_weight": 0.0}}}


def test_every_rule_plain_and_the_spectral_norm_rules_again_for_every_target_and_seed():
    runs = zoo_runs(ZOO)
    assert len(runs) == 2 * (2 + 1) * 2
    assert len({tuple(r.values()) for r in runs}) == len(runs)
    assert {(r["update_rule"], r["discriminator"]) for r in runs} == {
        ("nonsaturating", "plain"), ("wgan", "plain"), ("nonsaturating", "spectral_norm")}


def test_training_settings_carry_the_objectives_own_settings():
    wgan = training_settings(ZOO, "wgan", "plain")
    assert wgan["optimizer"]["kind"] == "rmsprop" and wgan["d_steps"] == 5 and wgan["weight_clip"] == 0.01
    assert wgan["discriminator"]["spectral_norm"] is False and wgan["pi_mode"] == "weights"
    assert training_settings(ZOO, "nonsaturating", "spectral_norm")["discriminator"]["spectral_norm"] is True


def test_lsgan_logit_inverts_the_least_squares_optimum():
    a = np.linspace(-15, 15, 61)
    # 2 sigmoid(a) - 1 loses relative accuracy near +-1 (1 - D ~ e^-15 ~ 3e-7 against eps 1e-16): 1e-6 absolute.
    np.testing.assert_allclose(lsgan_logit(2 * expit(a) - 1), a, atol=1e-6)
    assert np.isfinite(lsgan_logit(np.array([-1.5, 1.5]))).all()  # overshooting scores are clipped, not NaN


def test_plug_ins_from_an_optimal_lsgan_score_recover_the_exact_divergences():
    p, q = gaussian(0.0, 1.0), gaussian(1.0, 1.5**2)
    rng = np.random.default_rng(0)
    xp, xq = p.sample(400_000, rng), q.sample(400_000, rng)

    def score(x):  # the least-squares optimum at pi = 1/2: 2 D* - 1
        return 2 * expit(optimal_logit(p.log_prob(x), q.log_prob(x), 0.5)) - 1

    plug_ins = discriminator_plug_ins(UpdateRule.LSGAN, score(xp), score(xq))
    # Monte Carlo with 4e5 samples: standard errors ~2e-3; 1e-2 is five of them.
    assert plug_ins["kl_pq"] == pytest.approx(dv.kl_pq(p, q), abs=1e-2)
    assert plug_ins["kl_qp"] == pytest.approx(dv.kl_qp(p, q), abs=1e-2)
    assert plug_ins["js"] == pytest.approx(dv.js(p, q), abs=1e-2)


def test_an_optimal_critic_gives_w1_between_shifted_gaussians():
    # P = N(0,1), Q = N(2,1): f(x) = -x is 1-Lipschitz and optimal, and E_P f - E_Q f = W1 = 2
    # (checks the sign convention: real minus generated, positive for a critic that separates them).
    rng = np.random.default_rng(1)
    xp, xq = rng.standard_normal(200_000), 2 + rng.standard_normal(200_000)
    gap = discriminator_plug_ins(UpdateRule.WGAN_GP, -xp, -xq)["critic_gap"]
    assert gap == pytest.approx(2.0, abs=0.02)  # standard error sqrt(2 / 2e5) = 3e-3


# ---------------------------------------------------------------- the figure's verdict


def _evaluation(modes: dict) -> pd.DataFrame:
    """A zoo evaluation table with only modes covered: {(target, rule, discriminator): [per-seed values]}."""
    return pd.DataFrame([{"target": t, "rule": r, "discriminator": d, "seed": seed, "diverged": False,
                          "quantity": "modes_covered", "method": "samples", "value": v,
                          "variant": r if d == "plain" else f"{r}+SN"}
                         for (t, r, d), values in modes.items() for seed, v in enumerate(values)])


def _run(target, rule, discriminator, seed, sigma):
    """A zoo run whose sigma_max goes through the given values, one per snapshot (two layers, the second smaller)."""
    sigma = np.asarray(sigma, dtype=float)
    return {"target": target, "rule": rule, "discriminator": discriminator, "seed": seed,
            "singular_values": np.stack([sigma, 0.5 * sigma], axis=1)}


def _runs(modes, sn_sigma=(1.5, 1.0), plain_growth=2.0):
    """Spectral-norm runs through sn_sigma; plain runs from 1 to plain_growth + (10 - modes covered):
    the fewer modes, the larger the final sigma_max (collapse showing as large singular values)."""
    return [_run(t, r, d, seed, sn_sigma if d == "spectral_norm" else (1.0, plain_growth + 10 - v))
            for (t, r, d), values in modes.items() for seed, v in enumerate(values)]


def test_a_lead_beyond_the_seed_spread_is_a_clear_winner():
    modes = {("ring8", "wgan_gp", "plain"): [8, 8, 8], ("ring8", "minimax", "plain"): [3, 4, 5],
             ("ring8", "kl", "plain"): [2, 3, 4], ("ring8", "minimax", "spectral_norm"): [1, 1, 1]}
    status, summary, numbers = _judge(_evaluation(modes), _runs(modes), ["ring8"])
    assert "a clear winner" in summary and status == "partly"  # the other two checks hold
    values = {name: value for name, value, _ in numbers}
    assert values["ring8: lead over the runner-up (minimax)"] == 4.0
    assert values["ring8: seed spread (larger sd of the two)"] == 1.0


NO_WINNER = {("ring8", "wgan_gp", "plain"): [8, 6, 7], ("ring8", "minimax", "plain"): [7, 7, 5],
             ("ring8", "kl", "plain"): [3, 6, 5],
             ("ring8", "minimax", "spectral_norm"): [9, 9, 9]}  # a spectral-norm variant is not a competitor


def test_no_winner_bounded_normalised_sigmas_and_collapse_with_large_sigmas_reproduce():
    status, summary, numbers = _judge(_evaluation(NO_WINNER), _runs(NO_WINNER, (1.5, 1.01)), ["ring8"])
    assert status == "reproduced" and "no clear winner" in summary
    rho = {name: value for name, value, _ in numbers}[
        "ring8: Spearman rho of final sigma_max and modes covered (plain, non-critic runs)"]
    assert rho == pytest.approx(-1.0)  # minimax and kl runs: sigma_max ends at 12 - modes


@pytest.mark.parametrize("sn_sigma, plain_growth", [((1.5, 1.0), -7.0),   # grows only 1.x-fold without SN
                                                    ((1.5, 1.06), 2.0)])  # exceeds the bound with SN
def test_spectral_norm_check_fails_on_too_little_growth_or_a_broken_bound(sn_sigma, plain_growth):
    status, summary, _ = _judge(_evaluation(NO_WINNER), _runs(NO_WINNER, sn_sigma, plain_growth), ["ring8"])
    assert status == "partly" and "does not hold: spectral normalisation" in summary


def test_collapse_with_small_singular_values_does_not_count():
    modes = _evaluation(NO_WINNER)
    runs = _runs(NO_WINNER)
    for run in runs:  # reverse the association: the more modes covered, the larger the final sigma_max
        if run["discriminator"] == "plain":
            covered = modes[(modes.rule == run["rule"]) & (modes.seed == run["seed"]) & (modes.discriminator == "plain")]
            run["singular_values"] = np.array([[1.0, 0.5], [2.0 + covered.value.iloc[0], 1.0]])
    status, summary, _ = _judge(modes, runs, ["ring8"])
    assert status == "partly" and "does not hold: collapse goes with large singular values" in summary


def test_one_seed_cannot_show_that_there_is_no_winner():
    modes = {("ring8", "wgan_gp", "plain"): [8], ("ring8", "minimax", "plain"): [8],
             ("ring8", "minimax", "spectral_norm"): [8]}
    status, summary, _ = _judge(_evaluation(modes), _runs(modes), ["ring8"])
    assert status != "reproduced" and "one seed per objective cannot show a spread" in summary
