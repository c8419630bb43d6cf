"""Tests for the catalogue and the self-contained HTML report."""

from __future__ import annotations

import json
import os
import re
import time

import numpy as np
import pytest

from gandiv.figures.catalogue import load_catalogue
from gandiv.report.html import VERDICTS, collect_header, load_verdicts, render_report

SOURCE_KEYS = {"note", "blog_nov2015", "blog_mar2016", "intro_blog", "lecture"}


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture
def header():
    return {"commit": "abc123", "config_path": "config/config.yaml", "config_sha256": "0" * 64,
            "versions": {"python": "3.11", "numpy": "2.4.6"}, "run_wall_s": 75.0,
            "ran": {"n_jobs": 3, "job_seconds": 80.0, "jobs": []},
            "reused": {"n_jobs": 1, "job_seconds": 5.0, "jobs": ["benchmarks/figure/w-vs-kl.tsv"]},
            "generated_at": "2025-01-01T00:00:00+00:00"}


@pytest.fixture
def figure_dir(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    d = tmp_path / "figures"
    d.mkdir()
    fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    ax.plot([0, 1], [0, 1])
    fig.savefig(d / "iclr-fig1.png")
    plt.close(fig)
    return d


def _verdict(fid, verdict="reproduced", summary="ok", numbers=None):
    return {"id": fid, "verdict": verdict, "summary": summary,
            "numbers": numbers if numbers is not None else [{"name": "KL", "value": 0.3499, "unit": "nats"}]}


def test_catalogue_ids_are_exactly_the_figure_modules_and_every_config_builds_them(cat):
    """Found independently of the catalogue: the modules of gandiv.figures that declare the whole figure recipe.
    A module without an entry, an entry without a module, or a config that leaves a figure out fails."""
    import importlib
    import pkgutil
    from pathlib import Path

    import yaml

    import gandiv.figures as package
    from gandiv.figures import RECIPE, figure_module

    modules = {info.name for info in pkgutil.iter_modules(package.__path__)}
    recipe_modules = {name for name in modules
                      if all(hasattr(importlib.import_module(f"gandiv.figures.{name}"), attr) for attr in RECIPE)}
    assert recipe_modules == {fid.replace("-", "_") for fid in cat.ids}
    assert len(set(cat.ids)) == len(cat.ids)
    for fid in cat.ids:
        assert getattr(figure_module(fid), "ID", fid) == fid
    with pytest.raises(KeyError, match="no figure 'no-such-id' in the catalogue"):
        figure_module("no-such-id")
    assert cat.by_id("w-vs-kl").source == "lecture"
    with pytest.raises(KeyError, match="no-such-id"):
        cat.by_id("no-such-id")
    repo = Path(__file__).resolve().parents[1]
    for config in ("config.yaml", "smoke.yaml"):
        figures = yaml.safe_load((repo / "config" / config).read_text())["figures"]
        assert set(figures) == set(cat.ids), config


def test_catalogue_entries_complete(cat):
    assert set(cat.sources) == SOURCE_KEYS
    assert cat.sources["note"].ref == "arXiv:1511.05101"
    for e in cat.figures:
        assert e.title.strip() and e.claim.strip() and e.build.strip() and e.verdict_rule.strip(), e.id
        assert e.source in SOURCE_KEYS, e.id
        assert set(e.also) <= SOURCE_KEYS, e.id


def test_report_self_contained_and_complete(cat, figure_dir, header):
    verdicts = {"iclr-fig1": _verdict("iclr-fig1"), "w-vs-kl": _verdict("w-vs-kl", "partly")}
    page = render_report(cat, verdicts, figure_dir, header)
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<link" not in page and page.count("<script") == 1 and "<script>" in page  # one inline script, no src
    srcs = re.findall(r"""src="([^"]*)\"""", page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    for fid in cat.ids:
        assert page.count(f'<section class="fig" id="fig-{fid}"') == 1, fid
    order = [page.index(f'id="fig-{fid}"') for fid in cat.ids]
    assert order == sorted(order)
    assert "not built yet" in page.split('id="fig-jspi-limits"')[1].split("</section>")[0]
    assert "abc123" in page and "0" * 64 in page


def test_report_counts_verdicts(cat, figure_dir, header):
    verdicts = {"iclr-fig1": _verdict("iclr-fig1", "reproduced"),
                "jspi-limits": _verdict("jspi-limits", "reproduced"),
                "w-vs-kl": _verdict("w-vs-kl", "partly"),
                "tv-trials": _verdict("tv-trials", "not reproduced"),
                "gan-grid": _verdict("gan-grid", "inconclusive")}
    page = render_report(cat, verdicts, figure_dir, header)
    counts = {v: int(n) for v, n in re.findall(r'data-verdict="([^"]+)">(\d+)<', page)}
    assert counts == {"reproduced": 2, "partly": 1, "not reproduced": 1, "inconclusive": 1,
                      "not built yet": len(cat.ids) - 5}
    assert sum(counts.values()) == len(cat.ids)


def test_deciding_numbers_show_their_threshold_and_whether_they_passed(cat, figure_dir, header):
    from gandiv.figures.recipe import verdict
    record = verdict("gan-grid", "partly", "one check failed", [
        ("seeds", 5, "seeds", ">= 5", True), ("p-value", 0.2, "", "< 0.05", False), ("not testable", 1.0, "", "> 0", None),
        ("reported only", 3.0, "nats")])
    section = render_report(cat, {"gan-grid": record}, figure_dir, header).split('id="fig-gan-grid"')[1]
    section = section.split("</section>")[0]
    assert re.findall(r'data-passed="([^"]+)"', section) == ["pass", "fail", "not tested"]
    assert "&lt; 0.05" in section and "&gt;= 5" in section
    assert section.count("<tr>") == 5  # header + 4 numbers; the reported-only number has an empty pass cell
    with pytest.raises(ValueError, match="name, value, unit"):
        verdict("gan-grid", "partly", "", [("too short", 1.0)])
    bad = dict(record, numbers=[{"name": "x", "value": 1.0, "threshold": "> 0", "passed": "yes"}])
    with pytest.raises(ValueError, match="'passed'"):
        render_report(cat, {"gan-grid": bad}, figure_dir, header)


def test_a_figure_that_is_a_table_is_shown_as_an_html_table(cat, figure_dir, header):
    import pandas as pd
    rows = [{"pi": pi, "seed": seed, "converged": True, "behaviour": b, "quantity": q, "value": v, "unit": "u"}
            for pi, b, mean in ((0.1, "maximum-likelihood-like", 0.0), (0.9, "KL[Q||P]-like", -1.0))
            for seed in range(2)
            for q, v in (("start_mean", 0.0), ("mean", mean + 0.1 * seed), ("sd", 1.0), ("distance_ml", 0.2),
                         ("distance_rkl", 2.0))]
    pd.DataFrame(rows).to_csv(figure_dir / "jspi-convention.csv", index=False)
    page = render_report(cat, {}, figure_dir, header)
    section = page.split('id="fig-jspi-convention"')[1].split("</section>")[0]
    assert 'class="dataframe numbers"' in section and section.count("<tr>") == 2  # one row per pi
    assert "2 / 2" in section and f"-0.950 ± {np.std([-1.0, -0.9], ddof=1):.3f}" in section
    assert 'class="dataframe numbers"' not in page.split('id="fig-iclr-fig1"')[1].split("</section>")[0]


def test_report_escapes_text(cat, figure_dir, header):
    bad = '<script>alert("x")</script> & <b>'
    v = _verdict("gan-grid", summary=bad, numbers=[{"name": "<i>KL</i>", "value": 1.0, "unit": "n&ts"}])
    page = render_report(cat, {"gan-grid": v}, figure_dir, dict(header, commit="<c>"))
    assert bad not in page and page.count("<script>") == 1 and "<i>KL</i>" not in page  # only the page's own
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert "n&amp;ts" in page and "&lt;c&gt;" in page


def test_unknown_verdict_and_id_rejected(cat, figure_dir, header, tmp_path):
    with pytest.raises(ValueError, match="maybe"):
        render_report(cat, {"w-vs-kl": _verdict("w-vs-kl", "maybe")}, figure_dir, header)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_verdict("w-vs-kl", "maybe")))
    with pytest.raises(ValueError, match="maybe"):
        load_verdicts([bad], cat)
    bad.write_text(json.dumps(_verdict("fig-99")))
    with pytest.raises(ValueError, match="fig-99"):
        load_verdicts([bad], cat)


