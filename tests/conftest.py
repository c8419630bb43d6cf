"""The smoke run shared by the workflow tests: the whole DAG on config/smoke.yaml once per session."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def snakemake(*args, cwd, timeout=600, env=None):
    return subprocess.run([SNAKEMAKE, "-s", str(REPO / "Snakefile"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """A folder holding a finished smoke run; each job recorded the config keys it read in config-reads/."""
    workdir = tmp_path_factory.mktemp("smoke")
    (workdir / "config-reads").mkdir()
    env = os.environ | {"GANDIV_RECORD_CONFIG_READS": str(workdir / "config-reads")}
    result = snakemake("--cores", "2", "--configfile", str(REPO / "config" / "smoke.yaml"), cwd=workdir, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir
