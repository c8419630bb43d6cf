"""Faults: a group training job killed mid-run leaves no partial output, and the rerun equals an uninterrupted run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
RUNS = [f"results/gan/grid/bimodal_1d/mlp/kl/plain/pi0.5/seed{seed}" for seed in (0, 1)]  # one training group
GROUP_LOG = "logs/gan_train/grid/mlp/plain/group0.log"
OUTPUTS = ("generator.weights.h5", "discriminator.weights.h5", "history.csv", "snapshots.npz", "status.json")


def write_config(folder: Path) -> Path:
    config = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    config["gan"].update(steps=6000, steps_per_call=100)  # long enough (~15 s) to be killed in the middle
    config["gan"]["grid"] = [{"targets": ["bimodal_1d"], "generators": ["mlp"], "rules": ["kl"], "pi": [0.5],
                              "seeds": [0, 1]}]
    config["figures"] = {"w-vs-kl": {}}  # the GAN figures would ask for runs this grid does not have
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def snakemake(folder: Path, config: Path, *extra: str):
    # The target goes before --configfile, which takes any number of values.
    return subprocess.Popen([SNAKEMAKE, *(f"{run}/status.json" for run in RUNS), "-s", str(REPO / "Snakefile"), "--cores", "1",
                             "--configfile", str(config), *extra], cwd=folder, stdout=subprocess.DEVNULL,
                            stderr=open(folder / "snakemake.err", "a"), start_new_session=True)


def weights(folder: Path, run: str, name: str) -> list[np.ndarray]:
    arrays = []
    with h5py.File(folder / run / name) as handle:
        handle.visititems(lambda _, obj: arrays.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


@pytest.mark.slow
def test_killed_training_leaves_nothing_and_reruns_to_identical_weights(tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    for folder in (killed, clean):
        folder.mkdir()
    config_killed, config_clean = write_config(killed), write_config(clean)

    # Kill the whole process group (Snakemake and its job) once the training has started.
    process = snakemake(killed, config_killed)
    log = killed / GROUP_LOG
    deadline = time.time() + 120
    while time.time() < deadline and not (log.exists() and "training" in log.read_text()):
        time.sleep(0.5)
    assert log.exists(), "the training job never started: " + (killed / "snakemake.err").read_text()[-2000:]
    time.sleep(3)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not any((killed / run / name).exists() for run in RUNS for name in OUTPUTS), "a killed job left output"
    leftovers = [p for p in (killed / "results").rglob("*") if p.is_file() and "tmp" in p.name]
    assert not leftovers, f"temporary files left behind: {leftovers}"

    # Snakemake itself was killed too: release its lock, then rerun (the workflow profile sets
    # rerun-incomplete, so the job marked incomplete is redone from scratch) and compare with a clean run.
    assert snakemake(killed, config_killed, "--unlock").wait(timeout=120) == 0
    assert snakemake(killed, config_killed).wait(timeout=600) == 0
    assert snakemake(clean, config_clean).wait(timeout=600) == 0
    for run in RUNS:
        for name in ("generator.weights.h5", "discriminator.weights.h5"):
            for a, b in zip(weights(killed, run, name), weights(clean, run, name), strict=True):
                np.testing.assert_array_equal(a, b)
        assert (killed / run / "history.csv").read_bytes() == (clean / run / "history.csv").read_bytes()
