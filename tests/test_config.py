"""Config validation: shipped configs pass, bad configs fail with a message naming key and allowed values."""

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gandiv.pipeline.config import ConfigError, load_schema, pi_grid, validate_config, validate_in_place

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [ROOT / "config" / "config.yaml", ROOT / "config" / "smoke.yaml"]


@pytest.fixture(scope="module")
def schema():
    return load_schema()


@pytest.fixture()
def config():
    return yaml.safe_load(CONFIGS[0].read_text())


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_validate(path, schema):
    cfg = yaml.safe_load(path.read_text())
    before = copy.deepcopy(cfg)
    out = validate_config(cfg, schema)
    assert cfg == before, "validate_config must not mutate its input"
    assert out["targets"].keys() == cfg["targets"].keys()


def test_explicit_schema_path(config):
    schema = load_schema()
    validate_config(config, schema)


def _set(cfg, dotted, value):
    """Set cfg[a][b]... = value (delete the key when value is DELETE); keys split on '/'."""
    *parents, last = dotted.split("/")
    node = cfg
    for k in parents:
        node = node[int(k)] if isinstance(node, list) else node[k]
    if isinstance(node, list):
        last = int(last)
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


DELETE = object()
# Figures that read GANs of `gan.grid`: a config without a `gan` section cannot have them.
GAN_FIGURES = ("gan-grid", "jspi-convention", "kl-rule-theory", "density-ratio", "swissroll-kl", "d-steps",
               "nonsaturating-speed", "pi-convergence", "instance-noise")

