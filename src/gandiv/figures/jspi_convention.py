"""jspi-convention: which share of real samples is pi? (the note's sentence against its eq. 12).

Eq. 12 makes pi P's share of the mixture M = pi P + (1 - pi) Q, so a small pi weights the generated
samples and JS_pi / pi -> KL[P||Q] (maximum likelihood); the note's sentence says a pi below 1/2
over-represents P. Trained 1-D Gaussian generators of one update rule (pi carried as the
discriminator's loss weights) decide: at each pi, is the seed-averaged generator nearer the
KL[P||Q] optimum or the KL[Q||P] one (the exact fits of the target's JS_pi path summary)?
"""

from __future__ import annotations

import pandas as pd

from gandiv.figures.evidence import MIN_SEEDS, SHIFT_FORMULA, minimum_detectable_shift
from gandiv.figures.gan_tables import distance_to_fit, gaussian_generators, read_grid_evaluation
from gandiv.figures.grid_checks import check_trained
from gandiv.figures.recipe import Computed, Context, Needs, verdict
from gandiv.figures.style import figure
from gandiv.gan import runs
from gandiv.results_io import read_json

ID = "jspi-convention"

SETTINGS = """
description: >-
  Which share of real samples gives ML-like and which KL[Q||P]-like GANs; needs Gaussian
  generators trained with `rule` on the 1-D `target` over several pi, and its JS_pi path.
type: object
additionalProperties: false
required: [target]
properties:
  target:
    description: A 1-D target trained in some `gan.grid` entry with the gaussian generator.
    $ref: "#/$defs/target_name"
  generator:
    description: Generator whose trained parameters are compared with the two KL optima.
    type: string
    enum: [gaussian]
    default: gaussian
  rule:
    $ref: "#/$defs/gan_rule"
    default: minimax
"""

NEEDS = Needs(("target", "rule"))

ML_LIKE, RKL_LIKE, NO_RUN = "maximum-likelihood-like", "KL[Q||P]-like", "no converged run"
DISTANCES = ("distance to KL[P||Q] optimum", "distance to KL[Q||P] optimum")


def check(settings, config) -> None:
    """A `gan` section trains `generator` with `rule` on the 1-D `target` (ConfigError naming the key if not)."""
    check_trained(ID, settings, config, "target", "generator", one_d=True)


def inputs(config) -> dict:
    """The target's grid evaluation table (its Gaussian generators) and the summary of its isotropic JS_pi path
    (the two KL optima)."""
    settings = config["figures"][ID]
    return {"evaluation": runs.evaluation_table("grid", settings["target"], settings["generator"]),
            "summary": f"results/jspi/{settings['target']}/isotropic/summary.json"}


def compute(ctx: Context) -> Computed:
    """Per pi (increasing): the converged seeds' average trained mean and sd (x units) with their seed sds, their
    distances to both KL optima (in the optimum's sds, gandiv.figures.gan_tables.distance_to_fit), the number of
    converged seeds, and the nearer optimum's behaviour (column `behaviour`). Columns pi, behaviour, quantity,
    value, unit."""
    summary = read_json(ctx.inputs["summary"], required=("kl_pq", "kl_qp"))
    gans = gaussian_generators(read_grid_evaluation(ctx.inputs["evaluation"]), ctx.settings["rule"])
    rows = []
    for _, g in gans.iterrows():
        d_ml = distance_to_fit(g["mean"], g["sd"], summary["kl_pq"])
        d_rkl = distance_to_fit(g["mean"], g["sd"], summary["kl_qp"])
        label = NO_RUN if g.seeds == 0 else ML_LIKE if d_ml < d_rkl else RKL_LIKE
        rows += [{"pi": g.pi, "behaviour": label, "quantity": q, "value": v, "unit": u} for q, v, u in (
            ("trained mean (seed average)", g["mean"], "x units"), ("trained sd (seed average)", g["sd"], "x units"),
            ("seed sd of the trained mean", g.mean_spread, "x units"),
            ("seed sd of the trained sd", g.sd_spread, "x units"),
            (DISTANCES[0], d_ml, "optimum sds"), (DISTANCES[1], d_rkl, "optimum sds"),
            ("converged seeds", g.seeds, "count"))]
    return Computed(pd.DataFrame(rows))


def _behaviours(table: pd.DataFrame) -> pd.Series:
    """The behaviour at each pi, in the table's (increasing) pi order, indexed by pi."""
    first = table.drop_duplicates("pi")
    return pd.Series(first.behaviour.to_numpy(), index=first.pi.to_numpy())


def _value(table: pd.DataFrame, pi: float, quantity: str) -> float:
    """One number of the table."""
    return float(table[(table.pi == pi) & (table.quantity == quantity)].value.iloc[0])


def report_table(table: pd.DataFrame) -> pd.DataFrame:
    """The figure's numbers as the report shows them, an HTML table beside the image: one row per π with the
    shares, the trained (mean, sd) with their seed sds, the distances to both KL optima and the behaviour."""
    wide = table.pivot(index="pi", columns="quantity", values="value").reset_index()
    wide["behaviour"] = wide.pi.map(_behaviours(table))
    return pd.DataFrame({
        "π": wide.pi, "real / generated share": [f"{pi:.0%} / {1 - pi:.0%}" for pi in wide.pi],
        "mean of Q (x units)": [f"{m:.3f} ± {s:.3f}" for m, s in zip(wide["trained mean (seed average)"],
                                                                    wide["seed sd of the trained mean"])],
        "sd of Q (x units)": [f"{m:.3f} ± {s:.3f}" for m, s in zip(wide["trained sd (seed average)"],
                                                                  wide["seed sd of the trained sd"])],
        "distance to KL[P‖Q] optimum (sds)": wide[DISTANCES[0]].round(3),
        "distance to KL[Q‖P] optimum (sds)": wide[DISTANCES[1]].round(3),
        "converged seeds": wide["converged seeds"].astype(int), "behaves": wide.behaviour})


