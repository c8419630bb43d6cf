"""What a group's training keeps after every compiled chunk, per run: history, snapshots, probes; and blow-ups.

A run whose losses, fixed-z samples or probe logits stop being finite is recorded as diverged at that chunk:
its weights go back to the last finite state and stay there (they are restored after every later chunk), its
history stops, and its group-mates go on unaffected (runs never mix, `gandiv.gan.stacked`). When every run has
diverged the training stops.
"""

from __future__ import annotations

import logging
import time

import keras
import numpy as np

log = logging.getLogger("gandiv")


def probe_points(target, n_per_axis: int = 41) -> np.ndarray:
    """A regular grid over P's bulk where the discriminator's logit is recorded through training:
    (41^2, 2) points in 2-D, (401, 1) in 1-D."""
    box = target.bounds(3.0)
    axes = [np.linspace(lo, hi, n_per_axis if target.dim == 2 else 401) for lo, hi in box]
    return np.stack([m.ravel() for m in np.meshgrid(*axes, indexing="ij")], axis=1).astype("float32")


def stacked_singular_values(discriminator) -> np.ndarray:
    """(runs, n_layers): the largest singular value of each run's kernel in every stacked dense layer (NaN for a
    kernel with a non-finite entry: a diverged run's)."""
    kernels = [keras.ops.convert_to_numpy(layer.kernel) for layer in discriminator.dense]
    return np.array([[np.linalg.norm(k[r], 2) if np.isfinite(k[r]).all() else np.nan for k in kernels]
                     for r in range(kernels[0].shape[0])])


class GroupRecorder(keras.callbacks.Callback):
    """After every compiled chunk: each live run's history row, fixed-z samples, discriminator logits at the probe
    points and singular values; blow-up handling (module docstring); one progress line in the job's log.

    fixed_noise: (runs, n_fixed, latent); probe: (runs, n_probe, d). Attributes after training, per run r:
    rows[r] (dicts), steps[r], snapshots[r], probe_logits[r], singular_values[r], diverged_at[r], steps_done[r].
    """

    def __init__(self, fixed_noise: np.ndarray, chunk: int, total_steps: int, probe: np.ndarray):
        super().__init__()
        self.fixed_noise, self.chunk, self.total_steps, self.probe = fixed_noise, chunk, total_steps, probe
        runs = len(fixed_noise)
        self.rows, self.steps = [[] for _ in range(runs)], [[0] for _ in range(runs)]
        self.snapshots, self.probe_logits, self.singular_values = ([[] for _ in range(runs)] for _ in range(3))
        self.diverged_at, self.steps_done = [None] * runs, [0] * runs
        self.good = None  # per network: the stacked weights at the last finite state of each run

    def _observe(self):
        samples = keras.ops.convert_to_numpy(self.model.generator(self.fixed_noise))
        logits = keras.ops.convert_to_numpy(self.model.discriminator(self.probe))[..., 0]
        return samples, logits, stacked_singular_values(self.model.discriminator)

    def _networks(self):
        return self.model.generator, self.model.discriminator

    def on_train_begin(self, logs=None):
        self.good = [network.get_weights() for network in self._networks()]
        samples, logits, sigmas = self._observe()
        for r in range(len(self.fixed_noise)):
            self.snapshots[r].append(samples[r])
            self.probe_logits[r].append(logits[r])
            self.singular_values[r].append(sigmas[r])
        self.started = self.last = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        step = (epoch + 1) * self.chunk
        values = {k: np.asarray(v, dtype=float) for k, v in (logs or {}).items()}
        samples, logits, sigmas = self._observe()
        current = [network.get_weights() for network in self._networks()]
        for r in range(len(self.fixed_noise)):
            if self.diverged_at[r] is None:
                finite = (all(np.isfinite(v[r]) for v in values.values()) and np.isfinite(samples[r]).all()
                          and np.isfinite(logits[r]).all())
                if finite:
                    self.rows[r].append({"step": step, **{k: float(v[r]) for k, v in values.items()}})
                    self.steps[r].append(step)
                    self.snapshots[r].append(samples[r])
                    self.probe_logits[r].append(logits[r])
                    self.singular_values[r].append(sigmas[r])
                    self.steps_done[r] = step
                    for good, now in zip(self.good, current):
                        for g, w in zip(good, now):
                            g[r] = w[r]
                    continue
                self.diverged_at[r] = step
            for now, good in zip(current, self.good):  # a diverged run stays at its last finite state
                for w, g in zip(now, good):
                    w[r] = g[r]
        for network, weights in zip(self._networks(), current):
            network.set_weights(weights)
        self._progress(step, values)
        if all(d is not None for d in self.diverged_at):
            self.model.stop_training = True

    def _progress(self, step: int, values: dict) -> None:
        now = time.perf_counter()
        live = [r for r, d in enumerate(self.diverged_at) if d is None]
        rate = len(self.fixed_noise) * self.chunk / max(now - self.last, 1e-9)
        left = (self.total_steps - step) / self.chunk * (now - self.started) / (step / self.chunk)
        losses = " ".join(f"{k} {np.median(v[live]):.4g} [{np.min(v[live]):.3g}, {np.max(v[live]):.3g}]"
                          for k, v in values.items() if k in ("d_loss", "g_loss") and live)
        log.info("step %d/%d: %.0f GAN-steps/s; median [min, max] over %d live runs: %s; %d diverged; %.0f s left",
                 step, self.total_steps, rate, len(live), losses, len(self.fixed_noise) - len(live), left)
        self.last = now
