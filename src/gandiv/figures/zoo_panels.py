"""The objectives zoo's panels: generated samples per objective, summary bars over seeds, the discriminator's
largest singular value through training, and the density runs' exact KL.

Each takes the zoo's evaluation rows (with a `variant` column: the rule, `+SN` for a spectral-normalised
discriminator, and boolean `converged`) or its run records (status, `variant`, `converged`, snapshot `steps`,
`samples`, `singular_values`, and `modes` on the mode-collapse targets; gandiv.figures.zoo_table.annotate_runs).
Runs that did not converge (gandiv.gan.convergence) are drawn, marked as such: hollow markers, faint lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.figures.recipe import Context
from gandiv.figures.zoo_verdict import CRITIC_RULES, SN_BOUND, collapse_events, spike_events


def sample_panels(fig, grid, ctx: Context, runs: list[dict], targets: list[str], variants: list[str]) -> None:
    """Rows of `grid` per target, columns per variant: the last snapshot of the first seed's run over P's modes."""
    first_seed = min(run["seed"] for run in runs)
    for i, name in enumerate(targets):
        target = ctx.target(name)
        box = target.bounds(6.0)
        for j, variant in enumerate(variants):
            ax = fig.add_subplot(grid[i, j])
            run = next(r for r in runs if r["target"] == name and r["seed"] == first_seed and r["variant"] == variant)
            ax.scatter(*run["samples"][-1].T, s=1, alpha=0.4, color="C0", rasterized=True)
            ax.scatter(*target.means.T, s=12, marker="x", color="C3", linewidths=0.8)  # P's modes
            ax.set_xlim(box[0])
            ax.set_ylim(box[1])
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal")
            mark = " (diverged)" if run["diverged"] else "" if run["converged"] else " (not converged)"
            ax.set_title(f"{variant}{mark}", fontsize=8)
            if i == 0 and j == 0:
                ax.legend(["generated (fixed z)", "modes of P"], fontsize=6, loc="lower left")
            if j == 0:
                ax.set_ylabel(f"{name}\nseed {first_seed}, step {int(run['steps'][-1])}", fontsize=8)


def summary_panels(axes, evaluation: pd.DataFrame, targets: list[str], variants: list[str]) -> None:
    """Three bar charts (modes covered, high-quality share, k-NN KL[P||Q]): per variant, the mean and sd over its
    converged seeds (the bars) and every seed (dots: filled converged, hollow not converged)."""
    for ax, quantity, method, title in zip(axes, ("modes_covered", "high_quality_share", "kl_pq"),
                                           ("samples", "samples", "knn"),
                                           ("modes covered", "high-quality share", "k-NN KL[P||Q], nats")):
        cells = evaluation[(evaluation.quantity == quantity) & (evaluation.method == method)
                           & evaluation.target.isin(targets)]
        width = 0.8 / len(targets)
        for k, name in enumerate(targets):
            here = cells[cells.target == name]
            stats = here[here.converged].groupby("variant").value.agg(["mean", "std"]).reindex(variants)
            x = np.arange(len(variants)) + k * width
            ax.bar(x, stats["mean"], width, yerr=stats["std"].fillna(0), label=name, capsize=2, color=f"C{k}",
                   alpha=0.6)
            position = dict(zip(variants, x))
            for converged, face, what in ((True, f"C{k}", "converged"), (False, "none", "not converged")):
                seeds = here[here.converged == converged]
                ax.scatter(seeds.variant.map(position), seeds.value, s=9, facecolors=face, edgecolors=f"C{k}",
                           linewidths=0.7, zorder=3, label=f"{name}: seed, {what}" if ax is axes[0] else None)
        ax.set_xticks(np.arange(len(variants)) + width * (len(targets) - 1) / 2, variants, rotation=60, fontsize=7)
        ax.set_title(f"{title}\n(bars: converged mean ± sd)", fontsize=8)
    axes[0].legend(fontsize=6)


def singular_value_panel(ax, runs: list[dict], mode_runs: list[dict], n_modes: dict[str, int]) -> None:
    """sigma_max (max over layers) through training of the mode-collapse runs of every rule that is also trained
    with spectral normalisation: plain solid, normalised dashed (faint: not converged), with the verdict's bound
    SN_BOUND; on plain non-critic runs, the spike test's spikes (circles) and collapse events (red triangles)."""
    sn_rules = sorted({r["rule"] for r in runs if r["discriminator"] == "spectral_norm"})
    for k, rule in enumerate(sn_rules):
        for discriminator, style in (("plain", "-"), ("spectral_norm", "--")):
            chosen = [r for r in mode_runs if r["rule"] == rule and r["discriminator"] == discriminator]
            for run in chosen:
                sigma = run["singular_values"].max(axis=1)
                ax.semilogy(run["steps"], sigma, style, color=f"C{k}", alpha=0.6 if run["converged"] else 0.2,
                            lw=1.0 if run["converged"] else 0.6, label=run["variant"] if run is chosen[0] else None)
                if discriminator == "plain" and rule not in CRITIC_RULES and "modes" in run:
                    spikes, collapses = spike_events(sigma), collapse_events(run["modes"], n_modes[run["target"]])
                    ax.plot(run["steps"][spikes], sigma[spikes], "o", mfc="none", mec=f"C{k}", ms=4)
                    ax.plot(run["steps"][collapses], sigma[collapses], "v", color="C3", ms=4)
    ax.axhline(SN_BOUND, color="0.3", lw=0.8, ls=":", label=f"SN bound {SN_BOUND}")
    ax.plot([], [], "o", mfc="none", mec="0.3", ms=4, label="spike")
    ax.plot([], [], "v", color="C3", ms=4, label="collapse")
    ax.plot([], [], "-", color="0.3", alpha=0.2, lw=0.6, label="not converged (faint)")
    ax.set_xlabel("generator step")
    ax.set_ylabel("D's σ_max (dimensionless)")
    ax.set_title("largest singular value\n(max over layers)", fontsize=8)
    ax.legend(fontsize=6)


def exact_panel(ax, evaluation: pd.DataFrame, density_targets: list[str], variants: list[str]) -> None:
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
