"""jspi-convention: which share of real samples is pi? (the note's sentence against its eq. 12).

Eq. 12 makes pi P's share of the mixture M = pi P + (1 - pi) Q, so a small pi weights the generated
samples and JS_pi / pi -> KL[P||Q] (maximum likelihood); the note's sentence says a pi below 1/2
over-represents P. The convention study (`gandiv.gan.runs.convention_runs`) decides: 1-D Gaussian
generators of one update rule, trained with pi as the real share of every discriminator batch
(`pi_mode: batch`, what the sentence is about) from a start drawn per seed, at each pi. Every converged
run lands nearer the KL[P||Q] optimum or the KL[Q||P] one (the exact fits of the target's JS_pi path
summary); a sign test over the runs at each end pi says which reading the runs support.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.config_error import ConfigError, check_batch_share
from gandiv.exact.densities import target_dim
from gandiv.figures.evidence import MIN_SEEDS, SIGN_FORMULA, fewest_agreeing, majority_p_value
from gandiv.figures.gan_tables import as_bool, distance_to_fit, read_grid_evaluation
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.gan import runs
from gandiv.results_io import read_json

ID = "jspi-convention"

SETTINGS = """
description: >-
  Which share of real samples gives ML-like and which KL[Q||P]-like GANs. Trains its own runs (the
  `convention` study): a Gaussian generator with `rule` on the 1-D `target` at each pi and seed, with the
  `gan` section's training settings except `pi_mode`, from a start drawn per seed.
type: object
additionalProperties: false
required: [target]
properties:
  target:
    description: A 1-D target.
    $ref: "#/$defs/target_name"
  rule:
    $ref: "#/$defs/gan_grid_rule"
    default: minimax
  pi:
    description: Shares of real samples to train at (the ends decide the verdict), no duplicates.
    type: array
    minItems: 2
    uniqueItems: true
    items: {$ref: "#/$defs/probability"}
    default: [0.01, 0.1, 0.5, 0.9, 0.99]
  seeds:
    description: Training seeds; each also draws its run's start.
    $ref: "#/$defs/seed_list"
    default: [0, 1, 2, 3, 4]
  pi_mode:
    description: >-
      How pi enters the discriminator's training (as `gan.pi_mode`); batch, the real share of each batch,
      is what the note's sentence is about.
    type: string
    enum: [weights, batch]
    default: batch
  start_sd:
    description: >-
      The generator's initial mean is drawn from N(0, start_sd^2) per seed (x units; its sd starts at 1),
      so the runs start on both sides of the target's modes.
    type: number
    exclusiveMinimum: 0
    default: 1.5
