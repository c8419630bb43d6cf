"""The ss-inconsistency figure's numbers: rows of its tidy table, one KL (nats) or objective value per row.

Exact rows: for each epsilon of the grid, the scheduled-sampling algorithm's fixed point Q*_eps (closed
form) and the global minimiser of eq. 6 (section 4 of the note), each with KL[P||Q*], KL[P1 P2||Q*] and
D_SS at Q*. Model rows: where a trained Keras pair model Q ends, by KL from P, from P1 P2 and from both
optima for the epsilon of its last step. All from `gandiv.sequence.scheduled_sampling`.
"""

from __future__ import annotations

import numpy as np

from gandiv.figures.style import NATS
from gandiv.results_io import read_json
from gandiv.sequence import scheduled_sampling as ss

MODEL = "Keras model"  # the `solution` of a trained model's rows
PAIR_TABLE_KEYS = ("joint", "schedule", "seed", "final_epsilon", "q1", "q2_given_1")  # what the figure reads


def read_pair_tables(paths: list[str]) -> list[dict]:
    """The records (tables.json of `ss_train` jobs) of trained pair models, in the order given.

    Raises gandiv.results_io's errors naming the file if one is missing, corrupt or lacks PAIR_TABLE_KEYS.
    """
    return [read_json(path, required=PAIR_TABLE_KEYS) for path in paths]


def exact_rows(name: str, joint: np.ndarray, epsilons: np.ndarray, seed: int) -> tuple[list[dict], float]:
    """Rows of both exact minimisers over `epsilons` for the K x K joint table `joint` (named `name`), and the
    largest difference (probability) between the closed-form fixed point and the iterated algorithm's.

    `seed` seeds the random restarts of eq. 6's numerical minimisation (`ss.idealised_minimiser`).
    """
    p1, p2, _ = ss.marginals(joint)
    factorised = np.outer(p1, p2)
    rows, worst_gap = [], 0.0
    for eps in epsilons:
        closed = ss.algorithm_fixed_point(joint, eps)
        numeric = ss.algorithm_fixed_point_numerically(joint, eps)
        worst_gap = max(worst_gap, max(np.abs(a - b).max() for a, b in zip(closed, numeric)))
        ideal = ss.idealised_minimiser(joint, eps, seed=seed)
        for solution, (q1, q2) in (("algorithm fixed point", closed), ("eq. 6 minimiser", ideal)):
            q = ss.model_joint(q1, q2)
            rows += [{"joint": name, "epsilon": eps, "solution": solution, "quantity": quantity, "value": value,
                      "unit": NATS} for quantity, value in (("KL[P||Q*]", ss.kl_joint(joint, q)),
                                                            ("KL[P1 P2||Q*]", ss.kl_joint(factorised, q)),
                                                            ("D_SS at Q*", ss.ss_objective(joint, q1, q2, eps)))]
    return rows, worst_gap


def joint_facts(joint: np.ndarray, fixed_point_gap: float) -> dict:
    """What the figure shows of a joint beside its rows: its mutual information I(x1;x2) = KL[P||P1 P2] (nats),
    the fixed-point gap of `exact_rows`, and the fixed point's conditional Q*(x2 | x1) at epsilon = 1/2."""
    p1, p2, _ = ss.marginals(joint)
    return {"mutual_information": ss.kl_joint(joint, np.outer(p1, p2)), "fixed_point_gap": fixed_point_gap,
            "conditional_at_half": ss.algorithm_fixed_point(joint, 0.5)[1]}


def trained_model_rows(joint: np.ndarray, runs: list[dict], seed: int) -> list[dict]:
    """Where each trained model (records of `read_pair_tables`) ends: KL from P, from P1 P2, from the algorithm's
    fixed point and from eq. 6's minimiser for the epsilon of its last step (`seed` as in `exact_rows`)."""
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
            rows.append({"joint": run["joint"], "epsilon": eps, "solution": MODEL, "schedule": run["schedule"],
                         "seed": run["seed"], "quantity": quantity, "value": value, "unit": NATS})
    return rows
