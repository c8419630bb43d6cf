"""jspi-convention: which share of real samples is pi? (the note's sentence against its eq. 12).

Eq. 12 makes pi P's share of the mixture M = pi P + (1 - pi) Q, so a small pi weights the generated
samples and JS_pi / pi -> KL[P||Q] (maximum likelihood); the note's sentence says a pi below 1/2
over-represents P. Trained 1-D Gaussian generators of one update rule (pi carried as the
discriminator's loss weights) decide: at each pi, is the seed-averaged generator nearer the
KL[P||Q] optimum or the KL[Q||P] one (the exact fits of the target's JS_pi path summary)?
"""

from __future__ import annotations

import pandas as pd

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

ML_LIKE, RKL_LIKE = "maximum-likelihood-like", "KL[Q||P]-like"
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
    """Per pi (increasing): the seed-averaged trained mean and sd (x units), their distances to both KL optima (in
    the optimum's sds, gandiv.figures.gan_tables.distance_to_fit), the number of seeds, and the nearer optimum's
    behaviour (column `behaviour`). Columns pi, behaviour, quantity, value, unit."""
    summary = read_json(ctx.inputs["summary"], required=("kl_pq", "kl_qp"))
    gans = gaussian_generators(read_grid_evaluation(ctx.inputs["evaluation"]), ctx.settings["rule"])
    rows = []
    for _, g in gans.iterrows():
        d_ml = distance_to_fit(g["mean"], g["sd"], summary["kl_pq"])
        d_rkl = distance_to_fit(g["mean"], g["sd"], summary["kl_qp"])
        label = ML_LIKE if d_ml < d_rkl else RKL_LIKE
        rows += [{"pi": g.pi, "behaviour": label, "quantity": q, "value": v, "unit": u} for q, v, u in (
            ("trained mean (seed average)", g["mean"], "x units"), ("trained sd (seed average)", g["sd"], "x units"),
            (DISTANCES[0], d_ml, "optimum sds"), (DISTANCES[1], d_rkl, "optimum sds"), ("seeds", g.seeds, "count"))]
    return Computed(pd.DataFrame(rows))


def _behaviours(table: pd.DataFrame) -> pd.Series:
    """The behaviour at each pi, in the table's (increasing) pi order, indexed by pi."""
    first = table.drop_duplicates("pi")
    return pd.Series(first.behaviour.to_numpy(), index=first.pi.to_numpy())


def draw(computed: Computed, ctx: Context):
    """A table: per pi, the shares of real and generated samples and how the trained generator behaves."""
    behaviours = _behaviours(computed.table)
    fig, axes = figure(ncols=1, width=6.0, height=0.5 + 0.4 * (len(behaviours) + 1))
    ax = axes[0, 0]
    ax.axis("off")
    cells = [[f"{pi:g}", f"{pi:.0%} real", f"{(1 - pi):.0%} generated", label] for pi, label in behaviours.items()]
    table = ax.table(cellText=cells, colLabels=["pi", "real share", "generated share",
                                                f"{ctx.settings['rule']} GAN behaves"], loc="center")
    table.scale(1, 1.4)
    ax.set_title(f"{ctx.settings['target']}, gaussian generator: share of real samples vs behaviour")
    return fig


def judge(computed: Computed, ctx: Context) -> dict:
    """Not reproduced (eq. 12 holds) if the smallest pi gives the maximum-likelihood-like generator and the largest
    the KL[Q||P]-like one; reproduced if both ends are the other way round; partly otherwise. The deciding numbers:
    per pi, the ratio of the distances to the KL[P||Q] and KL[Q||P] optima (< 1: maximum-likelihood-like)."""
    data = computed.table
    labels = list(_behaviours(data))
    small_ml = labels[0] == ML_LIKE if labels else False
    large_rkl = labels[-1] == RKL_LIKE if labels else False
    if small_ml and large_rkl:
        status = "not reproduced"
        verdict_text = ("a small share of real samples gives the maximum-likelihood-like generator and a large share "
                        "the KL[Q||P]-like one, as eq. 12 (pi = P's share) implies; the note's sentence that pi < 1/2 "
                        "over-represents P contradicts this")
    elif not small_ml and not large_rkl:
        status, verdict_text = "reproduced", "the behaviour is reversed, as the note's sentence would have it"
    else:
        status, verdict_text = "partly", "the two ends do not separate cleanly"
    seeds = int(data[data.quantity == "seeds"].value.sum())
    summary_text = (f"From {seeds} trained Gaussian generators ({ctx.settings['rule']} rule, pi carried as the "
                    f"discriminator's loss weights, shown in the tests to have the same optimal discriminator as a "
                    f"batch with that share of real samples): {verdict_text}.")
    numbers = [(f"pi={pi:g}: distance to KL[P||Q] / KL[Q||P] optimum",
                data[(data.pi == pi) & (data.quantity == DISTANCES[0])].value.iloc[0]
                / data[(data.pi == pi) & (data.quantity == DISTANCES[1])].value.iloc[0], "ratio")
               for pi in data.pi.unique()]
    return verdict(ID, status, summary_text, numbers)
