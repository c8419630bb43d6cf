"""The objectives zoo's verdict rules (src/gandiv/figures/catalogue.yaml, objectives-zoo), on its evaluation
tables and its runs' singular values.

The claim: a large study finds no clear winner among the objectives, and training collapse shows as
exploding singular values of the discriminator's weights (which spectral normalisation bounds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from gandiv.figures.style import NATS

SN_BOUND = 1.05  # the catalogue's bound on sigma_max under spectral normalisation (one power iteration per call)
GROWTH = 1.5  # sigma_max growing by at least this factor over training counts as growing


def coverage_stats(coverage: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and seed count of modes covered per variant of one target, best first."""
    return coverage.groupby("variant").value.agg(["mean", "std", "count"]).sort_values("mean", ascending=False,
                                                                                      kind="stable")


def clear_winner(stats: pd.DataFrame) -> tuple[str | None, float, float]:
    """(clear winner or None, its lead over the runner-up, the seed spread); None also when it cannot be told.

    A clear winner leads the runner-up by more than the larger of their standard deviations over seeds;
    with fewer than two seeds there is no spread, so no winner can be shown either way.
    """
    best, second = stats.iloc[0], stats.iloc[1]
    lead = float(best["mean"] - second["mean"])
    if stats["count"].min() < 2:
        return None, lead, np.nan
    spread = float(max(best["std"], second["std"]))
    return (stats.index[0] if lead > spread else None), lead, spread


def mode_collapse_verdict(evaluation: pd.DataFrame, runs: list[dict],
                          targets: list[str]) -> tuple[str, str, list[tuple]]:
    """(status, summary, numbers) of the three checks on the mode-collapse targets' `evaluation` (rows of the
    zoo's evaluation tables, with a `variant` column) and `runs` (records with `singular_values`, snapshots x
    layers): no clear winner in mode coverage (per target); spectral normalisation bounds sigma_max, which
    grows without it; fewer modes covered where sigma_max ends larger (Spearman rho < 0 per target).
    Reproduced if all three hold, partly if some do."""
    numbers, sentences, no_winner = [], [], []
    coverage = evaluation[(evaluation.quantity == "modes_covered") & (evaluation.method == "samples")]
    for name in targets:
        stats = coverage_stats(coverage[(coverage.target == name) & (coverage.discriminator == "plain")])
        winner, lead, spread = clear_winner(stats)
        ties = int((stats["mean"] == stats["mean"].iloc[0]).sum())
        numbers += [(f"{name}: best mean modes covered ({stats.index[0]})", stats["mean"].iloc[0], "modes"),
                    (f"{name}: lead over the runner-up ({stats.index[1]})", lead, "modes"),
                    (f"{name}: seed spread (larger sd of the two)", spread, "modes"),
                    (f"{name}: objectives tied at the best mean", ties, "")]
        no_winner.append(stats["count"].min() >= 2 and winner is None)
        if stats["count"].min() < 2:
            sentences.append(f"on {name} one seed per objective cannot show a spread")
        else:
            tie = f" ({ties} objectives tied at the top)" if ties > 1 else ""
            sentences.append(f"on {name} {stats.index[0]} covers {stats['mean'].iloc[0]:.1f} modes on average{tie}, "
                             f"{lead:.1f} ahead of {stats.index[1]} against a seed spread of {spread:.1f}: "
                             + ("a clear winner" if winner else "no clear winner"))

    # sigma_max of a run at a snapshot: the largest singular value over the discriminator's layers.
    sn_rules = {r["rule"] for r in runs if r["discriminator"] == "spectral_norm"}
    sn_after_start = [r["singular_values"][1:].max() for r in runs
                      if r["discriminator"] == "spectral_norm" and len(r["singular_values"]) > 1]
    sn_max = float(max(sn_after_start)) if sn_after_start else np.nan
    growth = [float(r["singular_values"][-1].max() / r["singular_values"][0].max()) for r in runs
              if r["discriminator"] == "plain" and r["rule"] in sn_rules]
    smallest_growth = min(growth) if growth else np.nan
    sn_holds = bool(sn_after_start) and sn_max <= SN_BOUND and bool(growth) and smallest_growth >= GROWTH
    numbers += [("max sigma_max with spectral normalisation (after step 0)", sn_max, ""),
                ("smallest growth of sigma_max without it (final / initial), plain runs of those rules",
                 smallest_growth, "")]
    correlations, rhos = [], []
    for name in targets:  # unconstrained discriminators only: clipping or a penalty bounds a critic's weights
        plain = [r for r in runs if r["target"] == name and r["discriminator"] == "plain"
                 and r["rule"] not in ("wgan", "wgan_gp")]
        cells = coverage[(coverage.target == name) & (coverage.discriminator == "plain")].set_index(["rule", "seed"])
        modes = [float(cells.loc[(r["rule"], r["seed"]), "value"]) for r in plain]
        final = [float(r["singular_values"][-1].max()) for r in plain]
        rho = float(spearmanr(final, modes).statistic) if len(set(modes)) > 1 and len(set(final)) > 1 else np.nan
        numbers.append((f"{name}: Spearman rho of final sigma_max and modes covered (plain, non-critic runs)", rho,
                        ""))
        correlations.append(f"{rho:.2f} on {name}")
        rhos.append(rho)
    distinct = evaluation.drop_duplicates(["target", "rule", "discriminator", "seed"])
    n_diverged = int(distinct.diverged.sum())
    numbers += [("trained models", len(distinct), ""), ("diverged", n_diverged, "")]

    collapse_shows = bool(rhos) and all(rho < 0 for rho in rhos)  # NaN (no variation) does not count
    checks = [all(no_winner), sn_holds, collapse_shows]
    status = "reproduced" if all(checks) else "partly" if any(checks) else "not reproduced"
    held = ["no clear winner", "spectral normalisation bounds sigma_max, which grows without it",
            "collapse goes with large singular values"]
    summary = (f"{len(distinct)} GANs trained ({n_diverged} diverged). Mode coverage: " + "; ".join(sentences) + ". "
               f"With spectral normalisation ({', '.join(sorted(sn_rules)) or 'no rule'}) the discriminator's "
               f"largest singular value stays at most {sn_max:.3f} after the first call (bound {SN_BOUND}; Keras "
               f"divides the kernel by its estimated norm before every training call, so this checks the "
               f"implementation); without it, it grows by {smallest_growth:.1f}x or more over training "
               f"(threshold {GROWTH}x). Whether collapse shows as large singular values: across the plain runs of "
               f"the non-critic rules, the final largest singular value and the modes covered have Spearman rho = "
               f"{', '.join(correlations)} (collapse going with large singular values makes it negative). Holds: "
               + (", ".join(h for h, ok in zip(held, checks) if ok) or "none")
               + "; does not hold: " + (", ".join(h for h, ok in zip(held, checks) if not ok) or "none") + ".")
    return status, summary, numbers


def density_run_numbers(evaluation: pd.DataFrame, density_targets: list[str]) -> tuple[str, list[tuple]]:
    """What the density runs add, beside the verdict: (a sentence, numbers) of each objective's exact KL both ways
    (nats, mean over seeds, plain discriminators) and the median |error| of each estimator against them."""
    if not density_targets:
        return "", []
    numbers, parts = [], []
    for name in density_targets:
        cells = evaluation[(evaluation.target == name) & (evaluation.discriminator == "plain")]
        exact = cells[cells.method == "exact"].pivot_table(index="variant", columns="quantity", values="value")
        for variant, row in exact.iterrows():
            numbers += [(f"{name}: exact KL[P||Q], {variant} (mean over seeds)", row["kl_pq"], NATS),
                        (f"{name}: exact KL[Q||P], {variant} (mean over seeds)", row["kl_qp"], NATS)]
        parts.append(f"on {name} the exact KL[P||Q] ranges from {exact['kl_pq'].min():.2f} "
                     f"({exact['kl_pq'].idxmin()}) to {exact['kl_pq'].max():.2f} ({exact['kl_pq'].idxmax()}) nats and "
                     f"KL[Q||P] from {exact['kl_qp'].min():.2f} ({exact['kl_qp'].idxmin()}) to "
                     f"{exact['kl_qp'].max():.2f} ({exact['kl_qp'].idxmax()})")
    estimates = evaluation[evaluation.target.isin(density_targets) & evaluation.error.notna()]
    for method, g in estimates.groupby("method"):
        numbers.append((f"density runs: median |error| of {method} estimates", float(g.error.abs().median()), NATS))
    return " Density runs (not in the verdict): " + "; ".join(parts) + ".", numbers
