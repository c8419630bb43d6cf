"""The lecture's maximum-likelihood fit of a correlated 2-D Gaussian from samples."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gandiv.exact.divergences import kl_gaussians
from gandiv.exact.families import Family, GaussianFamily
from gandiv.samples.likelihood import adam_maximum_likelihood
from gandiv.figures.style import NATS, contours, figure
from gandiv.figures._legacy import Context, FigureResult, verdict


def kl_fit_gaussian2d(ctx: Context) -> FigureResult:
    s = ctx.settings
    target = ctx.target(s["target"])
    family = GaussianFamily(2, Family.FULL)
    rng = np.random.default_rng(ctx.seed)
    samples = target.sample(s["n_samples"], rng)
    theta0 = family.pack([-3.0, 3.0], np.eye(2))  # a deliberately poor start
    trajectory = adam_maximum_likelihood(samples, family, theta0, s["steps"], s["batch_size"],
                                         s["learning_rate"], rng)
    # The exact maximiser of the sample likelihood: sample mean and (biased) sample covariance.
    mle = family.pack(samples.mean(axis=0), np.cov(samples.T, bias=True))
    truth = family.pack(target.means[0], target.covariances[0])
    rows = []
    for step, theta in trajectory:
        q = family.density(theta)
        rows += [{"step": step, "quantity": "KL[P||Q_t]", "value": kl_gaussians(target, q), "unit": NATS},
                 {"step": step, "quantity": "|theta_t - theta_MLE|", "value": np.linalg.norm(theta - mle),
                  "unit": "parameter units"},
                 {"step": step, "quantity": "|theta_t - theta_true|", "value": np.linalg.norm(theta - truth),
                  "unit": "parameter units"}]
    data = pd.DataFrame(rows)
    wide = data.pivot(index="step", columns="quantity", values="value")

    fig, axes = figure(ncols=2, width=4.6, height=3.9)
    ax = axes[0, 0]
    bounds = np.array([[-5.0, 6.0], [-4.0, 4.5]])
    ax.scatter(samples[:500, 0], samples[:500, 1], s=2, color="0.7", label="samples of P")
    contours(ax, target, bounds, color="k", levels=3, linewidths=1.2)
    shown = [trajectory[i] for i in np.unique(np.geomspace(1, len(trajectory) - 1, 5).astype(int))]
    for i, (step, theta) in enumerate([trajectory[0]] + shown):
        contours(ax, family.density(theta), bounds, color=[f"C{i}"], levels=2, linewidths=1.0)
        ax.plot([], [], color=f"C{i}", label=f"Q at step {step}")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("P (black) and Q_t over training")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    for quantity in wide.columns:
        ax.semilogy(wide.index[1:], wide[quantity].iloc[1:], label=quantity)
    ax.set_xlabel("Adam step")
    ax.set_ylabel("error (nats for KL, else parameter units)")
    ax.legend(fontsize=7)

    final_kl = float(wide["KL[P||Q_t]"].iloc[-1])
    to_mle = float(wide["|theta_t - theta_MLE|"].iloc[-1])
    sampling_kl = kl_gaussians(target, family.density(mle))
    # Converged: within Adam's noise floor of the sample MLE, and KL at the level sampling error allows.
    ok = final_kl < 10 * sampling_kl + 1e-3 and to_mle < 0.05
    summary = (f"From a poor start, minibatch Adam on the negative log-likelihood reaches KL[P||Q] = {final_kl:.2e} "
               f"nats after {s['steps']} steps; the exact sample MLE has {sampling_kl:.2e} (the sampling error of "
               f"{s['n_samples']} samples) and the fit is {to_mle:.3f} from it in parameters.")
    return FigureResult(fig, data, verdict("kl-fit-gaussian2d", "reproduced" if ok else "not reproduced", summary, [
        ("final KL[P||Q]", final_kl, NATS), ("KL[P||Q_MLE] (sampling error)", sampling_kl, NATS),
        ("final |theta - theta_MLE|", to_mle, "parameter units"),
    ]))
