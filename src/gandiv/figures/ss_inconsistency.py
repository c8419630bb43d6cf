"""ss-inconsistency: scheduled sampling's objective (eq. 6 of the note, section 4) is improper, exactly.

For each configured joint law P(x1, x2) of two symbols: the scheduled-sampling algorithm's fixed point
Q*_eps (closed form, and by iterating the algorithm) and the global minimiser of eq. 6 over an epsilon
grid, with KL[P||Q*_eps]; then where Keras pair models trained with each schedule end
(gandiv.sequence.runs). The claim (src/gandiv/figures/catalogue.yaml): the optimum is P only at
epsilon = 1 and the factorised P1 P2 at epsilon = 0, where KL[P||Q*] is the mutual information.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

from gandiv.config_error import ConfigError, check_whole_calls, domain_errors
from gandiv.exact import domain
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.ss_rows import MODEL, exact_rows, joint_facts, read_pair_tables, trained_model_rows
from gandiv.figures.style import NATS, figure
from gandiv.results_io import TIDY_COLUMNS
from gandiv.sequence import runs

SETTINGS = """\
description: >-
  Scheduled sampling on pairs of symbols: the exact minimisers of its objective (eq. 6) over
  an epsilon grid, for joint laws P(x1, x2) given as tables.
type: object
additionalProperties: false
required: [joints]
properties:
  joints:
    description: Joint laws by name; rows are x1, columns x2; non-negative, summing to 1.
    type: object
    minProperties: 1
    propertyNames:
      pattern: "^[A-Za-z0-9_]+$"
    additionalProperties:
      type: array
      minItems: 2
      items:
        type: array
        minItems: 2
        items: {type: number, minimum: 0}
  n_epsilon:
    description: Points of the epsilon grid on [0, 1] (both ends included).
    type: integer
    minimum: 2
    default: 21
  training:
    description: >-
      Keras autoregressive pair models trained on fresh samples of P, one Snakemake job per
      (joint, schedule, seed): by maximum likelihood (epsilon = 1), with scheduled sampling at fixed
      epsilon, and with the annealed schedules of Bengio et al. (2015).
    type: object
    additionalProperties: false
    required: [joints, seeds]
    properties:
      joints:
        description: Names of joint laws (keys of `joints`) to train models on.
        type: array
        minItems: 1
        uniqueItems: true
        items: {type: string}
      epsilons:
        description: Fixed probabilities of feeding the real x1 (1 = maximum likelihood).
        type: array
        uniqueItems: true
        items: {type: number, minimum: 0, maximum: 1}
        default: [0.0, 0.5, 1.0]
      annealed:
        description: Annealed schedules, each decaying epsilon from 1.
        type: array
        uniqueItems: true
        items: {type: string, enum: [linear, inverse_sigmoid]}
        default: [linear, inverse_sigmoid]
      final_epsilon:
        description: Where the linear schedule ends.
        type: number
        minimum: 0
        maximum: 1
        default: 0.0
      decay_share:
        description: Share of the steps over which the linear schedule decays (then it stays at final_epsilon).
        type: number
        exclusiveMinimum: 0
        maximum: 1
        default: 0.75
      inverse_sigmoid_k:
        description: k of the inverse sigmoid schedule k / (k + exp(step / k)) (k >= 1).
        type: number
        minimum: 1
        default: 400
      seeds:
        description: Seeds; one training per (joint, schedule, seed).
        type: array
        minItems: 1
        uniqueItems: true
        items: {type: integer, minimum: 0}
      steps:
        description: Training steps (multiple of steps_per_call).
        type: integer
        minimum: 1
        default: 3000
      steps_per_call:
        description: Steps inside one compiled call.
        type: integer
        minimum: 1
        default: 500
      batch_size:
        description: Pairs drawn from P per step.
        type: integer
        minimum: 1
        default: 512
      learning_rate:
        description: Adam's initial learning rate (cosine decay to a tenth of it).
        type: number
        exclusiveMinimum: 0
        default: 0.01
      embedding_dim:
        description: Width of the embedding of the previous token.
        type: integer
        minimum: 1
        default: 8
      hidden:
        description: Units of the conditional's hidden layer.
        type: integer
        minimum: 1
        default: 32
      threads:
        description: TensorFlow threads per training job.
        type: integer
        minimum: 1
        default: 1
