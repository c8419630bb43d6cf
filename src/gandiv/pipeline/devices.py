"""Where a training job runs: the `device` of the `gan` section and of the objectives zoo."""

from __future__ import annotations

from enum import Enum


class Device(str, Enum):
    """cpu, or gpu: the job requests Snakemake's `gpu=1` resource and runs in envs/gan-gpu.yaml."""

    CPU = "cpu"
    GPU = "gpu"
