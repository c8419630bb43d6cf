"""Scheduled sampling's inconsistency (section 4 of the note): where its objective puts the model, exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

from .. import scheduled_sampling as ss
from ..plotting import NATS, figure
from . import Context, FigureResult, verdict


def ss_inconsistency(ctx: Context) -> FigureResult:
    epsilons = np.linspace(0.0, 1.0, ctx.settings["n_epsilon"])
    joints = {name: np.asarray(table, dtype=float) for name, table in ctx.settings["joints"].items()}
    fig, axes = figure(ncols=3, nrows=len(joints), width=4.2, height=3.6)
    rows, numbers, checks = [], [], []
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
    status = "partly" if all(checks) else "not reproduced"
    summary = (f"Exactly, for {len(joints)} joint laws with dependence: the scheduled-sampling fixed point "
               f"Q* = P1 (eps P2|1 + (1 - eps) P2) (closed form, matching the numerical fixed point) and the global "
               f"minimiser of eq. 6 both equal P only at epsilon = 1 and the factorised P1 P2 at epsilon = 0, where "
               f"KL[P||Q*] is the mutual information; for every epsilon < 1 the optimum is not P, so the objective "
               f"is improper as the note says. The Keras model trained with scheduled sampling is not built yet, "
               f"hence 'partly'." if all(checks) else
               "The exact analysis does not match the note's claim (see the numbers).")
    return FigureResult(fig, data, verdict("ss-inconsistency", status, summary, numbers))
