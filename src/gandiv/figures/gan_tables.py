"""GAN grid evaluation tables as figures read them: one reader, and the trained Gaussian generators they hold.

An evaluation table (`gandiv.gan.runs.evaluation_table`, written by
`gandiv.pipeline.gan_jobs.evaluate_group_job`) has one row per number of one trained run: the run's
naming columns, `diverged`, `converged` (gandiv.gan.convergence), then `gandiv.gan.evaluation`'s tidy rows. A Gaussian generator's
parameters are its rows of method `parameters` (`generator_mean_<i>`, `generator_cov_<ij>`, x units
and x units squared).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.results_io import read_csv

# The columns of a grid evaluation table: the run's names, `diverged`, `converged`, then gandiv.gan.evaluation.tidy_rows's.
GRID_EVALUATION_COLUMNS = ("target", "generator", "rule", "pi", "seed", "diverged", "converged", "quantity", "method",
                           "value", "exact", "error", "exact_error", "note")
NAMES = ("target", "generator", "rule")  # the columns that hold names


def as_bool(values) -> np.ndarray:
    """A CSV column of booleans (True/False, 1/0, 1.0/0.0 as read back by pandas) as a bool array."""
    return pd.Series(values).astype(str).str.strip().str.lower().isin(["true", "1", "1.0"]).to_numpy()


def read_grid_evaluation(path: str) -> pd.DataFrame:
    """The evaluation table of one grid group (study, target, generator), checked for GRID_EVALUATION_COLUMNS.

    Names stay strings (a target named `2` is not read as a number). Raises
    gandiv.results_io.MissingResultError or CorruptResultError naming the file.
    """
    return read_csv(path, required=GRID_EVALUATION_COLUMNS, dtype={name: str for name in NAMES})


def gaussian_generators(table: pd.DataFrame, rule: str) -> pd.DataFrame:
    """The trained 1-D Gaussian generators of one update rule, averaged over the converged seeds, one row per pi.

    Columns: pi; mean and sd (x units) of the generator's mean and of its sd sqrt(cov_00), averaged over
    the seeds that converged (gandiv.gan.convergence; a diverged run never does); mean_spread and sd_spread,
    their standard deviations over those seeds (NaN for a single seed); seeds, how many seeds were averaged.
    Every pi the rule was trained at has a row (NaN numbers and 0 seeds where none converged), in increasing pi.
    """
    params = table[(table.method == "parameters") & (table.rule == rule)]
    wide = params.pivot_table(index=["pi", "seed"], columns="quantity", values="value").reset_index()
    flags = params.drop_duplicates(["pi", "seed"]).set_index(["pi", "seed"])
    good = (as_bool(flags.converged) & ~as_bool(flags.diverged))
    keep = pd.Series(good, index=flags.index).reindex(pd.MultiIndex.from_frame(wide[["pi", "seed"]])).to_numpy()
    wide = wide.assign(sd=np.sqrt(wide["generator_cov_00"]), kept=keep)
    kept = wide[wide.kept]
    stats = kept.groupby("pi").agg(mean=("generator_mean_0", "mean"), mean_spread=("generator_mean_0", "std"),
                                   sd=("sd", "mean"), sd_spread=("sd", "std"), seeds=("seed", "count"))
    stats = stats.reindex(sorted(wide.pi.unique()))
    return stats.assign(seeds=stats.seeds.fillna(0).astype(int)).rename_axis("pi").reset_index()


def distance_to_fit(mean: float, sd: float, fit) -> float:
    """Distance of the Gaussian N(mean, sd^2) from a fitted 1-D Gaussian, in units of the fit's sd.

    fit: a mapping with the fit's mean `mean_0` and sd `scale` (x units), as in a JS_pi summary's
    `kl_pq` and `kl_qp` records (gandiv.exact.pi_path). The distance is the Euclidean norm over
    (mean difference / fit sd, log(sd / fit sd)): dimensionless, 0 only for the fit itself.
    """
    return float(np.hypot((mean - fit["mean_0"]) / fit["scale"], np.log(sd / fit["scale"])))