"""

NEEDS = Needs(("target", "rule", "pi_mode", "start_sd"))  # pi and seeds reach it through its runs

ML_LIKE, RKL_LIKE, NEITHER, NOT_CONVERGED = ("maximum-likelihood-like", "KL[Q||P]-like", "near neither optimum",
                                             "not converged")
# A converged run is like an optimum when it lies within this distance of it (`gan_tables.distance_to_fit`: its mean
# within half the optimum's sd and its sd within a factor e^0.5 = 1.65), and nearer it than the other. At pi = 0.01
# and 0.99 the JS_pi minimiser is within 0.01 of its KL limit on the shipped target; a run stuck where the
# discriminator saturates lands near neither and votes for neither reading.
NEAR_TOL = 0.5
SENTENCE, EQ12, UNDECIDED = "the note's sentence", "eq. 12", "undecided"
NAMES = ("pi", "seed", "converged", "behaviour")  # what names a run in the figure's tidy table
QUANTITIES = {"start_mean": "x units", "mean": "x units", "sd": "x units", "distance_ml": "optimum sds",
              "distance_rkl": "optimum sds"}  # per run: start, trained (mean, sd), distances to the KL optima


def check(settings, config) -> None:
    """A `gan` section (the runs train with its settings), a 1-D target, and with pi_mode batch a real and a
    generated sample in every batch at each pi (ConfigError naming the key if not)."""
    gan = config.get("gan")
    if gan is None:
        raise ConfigError(f"figures.{ID}", "the figure needs a `gan` section (its runs train with those settings), "
                                           "and the config has none", f"{ID} only together with a top-level `gan` "
                                                                      "section (or drop the figure)")
    dim = target_dim(config["targets"][settings["target"]])
    if dim != 1:
        raise ConfigError(f"figures.{ID}.target", f"target {settings['target']!r} is {dim}-D", "a 1-D target")
    if settings["pi_mode"] == "batch":
        for j, pi in enumerate(settings["pi"]):
            check_batch_share(f"figures.{ID}.pi[{j}]", pi, gan["batch_size"])


def inputs(config) -> dict:
    """The convention study's evaluation table and the summary of the target's isotropic JS_pi path (the two KL
    optima)."""
    settings = config["figures"][ID]
    return {"evaluation": runs.evaluation_table("convention", settings["target"], "gaussian"),
            "summary": f"results/jspi/{settings['target']}/isotropic/summary.json"}


def run_table(evaluation: pd.DataFrame, summary: dict) -> pd.DataFrame:
    """The figure's tidy table: per run (NAMES: pi, seed, whether it converged, its behaviour: the optimum's it
    lies within NEAR_TOL of and nearer to, `near neither optimum`, or `not converged`), in increasing pi then seed, the QUANTITIES: its start and trained mean and trained sd (x
    units) and its distances to the KL[P||Q] and KL[Q||P] optima (in the optimum's sds,
    `gan_tables.distance_to_fit`). Columns NAMES + quantity, value, unit."""
    params = evaluation[evaluation.method.isin(["parameters", "start"])]
    wide = params.pivot_table(index=["pi", "seed"], columns="quantity", values="value").reset_index()
    flags = params.drop_duplicates(["pi", "seed"]).set_index(["pi", "seed"])
    ok = pd.Series(as_bool(flags.converged) & ~as_bool(flags.diverged), index=flags.index)
    rows = []
    for _, r in wide.sort_values(["pi", "seed"]).iterrows():
        mean, sd = r["generator_mean_0"], float(np.sqrt(r["generator_cov_00"]))
        d_ml, d_rkl = distance_to_fit(mean, sd, summary["kl_pq"]), distance_to_fit(mean, sd, summary["kl_qp"])
        converged = bool(ok[(r.pi, r.seed)])
        names = {"pi": r.pi, "seed": int(r.seed), "converged": converged,
                 "behaviour": behaviour(converged, d_ml, d_rkl)}
        values = {"start_mean": r["start_mean_0"], "mean": mean, "sd": sd, "distance_ml": d_ml, "distance_rkl": d_rkl}
        rows += [names | {"quantity": q, "value": float(values[q]), "unit": unit} for q, unit in QUANTITIES.items()]
    return pd.DataFrame(rows, columns=[*NAMES, "quantity", "value", "unit"])


def behaviour(converged: bool, d_ml: float, d_rkl: float) -> str:
    """A run's label from its distances to the KL[P||Q] (d_ml) and KL[Q||P] (d_rkl) optima (NEAR_TOL)."""
    if not converged:
        return NOT_CONVERGED
    if min(d_ml, d_rkl) > NEAR_TOL:
        return NEITHER
    return ML_LIKE if d_ml < d_rkl else RKL_LIKE


def runs_wide(table: pd.DataFrame) -> pd.DataFrame:
    """The tidy table with one row per run: NAMES and one column per quantity, in increasing pi then seed."""
    wide = table.pivot_table(index=list(NAMES), columns="quantity", values="value").reset_index()
    wide["converged"] = as_bool(wide.converged)
    return wide.sort_values(["pi", "seed"]).reset_index(drop=True)


def compute(ctx: Context) -> Computed:
    """The run table (`run_table`) of the convention study; extras: the two optima's means (x units)."""
    summary = read_json(ctx.inputs["summary"], required=("kl_pq", "kl_qp"))
    table = run_table(read_grid_evaluation(ctx.inputs["evaluation"]), summary)
    return Computed(table, extras={"optima": {ML_LIKE: summary["kl_pq"]["mean_0"],
                                              RKL_LIKE: summary["kl_qp"]["mean_0"]}})


def counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per pi: runs, converged runs, and the converged runs of each behaviour (table: `runs_wide`)."""
    return pd.DataFrame({"runs": table.groupby("pi").size(), "converged": table.groupby("pi").converged.sum(),
                         **{label: table[table.behaviour == label].groupby("pi").size()
                            for label in (ML_LIKE, RKL_LIKE, NEITHER)}}).fillna(0).astype(int)


def _landing(rows: pd.DataFrame) -> str:
    """mean ± seed sd of the trained means of some runs (x units), or a dash."""
    if rows.empty:
        return "–"
    spread = f" ± {rows['mean'].std():.3f}" if len(rows) > 1 else ""
    return f"{rows['mean'].mean():.3f}{spread}"


def report_table(table: pd.DataFrame) -> pd.DataFrame:
    """The figure's numbers as the report shows them, an HTML table: per π the shares of real and generated
    samples in each batch, the runs that converged, how many landed near each KL optimum and where (mean of Q)."""
    table = runs_wide(table)
    n = counts(table)
    return pd.DataFrame({
        "π": n.index, "real / generated share": [f"{pi:.0%} / {1 - pi:.0%}" for pi in n.index],
        "converged / runs": [f"{c} / {r}" for c, r in zip(n.converged, n.runs)],
        "near the KL[P‖Q] optimum": n[ML_LIKE].to_numpy(), "near the KL[Q‖P] optimum": n[RKL_LIKE].to_numpy(),
        "near neither": n[NEITHER].to_numpy(),
        "near the KL[P‖Q] optimum: mean of Q (x units)": [_landing(table[(table.pi == pi) & (table.behaviour == ML_LIKE)])
                                      for pi in n.index],
        "near the KL[Q‖P] optimum: mean of Q (x units)": [
            _landing(table[(table.pi == pi) & (table.behaviour == RKL_LIKE)]) for pi in n.index]}
    ).reset_index(drop=True)


def draw(computed: Computed, ctx: Context):
    """Each run as an arrow from its drawn start to its trained mean, at its π (evenly spaced), coloured by the
    optimum it lands nearer (grey: not converged); dashed lines at the two optima's means."""
    data, optima = runs_wide(computed.table), computed.extras["optima"]
    pis = sorted(data.pi.unique())
    colours = {ML_LIKE: "tab:blue", RKL_LIKE: "tab:orange", NEITHER: "tab:purple", NOT_CONVERGED: "0.6"}
    fig, axes = figure(ncols=1, width=7.5, height=3.6)
    ax = axes[0, 0]
    for label, y in optima.items():
        ax.axhline(y, color=colours[label], ls="--", lw=1, label=f"{'KL[P‖Q]' if label == ML_LIKE else 'KL[Q‖P]'} "
                                                                  f"optimum (mean {y:.2f})")
    for i, pi in enumerate(pis):
        rows = data[data.pi == pi].reset_index(drop=True)
        for j, r in rows.iterrows():
            x = i + 0.5 * (j + 0.5) / len(rows) - 0.25
            ax.annotate("", xy=(x, r["mean"]), xytext=(x - 0.08, r["start_mean"]),
                        arrowprops={"arrowstyle": "->", "color": colours[r.behaviour], "lw": 1})
            ax.plot(x, r["mean"], "o", ms=4, color=colours[r.behaviour])
            ax.plot(x - 0.08, r["start_mean"], "_", ms=6, color=colours[r.behaviour])
    for label, colour in colours.items():
        ax.plot([], [], "o", color=colour, label=f"run: {label}")
    ax.set_xticks(range(len(pis)), [f"{pi:g}\n({pi:.0%} real)" for pi in pis])
    ax.set_xlim(-0.6, len(pis) - 0.4)
    ax.set_xlabel(f"π, the real share of each discriminator batch (pi_mode {ctx.settings['pi_mode']})")
    ax.set_ylabel("mean of Q (x units): start → trained")
    ax.set_title(f"{ctx.settings['target']}, Gaussian generator, {ctx.settings['rule']} rule; runs per π: "
                 f"{data.groupby('pi').size().max()} (start –, trained ●)", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig


def end_reading(k_rkl: int, k_ml: int, k_neither: int, smallest: bool) -> tuple[str, float, float]:
    """Which reading the converged runs at one end π support, by one-sided sign tests (SIGN_FORMULA) over all of
    them (a run near neither optimum counts against both): the sentence predicts KL[Q||P]-like runs at the
    smallest π and maximum-likelihood-like ones at the largest; eq. 12 the reverse. Returns (SENTENCE, EQ12 or
    UNDECIDED; p of the sentence's side; p of eq. 12's side)."""
    n = k_rkl + k_ml + k_neither
    k_sentence, k_eq12 = (k_rkl, k_ml) if smallest else (k_ml, k_rkl)
    p_sentence, p_eq12 = majority_p_value(k_sentence, n), majority_p_value(k_eq12, n)
    return (SENTENCE if p_sentence < 0.05 else EQ12 if p_eq12 < 0.05 else UNDECIDED), p_sentence, p_eq12


def judge(computed: Computed, ctx: Context) -> dict:
    """At the two end π, the converged runs (>= MIN_SEEDS each, else inconclusive) vote by the optimum they land
    nearer, and a one-sided sign test per end says which reading they support (`end_reading`). Reproduced if both
    ends follow the note's sentence, not reproduced if both follow eq. 12, partly if one end each, inconclusive if
    either end is undecided."""
    data = runs_wide(computed.table)
    pis = sorted(data.pi.unique())
    if len(pis) < 2:
        return verdict(ID, "inconclusive", "Fewer than two π trained: no ends to compare.", [])
    n = counts(data)
    ends = (pis[0], pis[-1])
    readings = [end_reading(int(n.loc[pi, RKL_LIKE]), int(n.loc[pi, ML_LIKE]), int(n.loc[pi, NEITHER]),
                            smallest=(pi == ends[0])) for pi in ends]
    numbers = []
    for pi, (reading, p_sentence, p_eq12), predicted in zip(ends, readings, (RKL_LIKE, ML_LIKE)):
        converged = int(n.loc[pi, "converged"])
        numbers += [(f"converged runs at π={pi:g}", converged, "runs", f">= {MIN_SEEDS}", converged >= MIN_SEEDS),
                    (f"π={pi:g}: runs {predicted} (the sentence's prediction) of {converged}",
                     int(n.loc[pi, predicted]), "runs"),
                    (f"π={pi:g}: sign-test p that the runs follow the sentence", p_sentence, "p", "< 0.05",
                     p_sentence < 0.05),
                    (f"π={pi:g}: sign-test p that the runs follow eq. 12", p_eq12, "p", "< 0.05", p_eq12 < 0.05)]
        fewest = fewest_agreeing(converged)
        numbers.append((f"power at π={pi:g}: fewest agreeing runs of {converged} for p < 0.05 ({SIGN_FORMULA})",
                        np.nan if fewest is None else fewest, "runs"))
    for pi in pis[1:-1]:
        numbers.append((f"π={pi:g}: runs near the KL[Q||P] optimum / converged", int(n.loc[pi, RKL_LIKE]),
                        f"of {int(n.loc[pi, 'converged'])}"))
    labels = [r[0] for r in readings]
    converged = [int(n.loc[pi, "converged"]) for pi in ends]
    if min(converged) < MIN_SEEDS:
        status = "inconclusive"
        text = f"too few converged runs at the end π ({converged[0]} and {converged[1]}; {MIN_SEEDS} needed)"
    elif UNDECIDED in labels:
        status = "inconclusive"
        text = (f"the runs split at π={ends[labels.index(UNDECIDED)]:g} (no side reaches p < 0.05): neither reading "
                f"is supported there")
    elif labels == [EQ12, EQ12]:
        status = "not reproduced"
        text = ("a small share of real samples gives maximum-likelihood-like generators and a large share "
                "KL[Q||P]-like ones: the runs support eq. 12's reading (π = P's share of the mixture), not the "
                "note's sentence that π < 1/2 over-represents P")
    elif labels == [SENTENCE, SENTENCE]:
        status, text = "reproduced", "the behaviour is reversed, as the note's sentence would have it (against eq. 12)"
    else:
        status, text = "partly", "one end follows each reading: neither is supported throughout"
    summary = (f"{sum(converged)} converged runs at the end π ({ctx.settings['rule']} rule, π the real share of each "
               f"batch with pi_mode {ctx.settings['pi_mode']}, starts drawn from N(0, {ctx.settings['start_sd']:g}²); "
               f"the badge judges the note's sentence): {text}.")
    return verdict(ID, status, summary, numbers)
