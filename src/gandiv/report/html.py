"""The final report: one self-contained HTML page showing every catalogue figure, its claim and verdict."""

from __future__ import annotations

import base64
import hashlib
import html
import math
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from gandiv.figures import figure_module, has_report_table
from gandiv.figures.catalogue import Catalogue, load_catalogue
from gandiv.figures.verdicts import Verdict
from gandiv.pipeline.lineage import benchmark_label
from gandiv.report.provenance import benchmark_seconds, check_provenance, code_commit, config_sha256, package_versions
from gandiv.results_io import read_csv, read_json

__all__ = ["VERDICTS", "validate_verdict", "load_verdicts", "collect_header", "render_report"]

VERDICTS = tuple(v.value for v in Verdict)
_COLOURS = {  # badge background, text colour
    "reproduced": ("#1b7f3b", "#fff"),
    "partly": ("#e0a100", "#000"),
    "not reproduced": ("#b3261e", "#fff"),
    "inconclusive": ("#5b6ee1", "#fff"),
    "not built yet": ("#8a8f98", "#fff"),
}


def _esc(text: object) -> str:
    """HTML-escape any value's string form, quotes included."""
    return html.escape(str(text), quote=True)


def validate_verdict(record: dict, catalogue: Catalogue, origin: str = "verdict") -> dict:
    """Check one verdict record against the contract and return a normalised copy."""
    if not isinstance(record, dict):
        raise ValueError(f"{origin}: expected a JSON object, got {type(record).__name__}")
    fid = record.get("id")
    if fid not in catalogue.ids:
        raise ValueError(f"{origin}: figure id {fid!r} is not in the catalogue")
    verdict = record.get("verdict")
    if verdict not in VERDICTS:
        raise ValueError(f"{origin}: unknown verdict {verdict!r} for {fid!r}; expected one of {VERDICTS}")
    numbers = record.get("numbers") or []
    if not isinstance(numbers, list):
        raise ValueError(f"{origin}: 'numbers' of {fid!r} must be a list")
    clean = []
    for n in numbers:
        if not isinstance(n, dict) or "name" not in n or "value" not in n:
            raise ValueError(f"{origin}: each number of {fid!r} needs 'name' and 'value', got {n!r}")
        item = {"name": str(n["name"]), "value": n["value"], "unit": str(n.get("unit") or "")}
        if "threshold" in n:
            if n.get("passed") not in (True, False, None):
                raise ValueError(f"{origin}: 'passed' of {n['name']!r} ({fid!r}) must be true, false or null")
            item |= {"threshold": str(n["threshold"]), "passed": n.get("passed")}
        clean.append(item)
    out = {"id": fid, "verdict": verdict, "summary": str(record.get("summary") or ""), "numbers": clean}
    if "provenance" in record:  # written by every figure job (gandiv.report.provenance)
        check_provenance(record["provenance"], f"{origin} ({fid!r})")
        out["provenance"] = dict(record["provenance"])
    return out


def load_verdicts(paths: Iterable[str | Path], catalogue: Catalogue | None = None) -> dict[str, dict]:
    """Read verdict JSON files into {id: record}, validating each and refusing duplicate ids."""
    catalogue = catalogue or load_catalogue()
    out: dict[str, dict] = {}
    for path in paths:
        record = validate_verdict(read_json(path), catalogue, str(path))
        if record["id"] in out:
            raise ValueError(f"{path}: duplicate verdict for {record['id']!r}")
        out[record["id"]] = record
    return out


