"""Comparing two runs' outputs (gandiv.report.compare): it must notice every change it is not told to forgive."""

import json

import pandas as pd
import pytest

from gandiv.report.compare import Tolerance, compare_runs, main, parse_tolerance

TABLE = pd.DataFrame({"pi": [0.1, 0.5], "quantity": ["kl_pq", "kl_qp"], "value": [0.25, float("nan")],
                      "unit": ["nats", "nats"], "note": ["", "grid too coarse"]})  # an empty cell reads back missing
VERDICT = {"id": "fig", "verdict": "reproduced", "summary": "s",
           "numbers": [{"name": "ratio", "value": 0.5, "unit": ""}]}


def _run(folder, table=TABLE, verdict=VERDICT):
    (folder / "figures").mkdir(parents=True)
    (folder / "results" / "verdicts").mkdir(parents=True)
    table.to_csv(folder / "figures" / "fig.csv", index=False, float_format="%.10g")
    (folder / "results" / "verdicts" / "fig.json").write_text(json.dumps(verdict))
    return folder


def test_a_run_agrees_with_its_copy_byte_for_byte(tmp_path):
    result = compare_runs(_run(tmp_path / "a"), _run(tmp_path / "b"))
    assert result.agree and result.identical == ["figures/fig.csv"]


def test_missing_text_cells_agree_and_a_note_that_appears_is_a_difference(tmp_path):
    moved = TABLE.assign(value=[0.2500001, float("nan")])  # not byte-identical: compared cell by cell
    result = compare_runs(_run(tmp_path / "a"), _run(tmp_path / "b", moved), {"value": Tolerance(1e-6)})
    assert result.agree and result.within_tolerance == ["figures/fig.csv"]
    noted = TABLE.assign(note=["now noted", "grid too coarse"])
    assert compare_runs(_run(tmp_path / "c"), _run(tmp_path / "d", noted)).differences == [
        "figures/fig.csv: row 0 column note: nan -> 'now noted'"]


def test_a_changed_number_is_listed_unless_its_column_tolerates_it(tmp_path):
    moved = TABLE.assign(value=[0.25 + 1e-8, float("nan")])
    old, new = _run(tmp_path / "a"), _run(tmp_path / "b", moved)
    result = compare_runs(old, new)
    assert not result.agree and "row 0 column value" in result.differences[0]
    assert compare_runs(old, new, {"value": Tolerance(atol=1e-7)}).agree
    assert not compare_runs(old, new, {"value": Tolerance(atol=1e-9)}).agree


def test_nan_becoming_a_number_and_changed_text_are_differences(tmp_path):
    changed = TABLE.assign(value=[0.25, 0.0], quantity=["kl_pq", "js"])
    result = compare_runs(_run(tmp_path / "a"), _run(tmp_path / "b", changed), {"value": Tolerance(1.0, 1.0)})
    assert {line.split(": ")[1].split(" column ")[1] for line in result.differences} == {"quantity", "value"}


def test_changed_verdicts_and_deciding_numbers_are_listed(tmp_path):
    flipped = VERDICT | {"verdict": "partly", "numbers": [{"name": "ratio", "value": 0.7, "unit": ""}]}
    result = compare_runs(_run(tmp_path / "a"), _run(tmp_path / "b", verdict=flipped))
    assert "results/verdicts/fig.json: verdict 'reproduced' -> 'partly'" in result.differences
    assert any("deciding number 'ratio': 0.5 -> 0.7" in line for line in result.differences)


def test_a_figure_missing_from_one_run_is_a_difference(tmp_path):
    old, new = _run(tmp_path / "a"), _run(tmp_path / "b")
    (new / "figures" / "fig.csv").unlink()
    (new / "figures" / "other.csv").write_text("quantity,value,unit\n")
    assert {line for line in compare_runs(old, new).differences} == {
        "figures/fig.csv: only in old run", "figures/other.csv: only in new run"}


def test_command_line_exit_status_and_bad_tolerance(tmp_path, capsys):
    old, new = _run(tmp_path / "a"), _run(tmp_path / "b", TABLE.assign(value=[1.0, float("nan")]))
    assert main([str(old), str(old)]) == 0
    assert main([str(old), str(new)]) == 1
    assert "! figures/fig.csv: row 0 column value: 0.25 -> 1.0" in capsys.readouterr().out
    with pytest.raises(ValueError, match="COLUMN=ATOL"):
        parse_tolerance("value=-1")
    with pytest.raises(SystemExit):
        main([str(old), str(new), "--tolerance", "value"])


def test_figures_whose_jobs_read_other_config_values_are_named(tmp_path):
    provenance = {"config_sha256": "a" * 64}
    old = _run(tmp_path / "a", verdict=VERDICT | {"provenance": provenance})
    same = _run(tmp_path / "b", verdict=VERDICT | {"provenance": provenance})
    moved = _run(tmp_path / "c", verdict=VERDICT | {"provenance": {"config_sha256": "b" * 64}})
    assert compare_runs(old, same).config_changed == []
    result = compare_runs(old, moved)
    assert result.agree  # the same numbers from other config values: information, not a difference
    assert result.config_changed == [f"results/verdicts/fig.json: config sha256 {'a' * 12} -> {'b' * 12}"]
    assert compare_runs(_run(tmp_path / "d"), moved).config_changed == []  # a record without provenance: unknown
