"""The objectives zoo: every objective on mode-collapse targets, and the discriminator's singular values."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from gandiv.figures.style import NATS, set_style
from gandiv.results_io import read_csv, read_json, read_npz
from gandiv.figures._legacy import Context, FigureResult, verdict

SN_BOUND = 1.05  # the catalogue's bound on sigma_max under spectral normalisation (one power iteration per call)
GROWTH = 1.5  # sigma_max growing by at least this factor over training counts as growing
UNITS = {"modes_covered": "modes", "high_quality_share": "share", "kl_pq": NATS, "kl_qp": NATS, "js": NATS,
         "critic_gap": "x units", "lsgan_scores_clipped_share": "share"}
EVAL_COLUMNS = ("target", "generator", "rule", "discriminator", "seed", "method", "quantity", "value", "exact_error",
                "note")


def _label(rule: str, discriminator: str) -> str:
    return rule if discriminator == "plain" else f"{rule}+SN"


def _runs(ctx: Context) -> list[dict]:
    """Every zoo run's status with its snapshots (samples and singular values through training)."""
    runs = []
    for key in sorted(k for k in ctx.inputs if k.startswith("status_")):
        status = read_json(ctx.inputs[key], required=("target", "generator", "rule", "discriminator", "seed"))
        snapshots = read_npz(ctx.inputs[f"snapshots_{key.removeprefix('status_')}"],
                             required=("steps", "samples", "singular_values"))
        runs.append(status | {"steps": snapshots["steps"], "samples": snapshots["samples"],
                              "singular_values": snapshots["singular_values"]})
    return runs