def test_load_verdicts_roundtrip(cat, tmp_path):
    paths = []
    for fid, v in zip(cat.ids, VERDICTS):
        p = tmp_path / f"{fid}.json"
        p.write_text(json.dumps(_verdict(fid, v)))
        paths.append(p)
    got = load_verdicts(paths, cat)
    assert [got[f]["verdict"] for f in cat.ids[:len(VERDICTS)]] == list(VERDICTS)
    with pytest.raises(ValueError, match="duplicate"):
        load_verdicts(paths + paths[:1], cat)


def test_collect_header(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("seed: 0\n")
    files = []
    for name, seconds, end in (("a.tsv", 30.0, 1000.0), ("b.tsv", 50.0, 1100.0), ("c.tsv", 7.0, 1200.0)):
        path = tmp_path / name
        path.write_text(f"s\th:m:s\n{seconds}\t0:00:30\n")
        os.utime(path, (end, end))
        files.append(path)
    started = time.time() - 60.0
    h = collect_header(cfg, files + [tmp_path / "missing.tsv"], run_started=1050.0)
    assert set(h) == {"commit", "config_path", "config_sha256", "versions", "run_wall_s", "ran", "reused",
                      "job_seconds", "generated_at"}
    assert h["job_seconds"] == {str(tmp_path / "a"): 30.0, str(tmp_path / "b"): 50.0,
                                str(tmp_path / "c"): 7.0}  # outside a benchmarks/ folder the label is the path
    assert h["commit"] == "unknown"  # tmp_path is not a git repository
    assert len(h["config_sha256"]) == 64
    # the run started at 1050: b and c were written after it (ran), a before it (reused)
    assert (h["ran"]["n_jobs"], h["ran"]["job_seconds"]) == (2, 57.0)
    assert (h["reused"]["n_jobs"], h["reused"]["job_seconds"], h["reused"]["jobs"]) == (1, 30.0, [str(files[0])])
    for pkg in ("python", "numpy", "scipy", "pandas", "matplotlib", "seaborn", "snakemake", "tensorflow", "keras"):
        assert h["versions"][pkg]
    assert collect_header(cfg, files, run_started=started)["run_wall_s"] == pytest.approx(60.0, abs=5.0)
    unknown = collect_header(cfg, files)  # no run start: every job counts as ran, the wall time is unknown
    assert unknown["run_wall_s"] is None and unknown["ran"]["n_jobs"] == 3 and unknown["reused"]["n_jobs"] == 0


def test_the_run_start_is_read_from_the_newest_snakemake_log(tmp_path):
    from datetime import datetime

    from gandiv.pipeline.figure_jobs import snakemake_run_started

    assert snakemake_run_started(tmp_path) is None
    logs = tmp_path / ".snakemake" / "log"
    logs.mkdir(parents=True)
    for stamp in ("2026-12-01T072841.832924", "2026-12-01T091500.000001", "not-a-time"):
        (logs / f"{stamp}.snakemake.log").write_text("")
    assert snakemake_run_started(tmp_path) == datetime(2026, 12, 1, 9, 15, 0, 1).timestamp()


def test_the_report_has_a_contents_bar_zoomable_figures_file_links_and_the_animation(cat, figure_dir, header,
                                                                                        tmp_path):
    import imageio.v2 as imageio
    import numpy as np

    (figure_dir / "iclr-fig1.pdf").write_bytes(b"%PDF-1.4")
    frames = [np.full((8, 8, 3), level, dtype=np.uint8) for level in (0, 255)]
    imageio.mimsave(figure_dir / "swissroll-kl.gif", frames, duration=0.1)
    page = render_report(cat, {}, figure_dir, header)
    nav = page.split('<nav id="contents">')[1].split("</nav>")[0]
    assert [m for m in re.findall(r'href="#fig-([^"]+)"', nav)] == list(cat.ids)  # every figure, in order
    ids = set(re.findall(r'id="([^"]+)"', page))
    assert {link[1:] for link in re.findall(r'href="(#[^"]+)"', page)} <= ids  # every internal link resolves
    section = page.split('id="fig-iclr-fig1"')[1].split("</section>")[0]
    assert 'class="zoomable"' in section and 'href="iclr-fig1.pdf"' in section
    assert 'href="iclr-fig1.csv"' not in section  # no CSV file, no link
    roll = page.split('id="fig-swissroll-kl"')[1].split("</section>")[0]
    assert 'src="data:image/gif;base64,' in roll and 'href="swissroll-kl.gif"' in roll
    assert 'id="zoom"' in page and "addEventListener" in page


def test_each_section_shows_its_figures_provenance_with_its_jobs_run_time(cat, figure_dir, header):
    provenance = {"commit": "0123abc", "versions": {"python": "3.11", "keras": "3.15.1"},
                  "config_sha256": "f" * 20 + "e" * 44, "config_keys": 21,
                  "jobs": ["fit_exact/t/f/kl_pq", "jspi_path/t/f", "figure/iclr-fig1"],
                  "run_folders": ["results/fits/t/f", "results/jspi/t/f"], "upstream_job_s": 100.0}
    header = header | {"job_seconds": {"figure/iclr-fig1": 20.0, "figure/w-vs-kl": 3.0}}
    verdicts = {"iclr-fig1": _verdict("iclr-fig1") | {"provenance": provenance}, "w-vs-kl": _verdict("w-vs-kl")}
    page = render_report(cat, verdicts, figure_dir, header)
    section = page.split('id="fig-iclr-fig1"')[1].split("</section>")[0]
    block = section.split('class="provenance"')[1]
    assert "0123abc" in block and "f" * 16 in block and "21 config keys" in block
    assert "(120 s) over 3 jobs (upstream 100 s, this figure's 20 s)" in block  # 100 s upstream + its own 20 s
    assert "results/jspi/t/f" in block and "keras 3.15.1" in block
    other = page.split('id="fig-w-vs-kl"')[1].split("</section>")[0]
    assert "Provenance: not recorded" in other
    unbuilt = page.split('id="fig-gan-grid"')[1].split("</section>")[0]
    assert "provenance" not in unbuilt  # a figure not built yet has nothing to trace
    with pytest.raises(ValueError, match="provenance lacks upstream_job_s"):
        broken = {k: v for k, v in provenance.items() if k != "upstream_job_s"}
        render_report(cat, {"iclr-fig1": _verdict("iclr-fig1") | {"provenance": broken}}, figure_dir, header)
