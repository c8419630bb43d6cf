"""Judging the objectives zoo's GANs as the GAN grid's are judged, plus mode coverage.

For each run: exact KL both ways and JS where the generator has a density (gaussian, flow),
k-NN KL both ways and the discriminator's plug-in values beside them with their errors, the
modes covered and the share of high-quality samples (gandiv.samples.modes).
"""

from __future__ import annotations

import numpy as np

from gandiv.exact.densities import GaussianMixture
from gandiv.gan.evaluation import exact_divergences, model_outputs, tidy_rows
from gandiv.update_rules import UpdateRule, unit
from gandiv.samples.knn import knn_kl_both_or_reason
from gandiv.samples.modes import high_quality_share, modes_covered


def discriminator_plug_ins(rule: UpdateRule, real_out: np.ndarray, fake_out: np.ndarray) -> dict:
    """What the trained discriminator says about P and Q: `unit(rule).plug_ins` at pi = 1/2 (the zoo's prior).

    JS_pi at pi = 1/2 is JS, so it is named js here (the zoo's exact values name it so too); the other
    quantities (KL[P||Q], KL[Q||P], lsgan's clipped share, a critic's gap) keep their names and order.
    """
    plug_ins = unit(rule).plug_ins(real_out, fake_out, 0.5)
    return {("js" if name == "js_pi" else name): value for name, value in plug_ins.items()}


def evaluate_zoo_run(target: GaussianMixture, model, rule: str, generator_kind: str, n_samples: int, knn_k: int,
                     min_mode_share: float, rng: np.random.Generator, points_per_sd: float) -> list[dict]:
    """Tidy rows (quantity, method, value, exact, error, exact_error, note) for one trained zoo GAN; `rng` is the
    run's `evaluation` stream."""
    real = target.sample(n_samples, rng)
    fake = model_outputs(model.generator, rng.standard_normal((n_samples, model.latent_dim)))
    exact, exact_note = exact_divergences(target, model.generator, generator_kind, 0.5, fake, points_per_sd)
    exact.pop("js_pi", None)  # = js at pi = 1/2
    knn, knn_note = knn_kl_both_or_reason(real, fake, k=knn_k)
    plug_ins = discriminator_plug_ins(UpdateRule(rule), model_outputs(model.discriminator, real)[:, 0],
                                      model_outputs(model.discriminator, fake)[:, 0])
    rows = [tidy_rows("modes_covered", "samples", modes_covered(fake, target, min_mode_share)),
            tidy_rows("high_quality_share", "samples", high_quality_share(fake, target))]
    rows += [tidy_rows(name, "exact", c.value, c, exact_note) for name, c in exact.items()]
    for method, values, note in (("knn", knn, knn_note), ("discriminator", plug_ins, "")):
        for name, value in values.items():
            inherited = exact_note if name in exact else ""
            rows.append(tidy_rows(name, method, value, exact.get(name), note or inherited))
    return rows
