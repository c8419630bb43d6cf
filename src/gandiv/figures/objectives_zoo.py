"""objectives-zoo: every GAN objective on mode-collapse targets, and the discriminator's singular values.

The zoo's runs (study `zoo` of gandiv.gan.runs, settings in this figure's section) are evaluated per
target by `gan_evaluate`; this figure reads those tables and each run's status and snapshots. The claim
and the verdict rule: src/gandiv/figures/catalogue.yaml (objectives-zoo), applied by
`gandiv.figures.zoo_verdict`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from gandiv.config_error import ConfigError, check_knn, check_whole_calls
from gandiv.exact.densities import target_dim
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import set_style
from gandiv.figures.zoo_panels import exact_panel, sample_panels, singular_value_panel, summary_panels
from gandiv.figures.zoo_table import annotate_runs, read_evaluation, read_runs, tidy_rows
from gandiv.figures.zoo_verdict import density_run_numbers, mode_collapse_verdict
from gandiv.gan import runs as gan_runs
from gandiv.gan.zoo import generator_for

SETTINGS = """\
description: >-
  GANs with an mlp generator trained on mode-collapse targets under every objective of `rules`
  (and with a spectral-normalised discriminator for `spectral_norm_rules`), one Snakemake job per
  (target, rule, discriminator, seed); compared by estimated divergences, mode coverage and the
  discriminator's largest singular values over training.
