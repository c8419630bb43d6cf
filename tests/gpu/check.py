"""GPU check of grouped training (run by tests/gpu/check.sh on a machine with a GPU; not part of `make test`).

`train DEVICE OUT`: train a group of 15 reference runs on cpu or gpu for CHECK_STEPS steps, save every run's
final weights to OUT (.npz) and print the device's GAN-steps/s (a group of 15, and a group of 1).
`compare CPU GPU`: the largest weight difference between the two devices, relative to the weight's scale; exit 1
above TOLERANCE.

TOLERANCE: both devices compute in float32 (TensorFloat-32 is off, `configure_tensorflow`) but with different
kernels (cuBLAS against Eigen), so each op differs by a few float32 ulps (~1e-7 relative). Over CHECK_STEPS Adam
steps of a GAN, such differences grow (the dynamics are not contracting everywhere); 200 steps keep them below
1e-4 of the weights' scale, which still catches any real difference (a wrong slice, a missed update: >= 1e-2).
"""

from __future__ import annotations

import sys
import time

import numpy as np

CHECK_STEPS, CHUNK, GROUP = 200, 100, 15
TOLERANCE = 1e-4
SETTINGS = {  # bench.py's reference model: 2-D target, MLPs 2 x 64 ReLU, batch 256, Adam, nonsaturating
    "pi_mode": "weights", "steps": CHECK_STEPS, "steps_per_call": CHUNK, "batch_size": 256, "n_snapshot_samples": 16,
    "generator": {"latent_dim": 4, "hidden": 64, "depth": 2, "flow_layers": 4},
    "discriminator": {"hidden": 64, "depth": 2},
    "optimizer": {"d_learning_rate": 1e-3, "g_learning_rate": 1e-3, "beta_1": 0.5},
}


def runs(n):
    from gandiv.exact.densities import theis2016_mixture
    from gandiv.gan.training import RunSpec
    from gandiv.seeding import run_streams

    return [RunSpec(theis2016_mixture(), ("minimax", "nonsaturating", "kl")[seed % 3], (0.3, 0.5, 0.7)[seed % 3],
                    run_streams(seed, {"job": "gpu-check"})) for seed in range(n)]


def train(device: str, out: str) -> None:
    from gandiv.gan.compiled_loop import fit_in_chunks
    from gandiv.gan.training import build_group, configure_tensorflow, train_group, visible_gpus

    configure_tensorflow(1, use_gpu=device == "gpu")
    if device == "gpu" and not visible_gpus():
        sys.exit("no GPU visible to TensorFlow")
    results = train_group("mlp", runs(GROUP), SETTINGS)
    np.savez(out, *[w for r in results for w in r.networks.get_weights()])
    for n in (1, GROUP):  # speed, after tracing: two more chunks of a built group
        model, _ = build_group("mlp", runs(n) if n > 1 else runs(1) * 2, SETTINGS)
        fit_in_chunks(model, CHUNK, CHUNK)
        start = time.perf_counter()
        fit_in_chunks(model, 4 * CHUNK, CHUNK)
        print(f"{device}_gan_steps_per_s_group{n}: {n * 4 * CHUNK / (time.perf_counter() - start):.4g} GAN-steps/s")


def compare(cpu: str, gpu: str) -> None:
    a, b = np.load(cpu), np.load(gpu)
    worst = max(float(np.max(np.abs(a[k] - b[k])) / max(float(np.max(np.abs(a[k]))), 1e-12)) for k in a.files)
    print(f"largest weight difference, cpu vs gpu, relative to the weight's scale: {worst:.3g} "
          f"(tolerance {TOLERANCE:g}, {GROUP} runs x {CHECK_STEPS} steps)")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    {"train": train, "compare": compare}[sys.argv[1]](*sys.argv[2:])
