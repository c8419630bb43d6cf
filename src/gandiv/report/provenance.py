"""Where a number comes from: the code's commit, the packages, the config values and the jobs behind it.

Two records use it. The report's header describes the whole build (`collect_header` in gandiv.report.html);
each figure's verdict record carries its own `provenance` (`figure_provenance`), written by the figure's job:

    commit          git commit of the code the job ran ("-dirty" when tracked files differ, figures/ aside;
                    "unknown" outside a git checkout)
    versions        Python's and the key packages' versions in the figure job's environment (envs/exact.yaml under
                    --software-deployment-method conda, where TensorFlow and Keras are not installed: the GAN jobs
                    upstream ran in envs/gan.yaml)
    config_sha256   sha256 of the config values its lineage reads (every job its numbers depend on,
                    gandiv.pipeline.lineage) and of the run folders it reads from, as canonical JSON: two builds
                    with the same hash read the same values from the same runs
    config_keys     how many dotted keys that is
    jobs            the lineage's job labels (benchmarks/<label>.tsv), upstream first, the figure's own job last
    run_folders     the results/ folders of the files its numbers are read from
    upstream_job_s  the upstream jobs' summed wall time (s), from Snakemake's benchmark files

The report adds the figure's own job (and its animation) to the run time when it shows the record.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

from gandiv.results_io import CorruptResultError, read_csv

# Distribution names to try, in order, for each reported package.
PACKAGES = {
    "numpy": ("numpy",), "scipy": ("scipy",), "pandas": ("pandas",),
    "matplotlib": ("matplotlib",), "seaborn": ("seaborn",), "snakemake": ("snakemake",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow_cpu"), "keras": ("keras",), "pot": ("pot",),
}
PROVENANCE_KEYS = ("commit", "versions", "config_sha256", "config_keys", "jobs", "run_folders", "upstream_job_s")
_HERE = Path(__file__).resolve().parent  # inside the checkout when the package is installed editable or linked


def _git(args: list[str], cwd: Path) -> str | None:
    """Run one git command; its stripped stdout, or None on any failure."""
    try:
        res = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def code_commit(repo: str | Path = _HERE) -> str:
    """The git commit of the checkout holding `repo`, with "-dirty" if its files differ from it, a new file not
    yet committed included (the pipeline's own outputs in figures/ aside; the others are ignored by .gitignore);
    "unknown" outside a git checkout."""
    repo = Path(repo)
    commit = _git(["rev-parse", "HEAD"], repo) or "unknown"
    if commit != "unknown" and _git(["status", "--porcelain", "--untracked-files=normal", "--", ":/",
                                     ":(exclude,top)figures"], repo):
        commit += "-dirty"
    return commit


def _version(names: tuple[str, ...]) -> str:
    """Installed version of the first distribution name found, else 'not installed'."""
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def package_versions() -> dict[str, str]:
    """Python's version and each of PACKAGES' in this environment."""
    return {"python": platform.python_version(), **{k: _version(v) for k, v in PACKAGES.items()}}


def config_sha256(values: Mapping) -> str:
    """sha256 (hex) of config values as canonical JSON (keys sorted): equal exactly when the values are equal."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def lineage_sha256(lineage_config: Mapping, run_folders: Iterable[str]) -> str:
    """A figure's config sha256: of the config values its lineage reads and of the run folders it reads from (the
    same values from other runs, say another seed's, are another build)."""
    return config_sha256({"config": lineage_config, "run_folders": sorted(run_folders)})


def benchmark_seconds(path: str | Path) -> float:
    """The wall time `s` (seconds) of the first record of a Snakemake benchmark file (tab-separated);
    CorruptResultError when it has none, MissingResultError when the file is absent."""
    table = read_csv(path, required=("s",), sep="\t", dtype=str, keep_default_na=False)
    try:
        return float(table["s"].iloc[0])
    except (IndexError, ValueError) as exc:
        raise CorruptResultError(path, f"no wall time in column 's': {exc}") from exc


def figure_provenance(lineage_config: Mapping, config_keys: Iterable[str], jobs: Iterable[str],
                      run_folders: Iterable[str], upstream_benchmarks: Iterable[str | Path]) -> dict:
    """A figure's provenance record (the module docstring lists its keys).

    lineage_config: the values of the lineage's `config_keys` (nested, as gandiv.pipeline.config_view.job_config
    cuts them); jobs: the lineage's labels; run_folders: the results/ folders the upstream jobs wrote;
    upstream_benchmarks: the upstream jobs' benchmark files.
    """
    return {
        "commit": code_commit(),
        "versions": package_versions(),
        "config_sha256": lineage_sha256(lineage_config, run_folders),
        "config_keys": len(list(config_keys)),
        "jobs": list(jobs),
        "run_folders": sorted(run_folders),
        "upstream_job_s": round(sum(benchmark_seconds(path) for path in upstream_benchmarks), 3),
    }


def check_provenance(record: Mapping, origin: str) -> None:
    """ValueError naming `origin` and the key when a provenance record lacks one of PROVENANCE_KEYS."""
    missing = [key for key in PROVENANCE_KEYS if key not in record]
    if missing:
        raise ValueError(f"{origin}: provenance lacks {', '.join(missing)} (it has {', '.join(record) or 'nothing'})")