def draw(computed: Computed, ctx: Context):
    """A table: per π, the shares of real and generated samples, the trained generator's (mean, sd) over converged
    seeds, its distances to both KL optima and how it behaves."""
    data = computed.table
    behaviours = _behaviours(data)
    fig, axes = figure(ncols=1, width=9.0, height=0.6 + 0.4 * (len(behaviours) + 1))
    ax = axes[0, 0]
    ax.axis("off")
    cells = [[f"{pi:g}", f"{pi:.0%} / {1 - pi:.0%}",
              f"{_value(data, pi, 'trained mean (seed average)'):.3f} ± {_value(data, pi, 'seed sd of the trained mean'):.3f}",
              f"{_value(data, pi, 'trained sd (seed average)'):.3f} ± {_value(data, pi, 'seed sd of the trained sd'):.3f}",
              f"{_value(data, pi, DISTANCES[0]):.2f}", f"{_value(data, pi, DISTANCES[1]):.2f}",
              f"{_value(data, pi, 'converged seeds'):.0f}", label] for pi, label in behaviours.items()]
    table = ax.table(cellText=cells, colLabels=["π", "real / generated", "mean of Q (x units)", "sd of Q (x units)",
                                                "to KL[P‖Q] opt. (sds)", "to KL[Q‖P] opt. (sds)", "seeds",
                                                f"{ctx.settings['rule']} GAN behaves"], loc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    table.scale(1, 1.4)
    ax.set_title(f"{ctx.settings['target']}, gaussian generator (converged seeds: mean ± seed sd): share of real "
                 f"samples vs behaviour", fontsize=9)
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """The note's sentence (π < 1/2 over-represents P) predicts a KL[Q||P]-like generator at the smallest π and a
    maximum-likelihood-like one at the largest; eq. 12 (π = P's share) predicts the reverse. Deciding numbers, at
    the two end π: the converged seeds (>= MIN_SEEDS, else inconclusive) and the ratio of the distances to the
    KL[P||Q] and KL[Q||P] optima (the sentence's prediction: > 1 at the smallest π, < 1 at the largest).
    Reproduced if both ends follow the sentence, not reproduced if both follow eq. 12, partly otherwise."""
    data = computed.table
    pis = sorted(data.pi.unique())
    if not pis:
        return verdict(ID, "inconclusive", "No converged run to judge.", [])
    ends = (pis[0], pis[-1])
    seeds = [int(_value(data, pi, "converged seeds")) for pi in ends]
    ratios = [_value(data, pi, DISTANCES[0]) / _value(data, pi, DISTANCES[1]) for pi in ends]
    sentence = [ratios[0] > 1, ratios[-1] < 1]
    numbers = [(f"converged seeds at π={pi:g}", n, "seeds", f">= {MIN_SEEDS}", n >= MIN_SEEDS)
               for pi, n in zip(ends, seeds)]
    numbers += [(f"π={ends[0]:g}: distance to KL[P||Q] / KL[Q||P] optimum", ratios[0], "ratio",
                 "> 1 (KL[Q||P]-like, as the sentence predicts)", sentence[0]),
                (f"π={ends[-1]:g}: distance to KL[P||Q] / KL[Q||P] optimum", ratios[-1], "ratio",
                 "< 1 (maximum-likelihood-like, as the sentence predicts)", sentence[1])]
    for pi in pis[1:-1]:
        numbers.append((f"π={pi:g}: distance to KL[P||Q] / KL[Q||P] optimum",
                        _value(data, pi, DISTANCES[0]) / _value(data, pi, DISTANCES[1]), "ratio"))
    for pi, n in zip(ends, seeds):
        spread = max(_value(data, pi, "seed sd of the trained mean"), _value(data, pi, "seed sd of the trained sd"))
        numbers.append((f"minimum detectable shift of the seed-mean at π={pi:g} ({SHIFT_FORMULA})",
                        minimum_detectable_shift(spread, n), "x units"))
    if min(seeds) < MIN_SEEDS:
        status = "inconclusive"
        verdict_text = f"too few converged seeds at the end π ({seeds[0]} and {seeds[-1]}; {MIN_SEEDS} needed)"
    elif not any(sentence):
        status = "not reproduced"
        verdict_text = ("a small share of real samples gives the maximum-likelihood-like generator and a large share "
                        "the KL[Q||P]-like one: the numbers support eq. 12's reading (π = P's share of the mixture), "
                        "not the note's sentence that π < 1/2 over-represents P")
    elif all(sentence):
        status = "reproduced"
        verdict_text = "the behaviour is reversed, as the note's sentence would have it (against eq. 12)"
    else:
        status, verdict_text = "partly", "the two ends do not separate cleanly: neither reading is supported"
    summary_text = (f"From {sum(seeds)} converged Gaussian generators at the end π ({ctx.settings['rule']} rule, π "
                    f"carried as the discriminator's loss weights, shown in the tests to have the same optimal "
                    f"discriminator as a batch with that share of real samples; the badge judges the note's "
                    f"sentence): {verdict_text}.")
    return verdict(ID, status, summary_text, numbers)