# (case id, key to set ('/'-separated), value, dotted path in message, substrings the message must contain)
BAD = [
    ("pi_min-too-big", "exact/pi_grid/pi_min", 0.6, "exact.pi_grid.pi_min", ["(0, 0.5)"]),
    ("pi_min-zero", "exact/pi_grid/pi_min", 0.0, "exact.pi_grid.pi_min", ["(0, 0.5)"]),
    ("pi_min-half", "figures/jspi-limits/pi_min", 0.5, "figures.jspi-limits.pi_min", ["(0, 0.5)"]),
    ("pi_grid-pi_min-above-tail", "exact/pi_grid/pi_min", 0.2, "exact.pi_grid.pi_min", ["(0, 0.1)"]),
    ("weights-sum", "targets/bimodal_1d/weights", [0.7, 0.2], "targets.bimodal_1d.weights",
     ["0.9", "summing to 1"]),
    ("weights-negative", "targets/bimodal_1d/weights", [1.2, -0.2], "targets.bimodal_1d.weights[1]",
     [">= 0"]),
    ("cov-not-pd", "targets/trimodal_2d/covariances/0", [[1.0, 2.0], [2.0, 1.0]],
     "targets.trimodal_2d.covariances[0]", ["positive definite", "smallest eigenvalue -1", "positive-definite"]),
    ("cov-asymmetric", "targets/correlated_2d/covariance", [[2.0, 1.2], [1.1, 1.0]],
     "targets.correlated_2d.covariance", ["not symmetric", "symmetric positive-definite"]),
    ("cov-wrong-shape", "targets/bimodal_1d/covariances/0", [[1.0, 0.0], [0.0, 1.0]],
     "targets.bimodal_1d.covariances[0]", ["1 x 1"]),
    ("cov-ragged", "targets/trimodal_2d/covariances/2", [[0.5, 0.0], [0.5]],
     "targets.trimodal_2d.covariances[2]", ["2 x 2"]),
    ("unknown-top-level", "gans", {"steps": 1}, "gans",
     ["unknown key 'gans'", "seed, targets, exact, gan, dynamics, figures"]),
    ("unknown-target-key", "targets/bimodal_1d/mean", [0.0], "targets.bimodal_1d.mean",
     ["unknown key 'mean'", "kind, weights, means, covariances"]),
    ("unknown-exact-key", "exact/tolerance", 1e-8, "exact.tolerance",
     ["quadrature_points_per_sd", "pi_grid"]),
    ("unknown-figure", "figures/gan-grids", {}, "figures.gan-grids",
     ["unknown key 'gan-grids'", "iclr-fig1", "cramer-bernoulli", "jspi-convention"]),
    ("unknown-figure-setting", "figures/w-vs-kl/n", 3, "figures.w-vs-kl.n", ["unknown key 'n'", "(none"]),
    ("string-for-number", "figures/iclr-fig1/mmd_bandwidth", "1e-3", "figures.iclr-fig1.mmd_bandwidth",
     ["expected number", "string"]),
    ("string-for-integer", "exact/n_starts", "many", "exact.n_starts", ["expected integer"]),
    ("bool-for-integer", "figures/tv-trials/n_max", True, "figures.tv-trials.n_max", ["expected integer"]),
    ("float-for-integer", "seed", 0.5, "seed", ["expected integer"]),
    ("count-zero", "exact/pi_grid/n_tail", 0, "exact.pi_grid.n_tail", ["integer >= 1"]),
    ("seed-negative", "seed", -1, "seed", ["integer >= 0"]),
    ("nan", "exact/quadrature_halfwidth_sd", math.nan, "exact.quadrature_halfwidth_sd", ["finite"]),
    ("unknown-kind", "targets/bimodal_1d/kind", "student_t", "targets.bimodal_1d.kind",
     ["'student_t'", "kinds gaussian_mixture, gaussian, theis2016_mixture, swiss_roll"]),
    ("missing-kind", "targets/bimodal_1d/kind", DELETE, "targets.bimodal_1d.kind", ["missing required key"]),
    ("family-enum", "figures/iclr-fig1/family", "spherical", "figures.iclr-fig1.family",
     ["isotropic, diagonal, full"]),
    ("undefined-target", "figures/iclr-fig1/target", "nope", "figures.iclr-fig1.target",
     ["'nope'", "iclr_mog10, bimodal_1d, overlapping_1d, trimodal_2d, correlated_2d, swiss_roll"]),
    ("undefined-target-in-list", "figures/jspi-interpolation/targets", ["bimodal_1d", "nope"],
     "figures.jspi-interpolation.targets[1]", ["'nope'", "bimodal_1d"]),
    ("missing-figure-target", "figures/kl-fit-gaussian2d/target", DELETE, "figures.kl-fit-gaussian2d.target",
     ["missing required key 'target'", "n_samples"]),
    ("means-count", "targets/bimodal_1d/means", [[-2.0]], "targets.bimodal_1d.means",
     ["1 means for 2 weights", "one entry per weight (2)"]),
    ("covariances-count", "targets/trimodal_2d/covariances/2", DELETE, "targets.trimodal_2d.covariances",
     ["2 covariances for 3 weights"]),
    ("means-mixed-dim", "targets/trimodal_2d/means/1", [2.5], "targets.trimodal_2d.means[1]",
     ["dimension 1", "d in {1, 2}"]),
    ("mean-3d", "targets/correlated_2d/mean", [1.0, 2.0, 3.0], "targets.correlated_2d.mean",
     ["3 items", "1 to 2 items"]),
    ("swiss-roll-radius-order", "targets/swiss_roll/radius", [5.0, 1.0], "targets.swiss_roll.radius",
     ["0 < r0 < r1"]),
    ("swiss-roll-radius-length", "targets/swiss_roll/radius", [1.0], "targets.swiss_roll.radius", ["2 items"]),
    ("theis-seed-type", "targets/iclr_mog10/seed", "22", "targets.iclr_mog10.seed", ["expected integer"]),
    ("bad-target-name", "targets/bad.name", {"kind": "theis2016_mixture"}, "targets.bad.name",
     ["^[A-Za-z0-9_]+$"]),
    ("jspi-limits-not-1d", "figures/jspi-limits/mixture_target", "trimodal_2d",
     "figures.jspi-limits.mixture_target", ["2-D", "1-D target: bimodal_1d"]),
    ("kl-fit-not-gaussian", "figures/kl-fit-gaussian2d/target", "trimodal_2d", "figures.kl-fit-gaussian2d.target",
     ["gaussian_mixture", "2-D target of kind gaussian: correlated_2d"]),
    ("kl-fit-batch-too-big", "figures/kl-fit-gaussian2d/batch_size", 10_000, "figures.kl-fit-gaussian2d.batch_size",
     ["n_samples=5000", "[1, 5000]"]),
    ("theta-star-one", "figures/cramer-bernoulli/theta_star", [0.6, 1.0], "figures.cramer-bernoulli.theta_star[1]",
     ["(0, 1)"]),
    ("tv-p-zero", "figures/tv-trials/p", 0, "figures.tv-trials.p", ["(0, 1)"]),
    ("figure-null", "figures/update-rules", None, "figures.update-rules", ["expected object", "null"]),
    # ------------------------------------------------------------- gan section
    ("gan-unknown-key", "gan/epochs", 10, "gan.epochs",
     ["unknown key 'epochs'", "device, threads, group_size, pi_mode, steps, steps_per_call, batch_size", "grid"]),
    ("gan-missing-grid", "gan/grid", DELETE, "gan.grid", ["missing required key 'grid'", "device"]),
    ("gan-device-enum", "gan/device", "tpu", "gan.device", ["'tpu'", "values cpu, gpu"]),
    ("gan-pi_mode-enum", "gan/pi_mode", "mixed", "gan.pi_mode", ["'mixed'", "values weights, batch"]),
    ("gan-threads-zero", "gan/threads", 0, "gan.threads", ["integer >= 1"]),
    ("gan-batch_size-float", "gan/batch_size", 128.5, "gan.batch_size", ["expected integer"]),
    ("gan-snapshots-zero", "gan/n_snapshot_samples", 0, "gan.n_snapshot_samples", ["integer >= 1"]),
    ("gan-steps-not-multiple", "gan/steps", 6100, "gan.steps",
     ["6100 is not a multiple of steps_per_call=500", "a multiple of 500, nearest 6000 or 6500"]),
    ("gan-steps-below-chunk", "gan/steps", 300, "gan.steps", ["steps_per_call=500", "nearest 500 "]),
    ("gan-steps_per_call-zero", "gan/steps_per_call", 0, "gan.steps_per_call", ["integer >= 1"]),
    ("gan-generator-unknown-key", "gan/generator/layers", 3, "gan.generator.layers",
     ["unknown key 'layers'", "latent_dim, hidden, depth, flow_layers"]),
    ("gan-latent-zero", "gan/generator/latent_dim", 0, "gan.generator.latent_dim", ["integer >= 1"]),
    ("gan-lr-zero", "gan/optimizer/d_learning_rate", 0.0, "gan.optimizer.d_learning_rate", ["number > 0"]),
    ("gan-lr-negative", "gan/optimizer/g_learning_rate", -1e-3, "gan.optimizer.g_learning_rate", ["number > 0"]),
    ("gan-beta1-one", "gan/optimizer/beta_1", 1.0, "gan.optimizer.beta_1", ["number in [0, 1)"]),
    ("gan-beta1-negative", "gan/optimizer/beta_1", -0.1, "gan.optimizer.beta_1", ["number in [0, 1)"]),
    ("gan-n_samples-small", "gan/evaluation/n_samples", 9, "gan.evaluation.n_samples", ["integer >= 10"]),
    ("gan-knn_k-zero", "gan/evaluation/knn_k", 0, "gan.evaluation.knn_k", ["integer >= 1"]),
    ("gan-knn_k-too-big", "gan/evaluation/knn_k", 2501, "gan.evaluation.knn_k",
     ["n_samples / 2 = 2500", "integer in [1, 2500]"]),
    ("gan-grid-empty", "gan/grid", [], "gan.grid", ["0 items", "at least 1 items"]),
    ("gan-grid-not-list", "gan/grid", {"targets": ["bimodal_1d"]}, "gan.grid", ["expected array"]),
    ("gan-grid-missing-rules", "gan/grid/0/rules", DELETE, "gan.grid[0].rules",
     ["missing required key 'rules'", "targets, generators, rules, pi, seeds"]),
    ("gan-grid-unknown-key", "gan/grid/1/rule", ["kl"], "gan.grid[1].rule",
     ["unknown key 'rule'", "targets, generators, rules, pi, seeds"]),
    ("gan-grid-targets-empty", "gan/grid/0/targets", [], "gan.grid[0].targets", ["at least 1 items"]),
    ("gan-grid-undefined-target", "gan/grid/1/targets", ["iclr_mog10", "nope"], "gan.grid[1].targets[1]",
     ["undefined target 'nope'", "iclr_mog10, bimodal_1d, overlapping_1d, trimodal_2d, correlated_2d, swiss_roll"]),
    ("gan-grid-target-duplicate", "gan/grid/1/targets", ["swiss_roll", "swiss_roll"], "gan.grid[1].targets",
     ["duplicate items", "unique items"]),
    ("gan-grid-generator-enum", "gan/grid/1/generators", ["flow", "vae"], "gan.grid[1].generators[1]",
     ["'vae'", "values gaussian, flow, mlp"]),
    ("gan-grid-generators-empty", "gan/grid/0/generators", [], "gan.grid[0].generators", ["at least 1 items"]),
    ("gan-grid-rule-enum", "gan/grid/0/rules", ["minimax", "wasserstein"], "gan.grid[0].rules[1]",
     ["'wasserstein'", "values minimax, nonsaturating, kl"]),
    ("gan-grid-rule-duplicate", "gan/grid/0/rules", ["kl", "kl"], "gan.grid[0].rules",
     ["duplicate items", "unique items"]),
    ("gan-grid-pi-one", "gan/grid/0/pi", [0.1, 1.0], "gan.grid[0].pi[1]", ["1.0 is out of range", "(0, 1)"]),
    ("gan-grid-pi-zero", "gan/grid/0/pi", [0], "gan.grid[0].pi[0]", ["(0, 1)"]),
    ("gan-grid-pi-scalar", "gan/grid/1/pi", 0.5, "gan.grid[1].pi", ["expected array", "number 0.5"]),
    ("gan-grid-pi-empty", "gan/grid/1/pi", [], "gan.grid[1].pi", ["at least 1 items"]),
    ("gan-grid-pi-duplicate", "gan/grid/0/pi", [0.1, 0.3, 0.10], "gan.grid[0].pi[2]",
     ["duplicate value 0.1 (same as pi[0])", "distinct values"]),
    ("gan-grid-seed-duplicate", "gan/grid/0/seeds", [0, 1, 1], "gan.grid[0].seeds[2]",
     ["duplicate value 1 (same as seeds[1])", "distinct values"]),
    ("gan-grid-seed-negative", "gan/grid/0/seeds", [0, -1], "gan.grid[0].seeds[1]", ["integer >= 0"]),
    ("gan-grid-seed-float", "gan/grid/0/seeds", [0, 1.5], "gan.grid[0].seeds[1]", ["expected integer"]),
    # ------------------------------------------------------------- figures.gan-grid
    ("gan-grid-figure-unknown-setting", "figures/gan-grid/target", "bimodal_1d", "figures.gan-grid.target",
     ["unknown key 'target'", "heatmap_target, heatmap_generator"]),
    ("gan-grid-figure-missing-generator", "figures/gan-grid/heatmap_generator", DELETE,
     "figures.gan-grid.heatmap_generator", ["missing required key", "heatmap_target, heatmap_generator"]),
    ("heatmap-target-undefined", "figures/gan-grid/heatmap_target", "nope", "figures.gan-grid.heatmap_target",
     ["undefined target 'nope'", "iclr_mog10, bimodal_1d, overlapping_1d, trimodal_2d, correlated_2d, swiss_roll"]),
    ("heatmap-target-not-trained", "figures/gan-grid/heatmap_target", "trimodal_2d",
     "figures.gan-grid.heatmap_target", ["'trimodal_2d' is in no `gan.grid` entry",
                                         "targets trained in `gan.grid`: bimodal_1d, overlapping_1d, swiss_roll, iclr_mog10"]),
    ("jspi-convention-critic-rule", "figures/jspi-convention/rule", "lsgan", "figures.jspi-convention.rule",
     ["'lsgan'", "minimax, nonsaturating, kl"]),
    ("jspi-convention-batch-share", "figures/jspi-convention/pi", [0.0005, 0.5], "figures.jspi-convention.pi[0]",
     ["0 real and 512 generated", "pi in (0.000976562, 0.999023)"]),
    ("heatmap-generator-enum", "figures/gan-grid/heatmap_generator", "vae", "figures.gan-grid.heatmap_generator",
     ["'vae'", "values gaussian"]),
    ("wgan-critic-sd-zero", "figures/wgan-critic/q/sd", 0.0, "figures.wgan-critic.q.sd",
     ["0.0 is out of range", "number > 0"]),
    ("wgan-critic-steps", "figures/wgan-critic/steps", 1200, "figures.wgan-critic.steps",
     ["1200 is not a multiple of steps_per_call=500", "1000 or 1500"]),
    ("ss-joint-undefined", "figures/ss-inconsistency/training/joints", ["strong", "nope"],
     "figures.ss-inconsistency.training.joints[1]", ["undefined joint 'nope'", "strong, weak"]),
    ("ss-epsilon-above-one", "figures/ss-inconsistency/training/epsilons", [0.5, 1.5],
     "figures.ss-inconsistency.training.epsilons[1]", ["1.5 is out of range", "number in [0, 1]"]),
    ("ss-schedule-unknown", "figures/ss-inconsistency/training/annealed", ["exponential"],
     "figures.ss-inconsistency.training.annealed[0]", ["'exponential'", "linear, inverse_sigmoid"]),
    ("ss-seeds-missing", "figures/ss-inconsistency/training/seeds", DELETE,
     "figures.ss-inconsistency.training.seeds", ["missing required key"]),
    ("grid-rule-is-a-zoo-rule", "gan/grid/0/rules", ["minimax", "wgan"], "gan.grid[0].rules[1]",
     ["'wgan'", "minimax, nonsaturating, kl"]),
    ("zoo-rule-unknown", "figures/objectives-zoo/rules", ["nonsaturating", "hinge"], "figures.objectives-zoo.rules[1]",
     ["'hinge'", "minimax, nonsaturating, kl, lsgan, wgan, wgan_gp"]),
    ("zoo-target-1d", "figures/objectives-zoo/targets", ["ring8", "bimodal_1d"], "figures.objectives-zoo.targets[1]",
     ["target 'bimodal_1d' is 1-D", "a 2-D target", "ring8"]),
    ("zoo-one-rule", "figures/objectives-zoo/rules", ["nonsaturating"], "figures.objectives-zoo.rules",
     ["at least 2"]),
    ("zoo-no-spectral-norm-rule", "figures/objectives-zoo/spectral_norm_rules", [],
     "figures.objectives-zoo.spectral_norm_rules", ["at least 1"]),
    ("zoo-density-target-also-mlp", "figures/objectives-zoo/density_runs/targets", ["ring8"],
     "figures.objectives-zoo.density_runs.targets[0]", ["also in figures.objectives-zoo.targets", "bimodal_1d"]),
    ("zoo-density-target-undefined", "figures/objectives-zoo/density_runs/targets", ["nope"],
     "figures.objectives-zoo.density_runs.targets[0]", ["undefined target 'nope'"]),
    ("zoo-density-generator", "figures/objectives-zoo/density_runs/generator", "mlp",
     "figures.objectives-zoo.density_runs.generator", ["'mlp'", "gaussian, flow"]),
    ("zoo-target-undefined", "figures/objectives-zoo/targets", ["ring9"], "figures.objectives-zoo.targets[0]",
     ["undefined target 'ring9'"]),
    ("zoo-wgan-without-clip", "figures/objectives-zoo/objectives/wgan/weight_clip", None,
     "figures.objectives-zoo.objectives.wgan.weight_clip", ["wgan needs a weight clip", "0.01"]),
    ("zoo-wgan-gp-without-penalty", "figures/objectives-zoo/objectives/wgan_gp/gp_weight", 0.0,
     "figures.objectives-zoo.objectives.wgan_gp.gp_weight", ["wgan_gp needs a gradient penalty", "number > 0"]),
    ("zoo-optimizer-unknown", "figures/objectives-zoo/objectives/lsgan/optimizer", "sgd",
     "figures.objectives-zoo.objectives.lsgan.optimizer", ["'sgd'", "adam, rmsprop"]),
    ("zoo-steps", "figures/objectives-zoo/steps", 1200, "figures.objectives-zoo.steps",
     ["1200 is not a multiple of steps_per_call=500", "1000 or 1500"]),
    ("zoo-knn", "figures/objectives-zoo/evaluation/knn_k", 3000, "figures.objectives-zoo.evaluation.knn_k",
     ["3000 exceeds n_samples / 2 = 2500"]),
    # config.yaml trains only flow and mlp on iclr_mog10; the heatmap asks for gaussian
    ("heatmap-generator-not-trained", "figures/gan-grid/heatmap_target", "iclr_mog10",
     "figures.gan-grid.heatmap_generator", ["'gaussian' is not trained on 'iclr_mog10'",
                                            "generators trained on 'iclr_mog10': flow, mlp"]),
]