"""

NEEDS = Needs(("joints", "n_epsilon"), ("seed",))

ML_SCHEDULE = runs.fixed_schedule(1.0)  # maximum likelihood: the real x1 always fed
FIXED_POINT_TOLERANCE = 1e-6  # probability: closed-form vs iterated fixed point (the bar; measured ~1e-9)
EXACT = 1e-9  # nats: exact identities, up to the round-off of sums of K^2 terms


def inputs(config) -> dict:
    """The record (tables.json) of every trained pair model, in `gandiv.sequence.runs.pair_runs` order."""
    return {"tables": [run.file("tables.json") for run in runs.pair_runs(config)]}


def check(settings, config) -> None:
    """Joint tables are valid (`domain.joint_table`); trained joints are defined; there is at least one
    schedule; training steps are whole compiled calls. Raises ConfigError naming the key."""
    for name, table in settings["joints"].items():
        with domain_errors(f"figures.ss-inconsistency.joints.{name}", "joint"):
            domain.joint_table("joint", table)
    training = settings.get("training")
    if training is None:
        return
    for i, name in enumerate(training["joints"]):
        if name not in settings["joints"]:
            raise ConfigError(f"figures.ss-inconsistency.training.joints[{i}]", f"undefined joint {name!r}",
                              "joints defined in `figures.ss-inconsistency.joints`: " + ", ".join(settings["joints"]))
    if not training["epsilons"] and not training["annealed"]:
        raise ConfigError("figures.ss-inconsistency.training.epsilons", "no fixed epsilon and no annealed schedule",
                          "at least one value in [0, 1] here or one schedule in `annealed`")
    check_whole_calls("figures.ss-inconsistency.training", training)


def compute(ctx: Context) -> Computed:
    """Per joint: the exact minimisers' rows over the epsilon grid, then its trained models' rows.

    extras["joints"][name]: the joint's mutual information, the closed-form vs numerical fixed-point gap and
    Q*(x2 | x1) at epsilon = 1/2 (`ss_rows.joint_facts`).
    """
    epsilons = np.linspace(0.0, 1.0, ctx.settings["n_epsilon"])
    trained = read_pair_tables(ctx.inputs["tables"])
    rows, facts = [], {}
    for name, table in ctx.settings["joints"].items():
        joint = np.asarray(table, dtype=float)
        exact, gap = exact_rows(name, joint, epsilons, ctx.seed)
        rows += exact + trained_model_rows(joint, [r for r in trained if r["joint"] == name], ctx.seed)
        facts[name] = joint_facts(joint, gap)
    data = pd.DataFrame(rows)
    data = data[[c for c in data.columns if c not in TIDY_COLUMNS] + list(TIDY_COLUMNS)]  # exact rows: no seed
    return Computed(data, {"joints": facts})


def draw(computed: Computed, ctx: Context):
    """Per joint (one row of panels): P, the KL curves of both minimisers, Q*(x2 | x1) at epsilon = 1/2, and the
    trained models over the exact curve."""
    data, facts = computed.table, computed.extras["joints"]
    fig, axes = figure(ncols=4, nrows=len(facts), width=4.2, height=3.6)
    for row, (name, fact) in zip(axes, facts.items()):
        mine = data[data.joint == name]
        exact = mine[mine.solution != MODEL]
        sns.heatmap(pd.DataFrame(np.asarray(ctx.settings["joints"][name], dtype=float)), ax=row[0], annot=True,
                    fmt=".2f", cmap="magma", cbar=False)
        row[0].set_title(f"{name}: P(x1, x2), I(x1;x2) = {fact['mutual_information']:.3f} nats")
        row[0].set_xlabel("x2")
        row[0].set_ylabel("x1")
        for (solution, quantity), g in exact[exact.quantity != "D_SS at Q*"].groupby(["solution", "quantity"]):
            row[1].plot(g.epsilon, g.value, "-" if "algorithm" in solution else "--",
                        label=f"{quantity}, {solution}")
        row[1].set_xlabel("epsilon (probability of feeding the real x1)")
        row[1].set_ylabel("divergence (nats)")
        row[1].legend(fontsize=7)
        sns.heatmap(pd.DataFrame(fact["conditional_at_half"]), ax=row[2], annot=True, fmt=".2f", cmap="viridis",
                    cbar=False)
        row[2].set_title("Q*(x2 | x1) at epsilon = 0.5 (fixed point)")
        row[2].set_xlabel("x2")
        row[2].set_ylabel("x1")
        _plot_trained(row[3], exact, mine[mine.solution == MODEL], name)
    return fig


def _plot_trained(ax, exact: pd.DataFrame, trained: pd.DataFrame, name: str) -> None:
    """Trained models (markers) over the exact KL[P||Q*_eps] curve: each sits on the optimum for its epsilon."""
    curve = exact[(exact.solution == "algorithm fixed point") & (exact.quantity == "KL[P||Q*]")]
    ax.plot(curve.epsilon, curve.value, color="0.4", label="KL[P||Q*], exact fixed point")
    if trained.empty:
        ax.text(0.5, 0.5, "no trained models\n(config: training.joints)", ha="center", va="center",
                transform=ax.transAxes)
    else:
        annealed = ~trained.schedule.str.startswith("epsilon")
        for quantity, marker in (("KL[P||Q]", "o"), ("KL[Q*||Q]", "x")):
            for is_annealed, colour in ((False, "C0"), (True, "C3")):
                g = trained[(trained.quantity == quantity) & (annealed == is_annealed)]
                if len(g):
                    ax.scatter(g.epsilon, g.value, marker=marker, color=colour, s=28,
                               label=f"{quantity}, {'annealed' if is_annealed else 'fixed'} epsilon")
        ax.set_yscale("symlog", linthresh=1e-4)
    ax.set_xlabel("epsilon at the last training step")
    ax.set_ylabel("KL (nats)")
    ax.set_title(f"{name}: Keras models trained with scheduled sampling")
    ax.legend(fontsize=6)


def judge(computed: Computed, ctx: Context) -> dict:
    """Reproduced if, for every joint, the analysis is exact (closed form = numerical fixed point to 1e-6,
    KL[P||Q*_0] = I(x1;x2) for both minimisers and KL[P||Q*_1] = 0 to 1e-9, KL[P||Q*] > 0 for every
    epsilon < 1) and every trained model with epsilon < 1 ends nearer its exact fixed point than P (by KL);
    partly if only the analysis holds (or no model with epsilon < 1 was trained); else not reproduced."""
    data, facts = computed.table, computed.extras["joints"]
    numbers, analytic_numbers, nearer = [], [], []
    for name, fact in facts.items():
        mine = data[data.joint == name]
        exact, models = mine[mine.solution != MODEL], mine[mine.solution == MODEL]
        if len(models):
            kl = models.pivot_table(index=["schedule", "seed", "epsilon"], columns="quantity", values="value")
            below_one = kl[kl.index.get_level_values("epsilon") < 1]
            nearer += list(below_one["KL[Q*||Q]"] < below_one["KL[P||Q]"])
            schedule = kl.index.get_level_values("schedule")
            numbers += [(f"{name}: trained models, largest KL[Q*_eps||Q] (Q* = fixed point for the model's epsilon)",
                         kl["KL[Q*||Q]"].max(), NATS),
                        (f"{name}: trained models with epsilon < 1, smallest KL[P||Q]",
                         kl.loc[schedule != ML_SCHEDULE, "KL[P||Q]"].min(), NATS)]
            if (schedule == ML_SCHEDULE).any():
                numbers.append((f"{name}: maximum-likelihood models (epsilon = 1), largest KL[P||Q]",
                                kl.loc[schedule == ML_SCHEDULE, "KL[P||Q]"].max(), NATS))
        at = exact.set_index(["solution", "epsilon", "quantity"]).value
        algo_zero = at[("algorithm fixed point", 0.0, "KL[P||Q*]")]
        ideal_zero = at[("eq. 6 minimiser", 0.0, "KL[P||Q*]")]
        at_one = max(at[(s, 1.0, "KL[P||Q*]")] for s in ("algorithm fixed point", "eq. 6 minimiser"))
        interior = exact[(exact.quantity == "KL[P||Q*]") & (exact.epsilon < 1)].value.min()
        information, gap = fact["mutual_information"], fact["fixed_point_gap"]
        numbers += [(f"{name}: I(x1;x2)", information, NATS),
                    (f"{name}: KL[P||Q*] at epsilon=0 (fixed point / eq. 6)", algo_zero, NATS)]
        # Closed form vs numerical to FIXED_POINT_TOLERANCE (the bar); KL[P||Q*_0] = I(x1;x2) and
        # Q*_1 = P to EXACT (round-off of sums of K^2 terms).
        analytic_numbers += [
            (f"{name}: closed form vs numerical fixed point, max difference", gap, "probability",
             f"< {FIXED_POINT_TOLERANCE:g}", gap < FIXED_POINT_TOLERANCE),
            (f"{name}: |KL[P||Q*_0] - I(x1;x2)|, algorithm fixed point", abs(algo_zero - information), NATS,
             f"< {EXACT:g}", abs(algo_zero - information) < EXACT),
            (f"{name}: |KL[P||Q*_0] - I(x1;x2)|, eq. 6 minimiser", abs(ideal_zero - information), NATS,
             f"< {EXACT:g}", abs(ideal_zero - information) < EXACT),
            (f"{name}: KL[P||Q*] at epsilon=1", at_one, NATS, f"< {EXACT:g}", at_one < EXACT),
            (f"{name}: smallest KL[P||Q*] for epsilon < 1", interior, NATS, "> 0", interior > 0)]
    n_trained = int(((data.solution == MODEL) & (data.quantity == "KL[P||Q]")).sum())  # one such row per model
    analytic = all(passed for *_, passed in analytic_numbers)
    trained_ok = bool(nearer) and all(nearer)
    status = "reproduced" if analytic and trained_ok else "partly" if analytic else "not reproduced"
    not_nearer = len(nearer) - sum(nearer)
    numbers = analytic_numbers + numbers + [
        ("trained models with epsilon < 1 not nearer their fixed point than P (by KL)", not_nearer, "models",
         "= 0, of at least one such model", (not_nearer == 0) if nearer else None)]
    models = (f"{n_trained} Keras pair models trained on fresh samples of P ({sum(nearer)} of {len(nearer)} "
              f"with epsilon < 1 end nearer the exact fixed point for their epsilon than P, by KL)"
              if n_trained else "No Keras model was trained (config: no `training` section)")
    failed = [f"{label} = {value:.3g} (needs {threshold})" for label, value, _, threshold, passed in analytic_numbers
              if not passed]
    if analytic:
        summary = (f"Exactly, for {len(facts)} joint laws with dependence: the scheduled-sampling fixed point "
                   f"Q* = P1 (eps P2|1 + (1 - eps) P2) (closed form, matching the numerical fixed point) and the "
                   f"global minimiser of eq. 6 both equal P only at epsilon = 1 and the factorised P1 P2 at "
                   f"epsilon = 0, where KL[P||Q*] is the mutual information; for every epsilon < 1 the optimum is not "
                   f"P, so the objective is improper as the note says. {models}."
                   + ("" if trained_ok else
                      f" Failed: {not_nearer} trained model(s) with epsilon < 1 are not nearer their fixed point than "
                      f"P." if nearer else " Not tested: no trained model with epsilon < 1."))
    else:
        summary = f"The exact analysis does not match the note's claim. Failed: {'; '.join(failed)}. {models}."
    return verdict("ss-inconsistency", status, summary, numbers)
