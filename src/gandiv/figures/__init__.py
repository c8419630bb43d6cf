"""One builder per figure id: it computes the numbers, draws the figure and decides the verdict.

A builder takes a `Context` (validated config, the figure's settings, named
input files from earlier pipeline stages) and returns a `FigureResult`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from gandiv.exact.densities import GaussianMixture, target_from_config

VERDICTS = ("reproduced", "partly", "not reproduced")


@dataclass(frozen=True)
class Context:
    config: dict
    settings: dict
    inputs: dict = field(default_factory=dict)

    def target(self, name: str) -> GaussianMixture:
        return target_from_config(self.config["targets"][name])

    @property
    def seed(self) -> int:
        return int(self.config.get("seed", 0))

    @property
    def quadrature(self) -> dict:
        exact = self.config.get("exact", {})
        return {"points_per_sd": exact.get("quadrature_points_per_sd", 8),
                "halfwidth_sd": exact.get("quadrature_halfwidth_sd", 9)}


@dataclass
class FigureResult:
    figure: object  # matplotlib Figure
    data: pd.DataFrame
    verdict: dict


def verdict(figure_id: str, status: str, summary: str, numbers: list[tuple]) -> dict:
    """A verdict record: status, a sentence of what was measured, and the deciding numbers."""
    if status not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {status!r}")
    return {"id": figure_id, "verdict": status, "summary": summary,
            "numbers": [{"name": n, "value": float(v), "unit": u} for n, v, u in numbers]}


def builders() -> dict:
    """Figure id -> builder function, for every figure the pipeline can build."""
    from gandiv.figures import critic_figures
    from gandiv.figures import discrete_figures
    from gandiv.figures import exact_fits
    from gandiv.figures import gan_figures
    from gandiv.figures import gan_theory_figures
    from gandiv.figures import gan_theory_practice
    from gandiv.figures import jspi_figures
    from gandiv.figures import ml_from_samples
    from gandiv.figures import ss_figures
    from gandiv.figures import swissroll_figures
    from gandiv.figures import zoo_figures

    return {
        "iclr-fig1": exact_fits.iclr_fig1,
        "jspi-interpolation": jspi_figures.jspi_interpolation,
        "jspi-limits": jspi_figures.jspi_limits,
        "gan-optimal-value": gan_theory_figures.gan_optimal_value,
        "update-rules": gan_theory_figures.update_rules,
        "w-vs-kl": discrete_figures.w_vs_kl,
        "tv-trials": discrete_figures.tv_trials,
        "cramer-bernoulli": discrete_figures.cramer_bernoulli,
        "kl-vs-rkl-multimodal": exact_fits.kl_vs_rkl_multimodal,
        "kl-fit-gaussian2d": ml_from_samples.kl_fit_gaussian2d,
        "gan-grid": gan_figures.gan_grid,
        "jspi-convention": jspi_figures.jspi_convention,
        "swissroll-kl": swissroll_figures.swissroll_kl,
        "density-ratio": gan_theory_practice.density_ratio,
        "kl-rule-theory": gan_theory_practice.kl_rule_theory,
        "ss-inconsistency": ss_figures.ss_inconsistency,
        "wgan-critic": critic_figures.wgan_critic,
        "objectives-zoo": zoo_figures.objectives_zoo,
    }


QUADRATURE_KEYS = ("exact.quadrature_points_per_sd", "exact.quadrature_halfwidth_sd")


@dataclass(frozen=True)
class ConfigNeeds:
    """What a figure's builder reads from the config: keys of its own settings (None: all of them), other
    dotted keys, and the settings keys that name targets (each named target's entry is read whole)."""

    settings: tuple | None = None
    config: tuple = ()
    targets: tuple = ()


CONFIG_NEEDS = {
    "iclr-fig1": ConfigNeeds(None, ("seed", "exact.n_starts", *QUADRATURE_KEYS), ("target",)),
    "jspi-interpolation": ConfigNeeds(("targets",), ("seed", "exact.n_starts", *QUADRATURE_KEYS), ("targets",)),
    "jspi-limits": ConfigNeeds(None, (), ("mixture_target",)),
    "gan-optimal-value": ConfigNeeds(None, (), ("target",)),
    "update-rules": ConfigNeeds(),
    "w-vs-kl": ConfigNeeds(),
    "tv-trials": ConfigNeeds(),
    "cramer-bernoulli": ConfigNeeds(None, ("seed",)),
    "kl-vs-rkl-multimodal": ConfigNeeds(None, ("seed", "exact.max_iter", *QUADRATURE_KEYS), ("target",)),
    "kl-fit-gaussian2d": ConfigNeeds(None, ("seed",), ("target",)),
    "gan-grid": ConfigNeeds(("heatmap_target", "heatmap_generator")),
    "jspi-convention": ConfigNeeds(("target", "rule")),
    "swissroll-kl": ConfigNeeds(None, ("seed", "gan.evaluation.knn_k"), ("target",)),
    "density-ratio": ConfigNeeds(("target", "generator"), (), ("target",)),
    "kl-rule-theory": ConfigNeeds(None, ("seed", *QUADRATURE_KEYS), ("target",)),
    "ss-inconsistency": ConfigNeeds(("joints", "n_epsilon"), ("seed",)),
    "wgan-critic": ConfigNeeds(("p", "q")),
    "objectives-zoo": ConfigNeeds(("targets", "density_runs.targets"), (), ("targets",)),
}

ANIMATION_NEEDS = {"swissroll-kl": ConfigNeeds(None, ("seed",), ("target",))}  # the GIF of a figure, if it has one


def figure_config_keys(figure_id: str, settings: Mapping, animation: bool = False) -> list[str]:
    """Dotted config keys the figure's job (or its animation's) reads: its Snakemake rule declares them."""
    needs = (ANIMATION_NEEDS if animation else CONFIG_NEEDS)[figure_id]
    own = [f"figures.{figure_id}"] if needs.settings is None else [f"figures.{figure_id}.{k}" for k in needs.settings]
    names = []
    for key in needs.targets:
        value = settings[key]
        names += [value] if isinstance(value, str) else list(value)
    return own + list(needs.config) + [f"targets.{name}" for name in dict.fromkeys(names)]
