"""The Snakemake workflow end to end on config/smoke.yaml, in a temporary folder."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from gandiv.figures.catalogue import load_catalogue
from gandiv.exact.densities import theis2016_mixture
from gandiv.pipeline.exact_jobs import fit_exact
from gandiv.report.html import validate_verdict

REPO = Path(__file__).resolve().parents[1]
SMOKE = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())


from conftest import snakemake  # noqa: E402  (the smoke_run fixture is in conftest.py: one smoke run per session)


@pytest.mark.slow
def test_smoke_builds_every_configured_figure_and_the_report(smoke_run):
    catalogue = load_catalogue()
    for figure_id in SMOKE["figures"]:
        for ext in ("png", "pdf", "csv"):
            assert (smoke_run / "figures" / f"{figure_id}.{ext}").stat().st_size > 0
        table = pd.read_csv(smoke_run / "figures" / f"{figure_id}.csv")
        assert len(table) > 0
        record = json.loads((smoke_run / "results" / "verdicts" / f"{figure_id}.json").read_text())
        validate_verdict(record, catalogue)
        assert record["numbers"], f"{figure_id} has no deciding numbers"
        assert (smoke_run / "logs" / "figure" / f"{figure_id}.log").exists()
    assert set(SMOKE["figures"]) == set(catalogue.ids)  # the smoke config builds every figure of the catalogue
    html = (smoke_run / "figures" / "report.html").read_text()
    for figure_id in catalogue.ids:
        assert figure_id in html
    assert 'data-verdict="not built yet">0<' in html  # no figure is missing from the report
    # one seed per cell: every verdict that reads GAN runs must say the evidence is too thin, not pass
    for figure_id in ("gan-grid", "kl-rule-theory", "jspi-convention", "swissroll-kl", "critic-w1", "manifold-q",
                      "d-steps", "nonsaturating-speed", "pi-convergence", "local-convergence"):
        record = json.loads((smoke_run / "results" / "verdicts" / f"{figure_id}.json").read_text())
        assert record["verdict"] == "inconclusive", (figure_id, record["summary"])
    assert 'src="http' not in html and "href=\"http" not in html  # self-contained


@pytest.mark.slow
def test_every_verdict_records_its_provenance(smoke_run):
    from gandiv.pipeline.lineage import benchmark_label
    from gandiv.report.provenance import code_commit

    commit = code_commit()  # the checkout the jobs' package came from: clean on a clean clone, as in CI
    for figure_id in SMOKE["figures"]:
        prov = json.loads((smoke_run / "results" / "verdicts" / f"{figure_id}.json").read_text())["provenance"]
        assert prov["commit"] == commit and len(prov["config_sha256"]) == 64
        assert prov["jobs"][-1] == f"figure/{figure_id}"
        for job in prov["jobs"][:-1]:  # each upstream job ran here and wrote its benchmark
            assert benchmark_label(str(smoke_run / "benchmarks" / f"{job}.tsv")) == job
            assert (smoke_run / "benchmarks" / f"{job}.tsv").is_file(), (figure_id, job)
        assert all((smoke_run / folder).is_dir() for folder in prov["run_folders"]), figure_id
        assert prov["upstream_job_s"] > 0 or len(prov["jobs"]) == 1


@pytest.mark.slow
def test_smoke_numbers_agree_with_independent_computations(smoke_run):
    # The ML (KL[P||Q]) isotropic fit of iclr-fig1 is the mixture's mean and average variance.
    fits = pd.read_csv(smoke_run / "figures" / "iclr-fig1.csv")
    ml = fits[fits.fit == "kl_pq"].set_index("quantity").value
    mixture = theis2016_mixture(22)
    assert ml["mean_x1"] == pytest.approx(mixture.mean()[0], abs=1e-6)
    assert ml["sd"] == pytest.approx(np.sqrt(np.trace(mixture.covariance()) / 2), abs=1e-6)
    # jspi-limits: the closed-form KL of N(0,1) || N(1, 1.5^2) = log 1.5 + 2/4.5 - 1/2.
    limits = pd.read_csv(smoke_run / "figures" / "jspi-limits.csv")
    kl = limits[(limits.quantity == "KL[P||Q]") & limits.pair.str.startswith("N(0,1) vs")].value.iloc[0]
    assert kl == pytest.approx(np.log(1.5) + 2 / 4.5 - 0.5, abs=1e-9)
    # the dynamics figures' runs start at their fixed N(start_mean, 1): read back from the first fixed-noise snapshot
    # (float32 samples: 1e-6), their distance to theta* = (0, 1) is |start_mean|; d-steps adds each rule's ideal path
    for figure_id in ("d-steps", "nonsaturating-speed", "pi-convergence"):
        table = pd.read_csv(smoke_run / "figures" / f"{figure_id}.csv")
        starts = table[table.quantity == "start_distance"]
        settings = SMOKE["figures"][figure_id]
        expected = [abs(m) for m in settings.get("start_means", [settings.get("start_mean", 2.0)])]
        assert np.allclose(sorted(set(np.round(starts.value, 5))), sorted(set(expected)), atol=1e-5), figure_id
        assert set(table.outcome) <= {"converged", "oscillating", "travelling", "stalled", "diverged"}
    ideal = pd.read_csv(smoke_run / "figures" / "d-steps.csv").query("variant == 'ideal'")
    assert set(ideal.rule) == set(SMOKE["figures"]["d-steps"]["rules"])
    # the ideal path's error evidence: its distance moves by less than 1e-6 target scales on a grid twice as fine
    assert (ideal[ideal.quantity == "quadrature_error"].value < 1e-6).all()


@pytest.mark.slow
def test_second_run_has_nothing_to_do(smoke_run):
    result = snakemake("-n", "--cores", "1", "--configfile", str(REPO / "config" / "smoke.yaml"), cwd=smoke_run)
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def test_bad_config_stops_before_any_job_with_one_clear_message(tmp_path):
    bad = dict(SMOKE, targets=dict(SMOKE["targets"]))
    bad["targets"]["bimodal_1d"] = dict(SMOKE["targets"]["bimodal_1d"], weights=[0.6, 0.3])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = snakemake("--cores", "1", "--configfile", str(path), cwd=tmp_path, timeout=120)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "config key 'targets.bimodal_1d.weights'" in output
    assert "summing to 1" in output
    assert "Traceback" not in output
    assert not any((tmp_path / d).exists() for d in ("results", "figures", "logs"))


@pytest.mark.slow
def test_snakemakes_own_report_holds_every_figure_with_its_caption_and_verdict(smoke_run, tmp_path):
    import zipfile

    archive = tmp_path / "report.zip"
    result = snakemake("--configfile", str(REPO / "config" / "smoke.yaml"), "--report", str(archive), cwd=smoke_run,
                       timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    names = zipfile.ZipFile(archive).namelist()
    stored = [name for name in names if "/data/raw/" in name]  # each result as report/data/raw/<id>/<file name>
    for figure_id in SMOKE["figures"]:
        assert any(name.endswith(f"/{figure_id}.png") for name in stored), figure_id
        assert any(name.endswith(f"/{figure_id}.csv") for name in stored), figure_id
    assert any(name.endswith("/report.html") for name in stored)  # the pipeline's own report, category Report
    page = zipfile.ZipFile(archive).read("report/report.html").decode("utf-8", "replace")  # Snakemake's page
    entry = load_catalogue().by_id("jspi-convention")
    assert entry.title in page and "Verdict rule" in page  # captions come from the catalogue
    assert "inconclusive" in page  # the verdict label read from the verdict record


def test_lint_is_clean():
    result = snakemake("--lint", cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_is_formatted_as_snakefmt_formats_it():
    import subprocess
    import sys

    snakefmt = Path(sys.executable).parent / "snakefmt"  # settings in pyproject.toml [tool.snakefmt]
    result = subprocess.run([str(snakefmt), "--check", "Snakefile", "workflow/"], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_exact_fit_job_is_deterministic(tmp_path):
    from gandiv.pipeline.config import load_schema, validate_config

    config = validate_config(SMOKE, load_schema())
    outputs = [tmp_path / f"run{i}.json" for i in range(2)]
    for out in outputs:
        fit_exact(config, "bimodal_1d", "isotropic", "js", str(out))
    assert outputs[0].read_bytes() == outputs[1].read_bytes()


@pytest.mark.slow
def test_a_deleted_weights_file_is_retrained_not_an_evaluation_failure(smoke_run):
    # gan_evaluate reads the weights: they are declared inputs, so when the evaluation reruns (here forced; in
    # practice after a change of gan.evaluation) Snakemake first retrains the run whose weights are gone.
    # Undeclared, the training was never replanned and the evaluation failed.
    import shutil

    run = smoke_run / "results" / "gan" / "grid" / "bimodal_1d" / "gaussian" / "minimax" / "plain" / "pi0.2" / "seed0"
    weights = run / "generator.weights.h5"
    backup = smoke_run / "generator.weights.h5.bak"
    shutil.copy2(weights, backup)
    weights.unlink()
    try:
        result = snakemake("-n", "--cores", "1", "--configfile", str(REPO / "config" / "smoke.yaml"), "--forcerun",
                           "gan_evaluate", cwd=smoke_run)
        out = result.stdout + result.stderr
        assert result.returncode == 0, out[-3000:]
        train = [block for block in out.split("rule ")[1:] if block.startswith("gan_train_")]
        assert len(train) == 1 and "gaussian/minimax/plain/pi0.2/seed0/generator.weights.h5" in train[0], out[-3000:]
    finally:
        shutil.copy2(backup, weights)  # same bytes and mtime: the run is whole again
        backup.unlink()
