"""Scheduled sampling's inconsistency (section 4 of the note): where its objective puts the model, exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

from gandiv.sequence import scheduled_sampling as ss
from gandiv.figures.style import NATS, TIDY_COLUMNS, figure
from gandiv.results_io import read_json
from gandiv.figures._legacy import Context, FigureResult, verdict


def ss_inconsistency(ctx: Context) -> FigureResult:
    epsilons = np.linspace(0.0, 1.0, ctx.settings["n_epsilon"])
    joints = {name: np.asarray(table, dtype=float) for name, table in ctx.settings["joints"].items()}
    trained = load_trained(ctx.inputs)
    fig, axes = figure(ncols=4, nrows=len(joints), width=4.2, height=3.6)
    rows, numbers, checks, nearer = [], [], [], []
    for row, (name, joint) in zip(axes, joints.items()):
        p1, p2, _ = ss.marginals(joint)
        factorised = np.outer(p1, p2)
        mutual_information = ss.kl_joint(joint, factorised)
        worst_gap = 0.0
        for eps in epsilons:
            closed = ss.algorithm_fixed_point(joint, eps)
            numeric = ss.algorithm_fixed_point_numerically(joint, eps)
            worst_gap = max(worst_gap, max(np.abs(a - b).max() for a, b in zip(closed, numeric)))
            ideal = ss.idealised_minimiser(joint, eps, seed=ctx.seed)
            for solution, (q1, q2) in (("algorithm fixed point", closed), ("eq. 6 minimiser", ideal)):
                q = ss.model_joint(q1, q2)
                rows += [{"joint": name, "epsilon": eps, "solution": solution, "quantity": quantity, "value": value,
                          "unit": NATS} for quantity, value in (("KL[P||Q*]", ss.kl_joint(joint, q)),
                                                                ("KL[P1 P2||Q*]", ss.kl_joint(factorised, q)),
                                                                ("D_SS at Q*", ss.ss_objective(joint, q1, q2, eps)))]
        table = pd.DataFrame(rows)
        mine = table[table.joint == name]

        sns.heatmap(pd.DataFrame(joint), ax=row[0], annot=True, fmt=".2f", cmap="magma", cbar=False)
        row[0].set_title(f"{name}: P(x1, x2), I(x1;x2) = {mutual_information:.3f} nats")
        row[0].set_xlabel("x2")
        row[0].set_ylabel("x1")
        for (solution, quantity), g in mine[mine.quantity != "D_SS at Q*"].groupby(["solution", "quantity"]):
            row[1].plot(g.epsilon, g.value, "-" if "algorithm" in solution else "--",
                        label=f"{quantity}, {solution}")
        row[1].set_xlabel("epsilon (probability of feeding the real x1)")
        row[1].set_ylabel("divergence (nats)")
        row[1].legend(fontsize=7)
        half = ss.algorithm_fixed_point(joint, 0.5)[1]
        sns.heatmap(pd.DataFrame(half), ax=row[2], annot=True, fmt=".2f", cmap="viridis", cbar=False)
        row[2].set_title("Q*(x2 | x1) at epsilon = 0.5 (fixed point)")
        row[2].set_xlabel("x2")
        row[2].set_ylabel("x1")

        runs = [r for r in trained if r["joint"] == name]
        trained_rows = trained_model_rows(joint, runs, ctx.seed)
        rows += trained_rows
        plot_trained(row[3], mine, pd.DataFrame(trained_rows), name)
        for r in trained_rows:
            if r["quantity"] == "KL[P||Q]" and r["epsilon"] < 1:
                to_optimum = next(t["value"] for t in trained_rows if t["quantity"] == "KL[Q*||Q]"
                                  and t["schedule"] == r["schedule"] and t["seed"] == r["seed"])
                nearer.append(to_optimum < r["value"])
        if runs:
            kl = pd.DataFrame(trained_rows).pivot_table(index=["schedule", "seed"], columns="quantity", values="value")
            ml = kl.loc[kl.index.get_level_values("schedule") == "epsilon1"]
            numbers += [(f"{name}: trained models, largest KL[Q*_eps||Q] (Q* = fixed point for the model's epsilon)",
                         kl["KL[Q*||Q]"].max(), NATS),
                        (f"{name}: trained models with epsilon < 1, smallest KL[P||Q]",
                         kl.loc[kl.index.get_level_values("schedule") != "epsilon1", "KL[P||Q]"].min(), NATS)]
            if len(ml):
                numbers.append((f"{name}: maximum-likelihood models (epsilon = 1), largest KL[P||Q]",
                                ml["KL[P||Q]"].max(), NATS))

        at = mine.set_index(["solution", "epsilon", "quantity"]).value
        algo_zero = at[("algorithm fixed point", 0.0, "KL[P||Q*]")]
        ideal_zero = at[("eq. 6 minimiser", 0.0, "KL[P||Q*]")]
        at_one = max(at[(s, 1.0, "KL[P||Q*]")] for s in ("algorithm fixed point", "eq. 6 minimiser"))
        interior = mine[(mine.quantity == "KL[P||Q*]") & (mine.epsilon < 1)].value.min()
        # Closed form vs numerical to 1e-6 (the bar); KL[P||Q*_0] = I(x1;x2) and Q*_1 = P to 1e-9.
        checks.append(worst_gap < 1e-6 and abs(algo_zero - mutual_information) < 1e-9
                      and abs(ideal_zero - mutual_information) < 1e-9 and at_one < 1e-9 and interior > 0)
        numbers += [(f"{name}: I(x1;x2)", mutual_information, NATS),
                    (f"{name}: KL[P||Q*] at epsilon=0 (fixed point / eq. 6)", algo_zero, NATS),
                    (f"{name}: KL[P||Q*] at epsilon=1", at_one, NATS),
                    (f"{name}: smallest KL[P||Q*] for epsilon < 1", interior, NATS),
                    (f"{name}: closed form vs numerical fixed point, max difference", worst_gap, "probability")]
    data = pd.DataFrame(rows)
    data = data[[c for c in data.columns if c not in TIDY_COLUMNS] + list(TIDY_COLUMNS)]  # exact rows: no seed
    analytic = all(checks)
    status = ("reproduced" if analytic and nearer and all(nearer) else "partly" if analytic else "not reproduced")
    models = (f"{len(trained)} Keras pair models trained on fresh samples of P ({sum(nearer)} of {len(nearer)} "
              f"with epsilon < 1 end nearer the exact fixed point for their epsilon than P, by KL)"
              if trained else "No Keras model was trained (config: no `training` section)")
    summary = (f"Exactly, for {len(joints)} joint laws with dependence: the scheduled-sampling fixed point "
               f"Q* = P1 (eps P2|1 + (1 - eps) P2) (closed form, matching the numerical fixed point) and the global "
               f"minimiser of eq. 6 both equal P only at epsilon = 1 and the factorised P1 P2 at epsilon = 0, where "
               f"KL[P||Q*] is the mutual information; for every epsilon < 1 the optimum is not P, so the objective "
               f"is improper as the note says. {models}." if analytic else
               "The exact analysis does not match the note's claim (see the numbers).")
    return FigureResult(fig, data, verdict("ss-inconsistency", status, summary, numbers))


def load_trained(inputs: dict) -> list[dict]:
    """The trained pair models' records (tables.json of every `ss_train` job)."""
    runs = []
    for key in sorted((k for k in inputs if k.startswith("run_")), key=lambda k: int(k.split("_")[1])):
        runs.append(read_json(inputs[key], required=("joint", "schedule", "seed", "final_epsilon", "q1", "q2_given_1")))
    return runs