def collect_header(config_path: str | Path, benchmark_files: list[str | Path],
                   repo_dir: str | Path | None = None, config: dict | None = None,
                   run_started: float | None = None) -> dict:
    """Provenance for the report: git commit, config sha256, package versions and the build's time.

    The sha256 is of the validated `config` (defaults filled) as canonical JSON when it is given,
    else of the config file's bytes.

    Times come from Snakemake's per-job benchmark files of the jobs the report depends on (each written when its
    job ends, with the job's wall time `s`). `run_started` (Unix seconds) is when the Snakemake run that builds
    this report started: a job whose benchmark file was written after it ran in this run, any other was reused
    from an earlier run. Keys: run_wall_s (from run_started to now; None without run_started), ran and reused
    ({"n_jobs", "job_seconds", "jobs": benchmark paths}; without run_started every job counts as ran), and
    job_seconds ({job label: its wall time}, the label being the benchmark's path below benchmarks/ without .tsv).
    """
    config_path = Path(config_path)
    repo = Path(repo_dir) if repo_dir is not None else config_path.resolve().parent
    commit = code_commit(repo)
    ran, reused, job_seconds = _job_times([], 0.0), _job_times([], 0.0), {}
    for path in map(Path, benchmark_files):
        if path.is_file():
            group = reused if run_started is not None and path.stat().st_mtime < run_started else ran
            group["jobs"].append(str(path))
            job_seconds[benchmark_label(str(path))] = seconds = benchmark_seconds(path)
            group["job_seconds"] += seconds
            group["n_jobs"] += 1
    return {
        "commit": commit,
        "config_path": str(config_path),
        "config_sha256": hashlib.sha256(config_path.read_bytes()).hexdigest() if config is None else
        config_sha256(config),
        "versions": package_versions(),
        "run_wall_s": time.time() - run_started if run_started is not None else None,
        "ran": ran, "reused": reused, "job_seconds": job_seconds,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _job_times(jobs: list[str], seconds: float) -> dict:
    return {"n_jobs": len(jobs), "job_seconds": seconds, "jobs": jobs}


def _fmt_value(value: object) -> str:
    """A number for the table: 6 significant digits for floats, as-is otherwise."""
    if isinstance(value, bool) or value is None:
        return "\u2014" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(value) if not math.isfinite(value) else f"{value:.6g}"
    return str(value)


def _fmt_runtime(seconds: float | None) -> str:
    """Seconds as 'h min s' plus the raw value."""
    if seconds is None:
        return "n/a"
    s = int(round(seconds))
    return f"{s // 3600} h {s % 3600 // 60:02d} min {s % 60:02d} s ({seconds:.0f} s)"


def _times_html(header: dict) -> str:
    """This run's wall time, the job-seconds of the jobs it ran and of those it reused (listed)."""
    ran, reused = header.get("ran") or _job_times([], 0.0), header.get("reused") or _job_times([], 0.0)
    wall = header.get("run_wall_s")
    text = (f"this run: {_esc(_fmt_runtime(wall))} wall from Snakemake's start to this report"
            if wall is not None else "this run's start is unknown (no Snakemake log)")
    text += (f"; {ran['n_jobs']} jobs ran in it, {_esc(_fmt_runtime(ran['job_seconds']))} of job time; "
             f"{reused['n_jobs']} reused from earlier runs ({_esc(_fmt_runtime(reused['job_seconds']))})")
    if reused["jobs"]:
        items = "".join(f"<li><code>{_esc(job)}</code></li>" for job in reused["jobs"])
        text += f'<details class="reused"><summary>reused jobs</summary><ul>{items}</ul></details>'
    return text


def _passed_cell(number: dict) -> str:
    """The pass/fail cell of a deciding number (empty for a number only reported)."""
    if "threshold" not in number:
        return "<td></td>"
    passed = number.get("passed")
    label, colour = {True: ("pass", "#1b7f3b"), False: ("fail", "#b3261e"), None: ("not tested", "#8a8f98")}[passed]
    return f'<td class="passed" data-passed="{_esc(label)}" style="color:{colour};font-weight:600">{label}</td>'


def _badge(verdict: str) -> str:
    """A coloured verdict label."""
    bg, fg = _COLOURS[verdict]
    return f'<span class="badge" style="background:{bg};color:{fg}">{_esc(verdict)}</span>'


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1000px;margin:2em auto 2em 300px;
padding:0 1em;line-height:1.5;color:#222}
nav#contents{position:fixed;top:0;left:0;bottom:0;width:270px;overflow-y:auto;background:#fafafa;
border-right:1px solid #ddd;padding:.8em;box-sizing:border-box;font-size:.85em}
nav#contents ol{padding-left:1.4em;margin:.4em 0}nav#contents a{text-decoration:none}
nav#contents .dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:.3em}
@media (max-width:900px){body{margin:4.5em auto 2em}nav#contents{bottom:auto;right:0;width:auto;max-height:4em;
border-right:none;border-bottom:1px solid #ddd}nav#contents:hover,nav#contents:focus-within{max-height:70vh}}
img.zoomable{cursor:zoom-in}
#zoom{display:none;position:fixed;inset:0;background:rgba(0,0,0,.85);z-index:10;cursor:zoom-out;
align-items:center;justify-content:center}
#zoom.open{display:flex}#zoom img{max-width:98vw;max-height:96vh;background:#fff}
.files{font-size:.9em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:0}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05em .6em;border-radius:.8em;font-size:.85em;font-weight:600;white-space:nowrap}
section.fig{border:1px solid #ddd;border-left:6px solid var(--c);border-radius:4px;padding:1em 1.2em;margin:1.5em 0}
section.fig img{max-width:100%;height:auto;border:1px solid #eee}
.meta{color:#555;font-size:.9em}.missing{color:#777;font-style:italic}
.provenance{color:#444;font-size:.85em;border-top:1px solid #eee;padding-top:.4em}
ol.toc li{margin:.15em 0}code{font-size:.9em}
"""


def _header_html(header: dict) -> str:
    """The provenance table."""
    versions = header.get("versions") or {}
    rows = [
        ("git commit", f"<code>{_esc(header.get('commit', 'unknown'))}</code>"),
        ("config", f"<code>{_esc(header.get('config_path', ''))}</code>"),
        ("config sha256", f"<code>{_esc(header.get('config_sha256', ''))}</code>"),
        ("run time", _times_html(header)),
        ("generated at", _esc(header.get("generated_at", ""))),
        ("versions", ", ".join(f"{_esc(k)} {_esc(v)}" for k, v in versions.items())),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="header">{body}</table>'


def _table_html(figure_id: str, csv: Path) -> str:
    """The figure's numbers as an HTML table, for a figure module with `report_table` whose CSV exists ("" else)."""
    if not has_report_table(figure_id) or not csv.is_file():
        return ""
    table = figure_module(figure_id).report_table(read_csv(csv))
    return table.to_html(index=False, escape=True, border=0, classes="numbers")


def _image(path: Path, alt: str) -> str:
    """An image inlined as a data URI (png or gif), enlarged by a click (the page's script)."""
    kind = {".png": "png", ".gif": "gif"}[path.suffix]
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img class="zoomable" alt="{_esc(alt)}" src="data:image/{kind};base64,{data}">'


# Click a figure: shown over the page at the window's size; click again or press Escape to close.
_SCRIPT = """
const zoom = document.getElementById("zoom");
document.querySelectorAll("img.zoomable").forEach(img => img.addEventListener("click", () => {
  const big = zoom.querySelector("img") || zoom.appendChild(document.createElement("img"));
  big.src = img.src; big.alt = img.alt; zoom.classList.add("open");
}));
zoom.addEventListener("click", () => zoom.classList.remove("open"));
document.addEventListener("keydown", e => { if (e.key === "Escape") zoom.classList.remove("open"); });
"""


def _provenance_html(figure_id: str, record: dict, header: dict) -> str:
    """Where a figure's numbers come from (its verdict record's provenance), with its jobs' run time: the upstream
    jobs' (recorded by the figure job) plus the figure's own job and its animation's (from this build's benchmarks)."""
    prov = record.get("provenance")
    if prov is None:
        return '<p class="provenance missing">Provenance: not recorded (no figure job wrote this record).</p>'
    times = header.get("job_seconds") or {}
    own = [times[label] for label in (f"figure/{figure_id}", f"animation/{figure_id}") if label in times]
    total = prov["upstream_job_s"] + sum(own)
    runtime = (f"{_esc(_fmt_runtime(total))} over {len(prov['jobs']) + len(own) - 1} jobs (upstream "
               f"{prov['upstream_job_s']:.0f} s, this figure's {sum(own):.0f} s)" if own else
               f"upstream {_esc(_fmt_runtime(prov['upstream_job_s']))}; this figure's job time unknown")
    jobs = "".join(f"<li><code>{_esc(job)}</code></li>" for job in prov["jobs"])
    folders = "".join(f"<li><code>{_esc(folder)}</code></li>" for folder in prov["run_folders"])
    versions = ", ".join(f"{_esc(k)} {_esc(v)}" for k, v in prov["versions"].items())
    return (
        f'<div class="provenance"><b>Provenance.</b> commit <code>{_esc(prov["commit"])}</code> · config sha256 '
        f'<code title="{_esc(prov["config_sha256"])}">{_esc(prov["config_sha256"][:16])}</code> over the '
        f'{prov["config_keys"]} config keys its jobs read · run time {runtime}'
        f"<details><summary>{len(prov['jobs'])} jobs, {len(prov['run_folders'])} run folders, versions</summary>"
        f"<p>{versions}</p><ol>{jobs}</ol><ul>{folders}</ul></details></div>"
    )


def _section(entry, catalogue: Catalogue, record: dict, figure_dir: Path, header: dict) -> str:
    """One figure's section: claim, figure, numbers, summary, verdict."""
    verdict = record["verdict"]
    src = catalogue.sources[entry.source]
    also = "".join(f"; see also {_esc(catalogue.sources[k].citation())}" for k in entry.also)
    png = figure_dir / f"{entry.id}.png"
    if png.is_file():
        fig = _image(png, entry.id)
        links = [f'<a href="{_esc(path.name)}">{_esc(path.suffix[1:].upper())}</a>'
                 for path in (figure_dir / f"{entry.id}.pdf", figure_dir / f"{entry.id}.csv") if path.is_file()]
        fig += f'<p class="files">Click the figure to enlarge it. Files: {" · ".join(links) or "none"}.</p>'
    else:
        fig = f'<p class="missing">No figure file {_esc(png.name)}.</p>'
    gif = figure_dir / f"{entry.id}.gif"
    if gif.is_file():
        fig += f'<p><b>Animation</b> (<a href="{_esc(gif.name)}">GIF</a>):</p>{_image(gif, entry.id + " animation")}'
    fig += _table_html(entry.id, figure_dir / f"{entry.id}.csv")
    if record["numbers"]:
        rows = "".join(
            f"<tr><td>{_esc(n['name'])}</td><td class=\"num\">{_esc(_fmt_value(n['value']))}</td>"
            f"<td>{_esc(n['unit'])}</td><td>{_esc(n.get('threshold', ''))}</td>{_passed_cell(n)}</tr>"
            for n in record["numbers"])
        numbers = (f"<table><tr><th>name</th><th>value</th><th>unit</th><th>threshold</th><th>passed</th></tr>"
                   f"{rows}</table>")
    else:
        numbers = '<p class="missing">No deciding numbers yet.</p>'
    summary = _esc(record["summary"]) if record["summary"] else '<span class="missing">not built yet</span>'
    return (
        f'<section class="fig" id="fig-{_esc(entry.id)}" style="--c:{_COLOURS[verdict][0]}">'
        f"<h2><code>{_esc(entry.id)}</code> \u2014 {_esc(entry.title)} {_badge(verdict)}</h2>"
        f'<p class="meta">Source: {_esc(src.citation())}, {_esc(src.kind)}'
        f"{' (' + _esc(src.ref) + ')' if src.ref else ''}{also}.</p>"
        f"<p><b>Claim.</b> {_esc(entry.claim)}</p>"
        f"<p><b>What we build.</b> {_esc(entry.build)}</p>"
        f"{fig}"
        f"<h3>Deciding numbers</h3>{numbers}"
        f"<p><b>Verdict rule.</b> {_esc(entry.verdict_rule)}</p>"
        f"<p><b>What we found.</b> {summary}</p>"
        f"<p><b>Verdict:</b> {_badge(verdict)}</p>"
        f"{_provenance_html(entry.id, record, header) if verdict != 'not built yet' else ''}</section>"
    )


def render_report(catalogue: Catalogue, verdicts: dict[str, dict], figure_dir: Path, header: dict) -> str:
    """Render the whole catalogue as one self-contained HTML page (images inlined as data URIs)."""
    figure_dir = Path(figure_dir)
    records = {}
    for key, rec in verdicts.items():
        rec = validate_verdict(rec, catalogue, f"verdict {key!r}")
        if rec["id"] != key:
            raise ValueError(f"verdict keyed {key!r} carries id {rec['id']!r}")
        records[key] = rec
    for fid in catalogue.ids:
        records.setdefault(fid, {"id": fid, "verdict": "not built yet", "summary": "", "numbers": []})
    counts = Counter(records[f]["verdict"] for f in catalogue.ids)
    count_rows = "".join(f"<tr><td>{_badge(v)}</td><td class=\"num\" data-verdict=\"{_esc(v)}\">{counts[v]}</td></tr>"
                         for v in VERDICTS)
    summary = (f'<table class="summary"><tr><th>verdict</th><th>figures</th></tr>{count_rows}'
               f'<tr><th>total</th><td class="num">{len(catalogue.ids)}</td></tr></table>')
    toc = "".join(f'<li><a href="#fig-{_esc(e.id)}"><code>{_esc(e.id)}</code></a> {_esc(e.title)} '
                  f'{_badge(records[e.id]["verdict"])}</li>' for e in catalogue.figures)
    bar = "".join(f'<li><a href="#fig-{_esc(e.id)}" title="{_esc(records[e.id]["verdict"])}"><span class="dot" '
                  f'style="background:{_COLOURS[records[e.id]["verdict"]][0]}"></span>{_esc(e.id)}</a></li>'
                  for e in catalogue.figures)
    nav = (f'<nav id="contents"><b><a href="#top">Contents</a></b> · <a href="#summary">summary</a>'
           f'<ol>{bar}</ol></nav>')
    sections = "".join(_section(e, catalogue, records[e.id], figure_dir, header) for e in catalogue.figures)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>Replication report: How (not) to train your generative model</title>"
        f'<style>{_CSS}</style></head><body id="top">{nav}'
        "<h1>Replication report: \u201cHow (not) to train your generative model\u201d and texts around it</h1>"
        f'{_header_html(header)}<h2 id="summary">Summary</h2>{summary}'
        f'<h2>Contents</h2><ol class="toc">{toc}</ol>{sections}'
        f'<div id="zoom" role="dialog" aria-label="enlarged figure"></div>'
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
