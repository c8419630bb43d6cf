"""local-convergence: does the GAN converge to the point its update rule aims at? Joint-dynamics eigenvalues.

Beyond the sources (Mescheder, Geiger & Nowozin 2018 extended to this project's rules and pi). For a 1-D mixture P, a
Gaussian generator and the discriminator family (1, x, x^2, log p) that holds the optimal one
(`gandiv.update_rules.joint`), per update rule, pi and regulariser (none, R1 with weight `r1`, instance noise of
scale `noise_sd`): the joint equilibrium (without a regulariser, the rule's ideal-discriminator stationary point
with the optimal discriminator), the eigenvalues of the joint field's Jacobian, and the step sizes for which
simultaneous and alternating gradient descent are locally convergent there. Then plain minibatch trainings from
near each equilibrium (`gandiv.update_rules.joint_sgd`, the analysed updates at the `training` step size, over
seeds) check what the spectral radius predicts; and the Dirac-GAN's eigenvalues (from its own field) against the
paper's closed forms. The critics (WGAN, WGAN-GP) have no pi: one cell per strength of the constraint that makes
their equilibrium isolated (WGAN's box |w_i| <= clip, whose face weights are held; WGAN-GP's penalty weight lambda,
in the Jacobian with its kinks), their generator started from the moment-matched Gaussian.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.config_error import ConfigError
from gandiv.exact.densities import target_from_config
from gandiv.exact.families import Family, GaussianFamily
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.seeding import run_streams
from gandiv.update_rules import UpdateRule, joint, joint_sgd
from gandiv.update_rules.stationary import stationary_points

ID = "local-convergence"

SETTINGS = """
description: >-
  Joint generator-discriminator dynamics near each rule's equilibrium on a 1-D mixture: eigenvalues, convergent
  step sizes, trainings from near the equilibrium, and the Dirac-GAN against its closed forms.
