"""Divergences of a trained GAN: exact where Q's density is known, estimated always.

Estimates come from the trained discriminator (the logit its output implies estimates
log(pi p / ((1-pi) q)), so plug-in values of JS_pi and both KLs follow: the rule's
`RuleUnit.plug_ins`) and from samples alone (k-nearest-neighbour KL estimators). Every estimate is stored
beside the exact value with its error.

Exact values carry their quadrature error estimate (column `exact_error`, nats; 0 for closed
forms). When a value cannot be certified (a generator collapsed to an sd the grid cannot
resolve, a flow whose density does not integrate to 1 on the grid) it is NaN and the
column `note` says why; a degenerate sample set gives NaN k-NN estimates with a note. One
run's failure never stops the evaluation of the others.
"""

from __future__ import annotations

import keras
import numpy as np

from gandiv.exact import divergences as dv
from gandiv.exact.densities import GaussianMixture
from gandiv.samples.knn import knn_kl_both_or_reason
from gandiv.exact.quadrature import Grid, QuadratureError, grid_for, refined_grid
from gandiv.update_rules import UpdateRule, unit

EVAL_BATCH = 65536
MASS_TOL = 1e-3  # a flow's density must integrate to 1 within this on the grid for its divergences to count as exact
FLOW_TOL = 1e-3  # a flow's log density is float32 (relative precision ~1e-7 over ~1e6 points): its exact values are
#                  certified to this (relative, see divergences.certified_on_grids), not to EXACT_TOL
EXACT_QUANTITIES = ("kl_pq", "kl_qp", "js", "js_pi")


def model_outputs(fn, x: np.ndarray) -> np.ndarray:
    """Apply a Keras model (or method) to a large array in batches; float64 numpy out."""
    return np.concatenate([keras.ops.convert_to_numpy(fn(x[i:i + EVAL_BATCH].astype("float32"))).astype(float)
                           for i in range(0, len(x), EVAL_BATCH)])


def model_log_density(generator, kind: str, points: np.ndarray) -> np.ndarray | None:
    """log q at points for generators with a density (gaussian, flow); None for the MLP."""
    if kind == "gaussian":
        return generator.density().log_prob(points)
    if kind == "flow":
        return model_outputs(generator.log_prob, points).reshape(-1)
    return None


def evaluation_grid(target: GaussianMixture, generated: np.ndarray, points_per_sd: float = 8.0,
                    pad_sd: float = 3.0) -> Grid:
    """A grid over P and over where Q's samples fall (padded by `pad_sd` sample sds), fine enough for P's narrowest
    component."""
    box = target.bounds(9.0)
    lo = np.minimum(box[:, 0], generated.min(axis=0) - pad_sd * generated.std(axis=0))
    hi = np.maximum(box[:, 1], generated.max(axis=0) + pad_sd * generated.std(axis=0))
    return grid_for(target, points_per_sd=points_per_sd, bounds=np.stack([lo, hi], axis=1))


def exact_divergences(target: GaussianMixture, generator, kind: str, pi: float, generated: np.ndarray,
                      points_per_sd: float) -> tuple[dict[str, dv.Certified], str]:
    """Certified KL both ways, JS, JS_pi (and, for a flow, Q's mass on the grid) of a generator with a density.

    Returns ({quantity: Certified}, note): empty for the mlp (no density); NaN values with the
    reason in `note` when they cannot be certified (see the module docstring).
    """
    if kind not in ("gaussian", "flow"):
        return {}, ""
    failed = {k: dv.Certified(np.nan, np.nan, "quadrature") for k in EXACT_QUANTITIES}
    try:
        if kind == "gaussian":
            return dv.certified_divergences(target, generator.density(), EXACT_QUANTITIES, pi,
                                            points_per_sd=points_per_sd), ""
        grid = evaluation_grid(target, generated, points_per_sd)
        refined = refined_grid(evaluation_grid(target, generated, points_per_sd, pad_sd=6.0))
        log_q = lambda x: model_log_density(generator, kind, x)  # noqa: E731
        mass, fine_mass = (g.integrate(np.exp(log_q(g.points))) for g in (grid, refined))
        mass_row = {"q_mass_on_grid": dv.Certified(mass, abs(fine_mass - mass), "quadrature")}
        if abs(mass - 1.0) > MASS_TOL:  # the grid does not resolve or cover Q: no number here may be called exact
            return failed | mass_row, f"exact values undefined: Q's mass on the grid is {mass:.6f}, not 1 within " \
                                      f"{MASS_TOL:g}"
        return dv.certified_on_grids(target.log_prob, log_q, grid, refined, EXACT_QUANTITIES, pi,
                                     FLOW_TOL) | mass_row, ""
    except QuadratureError as error:
        return failed, f"exact values undefined: {error}"


def tidy_rows(quantity: str, method: str, value: float, exact: dv.Certified | None = None, note: str = "") -> dict:
    """One row of an evaluation table: the value, the exact value beside it with its error estimate, and a note."""
    truth = exact.value if exact is not None else np.nan
    return {"quantity": quantity, "method": method, "value": float(value), "exact": truth,
            "error": float(value) - truth, "exact_error": exact.error if exact is not None else np.nan, "note": note}


def evaluate_run(target: GaussianMixture, model, kind: str, rule: str, pi: float, n_samples: int, knn_k: int,
                 rng: np.random.Generator, points_per_sd: float) -> list[dict]:
    """Tidy rows (quantity, method, value, exact, error, exact_error, note) for one trained GAN (`model`: its
    networks, `gandiv.gan.training.RunNetworks`; `rule`: its update rule); `rng` is the run's `evaluation` stream,
    `points_per_sd` the density of the exact values' grid (config `gan.evaluation`)."""
    real = target.sample(n_samples, rng)
    noise = rng.standard_normal((n_samples, model.latent_dim))
    fake = model_outputs(model.generator, noise)
    exact, exact_note = exact_divergences(target, model.generator, kind, pi, fake, points_per_sd)
    knn, knn_note = knn_kl_both_or_reason(real, fake, k=knn_k)
    estimates = {
        "discriminator": (unit(UpdateRule(rule)).plug_ins(model_outputs(model.discriminator, real)[:, 0],
                                                    model_outputs(model.discriminator, fake)[:, 0], pi), ""),
        "knn": (knn, knn_note),
    }
    rows = [tidy_rows(name, "exact", c.value, c, exact_note) for name, c in exact.items()]
    for method, (values, note) in estimates.items():
        for name, value in values.items():
            inherited = exact_note if name in exact else ""  # the error column is NaN because the exact value is
            rows.append(tidy_rows(name, method, value, exact.get(name), note or inherited))
    if kind == "gaussian":  # the fitted parameters, for comparison with the theory's stationary points
        q = model.generator.density()
        rows += [tidy_rows(f"generator_mean_{i}", "parameters", v) for i, v in enumerate(q.means[0])]
        rows += [tidy_rows(f"generator_cov_{i}{j}", "parameters", q.covariances[0, i, j])
                 for i in range(q.dim) for j in range(q.dim) if j >= i]
    rows += [tidy_rows(f"sample_mean_{i}", "samples", v, dv.Certified(float(m), 0.0, "closed form"))
             for i, (v, m) in enumerate(zip(fake.mean(axis=0), target.mean()))]
    return rows
