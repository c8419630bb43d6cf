"""Swiss roll trained with the KL (logit) rule: snapshot grid, animated GIF and the generator's gradient field.

The blog's animation shows fixed-z samples of Q_t (green) over P's contours (red)
beside the gradient of the generator's objective. Here both come from one
training run's snapshots: the samples, and the discriminator's logit on a probe
grid, from which the per-sample descent direction -d loss_r(a(x))/dx is taken by
finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from scipy.interpolate import RegularGridInterpolator

from gandiv.update_rules import UpdateRule, generator_loss_grad
from gandiv.samples.knn import knn_kl
from gandiv.figures.style import NATS, figure, set_style
from gandiv.results_io import atomic_write, read_csv, read_json, read_npz
from gandiv.figures._legacy import Context, FigureResult, verdict

FIGURE_ID = "swissroll-kl"
HDR_MASS = 0.95  # P's high-density region holds this share of P's mass
N_P_SAMPLES = 10_000  # Monte Carlo draws of P for the region's level, E_P log P and the k-NN reference
GAIN_NATS = 1.0  # "clear margin" for the rise of mean log P (see `_decide`)
GAIN_SE = 3.0  # ... and it must exceed this many paired standard errors
SHARE_MIN = 0.8  # share of samples inside P's 95% region at the last snapshot
REACH_SD = 2.0  # a component of P counts as reached if a sample lies within this many (Mahalanobis) sds
ARROW_STRIDE = 3  # quiver shows every 3rd probe point
FIELD_UNIT = "nats per x unit"
GIF_SIZE, GIF_DPI = (9.0, 4.4), 80
SAMPLES_COLOR, P_COLOR = "tab:green", "tab:red"


@dataclass(frozen=True)
class Run:
    """One training run's snapshots, with the probe grid unflattened."""

    steps: np.ndarray  # (S,)
    samples: np.ndarray  # (S, n, 2)
    xs: np.ndarray  # (nx,) probe grid axis 1
    ys: np.ndarray  # (ny,) probe grid axis 2
    logits: np.ndarray  # (S, nx, ny) discriminator logit on the grid
    status: dict