type: object
additionalProperties: false
required: [target]
properties:
  target:
    description: A 1-D target that is not one Gaussian (then the discriminator's features are not collinear).
    $ref: "#/$defs/target_name"
  rules:
    description: Update rules, no duplicates.
    type: array
    minItems: 1
    uniqueItems: true
    items: {type: string, enum: [minimax, nonsaturating, kl, lsgan, wgan, wgan_gp]}
    default: [minimax, nonsaturating, kl, lsgan, wgan, wgan_gp]
  pi:
    description: Priors on real data, no duplicates.
    type: array
    minItems: 1
    uniqueItems: true
    items: {$ref: "#/$defs/probability"}
    default: [0.1, 0.3, 0.5, 0.7, 0.9]
  r1: {description: Weight gamma of the R1 variant., type: number, exclusiveMinimum: 0, default: 0.1}
  critics:
    description: The critics' constraint strengths, one cell each (a critic has no prior pi).
    type: object
    additionalProperties: false
    default: {}
    properties:
      clip:
        description: WGAN's box half-widths c (every critic weight clipped to [-c, c]), no duplicates.
        type: array
        minItems: 1
        uniqueItems: true
        items: {type: number, exclusiveMinimum: 0}
        default: [0.01, 0.1]
      gp:
        description: WGAN-GP's penalty weights lambda, no duplicates.
        type: array
        minItems: 1
        uniqueItems: true
        items: {type: number, exclusiveMinimum: 0}
        default: [0.1, 1.0, 10.0]
  noise_sd: {description: Scale sigma (x units) of the instance-noise variant., type: number, exclusiveMinimum: 0, default: 0.5}
  step_sizes:
    description: Step sizes h (h_g = h_d = h) scanned for local convergence, log-spaced between the two ends.
    type: object
    additionalProperties: false
    default: {}
    properties:
      smallest: {description: The smallest step size., type: number, exclusiveMinimum: 0, default: 1.0e-3}
      largest: {description: The largest step size., type: number, exclusiveMinimum: 0, default: 10.0}
      n: {description: Step sizes in the scan., type: integer, minimum: 2, default: 41}
  training:
    description: Plain minibatch gradient descent from near each equilibrium (gandiv.update_rules.joint_sgd).
    type: object
    additionalProperties: false
    default: {}
    properties:
      step_size: {description: h_g = h_d of every training., type: number, exclusiveMinimum: 0, default: 0.05}
      steps: {description: Steps of every training., type: integer, minimum: 1, default: 1200}
      every: {description: Steps between recorded states (divides steps)., type: integer, minimum: 1, default: 100}
      batch: {description: Real and generated samples per gradient estimate., type: integer, minimum: 1, default: 128}
      perturbation:
        description: >-
          sd of each coordinate's offset from the equilibrium, in its scale (x units; for WGAN's critic weights the
          box's half-width c, so the start lies inside the box); distances are measured in the same scales.
        type: number
        exclusiveMinimum: 0
        default: 0.05
      seeds: {description: Training seeds per cell and scheme., $ref: "#/$defs/seed_list", default: [0, 1, 2, 3, 4]}
"""

NEEDS = Needs(None, ("seed", "exact.quadrature_points_per_sd", "exact.quadrature_halfwidth_sd"), ("target",))
VARIANTS = ("none", "r1", "noise")
SCHEMES = joint_sgd.SCHEMES
EIG_TOL = 1e-6  # |max Re(lambda)| below this: neutral (neither attracting nor repelling)
LEAVE, STAY = 3.0, 1.0  # a run left when its final distance is > LEAVE x its start's, stayed when < STAY x
DECISIVE = 3.0  # a cell is decided when the predicted growth rho^steps is > DECISIVE or the map contracts (rho < 1)
AGREE = 0.9  # share of decided cells whose trainings must do what the eigenvalues predict
MIN_DECIDED = 5
MIN_SEEDS = 3  # a cell's trainings are clear only with a majority of at least this many seeds
NO_PI = -1.0  # the critics' pi inside `cells` (pivoting drops NaN keys); NaN outside
DIRAC_STEPS = (0.01, 0.1)


def DIRAC_CASES(settings) -> tuple:  # noqa: N802 (a table of the settings)
    """The Dirac-GAN's cases (name, loss, r1, noise_sd): the standard GAN without a regulariser, with R1 and with
    instance noise, and WGAN (inside its box, where the clipping does not bind)."""
    return (("none", "gan", 0.0, 0.0), ("r1", "gan", settings["r1"], 0.0), ("noise", "gan", 0.0, settings["noise_sd"]),
            ("wgan", "wgan", 0.0, 0.0))


CONTINUATION = 8  # steps in which a regulariser's strength is raised from 0 when its equilibrium is sought


def check(settings, config) -> None:
    """A 1-D target that is not one Gaussian; step-size ends in order; whole records (ConfigError naming the key)."""
    target = target_from_config(config["targets"][settings["target"]])
    if target.dim != 1 or len(target.weights) < 2:
        raise ConfigError(f"figures.{ID}.target", f"target {settings['target']!r} is not a 1-D mixture",
                          "a 1-D target with at least two components (for one Gaussian the features are collinear)")
    if not settings["step_sizes"]["smallest"] < settings["step_sizes"]["largest"]:
        raise ConfigError(f"figures.{ID}.step_sizes", "smallest is not below largest", "smallest < largest")
    if settings["training"]["steps"] % settings["training"]["every"]:
        raise ConfigError(f"figures.{ID}.training.every", "does not divide training.steps", "a divisor of steps")


def inputs(config) -> dict:
    """None: everything is computed here."""
    return {}


def cells_to_analyse(settings) -> list[tuple[UpdateRule, float, str, dict]]:
    """(rule, pi, variant, strengths) per cell: the classifier rules over pi x VARIANTS; the critics over their
    constraint strengths with pi NaN (no prior), variant "clip <c>" or "gp <lambda>"."""
    out = []
    for rule in map(UpdateRule, settings["rules"]):
        if rule in joint.CRITICS:
            key = "clip" if rule is UpdateRule.WGAN else "gp"
            out += [(rule, float("nan"), f"{key} {v:g}", {key: v}) for v in settings["critics"][key]]
        else:
            out += [(rule, pi, variant, {"r1": settings["r1"] if variant == "r1" else 0.0,
                                         "noise_sd": settings["noise_sd"] if variant == "noise" else 0.0})
                    for pi in settings["pi"] for variant in VARIANTS]
    return out


def equilibrium(target, rule: UpdateRule, pi: float, variant: str, strengths: dict, quad: dict, seed: int) -> tuple:
    """(problem, z*) for one cell, the problem's grid laid around z* (P and Q at the equilibrium). The logit rules'
    unregularised equilibrium is their ideal-discriminator stationary point (the global stable one) with the optimal
    discriminator; least squares' and every rule's with instance noise solve the generator's field against the
    optimal discriminator from there (`generator_equilibrium`); with R1 the discriminator is not the optimal one and
    the full field is solved by continuation in R1's weight (CONTINUATION steps). The critics start from P's
    moment-matched Gaussian: WGAN's equilibrium of least game value among its box's faces (`box_equilibria`),
    WGAN-GP's against the critic's best response (`penalty_equilibrium`). RuntimeError where no equilibrium is found
    or the generator collapsed there."""
    if rule in joint.CRITICS:
        theta0 = np.array([target.mean()[0], 0.5 * np.log(target.covariance()[0, 0])])
        problem = joint.JointProblem.around(target, rule, 0.5, theta0, quad=quad, **strengths)
        if rule is UpdateRule.WGAN:
            sd = np.exp(theta0[1])
            found = problem.box_equilibria(theta0 + np.array([[0.0, 0.0], [-sd, 0.0], [sd, 0.0]]))
            if not found:
                raise RuntimeError(f"no WGAN equilibrium in the box of {strengths['clip']:g}")
            z = found[0]
        else:
            z = problem.penalty_equilibrium(theta0)
        problem = joint.JointProblem.around(target, rule, 0.5, z[:2], quad=quad, **strengths)
        return problem, problem.equilibrium(z)
    family = GaussianFamily(1, Family.FULL)
    base_rule = rule if rule is not UpdateRule.LSGAN else UpdateRule.MINIMAX
    theta = stationary_points(target, family, base_rule, pi, n_starts=4, seed=seed, quad=quad)[0].theta
    if rule is not UpdateRule.LSGAN and variant == "none":
        z = np.concatenate([theta, joint.optimal_weights(theta, pi)])
    elif variant != "r1":
        z = joint.JointProblem.around(target, rule, pi, theta, quad=quad, **strengths).generator_equilibrium(theta)
    else:
        z = equilibrium(target, rule, pi, "none", {}, quad, seed)[1]
        for k in range(1, CONTINUATION + 1):
            step = joint.JointProblem.around(target, rule, pi, z[:2], r1=strengths["r1"] * k / CONTINUATION,
                                             quad=quad)
            z = step.equilibrium(z)
    problem = joint.JointProblem.around(target, rule, pi, z[:2], quad=quad, **strengths)
    return problem, problem.equilibrium(z)  # polished on the grid laid around it


def largest_convergent_step(jacobian: np.ndarray, scheme: str, steps: np.ndarray,
                            free: np.ndarray | None = None) -> float:
    """The largest h of the scan below which every scanned step size converges on the free coordinates (all by
    default; 0 if the smallest step does not)."""
    ok = joint.convergent_steps(jacobian, scheme, steps, free=free)
    return float(steps[np.argmin(ok) - 1]) if not ok.all() and ok[0] else (float(steps[-1]) if ok.all() else 0.0)


def compute(ctx: Context) -> Computed:
    """Per cell (rule, pi, variant; `cells_to_analyse`): the equilibrium, the eigenvalues of the Jacobian on its free
    coordinates (largest real part, its imaginary part, and that real part's change on the refined quadrature), per
    scheme the largest convergent step and the spectral radius at the training step, and the trainings' distance
    ratios (final / start, per seed); then the Dirac-GAN rows. One tidy table (cell names, quantity, value, unit)."""
    s = ctx.settings
    target = ctx.target(s["target"])
    quad = ctx.quadrature
    scan = np.geomspace(s["step_sizes"]["smallest"], s["step_sizes"]["largest"], s["step_sizes"]["n"])
    tr = s["training"]
    rows, curves = [], {}
    for rule, pi, variant, strengths in cells_to_analyse(s):
        cell = {"part": "joint", "rule": rule.value, "pi": pi, "variant": variant}

        def add(quantity, value, unit, scheme="", seed=-1, cell=cell):
            rows.append(cell | {"scheme": scheme, "seed": seed, "quantity": quantity, "value": float(value),
                                "unit": unit})

        try:
            problem, z_star = equilibrium(target, rule, pi, variant, strengths, quad, ctx.seed)
        except RuntimeError:  # reported: the cell has no equilibrium to analyse
            add("equilibrium_found", 0, "1 = found")
            continue
        add("equilibrium_found", 1, "1 = found")
        free = problem.free(z_star)
        jac = problem.jacobian(z_star)

        def top_eigenvalue(j):
            lam = np.linalg.eigvals(j[np.ix_(free, free)])
            return lam[np.argmax(lam.real)]

        top = top_eigenvalue(jac)
        add("mean", z_star[0], "x units")
        add("sd", np.exp(z_star[1]), "x units")
        add("field_norm", np.abs(problem.field(z_star)[free]).max(), "per step")
        add("held_coordinates", int((~free).sum()), "coordinates")
        add("max_real_eigenvalue", top.real, "per unit step")
        add("max_real_eigenvalue_error", abs(top_eigenvalue(problem.refined().jacobian(z_star)).real - top.real),
            "per unit step")
        add("its_imaginary_part", abs(top.imag), "per unit step")
        # each coordinate in its own scale: x units for the generator and the classifiers' weights, the box's
        # half-width for WGAN's (its whole range), and a critic's held constant neither perturbed nor measured
        scale = np.ones(len(z_star))
        scale[joint.N_THETA:] = problem.clip or 1.0
        scale[joint.N_THETA] = 0.0 if rule in joint.CRITICS else 1.0
        for scheme in SCHEMES:
            rho = joint.spectral_radius(joint.MAP_JACOBIANS[scheme](jac, tr["step_size"], tr["step_size"], free))
            add("largest_convergent_step", largest_convergent_step(jac, scheme, scan, free), "step size", scheme)
            add("spectral_radius_at_training_step", rho, "per step", scheme)
            add("training_steps", tr["steps"], "steps", scheme)
            names = {"job": ID, "rule": rule.value} | ({} if np.isnan(pi) else {"pi": float(pi)})
            rngs = [run_streams(seed, names | {"variant": variant, "scheme": scheme}).numpy("training_data")
                    for seed in tr["seeds"]]
            starts = z_star + tr["perturbation"] * np.stack([rng.standard_normal(6) for rng in rngs]) * scale
            steps, states = joint_sgd.train(problem, starts, tr["step_size"], tr["step_size"], scheme,
                                            tr["steps"], tr["batch"], tr["every"], rngs)
            measured = scale > 0
            distance = np.linalg.norm(((states - z_star) / np.where(measured, scale, 1.0))[..., measured],
                                      axis=2)  # (K, runs), each coordinate in its scale
            curves[(rule.value, pi, variant, scheme)] = (steps, distance)
            for seed, d in zip(tr["seeds"], distance.T):
                add("distance_ratio", d[-1] / d[0], "final / start", scheme, seed)
    for name, loss, r1, noise in DIRAC_CASES(s):
        def field(z, loss=loss, r1=r1, noise=noise):
            return joint.dirac_field(z, r1=r1, noise_sd=noise, loss=loss)

        fd = np.array([(field(h * e) - field(-h * e)) / (2 * h) for h, e in ((1e-5, np.eye(2)[0]),
                                                                             (1e-5, np.eye(2)[1]))]).T
        slope, curvature = joint.DIRAC_LOSSES[loss]
        got = np.sort_complex(np.linalg.eigvals(fd))
        closed = np.sort_complex(joint.dirac_eigenvalues(slope, curvature, r1=r1, noise_sd=noise))
        base = {"part": "dirac", "rule": "wgan" if loss == "wgan" else "minimax", "pi": 0.5, "variant": name,
                "seed": -1}
        for k in range(2):
            rows += [base | {"scheme": "", "quantity": f"eigenvalue_{k}_real", "value": got[k].real,
                             "unit": "per unit step"},
                     base | {"scheme": "", "quantity": f"eigenvalue_{k}_imag", "value": got[k].imag,
                             "unit": "per unit step"},
                     base | {"scheme": "", "quantity": f"closed_form_{k}_real", "value": closed[k].real,
                             "unit": "per unit step"},
                     base | {"scheme": "", "quantity": f"closed_form_{k}_imag", "value": closed[k].imag,
                             "unit": "per unit step"}]
        for scheme in SCHEMES:
            rows += [base | {"scheme": scheme, "quantity": f"spectral_radius_h{h:g}", "unit": "per step",
                             "value": joint.spectral_radius(dirac_map_jacobian(fd, h, scheme))} for h in DIRAC_STEPS]
    return Computed(pd.DataFrame(rows), extras={"curves": curves})


def classify(max_real: float, imaginary: float, error: float = 0.0) -> str:
    """The gradient flow at an equilibrium from its Jacobian's eigenvalue of largest real part, with a margin of
    max(EIG_TOL, its quadrature error): "convergent" (every real part below -margin), "divergent" (one above it),
    "oscillating" (the largest within the margin of 0 with an imaginary part: the flow circles) or "neutral" (a zero
    eigenvalue: a flat direction)."""
    margin = max(EIG_TOL, error)
    if max_real < -margin:
        return "convergent"
    if max_real > margin:
        return "divergent"
    return "oscillating" if imaginary > margin else "neutral"


def dirac_map_jacobian(jacobian: np.ndarray, h: float, scheme: str) -> np.ndarray:
    """The Dirac-GAN's update-map Jacobian (2 x 2; coordinates theta, psi) at step h: I + h J (simultaneous) or
    (I + h E_g J)(I + h E_d J), the discriminator first (alternating)."""
    if scheme == "simultaneous":
        return np.eye(2) + h * jacobian
    return (np.eye(2) + h * np.diag([1.0, 0.0]) @ jacobian) @ (np.eye(2) + h * np.diag([0.0, 1.0]) @ jacobian)


def cells(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (rule, pi, variant, scheme): the eigenvalue numbers, the predicted growth rho^steps over the
    training, its decision, and the seeds' outcomes (stayed / left / unclear) with the cell's observed majority
    (unclear with fewer than MIN_SEEDS runs)."""
    joint_rows = table[table.part == "joint"].assign(pi=lambda t: t.pi.fillna(NO_PI))  # critics: no pi
    wide = joint_rows[joint_rows.seed < 0].pivot_table(index=["rule", "pi", "variant"], columns="quantity",
                                                       values="value").reset_index()
    wide = wide[wide.equilibrium_found == 1]
    out = []
    for _, c in wide.iterrows():
        for scheme in SCHEMES:
            sel = joint_rows[(joint_rows.rule == c.rule) & (joint_rows.pi == c.pi) & (joint_rows.variant == c.variant)
                             & (joint_rows.scheme == scheme)]
            rho = float(sel[sel.quantity == "spectral_radius_at_training_step"].value.iloc[0])
            ratios = sel[sel.quantity == "distance_ratio"].value.to_numpy()
            growth = rho ** float(sel[sel.quantity == "training_steps"].value.iloc[0])
            predicted = "stays" if rho < 1 else ("leaves" if growth > DECISIVE else "undecided")
            outcome = np.where(~np.isfinite(ratios) | (ratios > LEAVE), "left",
                               np.where(ratios < STAY, "stayed", "unclear"))
            n_left, n_stayed = int((outcome == "left").sum()), int((outcome == "stayed").sum())
            majority = len(ratios) // 2 + 1  # of at least MIN_SEEDS runs: one run's outcome is no majority
            observed = ("unclear" if len(ratios) < MIN_SEEDS else "leaves" if n_left >= majority
                        else "stays" if n_stayed >= majority else "unclear")
            out.append({"rule": c.rule, "pi": np.nan if c.pi == NO_PI else c.pi, "variant": c.variant,
                        "scheme": scheme,
                        "max_real_eigenvalue": c.max_real_eigenvalue,
                        "max_real_eigenvalue_error": c.max_real_eigenvalue_error, "rho": rho, "growth": growth,
                        "dynamics": classify(c.max_real_eigenvalue, c.its_imaginary_part, c.max_real_eigenvalue_error),
                        "predicted": predicted, "observed": observed, "runs_left": n_left, "runs_stayed": n_stayed,
                        "runs": len(ratios), "largest_convergent_step": float(
                            sel[sel.quantity == "largest_convergent_step"].value.iloc[0])})
    return pd.DataFrame(out)


def report_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per rule, pi, regulariser and scheme: the largest real part of the eigenvalues, the largest convergent step,
    the spectral radius at the training step, and what the trainings did against the prediction."""
    c = cells(table)
    return pd.DataFrame({"rule": c.rule, "π": c.pi.map(lambda v: "—" if np.isnan(v) else f"{v:g}"),
                         "regulariser or constraint": c.variant, "scheme": c.scheme,
                         "largest Re λ": c.max_real_eigenvalue.map(lambda v: f"{v:+.2e}"),
                         "its quadrature error": c.max_real_eigenvalue_error.map(lambda v: f"{v:.0e}"),
                         "gradient flow": c.dynamics,
                         "largest convergent step": c.largest_convergent_step.map(lambda v: f"{v:.3g}"),
                         "ρ at the training step": c.rho.map(lambda v: f"{v:.6f}"),
                         "predicted": c.predicted, "trainings": [f"{o} ({s} of {n} stayed, {lf} left)" for o, s, lf, n
                                                                 in zip(c.observed, c.runs_stayed, c.runs_left, c.runs)]})


def dirac_reading(table: pd.DataFrame) -> dict:
    """The Dirac-GAN part: the largest distance between the field's eigenvalues and the closed forms, and whether
    the paper's qualitative results hold (unregularised and WGAN: simultaneous rho > 1 and alternating rho = 1 at
    each of DIRAC_STEPS; with R1 and with instance noise: rho < 1 at each)."""
    d = table[table.part == "dirac"].set_index(["variant", "scheme", "quantity"]).value
    names = sorted(set(table[table.part == "dirac"].variant))
    gap = max(abs(d[(v, "", f"eigenvalue_{k}_{part}")] - d[(v, "", f"closed_form_{k}_{part}")])
              for v in names for k in range(2) for part in ("real", "imag"))
    radius = {(v, s, h): d[(v, s, f"spectral_radius_h{h:g}")] for v in names for s in SCHEMES for h in DIRAC_STEPS}
    circles = [v for v in names if v in ("none", "wgan")]
    holds = (all(radius[(v, "simultaneous", h)] > 1 for v in circles for h in DIRAC_STEPS)
             and all(abs(radius[(v, "alternating", h)] - 1) < 1e-9 for v in circles for h in DIRAC_STEPS)
             and all(radius[(v, s, h)] < 1 for v in names if v not in circles for s in SCHEMES for h in DIRAC_STEPS))
    return {"gap": gap, "holds": holds, "radius": radius}


def draw(computed: Computed, ctx: Context):
    """First: the largest real part of the Jacobian's eigenvalues against pi, per classifier rule (solid: no
    regulariser, dashed: R1, dotted: instance noise); second: the largest convergent step of simultaneous gradient
    descent; third: the critics' largest real part against their constraint's strength (no pi; a cross at 0 where no
    equilibrium was found); fourth: every training's distance to its equilibrium (relative to its start) against
    steps, coloured by the prediction."""
    table, s = computed.table, ctx.settings
    c = cells(table)
    fig, axes = figure(ncols=4, width=4.0, height=3.4)
    colours = dict(zip(s["rules"], ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]))
    styles = {"none": "-", "r1": "--", "noise": ":"}
    sim = c[c.scheme == "simultaneous"]
    for rule in [r for r in s["rules"] if UpdateRule(r) not in joint.CRITICS]:
        for variant, ls in styles.items():
            rows = sim[(sim.rule == rule) & (sim.variant == variant)].sort_values("pi")
            label = rule if variant == "none" else None
            axes[0, 0].plot(rows.pi, rows.max_real_eigenvalue, ls, marker="o", ms=3, color=colours[rule], label=label)
            axes[0, 1].plot(rows.pi, rows.largest_convergent_step.clip(lower=1e-4), ls, marker="o", ms=3,
                            color=colours[rule], label=label)
    axes[0, 0].axhline(0, color="0.3", lw=0.8)
    axes[0, 0].set_yscale("symlog", linthresh=1e-3)
    axes[0, 0].set_xlabel("π")
    axes[0, 0].set_ylabel("largest Re λ of the joint Jacobian")
    axes[0, 0].set_title(f"{s['target']}: – none, -- R1 γ={s['r1']:g}, ··· noise σ={s['noise_sd']:g}", fontsize=8)
    axes[0, 0].legend(fontsize=7)
    axes[0, 1].set_yscale("log")
    axes[0, 1].set_xlabel("π")
    axes[0, 1].set_ylabel("largest convergent step h (simultaneous)")
    axes[0, 1].axhline(1e-4, color="0.5", lw=0.6, ls=":")
    axes[0, 1].set_title("at the 1e-4 floor: no step size converges", fontsize=8)
    ax = axes[0, 2]
    for rule, key in (("wgan", "clip"), ("wgan_gp", "gp")):
        if rule not in s["rules"]:
            continue
        strengths = np.array(s["critics"][key], float)
        values = [sim[(sim.rule == rule) & (sim.variant == f"{key} {v:g}")].max_real_eigenvalue for v in strengths]
        found = np.array([len(v) > 0 for v in values])
        ax.plot(strengths[found], [float(v.iloc[0]) for v, ok in zip(values, found) if ok], "o-", ms=4,
                color=colours[rule], label=f"{rule} (x: {key})")
        ax.plot(strengths[~found], np.zeros((~found).sum()), "x", ms=7, color=colours[rule])
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("constraint strength (box half-width c, penalty weight λ)")
    ax.set_ylabel("largest Re λ (free coordinates)")
    ax.set_title("critics (no π); x: no equilibrium found", fontsize=8)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    ax = axes[0, 3]
    colour_of = {"stays": "tab:blue", "leaves": "tab:red", "undecided": "0.6"}
    key = c.assign(pi=c.pi.fillna(NO_PI)).set_index(["rule", "pi", "variant", "scheme"]).predicted
    for (rule, pi, variant, scheme), (steps, distance) in computed.extras["curves"].items():
        predicted = key[(rule, NO_PI if np.isnan(pi) else pi, variant, scheme)]
        ax.plot(steps, distance / distance[0], color=colour_of[predicted], lw=0.5, alpha=0.5)
    for label, colour in colour_of.items():
        ax.plot([], [], color=colour, label=f"predicted: {label}")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("distance to the equilibrium / at the start")
    ax.set_title(f"plain SGD, h = {s['training']['step_size']:g}, both schemes", fontsize=8)
    ax.legend(fontsize=7)
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """Two parts. Prediction: in every (rule, pi, regulariser, scheme) cell the spectral radius at the training step
    predicts "stays" (rho < 1) or "leaves" (rho^steps > DECISIVE; otherwise undecided); the trainings' majority
    says what happened (a run stayed when its final distance is below its start's, left when it is over LEAVE times
    it or the run diverged). It holds when at least AGREE of the decided cells whose trainings are clear agree, with
    at least MIN_DECIDED such cells. Dirac-GAN: the eigenvalues of its field agree with the closed forms within 1e-6
    and the paper's picture holds (`dirac_reading`). Reproduced if both hold, partly if one, not reproduced if
    neither, inconclusive if too few cells are decided and the Dirac part holds."""
    c = cells(computed.table)
    found = computed.table[computed.table.quantity == "equilibrium_found"]
    missing = int((found.value == 0).sum())
    decided = c[(c.predicted != "undecided") & (c.observed != "unclear")]
    agree = int((decided.predicted == decided.observed).sum())
    share = agree / len(decided) if len(decided) else float("nan")
    dirac = dirac_reading(computed.table)
    dirac_ok = dirac["gap"] < 1e-6 and dirac["holds"]
    numbers = [("decided cells with clear trainings", len(decided), "cells", f">= {MIN_DECIDED}",
                len(decided) >= MIN_DECIDED),
               ("share of them whose trainings do what the spectral radius predicts", share, "share", f">= {AGREE}",
                bool(share >= AGREE) if len(decided) else None),
               ("cells predicted to leave / decided", int((decided.predicted == "leaves").sum()), f"of {len(decided)}"),
               ("undecided or unclear cells", len(c) - len(decided), f"of {len(c)}"),
               ("(rule, π, regulariser or constraint) cells without an equilibrium found", missing, "cells"),
               ("Dirac-GAN: largest |eigenvalue - closed form|", dirac["gap"], "per unit step", "< 1e-6",
                dirac["gap"] < 1e-6),
               ("Dirac-GAN: paper's picture (unregularised and WGAN: simultaneous diverges, alternating circles; "
                "R1 and noise converge)", float(dirac["holds"]), "1 = holds", "= 1", dirac["holds"]),
               ("largest quadrature error of a largest Re λ (refined grid)", float(c.max_real_eigenvalue_error.max()),
                "per unit step")]
    for _, r in c[(c.variant == "none") & (c.scheme == "simultaneous")].iterrows():
        numbers.append((f"{r.rule}, π={r.pi:g}: largest Re λ", r.max_real_eigenvalue, "per unit step"))
    critics = c[c.rule.isin([r.value for r in joint.CRITICS]) & (c.scheme == "simultaneous")]
    for _, r in critics.iterrows():
        numbers.append((f"{r.rule}, {r.variant}: largest Re λ", r.max_real_eigenvalue, "per unit step"))
    missing_critics = found[found.rule.isin([r.value for r in joint.CRITICS]) & (found.value == 0)]
    critic_text = "; ".join([f"{r.rule} {r.variant} {r.dynamics}" for _, r in critics.iterrows()]
                            + [f"{r.rule} {r.variant} no equilibrium found" for _, r in missing_critics.iterrows()])
    repelling = c[(c.variant == "none") & (c.max_real_eigenvalue > EIG_TOL)][["rule", "pi"]].drop_duplicates()
    named = ", ".join(f"{r.rule} at π={r.pi:g}" for _, r in repelling.iterrows()) or "none"
    enough = len(decided) >= MIN_DECIDED
    predicted_ok = enough and share >= AGREE
    if predicted_ok and dirac_ok:
        status = "reproduced"
    elif not enough and dirac_ok:
        status = "inconclusive"
    elif predicted_ok or dirac_ok:
        status = "partly"
    else:
        status = "not reproduced"
    summary = (f"On {ctx.settings['target']}, {agree} of {len(decided)} decided cells' trainings did what the "
               f"eigenvalues predict; equilibria that repel without a regulariser: {named}. Dirac-GAN: eigenvalues "
               f"within {dirac['gap']:.1e} of the closed forms, the paper's picture "
               f"{'holds' if dirac['holds'] else 'fails'}. Critics' gradient flows: {critic_text or 'none analysed'}.")
    return verdict(ID, status, summary, numbers)
