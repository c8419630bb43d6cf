"""Drawing a 2-D GAN run's snapshots: P's contours, the fixed-z samples of Q_t, and the descent field as arrows.

Shared by the snapshot grid of swissroll-kl and its animation, so both show the same view, contour
levels and arrow scale at every snapshot.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from gandiv.figures.snapshot_field import FIELD_UNIT, Run, descent_field
from gandiv.figures.style import set_style
from gandiv.results_io import atomic_write

ARROW_STRIDE = 3  # quiver shows every 3rd probe point
SAMPLES_COLOR, P_COLOR = "tab:orange", "tab:blue"  # a pair colour-blind readers tell apart (not red/green)
GIF_SIZE, GIF_DPI = (9.0, 4.4), 80


def view(target, samples: np.ndarray) -> np.ndarray:
    """Fixed axis limits [[x0, x1], [y0, y1]] for every panel: P's bulk (component box +- 3 sd), widened to
    hold the 1%-99% quantiles of all samples but by at most the box's width (not for a runaway sample)."""
    box = target.bounds(3.0)
    width = box[:, 1] - box[:, 0]
    flat = samples.reshape(-1, 2)
    lo = np.maximum(np.minimum(box[:, 0], np.quantile(flat, 0.01, axis=0)), box[:, 0] - width)
    hi = np.minimum(np.maximum(box[:, 1], np.quantile(flat, 0.99, axis=0)), box[:, 1] + width)
    pad = 0.03 * (hi - lo)
    return np.stack([lo - pad, hi + pad], axis=1)


def panels(n_snapshots: int, n_panels: int) -> np.ndarray:
    """Evenly spaced snapshot indices, first and last included."""
    return np.unique(np.round(np.linspace(0, n_snapshots - 1, min(n_panels, n_snapshots))).astype(int))


class Painter:
    """P's contours (computed once, dashed at `level`: the log P level of P's 95% region), samples, and the
    field as a quiver whose arrows are clipped at the 95% quantile of |field| over all snapshots."""

    def __init__(self, run: Run, target, level: float, rule: str):
        self.run, self.view, self.level = run, view(target, run.samples), level
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
        """Quiver arguments at the subsampled grid of snapshot i: components clipped at `cap`, and magnitudes."""
        u, v = (f[np.ix_(self.ix, self.iy)] for f in self.fields[i])
        norm = np.hypot(u, v)
        shrink = np.minimum(1.0, self.cap / np.where(norm > 0, norm, 1.0))
        return u * shrink, v * shrink, norm

    def quiver(self, ax, i: int):
        gx, gy = np.meshgrid(self.run.xs[self.ix], self.run.ys[self.iy], indexing="ij")
        u, v, norm = self.arrows(i)
        return ax.quiver(gx, gy, u, v, norm, cmap="viridis", norm=Normalize(0.0, self.cap), angles="xy",
                         scale_units="xy", scale=self.scale, width=0.006)


def animate(painter: Painter, out_gif: str, field_title: str, frame_title: Callable[[int], str]) -> None:
    """Animated GIF with one frame per snapshot (samples over P | descent field), rendered with Agg so that
    the same run gives the same bytes; 0.4 s a frame, the last held 1.5 s; written atomically."""
    import imageio.v3 as iio

    run = painter.run
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
    right.set_title(field_title, fontsize=10)
    dots, faint = painter.samples(left, 0), painter.samples(right, 0, alpha=0.25, size=2.0)
    quiver = painter.quiver(right, 0)
    fig.colorbar(quiver, cax=cax, label=FIELD_UNIT)
    title = fig.suptitle("")
    frames = []
    for i, step in enumerate(run.steps):
        dots.set_offsets(run.samples[i])
        faint.set_offsets(run.samples[i])
        u, v, norm = painter.arrows(i)
        quiver.set_UVC(u, v, norm)
        title.set_text(frame_title(step))
        fig.canvas.draw()
        frames.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    durations = [400] * (len(frames) - 1) + [1500]  # hold the last frame
    movie = np.stack(frames)
    atomic_write(out_gif, lambda tmp: iio.imwrite(tmp, movie, extension=".gif", plugin="pillow", duration=durations,
                                                  loop=0))