def trained_model_rows(joint: np.ndarray, runs: list[dict], seed: int) -> list[dict]:
    """Where each trained model ends: KL to P, to P1 P2, to the algorithm's fixed point and to eq. 6's minimiser
    for the epsilon of its last step."""
    p1, p2, _ = ss.marginals(joint)
    factorised = np.outer(p1, p2)
    rows, minimisers = [], {}
    for run in runs:
        eps = run["final_epsilon"]
        q = ss.model_joint(np.asarray(run["q1"]), np.asarray(run["q2_given_1"]))
        if eps not in minimisers:
            minimisers[eps] = (ss.model_joint(*ss.algorithm_fixed_point(joint, eps)),
                               ss.model_joint(*ss.idealised_minimiser(joint, eps, seed=seed)))
        fixed_point, eq6 = minimisers[eps]
        for quantity, value in (("KL[P||Q]", ss.kl_joint(joint, q)), ("KL[P1 P2||Q]", ss.kl_joint(factorised, q)),
                                ("KL[Q*||Q]", ss.kl_joint(fixed_point, q)),
                                ("KL[Q eq.6||Q]", ss.kl_joint(eq6, q))):
            rows.append({"joint": run["joint"], "epsilon": eps, "solution": "Keras model", "schedule": run["schedule"],
                         "seed": run["seed"], "quantity": quantity, "value": value, "unit": NATS})
    return rows


def plot_trained(ax, exact: pd.DataFrame, trained: pd.DataFrame, name: str) -> None:
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
