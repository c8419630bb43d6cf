"""Jobs of the figure stage: one figure (numbers, drawing, verdict), its animation, and the report."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from gandiv.exact.quadrature import QuadratureError
from gandiv.figures import Context, figure_config_keys, figure_module
from gandiv.figures.catalogue import load_catalogue
from gandiv.report.html import collect_header, load_verdicts, render_report
from gandiv.results_io import write_figure, write_text

log = logging.getLogger("gandiv")


def build_figure(config, figure_id: str, inputs: dict, outputs: dict, provenance: dict | None = None) -> None:
    """Compute, draw and judge one figure (its module's recipe); write png, pdf, csv and the verdict json, whose
    record carries `provenance` when given (gandiv.report.provenance.figure_provenance)."""
    ctx = Context(config=config, settings=config["figures"][figure_id], inputs=inputs)
    module = figure_module(figure_id)
    try:
        computed = module.compute(ctx)
        fig, table, record = module.draw(computed, ctx), computed.table, module.judge(computed, ctx)
    except QuadratureError as error:
        keys = [k for k in figure_config_keys(figure_id, ctx.settings) if k.startswith(("targets.", "exact."))]
        raise QuadratureError(f"figure {figure_id!r}: an exact value cannot be certified ({error}); it reads config "
                              f"keys {', '.join(keys) or '(none)'}") from None
    log.info("%s: %s — %s", figure_id, record["verdict"], record["summary"])
    if provenance is not None:
        record = record | {"provenance": provenance}
        log.info("%s: config sha256 %s over %d keys of %d jobs, commit %s", figure_id, provenance["config_sha256"],
                 provenance["config_keys"], len(provenance["jobs"]), provenance["commit"])
    write_figure(fig, table, record, outputs["png"], outputs["pdf"], outputs["csv"], outputs["verdict"])


def build_animation(config, figure_id: str, inputs: dict, out_gif: str) -> None:
    """Render the animated companion of a figure (its module's ANIMATION), e.g. the Swiss-roll training as a GIF."""
    ctx = Context(config=config, settings=config["figures"][figure_id], inputs=inputs)
    figure_module(figure_id).ANIMATION.render(ctx, out_gif)
    log.info("wrote %s", out_gif)


def build_report(config, config_path: str, verdict_paths: list[str], figure_dir: str, benchmark_files: list[str],
                 out_html: str) -> None:
    """Render the self-contained HTML report over the whole catalogue; `config` is the validated config it hashes."""
    catalogue = load_catalogue()
    verdicts = load_verdicts(verdict_paths, catalogue)
    header = collect_header(config_path, benchmark_files, config=config.to_dict(), run_started=snakemake_run_started())
    write_text(out_html, render_report(catalogue, verdicts, Path(figure_dir), header))


def snakemake_run_started(workdir: str | Path = ".") -> float | None:
    """When the Snakemake run in `workdir` started (Unix seconds): the local time in the name of its newest log,
    .snakemake/log/<YYYY-MM-DDTHHMMSS.ffffff>.snakemake.log (Snakemake names each run's log by its start). None
    without such a log (a report built outside Snakemake)."""
    logs = sorted(Path(workdir, ".snakemake", "log").glob("*.snakemake.log"))
    for log_file in reversed(logs):
        try:
            return datetime.strptime(log_file.name.removesuffix(".snakemake.log"), "%Y-%m-%dT%H%M%S.%f").timestamp()
        except ValueError:
            continue
    return None