def probe_grid(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The axes of a regular grid flattened in meshgrid 'ij' order (x slowest); raises if it is not one."""
    points = np.asarray(points, dtype=float)
    n = int(round(np.sqrt(len(points))))
    if points.ndim != 2 or points.shape[1] != 2 or n * n != len(points) or n < 3:
        raise ValueError(f"probe_points must be a square 2-D grid, got shape {points.shape}")
    grid = points.reshape(n, n, 2)
    xs, ys = grid[:, 0, 0], grid[0, :, 1]
    if not (np.all(grid[:, :, 0] == xs[:, None]) and np.all(grid[:, :, 1] == ys[None, :])
            and np.all(np.diff(xs) > 0) and np.all(np.diff(ys) > 0)):
        raise ValueError("probe_points are not a regular grid in meshgrid 'ij' order")
    return xs, ys


def descent_field(logits: np.ndarray, xs: np.ndarray, ys: np.ndarray, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """-d loss_r(a(x))/dx on the grid: -loss_r'(a) times grad a, grad a by central differences (np.gradient)."""
    a = np.asarray(logits, dtype=float).reshape(len(xs), len(ys))
    da_dx, da_dy = np.gradient(a, xs, ys)
    push = -generator_loss_grad(UpdateRule(rule), a)
    return push * da_dx, push * da_dy


def load_run(ctx: Context) -> Run:
    """Snapshots and status of the run named by ctx.settings; raises if the files belong to another run."""
    status = read_json(ctx.inputs["status"], required=("target", "generator", "rule", "pi", "seed"))
    s = ctx.settings
    for key in ("target", "generator", "rule", "seed"):
        if str(status[key]) != str(s[key]):
            raise ValueError(f"status {key}={status[key]!r} but the figure asks for {s[key]!r}")
    if not np.isclose(float(status["pi"]), float(s["pi"])):
        raise ValueError(f"status pi={status['pi']} but the figure asks for {s['pi']}")
    npz = read_npz(ctx.inputs["snapshots"], required=("steps", "samples", "probe_points", "probe_logits"))
    steps, samples = npz["steps"], npz["samples"].astype(float)
    points, logits = npz["probe_points"], npz["probe_logits"]
    if not (len(steps) == len(samples) == len(logits)) or samples.ndim != 3 or samples.shape[2] != 2:
        raise ValueError(f"snapshots disagree: steps {steps.shape}, samples {samples.shape}, logits {logits.shape}")
    xs, ys = probe_grid(points)
    return Run(steps.astype(int), samples, xs, ys, logits.astype(float).reshape(len(steps), len(xs), len(ys)),
               status)


def _reference(target, seed: int) -> dict:
    """Monte Carlo facts about P from its own samples (fixed seed): level of the 95% region, E_P log P."""
    p_samples = target.sample(N_P_SAMPLES, np.random.default_rng(seed))
    log_p = target.log_prob(p_samples)
    return {"samples": p_samples, "level": float(np.quantile(log_p, 1.0 - HDR_MASS)), "mean_log_p": float(log_p.mean()),
            "sd_log_p": float(log_p.std())}


def _components_reached(target, samples: np.ndarray) -> int:
    """How many of P's components have a sample within REACH_SD of their mean (Mahalanobis)."""
    diffs = samples[:, None, :] - target.means[None]
    d2 = np.einsum("nki,kij,nkj->nk", diffs, np.linalg.inv(target.covariances), diffs)
    return int(np.sum(d2.min(axis=0) <= REACH_SD**2))


def _snapshot_rows(run: Run, target, ref: dict, rule: str, knn_k: int) -> list[dict]:
    rows = []
    n = run.samples.shape[1]
    where = f"fixed z (n={n})"
    for step, samples, logits in zip(run.steps, run.samples, run.logits):
        log_p = target.log_prob(samples)
        u, v = descent_field(logits, run.xs, run.ys, rule)
        norm = np.hypot(u, v)
        at_samples = RegularGridInterpolator((run.xs, run.ys), norm, bounds_error=False, fill_value=np.nan)(samples)
        try:
            kl = knn_kl(samples, ref["samples"], knn_k)
        except ValueError:  # exact duplicate samples (a collapsed generator): no k-NN estimate
            kl = np.nan
        for method, quantity, value, unit in (
                ("exact log P", "mean log P(x)", log_p.mean(), NATS),
                ("exact log P", "share in P's 95% region", np.mean(log_p >= ref["level"]), "fraction"),
                ("exact log P", "P components reached", _components_reached(target, samples), "components"),
                ("knn", "KL[Q||P]", kl, NATS),
                ("finite differences", "mean |field| on grid", norm.mean(), FIELD_UNIT),
                ("finite differences", "mean |field| at samples on grid", np.nanmean(at_samples)
                 if np.isfinite(at_samples).any() else np.nan, FIELD_UNIT),
                ("finite differences", "share of samples on probe grid", np.isfinite(at_samples).mean(), "fraction")):
            rows.append({"step": int(step), "samples": where, "method": method, "quantity": quantity,
                         "value": float(value), "unit": unit})
    return rows


def _eval_rows(ctx: Context, step: int) -> list[dict]:
    """End-of-run divergences of this run from the evaluation CSV (fresh samples)."""
    table = read_csv(ctx.inputs["eval"], required=("target", "generator", "rule", "pi", "seed", "method", "quantity",
                                                   "value"))
    s = ctx.settings
    mine = table[(table.target.astype(str) == str(s["target"])) & (table.generator.astype(str) == str(s["generator"]))
                 & (table.rule.astype(str) == str(s["rule"])) & np.isclose(table.pi.astype(float), float(s["pi"]))
                 & (table.seed.astype(int) == int(s["seed"]))]
    if mine.empty:
        raise ValueError(f"no rows in {ctx.inputs['eval']} for the run {s}")
    names = {"kl_qp": "KL[Q||P]", "kl_pq": "KL[P||Q]", "js": "JS", "js_pi": "JS_pi"}
    mine = mine[mine.quantity.isin(list(names)) & mine.value.notna()]
    return [{"step": step, "samples": "fresh (evaluation)", "method": r.method, "quantity": names[r.quantity],
             "value": float(r.value), "unit": NATS} for r in mine.itertuples()]


def _view(target, samples: np.ndarray) -> np.ndarray:
    """Fixed axis limits for every panel: P's bulk, widened to hold most samples (but not a runaway one)."""
    box = target.bounds(3.0)
    width = box[:, 1] - box[:, 0]
    flat = samples.reshape(-1, 2)
    lo = np.maximum(np.minimum(box[:, 0], np.quantile(flat, 0.01, axis=0)), box[:, 0] - width)
    hi = np.minimum(np.maximum(box[:, 1], np.quantile(flat, 0.99, axis=0)), box[:, 1] + width)
    pad = 0.03 * (hi - lo)
    return np.stack([lo - pad, hi + pad], axis=1)


class _Painter:
    """Shared drawing: P's contours (computed once), samples, and the field as a quiver on a common scale."""

    def __init__(self, run: Run, target, ref: dict, rule: str):
        self.run, self.view, self.level = run, _view(target, run.samples), ref["level"]
        xs, ys = (np.linspace(*self.view[i], 150) for i in range(2))
        self.xx, self.yy = np.meshgrid(xs, ys)
        self.density = np.exp(target.log_prob(np.column_stack([self.xx.ravel(), self.yy.ravel()]))).reshape(
            self.xx.shape)
        self.fields = [descent_field(a, run.xs, run.ys, rule) for a in run.logits]
        norms = np.concatenate([np.hypot(u, v).ravel() for u, v in self.fields])
        self.cap = float(np.quantile(norms, 0.95)) if np.any(norms > 0) else 1.0
        self.cap = self.cap if self.cap > 0 else 1.0
        self.ix = np.arange(1, len(run.xs) - 1, ARROW_STRIDE)
        self.iy = np.arange(1, len(run.ys) - 1, ARROW_STRIDE)
        spacing = ARROW_STRIDE * min(np.diff(run.xs).mean(), np.diff(run.ys).mean())
        self.scale = self.cap / (1.1 * spacing)  # an arrow of length `cap` spans ~1.1 arrow spacings

    def contours(self, ax):
        ax.contour(self.xx, self.yy, self.density, levels=np.linspace(0.1, 0.9, 4) * self.density.max(),
                   colors=P_COLOR, linewidths=0.7)
        ax.contour(self.xx, self.yy, self.density, levels=[np.exp(self.level)], colors=P_COLOR, linewidths=0.7,
                   linestyles="--")
        ax.set_xlim(*self.view[0])
        ax.set_ylim(*self.view[1])
        ax.set_aspect("equal")
        ax.grid(False)

    def samples(self, ax, i: int, alpha: float = 0.8, size: float = 4.0):
        return ax.scatter(*self.run.samples[i].T, s=size, c=SAMPLES_COLOR, alpha=alpha, linewidths=0)

    def arrows(self, i: int):
        """Quiver arguments at the subsampled grid: positions, clipped components and magnitudes."""
        u, v = (f[np.ix_(self.ix, self.iy)] for f in self.fields[i])
        norm = np.hypot(u, v)
        shrink = np.minimum(1.0, self.cap / np.where(norm > 0, norm, 1.0))
        return u * shrink, v * shrink, norm

    def quiver(self, ax, i: int):
        gx, gy = np.meshgrid(self.run.xs[self.ix], self.run.ys[self.iy], indexing="ij")
        u, v, norm = self.arrows(i)
        return ax.quiver(gx, gy, u, v, norm, cmap="viridis", norm=Normalize(0.0, self.cap), angles="xy",
                         scale_units="xy", scale=self.scale, width=0.006)


def _panels(n_snapshots: int, n_panels: int) -> np.ndarray:
    """Evenly spaced snapshot indices, first and last included."""
    return np.unique(np.round(np.linspace(0, n_snapshots - 1, min(n_panels, n_snapshots))).astype(int))


def _decide(first: np.ndarray, last: np.ndarray, share_last: float, diverged: bool) -> tuple[str, float, float]:
    """Verdict from the fixed-z samples' log P at the first and last snapshot (paired by z).

    Reproduced: mean log P rose by >= GAIN_NATS (the typical density at the samples grew e-fold; about
    1.2 sd of log P(X) under P itself for the configured Swiss roll) and by >= GAIN_SE paired standard
    errors, and >= SHARE_MIN of the samples lie in P's 95% region. Partly: a rise beyond the noise that
    misses either bar, or a run that met them but diverged. Not reproduced: no clear rise.
    """
    diff = last - first
    gain = float(diff.mean())
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
    improved = gain > GAIN_SE * se and gain > 0
    if improved and gain >= GAIN_NATS and share_last >= SHARE_MIN and not diverged:
        return "reproduced", gain, se
    return ("partly" if improved else "not reproduced"), gain, se


def swissroll_kl(ctx: Context) -> FigureResult:
    """Snapshot grid (samples over P; descent field) with per-snapshot numbers and the verdict."""
    s = ctx.settings
    target = ctx.target(s["target"])
    run = load_run(ctx)
    ref = _reference(target, ctx.seed)
    knn_k = int(ctx.config["gan"]["evaluation"]["knn_k"])
    rows = _snapshot_rows(run, target, ref, s["rule"], knn_k)
    eval_rows = _eval_rows(ctx, int(run.steps[-1]))
    rows += eval_rows
    rows += [{"step": pd.NA, "samples": f"P itself (n={N_P_SAMPLES})", "method": "monte carlo", "quantity": q,
              "value": v, "unit": u} for q, v, u in (("mean log P(x)", ref["mean_log_p"], NATS),
                                                     ("sd log P(x)", ref["sd_log_p"], NATS),
                                                     ("log P level of P's 95% region", ref["level"], NATS))]
    data = pd.DataFrame(rows)
    data["step"] = data["step"].astype("Int64")

    painter = _Painter(run, target, ref, s["rule"])
    cols = _panels(len(run.steps), int(s.get("n_panels", 4)))
    fig, axes = figure(ncols=len(cols), nrows=2, width=3.0, height=3.0)
    quiver = None
    for ax_top, ax_bottom, i in zip(axes[0], axes[1], cols):
        painter.contours(ax_top)
        painter.samples(ax_top, i)
        ax_top.set_title(f"step {run.steps[i]}")
        painter.contours(ax_bottom)
        painter.samples(ax_bottom, i, alpha=0.25, size=2.0)
        quiver = painter.quiver(ax_bottom, i)
        ax_bottom.set_xlabel("x1")
    axes[0, 0].set_ylabel("samples of Q_t (fixed z)\nx2")
    axes[1, 0].set_ylabel("descent field -d loss/dx\nx2")
    fig.colorbar(quiver, ax=axes[1, :], shrink=0.85, label=f"|field| ({FIELD_UNIT}; arrows clipped)")
    fig.suptitle(f"{s['target']}: {s['generator']} generator, {s['rule']} rule, pi={s['pi']:g}, seed {s['seed']} "
                 f"(red: P, dashed: P's 95% region)")

    log_first, log_last = target.log_prob(run.samples[0]), target.log_prob(run.samples[-1])
    share_first, share_last = (float(np.mean(lp >= ref["level"])) for lp in (log_first, log_last))
    diverged = bool(run.status.get("diverged", False))
    status, gain, se = _decide(log_first, log_last, share_last, diverged)
    snap = data[data.samples.str.startswith("fixed z")]

    def at(step, quantity):
        return float(snap[(snap.step == step) & (snap.quantity == quantity)].value.iloc[0])

    first_step, last_step = int(run.steps[0]), int(run.steps[-1])
    reached, k = at(last_step, "P components reached"), target.n_components
    numbers = [("mean log P of samples, first snapshot", log_first.mean(), NATS),
               ("mean log P of samples, last snapshot", log_last.mean(), NATS),
               ("gain in mean log P", gain, NATS), ("paired standard error of the gain", se, NATS),
               ("gain threshold", GAIN_NATS, NATS), ("E_P log P (P's own samples)", ref["mean_log_p"], NATS),
               ("share in P's 95% region, first snapshot", share_first, "fraction"),
               ("share in P's 95% region, last snapshot", share_last, "fraction"),
               ("share threshold", SHARE_MIN, "fraction"),
               ("P components reached, last snapshot", reached, "components"),
               ("P components", k, "components"),
               ("k-NN KL[Q||P] of fixed-z samples, first snapshot", at(first_step, "KL[Q||P]"), NATS),
               ("k-NN KL[Q||P] of fixed-z samples, last snapshot", at(last_step, "KL[Q||P]"), NATS),
               ("mean |field| at samples, first snapshot", at(first_step, "mean |field| at samples on grid"),
                FIELD_UNIT),
               ("mean |field| at samples, last snapshot", at(last_step, "mean |field| at samples on grid"),
                FIELD_UNIT),
               ("last step", last_step, "steps")]
    end = {}
    for method in ("knn", "exact"):
        hit = [r for r in eval_rows if r["quantity"] == "KL[Q||P]" and r["method"] == method]
        if hit:
            end[method] = hit[0]["value"]
            numbers.append((f"KL[Q||P] at the end ({method}, evaluation)", end[method], NATS))
    end_text = ", ".join(f"{m} {v:.3f}" for m, v in end.items()) or "not in the evaluation table"
    fully = share_last >= HDR_MASS and reached == k
    summary = (f"With the {s['rule']} rule ({s['generator']} generator, seed {s['seed']}), the mean log P of the "
               f"{run.samples.shape[1]} fixed-z samples went from {log_first.mean():.2f} to {log_last.mean():.2f} "
               f"nats over {last_step} steps (gain {gain:.2f} +- {se:.2f}; threshold {GAIN_NATS:g} nats; P's own "
               f"samples average {ref['mean_log_p']:.2f}) and the share inside P's 95% region from "
               f"{share_first:.2f} to {share_last:.2f} (threshold {SHARE_MIN:g}); {int(reached)} of {k} components "
               f"of P have a sample within {REACH_SD:g} sd at the end. KL[Q||P] at the end: {end_text} nats. "
               + ("As in the blog, training does not converge all the way (samples outside P's 95% region or "
                  "parts of the roll unreached)." if not fully else
                  "Unlike the blog's remark, the samples cover P's roll fully at the end.")
               + (f" The run diverged at step {run.status.get('diverged_at')}; the last finite state is shown."
                  if diverged else ""))
    return FigureResult(fig, data, verdict(FIGURE_ID, status, summary, numbers))


def swissroll_animation(ctx: Context, out_gif: str) -> None:
    """Animated GIF of every snapshot (samples over P | descent field), rendered deterministically with Agg."""
    import imageio.v3 as iio

    s = ctx.settings
    target = ctx.target(s["target"])
    run = load_run(ctx)
    ref = _reference(target, ctx.seed)
    painter = _Painter(run, target, ref, s["rule"])
    set_style()
    fig = Figure(figsize=GIF_SIZE, dpi=GIF_DPI)
    FigureCanvasAgg(fig)
    left, right = fig.add_axes((0.06, 0.1, 0.4, 0.78)), fig.add_axes((0.5, 0.1, 0.4, 0.78))
    cax = fig.add_axes((0.91, 0.15, 0.015, 0.68))
    for ax in (left, right):
        painter.contours(ax)
        ax.set_xlabel("x1")
    left.set_ylabel("x2")
    left.set_title("samples of Q_t (fixed z) over P", fontsize=10)
    right.set_title(f"descent field of the {s['rule']} rule", fontsize=10)
    dots, faint, quiver = painter.samples(left, 0), painter.samples(right, 0, alpha=0.25, size=2.0), \
        painter.quiver(right, 0)
    fig.colorbar(quiver, cax=cax, label=FIELD_UNIT)
    title = fig.suptitle("")
    frames = []
    for i, step in enumerate(run.steps):
        dots.set_offsets(run.samples[i])
        faint.set_offsets(run.samples[i])
        u, v, norm = painter.arrows(i)
        quiver.set_UVC(u, v, norm)
        title.set_text(f"{s['target']}, {s['generator']} generator, {s['rule']} rule: step {step}")
        fig.canvas.draw()
        frames.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    durations = [400] * (len(frames) - 1) + [1500]  # hold the last frame
    movie = np.stack(frames)
    atomic_write(out_gif, lambda tmp: iio.imwrite(tmp, movie, extension=".gif", plugin="pillow", duration=durations,
                                                  loop=0))
