"""The rules every GAN verdict follows: converged runs only, enough seeds per cell, a stated power.

A verdict that reads trained GANs (i) counts only runs that met the convergence criterion
(`gandiv.gan.convergence`; the evaluation tables' `converged` column), showing the others but using them as
evidence neither way; (ii) needs at least MIN_SEEDS converged seeds in every cell it reads, else it says
"inconclusive" (the schema allows fewer, so the one-seed smoke config stays valid); (iii) states the smallest
effect its seeds could have detected (`minimum_detectable_difference`), and claims "no difference" only where
that effect is smaller than the difference that would matter.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from gandiv.figures.gan_tables import as_bool

MIN_SEEDS = 5  # converged seeds per cell a verdict reads (issue 14)
SIZE = 0.05  # two-sided test size of every power statement
POWER = 0.80  # power of every power statement
# z_{1 - size/2} + z_{power} = 1.960 + 0.842 = 2.80: the factor of the textbook minimum detectable difference
MDD_FACTOR = float(norm.ppf(1 - SIZE / 2) + norm.ppf(POWER))
MDD_FORMULA = "MDD = (z_0.975 + z_0.8) * s * sqrt(1/n1 + 1/n2) = 2.80 * s * sqrt(1/n1 + 1/n2)"
SHIFT_FORMULA = "MDS = (z_0.975 + z_0.8) * s / sqrt(n) = 2.80 * s / sqrt(n)"


def minimum_detectable_difference(sd: float, n1: int, n2: int | None = None) -> float:
    """The smallest difference between two means, of samples of sizes n1 and n2 (n2 = n1 if not given) with a
    common standard deviation `sd`, that a two-sided z-test of size 0.05 detects with power 0.8 (MDD_FORMULA).

    inf if either sample has fewer than 2 members or sd is not finite (no power at all). Units: those of sd.
    Source: the normal-approximation sample-size formula (e.g. Cohen 1988, ch. 2), n = 2 (z_a + z_b)^2 s^2 / d^2.
    """
    n2 = n1 if n2 is None else n2
    if min(n1, n2) < 2 or not math.isfinite(sd):
        return math.inf
    return MDD_FACTOR * sd * math.sqrt(1.0 / n1 + 1.0 / n2)


def minimum_detectable_shift(sd: float, n: int) -> float:
    """The smallest shift of one mean from a fixed value (n samples, standard deviation sd) that a two-sided
    z-test of size 0.05 detects with power 0.8 (SHIFT_FORMULA); inf for n < 2 or a non-finite sd."""
    if n < 2 or not math.isfinite(sd):
        return math.inf
    return MDD_FACTOR * sd / math.sqrt(n)


def converged_only(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of runs that met the convergence criterion (column `converged`; diverged runs never do)."""
    return table[as_bool(table["converged"]) & ~as_bool(table["diverged"])]


def seed_counts(runs: pd.DataFrame, cell: list[str]) -> pd.Series:
    """Converged seeds per cell: `runs` has one row per run with a boolean `converged`; cell: the naming columns."""
    return runs.groupby(cell)["converged"].sum().astype(int)


def thin_cells(counts: pd.Series, min_seeds: int = MIN_SEEDS) -> list:
    """The cells (index labels of `counts`) with fewer than `min_seeds` converged seeds."""
    return [cell for cell, n in counts.items() if n < min_seeds]


def seeds_number(counts: pd.Series, min_seeds: int = MIN_SEEDS) -> tuple:
    """The deciding number 'fewest converged seeds in a cell' with its threshold and pass/fail, for `verdict`."""
    fewest = int(counts.min()) if len(counts) else 0
    return ("fewest converged seeds in a cell read", fewest, "seeds", f">= {min_seeds}", fewest >= min_seeds)


def pooled_sd(groups: list[np.ndarray]) -> float:
    """The pooled within-group standard deviation of several samples (NaN without 2+ members in some group)."""
    groups = [np.asarray(g, float) for g in groups if len(g) > 1]
    dof = sum(len(g) - 1 for g in groups)
    if dof == 0:
        return math.nan
    return math.sqrt(sum(((g - g.mean()) ** 2).sum() for g in groups) / dof)


SIGN_FORMULA = "one-sided sign test: P(K >= k | K ~ Binomial(n, 1/2)) < 0.05"


def majority_p_value(k: int, n: int) -> float:
    """One-sided sign test: the probability of k or more of n runs on one side when each side is equally likely
    (scipy.stats.binomtest, alternative "greater"). 1.0 for n = 0 (no evidence)."""
    from scipy.stats import binomtest

    return float(binomtest(k, n, 0.5, alternative="greater").pvalue) if n else 1.0


def fewest_agreeing(n: int) -> int | None:
    """The power statement of the sign test: the fewest of n runs that must agree for p < 0.05 (SIGN_FORMULA); None
    when even n of n do not suffice (n <= 4: 0.5^4 = 0.0625)."""
    return next((k for k in range(n + 1) if majority_p_value(k, n) < SIZE), None)


FISHER_FORMULA = "one-sided Fisher exact test on the 2 x 2 table of counts (scipy.stats.fisher_exact)"
RANK_FORMULA = ("one-sided Mann-Whitney U test, exact permutation distribution with ties "
                "(scipy.stats.mannwhitneyu, PermutationMethod)")


def share_smaller_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """One-sided p that the share k1/n1 comes from a smaller rate than k2/n2 (FISHER_FORMULA); 1.0 when either
    group is empty (no evidence)."""
    from scipy.stats import fisher_exact

    if min(n1, n2) == 0:
        return 1.0
    return float(fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="less").pvalue)


def fewest_for_share_difference(n1: int, n2: int) -> int | None:
    """The power statement of `share_smaller_p`: with none of n1 in the first group, the fewest of n2 in the second
    that make p < 0.05; None when even n2 of n2 do not."""
    return next((k for k in range(n2 + 1) if share_smaller_p(0, n1, k, n2) < SIZE), None)


def smaller_p(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided p that the values a tend to be smaller than b (RANK_FORMULA; ties, e.g. runs censored at the
    budget, are handled exactly by the permutation distribution); 1.0 when either sample is empty."""
    from scipy.stats import PermutationMethod, mannwhitneyu

    a, b = np.asarray(a, float), np.asarray(b, float)
    if min(len(a), len(b)) == 0:
        return 1.0
    if np.ptp(np.concatenate([a, b])) == 0:  # every value tied: nothing tells the samples apart
        return 1.0
    # n_resamples = inf: every distinct split is enumerated (C(n1 + n2, n1), 184,756 for 10 against 10)
    return float(mannwhitneyu(a, b, alternative="less", method=PermutationMethod(n_resamples=np.inf)).pvalue)


def smallest_rank_p(n1: int, n2: int) -> float:
    """The power statement of `smaller_p`: the smallest p it can give, 1 / C(n1 + n2, n1) (complete separation)."""
    return 1.0 / math.comb(n1 + n2, n1) if min(n1, n2) else 1.0