type: object
additionalProperties: false
required: [targets]
properties:
  targets:
    description: 2-D targets (e.g. kinds ring_of_gaussians, grid_of_gaussians).
    type: array
    minItems: 1
    uniqueItems: true
    items: {$ref: "#/$defs/target_name"}
  rules:
    description: Objectives to train, each with a plain discriminator (at least two, to compare).
    type: array
    minItems: 2
    uniqueItems: true
    items: {$ref: "#/$defs/gan_rule"}
    default: [minimax, nonsaturating, kl, lsgan, wgan, wgan_gp]
  spectral_norm_rules:
    description: Objectives (each also in `rules`) trained again with a spectral-normalised discriminator.
    type: array
    minItems: 1
    uniqueItems: true
    items: {$ref: "#/$defs/gan_rule"}
    default: [nonsaturating]
  seeds:
    description: >-
      Training seeds; the spread over them is the figure's error bar. The verdict needs at least 5 converged
      seeds per objective and target (gandiv.figures.evidence.MIN_SEEDS), and says "inconclusive" with fewer.
    $ref: "#/$defs/seed_list"
    default: [0, 1, 2, 3, 4]
  device:
    description: cpu | gpu; gpu jobs request `gpu=1` and use envs/gan-gpu.yaml.
    type: string
    enum: [cpu, gpu]
    default: cpu
  threads:
    description: TensorFlow threads per training job.
    type: integer
    minimum: 1
    default: 1
  group_size: {$ref: "#/$defs/group_size", default: 15}
  steps:
    description: Generator updates per training (multiple of steps_per_call).
    type: integer
    minimum: 1
    default: 5000
  steps_per_call:
    description: Steps inside one compiled call; snapshots and singular values are kept after every call.
    type: integer
    minimum: 1
    default: 500
  batch_size:
    description: Real and generated samples per discriminator update.
    type: integer
    minimum: 1
    default: 256
  n_snapshot_samples:
    description: Generated samples at fixed noise z kept after every call.
    type: integer
    minimum: 1
    default: 2000
  generator:
    description: The mlp generator.
    type: object
    additionalProperties: false
    default: {}
    properties:
      latent_dim: {description: Noise dimension., type: integer, minimum: 1, default: 2}
      hidden: {description: Units per hidden ReLU layer., type: integer, minimum: 1, default: 64}
      depth: {description: Hidden layers., type: integer, minimum: 1, default: 3}
  discriminator:
    description: The discriminator or critic MLP (spectral normalisation is set per run).
    type: object
    additionalProperties: false
    default: {}
    properties:
      hidden: {description: Units per hidden ReLU layer., type: integer, minimum: 1, default: 64}
      depth: {description: Hidden layers., type: integer, minimum: 1, default: 3}
  objectives:
    description: >-
      Optimiser and discriminator-update settings per objective. An objective not listed takes the
      defaults shown; one that is listed replaces them whole, so list every setting that differs
      from zoo_objective's defaults (e.g. wgan's rmsprop, d_steps 5 and clip).
    type: object
    additionalProperties: false
    default: {}
    properties:
      minimax: &zoo_objective
        description: How one objective is trained (the settings of its paper's toy experiments, rates scaled for short runs).
        type: object
        additionalProperties: false
        properties:
          optimizer:
            description: adam (both networks) or rmsprop (the WGAN paper's).
            type: string
            enum: [adam, rmsprop]
            default: adam
          learning_rate:
            description: Learning rate of both networks.
            type: number
            exclusiveMinimum: 0
            default: 0.001
          beta_1:
            description: Adam's beta_1.
            type: number
            minimum: 0
            exclusiveMaximum: 1
            default: 0.5
          beta_2:
            description: Adam's beta_2.
            type: number
            minimum: 0
            exclusiveMaximum: 1
            default: 0.9
          d_steps:
            description: Discriminator (critic) updates per generator update.
            type: integer
            minimum: 1
            default: 1
          weight_clip:
            description: Clip every discriminator weight to [-c, c] after each update (WGAN); null for none.
            type: [number, "null"]
            exclusiveMinimum: 0
            default: null
          gp_weight:
            description: Gradient-penalty weight lambda (WGAN-GP); 0 for none.
            type: number
            minimum: 0
            default: 0.0
        default: {}
      nonsaturating: *zoo_objective
      kl: *zoo_objective
      lsgan: *zoo_objective
      wgan:
        <<: *zoo_objective
        default: {optimizer: rmsprop, learning_rate: 0.0005, d_steps: 5, weight_clip: 0.01}
      wgan_gp:
        <<: *zoo_objective
        default: {d_steps: 5, gp_weight: 0.1}
  evaluation:
    description: Fresh samples for the estimated divergences and mode coverage.
    type: object
    additionalProperties: false
    default: {}
    properties:
      n_samples: {description: Samples of P and of Q., type: integer, minimum: 10, default: 5000}
      knn_k: {description: Neighbours of the k-NN KL estimator., type: integer, minimum: 1, default: 5}
      quadrature_points_per_sd: {description: Grid points per sd of P's narrowest component for exact divergences of a generator with a density., type: number, exclusiveMinimum: 0, default: 8}
      convergence: {$ref: "#/$defs/convergence", default: {}}
  density_runs:
    description: >-
      Further targets (1-D or 2-D, not in `targets`) on which every objective trains a generator
      with a density, so that its divergences are exact as in the GAN grid.
    type: object
    additionalProperties: false
    default: {}
    properties:
      targets:
        description: Targets of the density runs.
        type: array
        uniqueItems: true
        items: {$ref: "#/$defs/target_name"}
        default: []
      generator:
        description: gaussian (location-scale) or flow (normalising flow); both give exact densities.
        type: string
        enum: [gaussian, flow]
        default: gaussian
      flow_layers:
        description: Coupling layers of the flow generator.
        type: integer
        minimum: 1
        default: 4
  min_mode_share:
    description: A mode counts as covered if at least this share of all samples fall within 3 sd of its mean.
    type: number
    exclusiveMinimum: 0
    maximum: 1
    default: 0.01
"""

NEEDS = Needs(("targets", "density_runs.targets", "min_mode_share"), (), ("targets",))


def inputs(config) -> dict:
    """The zoo's evaluation tables (mode-collapse targets, then density-run targets) and every run's status and
    snapshots (`gan_runs.zoo_runs` order; statuses[k] and snapshots[k] are the same run's)."""
    settings = config["figures"]["objectives-zoo"]
    zoo = gan_runs.zoo_runs(config)
    return {"evaluations": [gan_runs.evaluation_table("zoo", t, generator_for(settings, t))
                            for t in settings["targets"] + settings["density_runs"]["targets"]],
            "statuses": [run.file("status.json") for run in zoo],
            "snapshots": [run.file("snapshots.npz") for run in zoo]}


def check(settings, config) -> None:
    """2-D mlp targets; density-run targets defined and distinct; whole compiled calls; spectral-norm rules
    also trained plain; critics constrained; enough samples for k-NN. Raises ConfigError naming the key."""
    p, targets = "figures.objectives-zoo", config["targets"]
    check_whole_calls(p, settings)
    for i, ref in enumerate(settings["targets"]):
        if target_dim(targets[ref]) != 2:
            ok = [n for n, t in targets.items() if target_dim(t) == 2]
            raise ConfigError(f"{p}.targets[{i}]", f"target {ref!r} is {target_dim(targets[ref])}-D",
                              "a 2-D target: " + (", ".join(ok) or "none defined"))
    names = ", ".join(targets)
    for i, ref in enumerate(settings["density_runs"]["targets"]):
        path = f"{p}.density_runs.targets[{i}]"
        if ref not in targets:
            raise ConfigError(path, f"undefined target {ref!r}", f"targets defined in `targets`: {names}")
        if ref in settings["targets"]:
            raise ConfigError(path, f"target {ref!r} is also in figures.objectives-zoo.targets (mlp runs)",
                              "targets not in figures.objectives-zoo.targets: "
                              + ", ".join(t for t in targets if t not in settings["targets"]))
        if target_dim(targets[ref]) not in (1, 2):
            raise ConfigError(path, f"target {ref!r} is {target_dim(targets[ref])}-D", "a 1-D or 2-D target")
    for i, rule in enumerate(settings["spectral_norm_rules"]):
        if rule not in settings["rules"]:
            raise ConfigError(f"{p}.spectral_norm_rules[{i}]", f"{rule!r} is not in rules (no plain run to compare)",
                              "rules listed in figures.objectives-zoo.rules: " + ", ".join(settings["rules"]))
    objectives = settings["objectives"]
    if "wgan" in settings["rules"] and objectives["wgan"]["weight_clip"] is None:
        raise ConfigError(f"{p}.objectives.wgan.weight_clip", "wgan needs a weight clip (got null)",
                          "a number > 0, e.g. 0.01 as in the WGAN paper")
    if "wgan_gp" in settings["rules"] and objectives["wgan_gp"]["gp_weight"] <= 0:
        raise ConfigError(f"{p}.objectives.wgan_gp.gp_weight", f"wgan_gp needs a gradient penalty (got "
                          f"{objectives['wgan_gp']['gp_weight']!r})", "a number > 0, e.g. 0.1 for toy data or 10")
    check_knn(f"{p}.evaluation", settings["evaluation"])


def compute(ctx: Context) -> Computed:
    """The tidy table of `zoo_table.tidy_rows`; extras: the evaluation rows with their `variant`, and the runs
    (`zoo_table.read_runs`, with `converged` and, on the mode-collapse targets, the modes covered per snapshot)."""
    evaluation = read_evaluation(ctx.inputs["evaluations"])
    targets = {name: ctx.target(name) for name in ctx.settings["targets"]}
    runs = annotate_runs(read_runs(ctx.inputs["statuses"], ctx.inputs["snapshots"]), evaluation, targets,
                         ctx.settings["min_mode_share"])
    return Computed(tidy_rows(evaluation, runs), {"evaluation": evaluation, "runs": runs})


def draw(computed: Computed, ctx: Context):
    """A row of sample panels per mode-collapse target, then the summary bars, the singular values and (with
    density runs) their exact KL."""
    evaluation, runs = computed.extras["evaluation"], computed.extras["runs"]
    targets, density_targets = ctx.settings["targets"], ctx.settings["density_runs"]["targets"]
    variants = list(dict.fromkeys(evaluation.variant))
    set_style()
    fig = plt.figure(figsize=(2.1 * max(len(variants), 4), 2.1 * len(targets) + 3.2), layout="constrained")
    grid = fig.add_gridspec(len(targets) + 1, max(len(variants), 4 + bool(density_targets)),
                            height_ratios=[1] * len(targets) + [1.5])
    sample_panels(fig, grid, ctx, runs, targets, variants)
    summary_panels([fig.add_subplot(grid[len(targets), j]) for j in range(3)], evaluation, targets, variants)
    singular_value_panel(fig.add_subplot(grid[len(targets), 3]), runs, _mode_runs(runs, targets), _n_modes(ctx))
    if density_targets:
        exact_panel(fig.add_subplot(grid[len(targets), 4]), evaluation, density_targets, variants)
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """The three checks of `zoo_verdict.mode_collapse_verdict` on the mode-collapse targets (converged runs only),
    with the density runs' exact divergences reported beside them (not in the verdict)."""
    evaluation, runs = computed.extras["evaluation"], computed.extras["runs"]
    targets, density_targets = ctx.settings["targets"], ctx.settings["density_runs"]["targets"]
    status, summary, numbers = mode_collapse_verdict(evaluation[evaluation.target.isin(targets)],
                                                     _mode_runs(runs, targets), _n_modes(ctx))
    exact_sentence, exact_numbers = density_run_numbers(evaluation, density_targets)
    return verdict("objectives-zoo", status, summary + exact_sentence, numbers + exact_numbers)


def _mode_runs(runs: list[dict], targets: list[str]) -> list[dict]:
    """The mlp runs on the mode-collapse targets."""
    return [r for r in runs if r["target"] in targets]


def _n_modes(ctx: Context) -> dict[str, int]:
    """Each mode-collapse target's number of modes, in the order of the settings."""
    return {name: len(ctx.target(name).weights) for name in ctx.settings["targets"]}
