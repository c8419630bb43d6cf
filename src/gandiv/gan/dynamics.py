"""The dynamics studies: the GAN runs of the d-steps, nonsaturating-speed, pi-convergence and instance-noise figures.

Each figure trains its own 1-D Gaussian GANs (a study of its own, like the convention study) with the `gan`
section's settings except what the figure sets: its target, rules, pi, seeds, steps, steps per call and the
generator's fixed start N(start_mean, 1). The one axis a figure varies beyond rule, pi and seed is its runs'
`discriminator` path token (`Variant`), since it says how the pair is trained:

  dsteps  (d-steps)              "dsteps<k>": k discriminator steps per generator step
  speed   (nonsaturating-speed)  "start<m>": the generator starts at N(m, 1), x units
  piconv  (pi-convergence)       "weights" | "batch": how pi enters the discriminator's training (`gan.pi_mode`)
  noise   (instance-noise)       "noise<s>": instance noise of scale s (x units) before the discriminator

How each run ends is measured by `gandiv.gan.trajectory` (converges, rate), or for the noise study by where it lands.
The noise study trains on a 1-D mixture (where the JS_pi path has two branches); the others on one 1-D Gaussian.
Pure config logic (no TensorFlow).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from gandiv.config_error import ConfigError, check_batch_share
from gandiv.exact.densities import target_from_config
from gandiv.path_tokens import number_token, parse_number

STUDIES = {"dsteps": "d-steps", "speed": "nonsaturating-speed", "piconv": "pi-convergence",
           "noise": "instance-noise"}  # study -> figure
FIGURE_KEYS = ("target", "steps", "steps_per_call")  # what every study's training reads from its figure
SPEED_RULES = ("minimax", "nonsaturating")  # the two rules nonsaturating-speed compares
NOISE_RULES = ("minimax",)  # the rule whose ideal-discriminator landing point is the JS_pi minimiser (the note)


@dataclass(frozen=True)
class Variant:
    """How a run of a dynamics study is trained beyond its rule, pi and seed."""

    d_steps: int
    pi_mode: str
    start_mean: float  # x units; the generator's sd starts at 1
    instance_noise: float = 0.0  # x units: the sd of the noise added before the discriminator


def settings_of(config: Mapping, study: str) -> Mapping:
    """The figure section that holds a dynamics study; ValueError for another study."""
    if study not in STUDIES:
        raise ValueError(f"{study!r} is not a dynamics study; they are: {', '.join(STUDIES)}")
    return config["figures"][STUDIES[study]]


def tokens(study: str, settings: Mapping) -> list[str]:
    """The `discriminator` path tokens of a study's runs, in the settings' order."""
    if study == "dsteps":
        return [f"dsteps{k}" for k in settings["d_steps"]]
    if study == "speed":
        return [f"start{number_token(m)}" for m in settings["start_means"]]
    if study == "noise":
        return [f"noise{number_token(s)}" for s in settings["gan_sigmas"]]
    return list(settings["pi_modes"])


def instance_noise_of(token: str) -> float:
    """The instance-noise scale (x units) a noise-study token "noise<s>" names; ValueError for another token."""
    if not token.startswith("noise"):
        raise ValueError(f"{token!r} is not a noise-study token (noise<s>)")
    return parse_number(token.removeprefix("noise"))


def variant(config: Mapping, study: str, token: str) -> Variant:
    """The Variant a study's token names (inverse of `tokens`); ValueError for a token the study does not have."""
    settings = settings_of(config, study)
    if token not in tokens(study, settings):
        raise ValueError(f"study {study} has no runs {token!r}; it has: {', '.join(tokens(study, settings))}")
    pi_mode = config["gan"]["pi_mode"]
    if study == "speed":
        return Variant(1, pi_mode, parse_number(token.removeprefix("start")))
    if study == "dsteps":
        return Variant(int(token.removeprefix("dsteps")), pi_mode, settings["start_mean"])
    if study == "noise":
        return Variant(1, pi_mode, settings["start_mean"], instance_noise_of(token))
    return Variant(1, token, settings["start_mean"])


