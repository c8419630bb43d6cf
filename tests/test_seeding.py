"""Every stream of a run comes from one root per run: none coincides with another run's, even at a shared seed."""

import itertools
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gandiv.exact.densities import gaussian  # noqa: E402
from gandiv.gan.runs import GanRun  # noqa: E402
from gandiv.seeding import STREAMS, run_streams  # noqa: E402
from gandiv.gan.training import RunSpec, build_group, build_run  # noqa: E402

TARGET = gaussian(1.0, 0.25)  # the reported case: a 1-D Gaussian P, so a real batch is an affine map of normal noise
SETTINGS = {"pi_mode": "weights", "steps_per_call": 10, "batch_size": 64, "n_snapshot_samples": 64,
            "generator": {"latent_dim": 1, "hidden": 8, "depth": 1, "flow_layers": 2},
            "discriminator": {"hidden": 32, "depth": 1},
            "optimizer": {"d_learning_rate": 1e-3, "g_learning_rate": 1e-3, "beta_1": 0.5}}
N_BATCHES = 4
GRID_RUN = {"target": "gauss1d", "generator": "gaussian", "rule": "nonsaturating", "pi": 0.5, "seed": 0}
RUNS = [GRID_RUN | {"seed": 1}, GRID_RUN | {"seed": 2}, GRID_RUN,
        GRID_RUN | {"pi": 0.3}, GRID_RUN | {"rule": "minimax"}]  # seeds 0, 1, 2; then seed 0 with another pi, rule


def gan_streams(status: dict):
    """The streams of the grid run a status record names."""
    return GanRun("grid", status["target"], status["generator"], status["rule"], "plain", status["pi"],
                  status["seed"]).streams()


def first_batches(status: dict) -> dict[str, list[np.ndarray]]:
    """The first batches of every stream of a GAN run, drawn by the code that draws them in training and evaluation."""
    streams = gan_streams(status)
    model, (networks,) = build_group(status["generator"], [RunSpec(TARGET, status["rule"], status["pi"], streams)],
                                     SETTINGS | {"gp_weight": 0.1})  # with a penalty, so that its points are drawn
    chunk = {name: np.asarray(values) for name, values in model.draw_chunk(N_BATCHES).items()}
    n = SETTINGS["batch_size"]
    evaluation = streams.numpy("evaluation")
    kernels = [w.ravel() for w in networks.discriminator.get_weights() if w.ndim == 2]  # biases start at 0
    return {  # step k's draws; (d-step 0, run 0) where the draw has those axes
        "real data": [chunk["real"][k, 0, 0].ravel() for k in range(N_BATCHES)],
        "generator noise": [chunk["noise"][k, 0].ravel() for k in range(N_BATCHES)],
        "discriminator-step noise": [chunk["fake_noise"][k, 0, 0].ravel() for k in range(N_BATCHES)],
        "penalty points": [chunk["mix"][k, 0, 0].ravel() for k in range(N_BATCHES)],
        "snapshot noise": [streams.numpy("snapshot_noise").standard_normal((n, model.latent_dim)).ravel()],
        "evaluation": [TARGET.sample(n, evaluation).ravel(), evaluation.standard_normal((n, 1)).ravel()],
        "initial weights": [np.concatenate(kernels)],
    }


def test_no_stream_of_one_run_repeats_or_correlates_with_any_stream_of_another():
    batches = []  # (run, stream, batch index, values)
    for run in RUNS:
        for stream, values in first_batches(run).items():
            batches += [(json.dumps(run, sort_keys=True), stream, i, v) for i, v in enumerate(values)]
    assert len(batches) == len(RUNS) * (4 * N_BATCHES + 4)
    for (run_a, stream_a, i, a), (run_b, stream_b, j, b) in itertools.combinations(batches, 2):
        if run_a == run_b and stream_a == stream_b:
            continue  # successive batches of one stream are one sequence, not two streams
        n = min(len(a), len(b))
        # Independent draws: the sample correlation of n pairs has sd ~ 1/sqrt(n) about 0, so 5/sqrt(n) is
        # exceeded with probability ~6e-7 per pair (~1e-3 over the ~2,000 pairs here). A shared stream, as
        # seed s's noise was seed s + 1's real data, gives |r| = 1.
        r = np.corrcoef(a[:n], b[:n])[0, 1]
        assert abs(r) < 5 / np.sqrt(n), (run_a, stream_a, i, run_b, stream_b, j, r)
        assert not np.isin(a, b).any(), (run_a, stream_a, i, run_b, stream_b, j)


def test_same_seed_and_identity_give_the_same_streams_and_names_give_different_ones():
    identity = {"job": "gan-grid", "target": "gauss1d", "pi": 0.5}
    first, again = run_streams(3, identity), run_streams(3, dict(reversed(identity.items())))  # key order is free
    for name in STREAMS:
        np.testing.assert_array_equal(first.numpy(name).standard_normal(16), again.numpy(name).standard_normal(16))
        assert first.keras_seed(name) == again.keras_seed(name)
    states = {tuple(first.sequence(name).generate_state(4)) for name in STREAMS}
    assert len(states) == len(STREAMS)  # every name its own stream
    others = [run_streams(4, identity), run_streams(3, identity | {"pi": 0.3}), run_streams(3, identity | {"x": 1})]
    assert len({first.keras_seed("training_data")} | {o.keras_seed("training_data") for o in others}) == 4
    with pytest.raises(ValueError):
        run_streams(-1, identity)


def test_a_run_rebuilt_for_evaluation_gets_its_training_streams_and_initial_weights():
    status = GRID_RUN | {"pi": 0.3}
    saved = json.loads(json.dumps(status | {"diverged": False, "steps_done": 10, "wall_s": 1.5}))  # as status.json
    assert gan_streams(saved) == gan_streams(status)
    zoo_run = GanRun("zoo", status["target"], status["generator"], status["rule"], "plain", status["pi"], status["seed"])
    assert zoo_run.streams() != gan_streams(status)  # a zoo run is another run
    built = [build_run(TARGET, "mlp", gan_streams(s), SETTINGS) for s in (status, saved)]
    for a, b in zip(*(m.generator.get_weights() + m.discriminator.get_weights() for m in built)):
        np.testing.assert_array_equal(a, b)