@pytest.mark.parametrize("key, value, path, needles", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_config(config, schema, key, value, path, needles):
    _set(config, key, value)
    with pytest.raises(ConfigError) as info:
        validate_config(config, schema)
    msg = str(info.value)
    assert info.value.path == path, msg
    assert f"config key '{path}'" in msg
    assert "allowed" in msg
    for needle in needles:
        assert needle in msg, msg


# Cases that need several edits: (case id, [(key, value), ...], dotted path, substrings)
BAD_MULTI = [
    ("batch-pi-no-real", [("gan/pi_mode", "batch"), ("gan/grid/0/pi", [0.5, 0.0009])], "gan.grid[0].pi[1]",
     ["0 real and 512 generated", "2 * batch_size = 512", "1 <= round(512 * pi) <= 511",
      "pi in (0.000976562, 0.999023)"]),
    ("batch-pi-no-generated", [("gan/pi_mode", "batch"), ("gan/batch_size", 8), ("gan/grid/1/pi", [0.97])],
     "gan.grid[1].pi[0]", ["16 real and 0 generated", "1 <= round(16 * pi) <= 15", "pi in (0.03125, 0.96875)"]),
    # round-half-to-even, as in gandiv.gan.model.batch_sizes: round(0.5) == 0
    ("batch-pi-half-sample", [("gan/pi_mode", "batch"), ("gan/batch_size", 1), ("gan/grid/0/pi", [0.125])],
     "gan.grid[0].pi[0]", ["0 real and 2 generated", "pi in (0.25, 0.75)"]),
    ("steps-chunk-mismatch", [("gan/steps", 1000), ("gan/steps_per_call", 300)], "gan.steps",
     ["1000 is not a multiple of steps_per_call=300", "nearest 900 or 1200"]),
    ("ss-steps-chunk-mismatch", [("figures/ss-inconsistency/training/steps", 1200),
                                 ("figures/ss-inconsistency/training/steps_per_call", 500)],
     "figures.ss-inconsistency.training.steps", ["1200 is not a multiple of steps_per_call=500", "1000 or 1500"]),
    ("ss-no-schedule", [("figures/ss-inconsistency/training/epsilons", []),
                        ("figures/ss-inconsistency/training/annealed", [])],
     "figures.ss-inconsistency.training.epsilons", ["no fixed epsilon and no annealed schedule", "[0, 1]"]),
    ("zoo-sn-rule-not-trained", [("figures/objectives-zoo/rules", ["nonsaturating", "wgan_gp"]),
                                 ("figures/objectives-zoo/spectral_norm_rules", ["nonsaturating", "kl"])],
     "figures.objectives-zoo.spectral_norm_rules[1]", ["'kl' is not in rules", "nonsaturating, wgan_gp"]),
    # with the other GAN figures dropped, so that the error is the figure's own
    ("gan-grid-figure-without-gan", [("gan", DELETE)] + [(f"figures/{fig}", DELETE) for fig in GAN_FIGURES
                                                         if fig != "gan-grid"],
     "figures.gan-grid", ["needs a `gan` section", "gan-grid only together with a top-level `gan` section"]),
    ("jspi-convention-without-gan", [("gan", DELETE)] + [(f"figures/{fig}", DELETE) for fig in GAN_FIGURES
                                                         if fig != "jspi-convention"],
     "figures.jspi-convention", ["needs a `gan` section"]),
    ("jspi-convention-target-2d", [("figures/jspi-convention/target", "iclr_mog10")],
     "figures.jspi-convention.target", ["target 'iclr_mog10' is 2-D", "a 1-D target"]),
    ("heatmap-target-outside-figure-list", [("figures/gan-grid/heatmap_target", "swiss_roll"),
                                            ("figures/gan-grid/heatmap_generator", "gaussian")],
     "figures.gan-grid.heatmap_generator", ["generators trained on 'swiss_roll': mlp"]),
]


@pytest.mark.parametrize("edits, path, needles", [c[1:] for c in BAD_MULTI], ids=[c[0] for c in BAD_MULTI])
def test_bad_config_multi(config, schema, edits, path, needles):
    for key, value in edits:
        _set(config, key, value)
    with pytest.raises(ConfigError) as info:
        validate_config(config, schema)
    msg = str(info.value)
    assert info.value.path == path, msg
    assert f"config key '{path}'" in msg and "allowed" in msg
    for needle in needles:
        assert needle in msg, msg


def test_batch_pi_boundaries_accepted(config, schema):
    # 2 * 256 * 0.001 = 0.512 -> 1 real sample; 0.999 -> 511.488 -> 511 real, 1 generated
    _set(config, "gan/pi_mode", "batch")
    _set(config, "gan/grid/0/pi", [0.001, 0.5, 0.999])
    assert validate_config(config, schema)["gan"]["grid"][0]["pi"] == [0.001, 0.5, 0.999]


def test_gan_target_dimension(config, schema, monkeypatch):
    # every current target kind is 1-D or 2-D (the schema caps vectors at 2); guard for future kinds
    import gandiv.pipeline.config_checks as checks

    real = checks.target_dim
    monkeypatch.setattr(checks, "target_dim", lambda t: 3 if t.get("kind") == "swiss_roll" else real(t))
    with pytest.raises(ConfigError) as info:
        validate_config(config, schema)
    assert info.value.path == "gan.grid[2].targets[0]"
    assert "'swiss_roll' is 3-D" in str(info.value)
    assert "allowed: a 1-D or 2-D target: iclr_mog10, bimodal_1d" in str(info.value)


def test_config_without_gan_validates(config, schema):
    del config["gan"]
    for fig in GAN_FIGURES:
        config["figures"].pop(fig, None)
    out = validate_config(config, schema)
    assert "gan" not in out and not set(GAN_FIGURES) & set(out["figures"])


def test_gan_defaults_filled(config, schema):
    for key in ("gan/device", "gan/threads", "gan/pi_mode", "gan/optimizer", "gan/generator/latent_dim",
                "gan/discriminator", "gan/evaluation/knn_k"):
        _set(config, key, DELETE)
    before = copy.deepcopy(config)
    out = validate_config(config, schema)["gan"]
    assert config == before
    assert (out["device"], out["threads"], out["pi_mode"]) == ("cpu", 1, "weights")
    assert out["optimizer"] == {"d_learning_rate": 1e-3, "g_learning_rate": 1e-3, "beta_1": 0.5}
    assert out["generator"] == {"latent_dim": 4, "hidden": 64, "depth": 2, "flow_layers": 4}
    assert out["discriminator"] == {"hidden": 64, "depth": 2}
    assert out["evaluation"] == {"n_samples": 5000, "knn_k": 5, "quadrature_points_per_sd": 8,
                                 "convergence": {"window_steps": 2000, "generator_tol": 0.05,
                                                 "discriminator_tol": 0.02}}
    # only `grid` is required: a minimal section gets every other key from the schema
    minimal = {"grid": [{"targets": ["bimodal_1d"], "generators": ["gaussian"], "rules": ["kl"], "pi": [0.5],
                         "seeds": [0]}]}
    config["gan"] = minimal
    for fig in GAN_FIGURES:  # they ask for runs the minimal grid does not have
        config["figures"].pop(fig, None)
    out = validate_config(config, schema)["gan"]
    assert (out["steps"], out["steps_per_call"], out["batch_size"], out["n_snapshot_samples"]) == (4000, 500, 256, 512)
    assert minimal == {"grid": minimal["grid"]}  # input not mutated


def test_validate_in_place_fills_the_given_object(config, schema):
    # Snakemake's `config` object is filled by this validator alone: afterwards it equals validate_config's
    # copy, key order included (rules iterate over figures and targets in config order).
    del config["exact"]
    expected = validate_config(config, schema)
    target = config
    validate_in_place(config, schema)
    assert config is target and list(config) == list(expected) and config == expected
    assert config["exact"]["quadrature_points_per_sd"] == 4  # the schema's default


def test_validate_in_place_leaves_an_invalid_config_alone(config, schema):
    config["exact"]["n_starts"] = 0
    before = copy.deepcopy(config)
    with pytest.raises(ConfigError, match="exact.n_starts"):
        validate_in_place(config, schema)
    assert config == before


def test_defaults_filled(config, schema):
    for key in ("seed", "exact", "figures/iclr-fig1/family", "figures/iclr-fig1/mmd_bandwidth",
                "targets/swiss_roll/sd", "figures/cramer-bernoulli"):
        _set(config, key, DELETE)
    config["figures"]["cramer-bernoulli"] = {}
    before = copy.deepcopy(config)
    out = validate_config(config, schema)
    assert config == before
    assert out["seed"] == 0
    assert out["exact"] == {"quadrature_points_per_sd": 4, "quadrature_halfwidth_sd": 9, "n_starts": 24,
                            "path_starts": 8,
                            "max_iter": 1000, "pi_grid": {"pi_min": 1e-4, "n_tail": 8, "n_middle": 9}}
    assert out["figures"]["iclr-fig1"]["family"] == "isotropic"
    assert out["figures"]["iclr-fig1"]["mmd_bandwidth"] == 1.0
    assert out["targets"]["swiss_roll"]["sd"] == 0.25
    assert out["figures"]["cramer-bernoulli"]["theta_star"] == [0.6, 0.9]
    # defaults are copies: filling twice must not share state with the schema
    out["exact"]["pi_grid"]["n_tail"] = 99
    assert validate_config(before, schema)["exact"]["pi_grid"]["n_tail"] == 8


def _walk_properties(node, defs, trail=""):
    """Yield (trail, property schema) for every property declared in the schema (ignoring `if` clauses)."""
    if isinstance(node, dict):
        for key, sub in node.get("properties", {}).items():
            yield f"{trail}.{key}", sub
        for key, sub in node.items():
            if key != "if":
                yield from _walk_properties(sub, defs, f"{trail}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _walk_properties(sub, defs, f"{trail}[{i}]")


def test_every_property_has_description(schema):
    defs = schema["$defs"]
    for trail, sub in _walk_properties(schema, defs):
        ref = sub.get("$ref", "")
        target = defs[ref.rsplit("/", 1)[-1]] if ref.startswith("#/$defs/") else {}
        assert "description" in sub or "description" in target, trail


def test_schema_figure_ids_are_catalogue_ids(schema):
    catalogue = pytest.importorskip("gandiv.figures.catalogue")
    assert set(schema["properties"]["figures"]["properties"]) <= set(catalogue.FIGURE_IDS)


# ----------------------------------------------------------------- pi_grid

SPEC = {"pi_min": 1e-4, "n_tail": 8, "n_middle": 9}


def test_pi_grid_shape_bounds_and_spacing():
    g = pi_grid(SPEC)
    assert g.shape == (2 * 8 + 9,)
    assert np.all(np.diff(g) > 0)
    assert g[0] == 1e-4 and g[-1] == 1 - 1e-4
    tail = g[:8]
    assert tail[-1] == pytest.approx(0.1)
    np.testing.assert_allclose(np.diff(np.log(tail)), np.log(0.1 / 1e-4) / 7, rtol=1e-12)
    middle = g[8:17]
    assert np.all((middle > 0.1) & (middle < 0.9))
    np.testing.assert_allclose(np.diff(middle), 0.08, rtol=1e-12)


def test_pi_grid_symmetric():
    g = pi_grid(SPEC)
    np.testing.assert_allclose(1.0 - g[::-1], g, rtol=0, atol=1e-15)


@settings(max_examples=50, deadline=None)
@given(pi_min=st.floats(1e-9, 0.09), n_tail=st.integers(1, 20), n_middle=st.integers(1, 30))
def test_pi_grid_properties(pi_min, n_tail, n_middle):
    g = pi_grid({"pi_min": pi_min, "n_tail": n_tail, "n_middle": n_middle})
    assert len(g) == 2 * n_tail + n_middle
    assert np.all(np.diff(g) > 0) and g[0] == pi_min and np.all((g > 0) & (g < 1))
    np.testing.assert_allclose(1.0 - g[::-1], g, rtol=0, atol=1e-15)
