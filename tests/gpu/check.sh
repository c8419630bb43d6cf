#!/usr/bin/env bash
# GPU check of grouped training (a few minutes): trains a group of 15 GANs on the GPU and on the CPU, compares
# their weights within tests/gpu/check.py's TOLERANCE and prints the GPU's GAN-steps/s. Needs a CUDA GPU and the
# project's environment (`make .venv/.installed-stamp`; the GPU build of TensorFlow: envs/gan-gpu.yaml or
# `pip install tensorflow[and-cuda]` of the pinned version). Not part of `make test`: CI machines have no GPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
$PY tests/gpu/check.py train gpu "$out/gpu.npz"
$PY tests/gpu/check.py train cpu "$out/cpu.npz"
$PY tests/gpu/check.py compare "$out/cpu.npz" "$out/gpu.npz"
