"""A figure's lineage (gandiv.pipeline.lineage) is exactly the jobs Snakemake's own DAG puts upstream of it, and its
provenance (gandiv.report.provenance) tells which figures a config change touches."""

import copy
import subprocess
from pathlib import Path

import pytest
import yaml

from gandiv.pipeline import lineage
from gandiv.pipeline.config import load_schema, validate_config
from gandiv.pipeline.config_view import job_config
from gandiv.report.provenance import (PROVENANCE_KEYS, check_provenance, code_commit, config_sha256,
                                      figure_provenance, lineage_sha256)

REPO = Path(__file__).resolve().parents[1]


def _config(name: str) -> dict:
    return validate_config(yaml.safe_load((REPO / "config" / name).read_text()), load_schema())


def _snakemake_dag(configfile: Path, workdir: Path) -> dict:
    """{figure id: {(rule, benchmark) of every job upstream of its figure job, and the figure job}} from
    Snakemake's DAG of a run from nothing (a dry run through its Python API)."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, Quietness, ResourceSettings

    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow = api.workflow(resource_settings=ResourceSettings(cores=1),
                                config_settings=ConfigSettings(configfiles=[configfile]),
                                snakefile=REPO / "Snakefile", workdir=workdir)
        workflow.dag(DAGSettings()).execute_workflow(pseudo_executor="dryrun")
        dag = workflow._workflow.dag
        out = {}
        for job in dag.jobs:
            if job.rule.name != "figure":
                continue
            seen, todo = {}, [job]
            while todo:
                node = todo.pop()
                seen[(node.rule.name, str(node.benchmark))] = None
                todo += [dep for dep in dag.dependencies[node] if (dep.rule.name, str(dep.benchmark)) not in seen]
            out[job.wildcards.figure] = set(seen)
    return out


@pytest.mark.parametrize("name", ["smoke.yaml", "config.yaml"])
def test_every_figure_lineage_is_snakemakes_dag_upstream_of_it(name, tmp_path):
    config = _config(name)
    dag = _snakemake_dag(REPO / "config" / name, tmp_path)
    assert set(dag) == set(config["figures"])
    for figure, upstream in dag.items():
        jobs = lineage.figure_lineage(config, figure).jobs
        assert {(job.rule, job.benchmark) for job in jobs} == upstream, figure
        assert jobs[-1].label == f"figure/{figure}" and len({job.label for job in jobs}) == len(jobs)


def test_a_path_no_job_writes_is_refused_by_name():
    with pytest.raises(ValueError, match="results/nowhere.json"):
        lineage.upstream_jobs(_config("smoke.yaml"), ["results/nowhere.json"])


def test_run_folders_are_those_of_files_read_not_of_whole_training_groups():
    config = _config("config.yaml")
    # The full grid trains several targets in one group; density-ratio reads one target's runs only.
    figure = "density-ratio"
    target = config["figures"][figure]["target"]
    found = lineage.figure_lineage(config, figure)
    gan_folders = [f for f in found.run_folders if f.startswith("results/gan/")]
    assert gan_folders and all(f.split("/")[3] == target for f in gan_folders)
    assert [path.rsplit("/", 1)[0] for path in found.folder_files()] == found.run_folders
    # ... and only its target's keys: the group's other targets do not reach its runs
    assert f"targets.{target}" in found.config_keys
    assert not [key for key in found.config_keys if key.startswith("targets.") and key != f"targets.{target}"]
    groups = [job for job in found.jobs if job.rule.startswith("gan_train")]
    written = {path.rsplit("/", 1)[0] for job in groups for path in job.outputs}
    assert any(f.split("/")[3] != target for f in written), "the test needs a group that also trains other targets"


def _lineage_hash(config: dict, figure: str) -> str:
    """The hash a figure job writes (gandiv.pipeline.runtime.lineage_provenance): its lineage's values and folders."""
    found = lineage.figure_lineage(config, figure)
    return lineage_sha256(job_config(config, list(found.config_keys)), found.run_folders)


