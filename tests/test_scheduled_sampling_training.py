"""Keras pair models trained by maximum likelihood and scheduled sampling: schedules, sampling, where they end."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from gandiv.sequence import scheduled_sampling as ss  # noqa: E402
from gandiv.sequence.autoregressive import build_pair_model, train_pair_model  # noqa: E402
from gandiv.seeding import run_streams  # noqa: E402

STRONG = np.array([[0.30, 0.05, 0.00], [0.02, 0.25, 0.03], [0.05, 0.00, 0.30]])
SETTINGS = {"steps": 1500, "steps_per_call": 500, "batch_size": 512, "learning_rate": 0.01, "embedding_dim": 8,
            "hidden": 32, "final_epsilon": 0.0, "decay_share": 0.75, "inverse_sigmoid_k": 100}


def streams(seed):
    """A test run's streams: the seed, and a fixed identity."""
    return run_streams(seed, {"job": "test_scheduled_sampling_training"})


def test_linear_schedule_decays_from_one_and_then_holds():
    steps = np.arange(SETTINGS["steps"])
    eps = ss.epsilon_at("linear", steps, SETTINGS)
    decayed = int(SETTINGS["decay_share"] * SETTINGS["steps"])
    assert eps[0] == 1.0 and np.all(np.diff(eps) <= 0)
    np.testing.assert_allclose(eps[decayed:], SETTINGS["final_epsilon"], atol=1e-12)


def test_inverse_sigmoid_is_one_half_at_k_log_k_and_decreasing():
    k = SETTINGS["inverse_sigmoid_k"]
    assert ss.epsilon_at("inverse_sigmoid", k * np.log(k), SETTINGS) == pytest.approx(0.5, abs=1e-12)
    eps = ss.epsilon_at("inverse_sigmoid", np.arange(2000.0), SETTINGS)
    assert eps[0] == pytest.approx(k / (k + 1)) and np.all(np.diff(eps) < 0)


@pytest.mark.parametrize("schedule", ["epsilon0.3", "linear", "inverse_sigmoid"])
def test_schedules_agree_between_numpy_and_the_compiled_graph(schedule):
    steps = np.array([0.0, 17.0, 600.0, 1499.0], dtype="float32")
    in_graph = tf.function(lambda s: ss.epsilon_at(schedule, s, SETTINGS, xp=keras.ops))(steps)
    np.testing.assert_allclose(np.asarray(in_graph), ss.epsilon_at(schedule, steps.astype(float), SETTINGS),
                               rtol=1e-6)  # float32 in the graph


def test_unknown_schedule_names_the_allowed_ones():
    with pytest.raises(ValueError, match="linear, inverse_sigmoid"):
        ss.epsilon_at("exponential", 0, SETTINGS)


def test_in_graph_pairs_follow_the_joint_table():
    model = build_pair_model(STRONG, "epsilon1", streams(0), SETTINGS)
    x1, x2 = (np.asarray(v) for v in model.sample_pairs(200_000))
    counts = np.zeros_like(STRONG)
    np.add.at(counts, (x1, x2), 1)
    # Every cell within 5 binomial standard errors; the zero cells never drawn.
    se = np.sqrt(STRONG * (1 - STRONG) / 2e5)
    assert np.all(np.abs(counts / 2e5 - STRONG) <= 5 * se + 1e-12)


@pytest.fixture(scope="module")
def trained():
    tf.config.experimental.enable_op_determinism()
    return {schedule: train_pair_model(STRONG, schedule, streams(0), SETTINGS)
            for schedule in ("epsilon1", "epsilon0.5", "epsilon0", "inverse_sigmoid")}


def test_each_model_ends_at_the_scheduled_sampling_fixed_point_for_its_epsilon(trained):
    p1, p2, _ = ss.marginals(STRONG)
    for schedule, run in trained.items():
        q = ss.model_joint(run.q1, run.q2_given_1)
        optimum = ss.model_joint(*ss.algorithm_fixed_point(STRONG, run.final_epsilon))
        # 1500 Adam steps on fresh batches of 512 leave ~1e-4 nats of noise (measured 0.6-2e-4); 0.01 is far
        # below the gap between the candidates (KL[P||Q*] = 0.21 at epsilon 0.5, 0.64 at 0).
        assert ss.kl_joint(optimum, q) < 0.01, schedule
        if run.final_epsilon < 0.9:
            assert ss.kl_joint(STRONG, q) > 0.1, schedule  # the model does not learn P
    assert ss.kl_joint(STRONG, ss.model_joint(trained["epsilon1"].q1, trained["epsilon1"].q2_given_1)) < 0.01
    factorised = ss.model_joint(trained["epsilon0"].q1, trained["epsilon0"].q2_given_1)
    assert ss.kl_joint(np.outer(p1, p2), factorised) < 0.01


def test_history_records_the_schedule(trained):
    history = trained["inverse_sigmoid"].history
    assert history.step.tolist() == [500, 1000, 1500]
    assert np.all(np.diff(history.epsilon) < 0)  # chunk means of a decreasing schedule
    assert (trained["epsilon0.5"].history.epsilon == 0.5).all()


def test_training_is_bit_identical_for_the_same_seed_on_cpu():
    tf.config.experimental.enable_op_determinism()
    short = SETTINGS | {"steps": 200, "steps_per_call": 100}
    first, second, other = (train_pair_model(STRONG, "linear", streams(seed), short) for seed in (3, 3, 4))
    np.testing.assert_array_equal(first.q2_given_1, second.q2_given_1)
    np.testing.assert_array_equal(first.q1, second.q1)
    assert not np.array_equal(first.q2_given_1, other.q2_given_1)
