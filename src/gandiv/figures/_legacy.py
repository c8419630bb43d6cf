"""Figures not yet moved to their own module (see gandiv.figures.recipe): their builders, config needs and inputs.

Transitional: each entry leaves this file when its figure gets its module; the file goes with the last one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gandiv.figures.recipe import Context, Needs as ConfigNeeds, verdict  # noqa: F401  (the builders import them from here)
from gandiv.gan import runs


@dataclass
class FigureResult:
    figure: object  # matplotlib Figure
    data: pd.DataFrame
    verdict: dict


def builders() -> dict:
    """Figure id -> builder function, for every figure the pipeline can build."""
    from gandiv.figures import critic_figures
    from gandiv.figures import ss_figures
    from gandiv.figures import zoo_figures

    return {
        "ss-inconsistency": ss_figures.ss_inconsistency,
        "wgan-critic": critic_figures.wgan_critic,
        "objectives-zoo": zoo_figures.objectives_zoo,
    }


QUADRATURE_KEYS = ("exact.quadrature_points_per_sd", "exact.quadrature_halfwidth_sd")


CONFIG_NEEDS = {
    "ss-inconsistency": ConfigNeeds(("joints", "n_epsilon"), ("seed",)),
    "wgan-critic": ConfigNeeds(("p", "q")),
    "objectives-zoo": ConfigNeeds(("targets", "density_runs.targets"), (), ("targets",)),
}

ANIMATION_NEEDS = {}  # the GIF of a figure, if it has one




def legacy_inputs(config, figure_id: str) -> dict:
    """Intermediate results a legacy figure job reads, by name."""
    settings = config["figures"][figure_id]
    if figure_id == "wgan-critic":
        return {objective: f"results/wgan_critic/{objective}.npz" for objective in ("gan", "wgan_gp")}
    if figure_id == "objectives-zoo":
        inputs = {f"eval_{t}": runs.evaluation_table(s, t, g) for s, t, g in runs.evaluation_groups(config)
                  if s == "zoo"}
        for k, run in enumerate(runs.zoo_runs(config)):
            inputs[f"snapshots_{k}"] = run.file("snapshots.npz")
            inputs[f"status_{k}"] = run.file("status.json")
        return inputs
    if figure_id == "ss-inconsistency":
        from gandiv.path_tokens import int_token, number_token
        import itertools

        training = settings.get("training")
        if training is None:
            return {}
        schedules = [f"epsilon{number_token(eps)}" for eps in training["epsilons"]] + list(training["annealed"])
        return {f"run_{k}": f"results/scheduled_sampling/{j}/{s}/seed{int_token(seed)}/tables.json"
                for k, (j, s, seed) in enumerate(itertools.product(training["joints"], schedules, training["seeds"]))}
    return {}