@pytest.mark.parametrize("path, value, touched", [
    # a training setting of the `gan` section: the figures reading its runs (the grid's, and jspi-convention's and
    # manifold-q's, which train as the section says), not the exact-only ones, the zoo, the critics, the pair models
    # or the dynamics figures (whose runs take their steps from their own settings)
    (("gan", "steps"), 800, {"gan-grid", "jspi-interpolation", "jspi-convention", "swissroll-kl", "kl-rule-theory",
                             "density-ratio", "manifold-q", "precision-recall"}),
    # another: the dynamics figures' runs read it too
    (("gan", "batch_size"), 64, {"gan-grid", "jspi-interpolation", "jspi-convention", "swissroll-kl",
                                 "kl-rule-theory", "density-ratio", "manifold-q", "d-steps", "nonsaturating-speed",
                                 "pi-convergence", "instance-noise", "precision-recall"}),
    # the dynamics measure's tolerance: its three figures only
    (("dynamics", "stationary_tol"), 0.2, {"d-steps", "nonsaturating-speed", "pi-convergence"}),
    # an exact-stage setting: the fits' and the pi path's figures, and kl-vs-rkl-multimodal, which fits in its own job
    (("exact", "max_iter"), 301, {"iclr-fig1", "jspi-interpolation", "gan-grid", "jspi-convention",
                                  "kl-vs-rkl-multimodal", "instance-noise", "precision-recall"}),
    # the top-level seed: every figure with a seeded job upstream or of its own
    (("seed",), 1, None),
    # the zoo's seeds: no training setting, but other runs, so the figures reading them (by their folders)
    (("figures", "objectives-zoo", "seeds"), [1], {"objectives-zoo", "critic-w1"}),
])
def test_the_lineage_hash_changes_exactly_for_the_figures_that_read_a_changed_value(path, value, touched):
    config = _config("smoke.yaml")
    changed = copy.deepcopy(config)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    moved = {f for f in config["figures"] if _lineage_hash(config, f) != _lineage_hash(changed, f)}
    if touched is None:  # every figure whose lineage declares the key
        touched = {f for f in config["figures"]
                   if ".".join(path) in lineage.figure_lineage(config, f).config_keys}
        assert 0 < len(touched) < len(config["figures"])
    assert moved == touched


def test_config_hash_is_canonical_and_sees_every_value():
    a = {"x": 1, "y": {"b": [1, 2], "a": 0.5}}
    assert config_sha256(a) == config_sha256({"y": {"a": 0.5, "b": [1, 2]}, "x": 1})  # key order is not a value
    for changed in ({"x": 2, "y": a["y"]}, {"x": 1, "y": {"b": [2, 1], "a": 0.5}}, {"x": 1, "y": {"b": [1, 2],
                                                                                                  "a": 0.50001}}):
        assert config_sha256(changed) != config_sha256(a)


def test_figure_provenance_record(tmp_path):
    bench = tmp_path / "b.tsv"
    bench.write_text("s\th:m:s\n12.5\t0:00:12\n")
    record = figure_provenance({"seed": 0}, ["seed"], ["fit_exact/t/f/o", "figure/x"], ["results/fits/t/f"],
                               [bench, bench])
    check_provenance(record, "test")
    # the same values from other runs (another seed's folder) are another build
    other = figure_provenance({"seed": 0}, ["seed"], ["fit_exact/t/f/o", "figure/x"], ["results/fits/t/g"], [bench])
    assert other["config_sha256"] != record["config_sha256"]
    assert set(record) == set(PROVENANCE_KEYS)
    assert record["upstream_job_s"] == 25.0 and record["config_keys"] == 1
    with pytest.raises(ValueError, match="provenance lacks commit"):
        check_provenance({k: v for k, v in record.items() if k != "commit"}, "test")


def test_code_commit_names_the_checkout_and_marks_changes(tmp_path):
    assert code_commit(tmp_path) == "unknown"  # not a git checkout
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "a.txt").write_text("1")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "f.csv").write_text("1")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    assert code_commit(tmp_path) == head
    (tmp_path / "figures" / "f.csv").write_text("2")  # the pipeline's own outputs do not count
    assert code_commit(tmp_path) == head
    (tmp_path / "figures" / "new.png").write_text("1")
    assert code_commit(tmp_path) == head
    (tmp_path / "b.py").write_text("1")  # a source file not yet committed changes what runs
    assert code_commit(tmp_path) == head + "-dirty"
    (tmp_path / "b.py").unlink()
    (tmp_path / "a.txt").write_text("2")
    assert code_commit(tmp_path) == head + "-dirty"


def test_benchmark_labels_and_run_folders():
    assert lineage.benchmark_label("benchmarks/gan_train/zoo/mlp/plain/group0.tsv") == "gan_train/zoo/mlp/plain/group0"
    assert lineage.benchmark_label("/tmp/x/benchmarks/figure/a.tsv") == "figure/a"
    assert lineage.benchmark_label("/tmp/x/b.tsv") == "/tmp/x/b"
    assert lineage.run_folders(["results/a/b.json", "results/a/c.npz", "figures/x.png"]) == ["results/a"]