def _coverage_stats(coverage: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and seed count of modes covered per variant of one target, best first."""
    return coverage.groupby("variant").value.agg(["mean", "std", "count"]).sort_values("mean", ascending=False,
                                                                                      kind="stable")


def _winner(stats: pd.DataFrame) -> tuple[str | None, float, float]:
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


def objectives_zoo(ctx: Context) -> FigureResult:
    density_targets = ctx.settings["density_runs"]["targets"]
    evaluation = pd.concat([read_csv(ctx.inputs[f"eval_{t}"], required=EVAL_COLUMNS)
                            for t in ctx.settings["targets"] + density_targets], ignore_index=True)
    evaluation["variant"] = [_label(r, d) for r, d in zip(evaluation.rule, evaluation.discriminator)]
    runs = _runs(ctx)
    targets, variants = ctx.settings["targets"], list(dict.fromkeys(evaluation.variant))
    mode_runs = [r for r in runs if r["target"] in targets]  # the mlp runs on the mode-collapse targets
    first_seed = min(run["seed"] for run in runs)

    set_style()
    fig = plt.figure(figsize=(2.1 * max(len(variants), 4), 2.1 * len(targets) + 3.2), layout="constrained")
    grid = fig.add_gridspec(len(targets) + 1, max(len(variants), 4 + bool(density_targets)),
                            height_ratios=[1] * len(targets) + [1.5])
    for i, name in enumerate(targets):
        target = ctx.target(name)
        box = target.bounds(6.0)
        for j, variant in enumerate(variants):
            ax = fig.add_subplot(grid[i, j])
            run = next(r for r in runs if r["target"] == name and r["seed"] == first_seed
                       and _label(r["rule"], r["discriminator"]) == variant)
            ax.scatter(*run["samples"][-1].T, s=1, alpha=0.4, color="C0", rasterized=True)
            ax.scatter(*target.means.T, s=12, marker="x", color="C3", linewidths=0.8)  # P's modes
            ax.set_xlim(box[0])
            ax.set_ylim(box[1])
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal")
            ax.set_title(f"{variant}{' (diverged)' if run['diverged'] else ''}", fontsize=8)
            if i == 0 and j == 0:
                ax.legend(["generated (fixed z)", "modes of P"], fontsize=6, loc="lower left")
            if j == 0:
                ax.set_ylabel(f"{name}\nseed {first_seed}, step {int(run['steps'][-1])}", fontsize=8)

    summary_axes = [fig.add_subplot(grid[len(targets), j]) for j in range(3)]
    for ax, quantity, method, title in zip(summary_axes, ("modes_covered", "high_quality_share", "kl_pq"),
                                           ("samples", "samples", "knn"),
                                           ("modes covered", "high-quality share", "k-NN KL[P||Q], nats")):
        cells = evaluation[(evaluation.quantity == quantity) & (evaluation.method == method)
                           & evaluation.target.isin(targets)]
        stats = cells.groupby(["target", "variant"], sort=False).value.agg(["mean", "std"]).reset_index()
        width = 0.8 / len(targets)
        for k, name in enumerate(targets):
            s = stats[stats.target == name].set_index("variant").reindex(variants)
            ax.bar(np.arange(len(variants)) + k * width, s["mean"], width, yerr=s["std"].fillna(0), label=name,
                   capsize=2)
        ax.set_xticks(np.arange(len(variants)) + width * (len(targets) - 1) / 2, variants, rotation=60, fontsize=7)
        ax.set_title(f"{title}\n(mean and sd over seeds)", fontsize=9)
        ax.legend(fontsize=7)

    ax = fig.add_subplot(grid[len(targets), 3])
    sn_rules = sorted({r["rule"] for r in runs if r["discriminator"] == "spectral_norm"})
    for k, rule in enumerate(sn_rules):
        for discriminator, style in (("plain", "-"), ("spectral_norm", "--")):
            chosen = [r for r in mode_runs if r["rule"] == rule and r["discriminator"] == discriminator]
            for run in chosen:
                ax.semilogy(run["steps"], run["singular_values"].max(axis=1), style, color=f"C{k}", alpha=0.5,
                            label=_label(rule, discriminator) if run is chosen[0] else None)
    ax.axhline(SN_BOUND, color="0.3", lw=0.8, ls=":")
    ax.set_xlabel("generator step")
    ax.set_title("D's largest singular value\n(max over layers; every run)", fontsize=9)
    ax.legend(fontsize=7)
    if density_targets:
        _exact_panel(fig.add_subplot(grid[len(targets), 4]), evaluation, density_targets, variants)

    rows = [{"target": e.target, "generator": e.generator, "rule": e.rule, "discriminator": e.discriminator,
             "seed": e.seed, "step": np.nan, "layer": np.nan, "method": e.method, "quantity": e.quantity,
             "value": e.value, "unit": UNITS.get(e.quantity, ""), "exact": e.exact, "error": e.error,
             "exact_error": e.exact_error, "note": e.note}
            for e in evaluation.itertuples()]
    for run in runs:
        for step, values in zip(run["steps"], run["singular_values"]):
            rows += [{"target": run["target"], "generator": run["generator"], "rule": run["rule"],
                      "discriminator": run["discriminator"], "seed": run["seed"], "step": int(step), "layer": layer,
                      "method": "weights", "quantity": "largest singular value", "value": float(v), "unit": "",
                      "exact": np.nan, "error": np.nan, "exact_error": np.nan, "note": ""}
                     for layer, v in enumerate(values)]
    data = pd.DataFrame(rows)
    status, summary, numbers = _judge(evaluation[evaluation.target.isin(targets)], mode_runs, targets)
    exact_sentence, exact_numbers = _exact_comparison(evaluation, density_targets)
    summary, numbers = summary + exact_sentence, numbers + exact_numbers
    return FigureResult(fig, data, verdict("objectives-zoo", status, summary, numbers))


def _exact_panel(ax, evaluation: pd.DataFrame, density_targets: list[str], variants: list[str]) -> None:
    """Exact KL both ways of the density runs, per objective (mean and sd over seeds)."""
    cells = evaluation[evaluation.target.isin(density_targets) & (evaluation.method == "exact")
                       & evaluation.quantity.isin(["kl_pq", "kl_qp"])]
    stats = cells.groupby(["target", "quantity", "variant"], sort=False).value.agg(["mean", "std"]).reset_index()
    groups = list(stats.groupby(["target", "quantity"], sort=False))
    width = 0.8 / max(len(groups), 1)
    for k, ((name, quantity), s) in enumerate(groups):
        s = s.set_index("variant").reindex(variants)
        label = f"{name}: {'KL[P||Q]' if quantity == 'kl_pq' else 'KL[Q||P]'}"
        ax.bar(np.arange(len(variants)) + k * width, s["mean"], width, yerr=s["std"].fillna(0), label=label,
               capsize=2, color=f"C{k + 2}")
    ax.set_xticks(np.arange(len(variants)) + width * (len(groups) - 1) / 2, variants, rotation=60, fontsize=7)
    generator = evaluation[evaluation.target.isin(density_targets)].generator.iloc[0]
    ax.set_title(f"exact KL, {generator} generator, nats\n(mean and sd over seeds)", fontsize=9)
    ax.legend(fontsize=7)


def _exact_comparison(evaluation: pd.DataFrame, density_targets: list[str]) -> tuple[str, list[tuple]]:
    """What the density runs add: each objective's exact divergences and how far the estimates are from them."""
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


def _judge(evaluation: pd.DataFrame, runs: list[dict], targets: list[str]) -> tuple[str, str, list[tuple]]:
    """Three checks: no clear winner in mode coverage (per target); spectral normalisation bounds sigma_max,
    which grows without it; fewer modes covered where sigma_max ends larger (Spearman rho < 0 per target)."""
    numbers, sentences, no_winner = [], [], []
    coverage = evaluation[(evaluation.quantity == "modes_covered") & (evaluation.method == "samples")]
    for name in targets:
        stats = _coverage_stats(coverage[(coverage.target == name) & (coverage.discriminator == "plain")])
        winner, lead, spread = _winner(stats)
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