def run_names(config: Mapping, study: str, target: str | None = None) -> list[tuple[str, str, str, float, int]]:
    """(target, rule, token, pi, seed) of every run of a study, optionally on one target: every rule x token x pi x
    seed of its figure's settings; [] when the config does not build the figure."""
    settings = config["figures"].get(STUDIES[study])
    if settings is None or target not in (None, settings["target"]):
        return []
    pis = settings["pi"] if isinstance(settings["pi"], list) else [settings["pi"]]
    rules = {"speed": SPEED_RULES, "noise": NOISE_RULES}.get(study, settings.get("rules"))
    return [(settings["target"], rule, token, pi, seed) for rule, token, pi, seed
            in itertools.product(rules, tokens(study, settings), pis, settings["seeds"])]


def training_overrides(config: Mapping, study: str, token: str) -> dict:
    """What a run's training takes from its figure and variant instead of the `gan` section."""
    settings, v = settings_of(config, study), variant(config, study, token)
    out = {"steps": settings["steps"], "steps_per_call": settings["steps_per_call"], "d_steps": v.d_steps,
           "pi_mode": v.pi_mode}
    return out | ({"instance_noise": v.instance_noise} if study == "noise" else {})


def figure_keys(config: Mapping, study: str) -> list[str]:
    """Dotted keys of the figure section a study's trainings read."""
    figure = STUDIES[study]
    own = {"dsteps": ["d_steps", "start_mean"], "speed": ["start_means"], "piconv": ["pi_modes", "start_mean"],
           "noise": ["gan_sigmas", "start_mean"]}[study]
    return [f"figures.{figure}.{key}" for key in (*FIGURE_KEYS, *own)]


def check_study(figure_id: str, settings: Mapping, config: Mapping) -> None:
    """A dynamics figure's config rules beyond its schema: a `gan` section, a target that is one 1-D Gaussian
    (where theta* is known exactly, `gandiv.gan.trajectory.stationary_point`; for instance-noise a 1-D mixture,
    where the JS_pi path branches), whole compiled calls, a budget longer
    than the convergence window, and with pi as the batch's real share a real and a generated sample in every
    batch. ConfigError naming the key otherwise."""
    key = f"figures.{figure_id}"
    gan = config.get("gan")
    if gan is None:
        raise ConfigError(key, "the figure trains GANs with the `gan` section's settings, and the config has none",
                          "a top-level `gan` section (or drop the figure)")
    target = target_from_config(config["targets"][settings["target"]])
    if figure_id == STUDIES["noise"]:
        if target.dim != 1 or len(target.weights) < 2:
            raise ConfigError(f"{key}.target", f"target {settings['target']!r} is not a 1-D mixture",
                              "a 1-D gaussian_mixture with at least two components (where the JS_pi path branches)")
    elif target.dim != 1 or len(target.weights) != 1:
        raise ConfigError(f"{key}.target", f"target {settings['target']!r} is not one 1-D Gaussian",
                          "a target of kind gaussian with a 1-D mean (where every rule's stationary point is Q = P)")
    if settings["steps"] % settings["steps_per_call"]:
        raise ConfigError(f"{key}.steps", f"{settings['steps']} is not a multiple of steps_per_call "
                                          f"{settings['steps_per_call']}", "a whole number of compiled calls")
    window = gan["evaluation"]["convergence"]["window_steps"]
    if settings["steps"] <= window:
        raise ConfigError(f"{key}.steps", f"{settings['steps']} steps leave no time before the {window}-step "
                                          f"convergence window (gan.evaluation.convergence.window_steps)",
                          f"more than {window} steps")
    modes = settings.get("pi_modes", [gan["pi_mode"]])
    pis = settings["pi"] if isinstance(settings["pi"], list) else [settings["pi"]]
    if "batch" in modes:
        for j, pi in enumerate(pis):
            check_batch_share(f"{key}.pi" + (f"[{j}]" if isinstance(settings["pi"], list) else ""), pi,
                              gan["batch_size"])
