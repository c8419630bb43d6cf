"""The README's results table is generated from verdict records: every id, its verdict, its deciding numbers."""

import pytest

from gandiv.figures.catalogue import load_catalogue
from gandiv.figures.recipe import verdict
from gandiv.report.results_table import RESULTS_BEGIN, RESULTS_END, render_table, replace_block


def test_every_id_gets_a_row_with_its_verdict_and_only_its_deciding_numbers():
    cat = load_catalogue()
    records = {"gan-grid": verdict("gan-grid", "inconclusive", "s", [("seeds", 3, "seeds", ">= 5", False),
                                                                     ("reported", 1.5, "nats")]),
               "w-vs-kl": verdict("w-vs-kl", "reproduced", "s", [("W of pair 1", 2.0, "", "= 2.0 to 1e-12", True)])}
    table = render_table(cat, records)
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(cat.ids)
    grid = next(row for row in rows if row.startswith("| `gan-grid`"))
    assert "| inconclusive |" in grid and "seeds = 3 seeds (>= 5: **fail**)" in grid and "reported" not in grid
    assert "W of pair 1 = 2 (= 2.0 to 1e-12: pass)" in table
    others = [row for row in rows if "not built yet" in row]
    assert len(others) == len(cat.ids) - 2
    assert f"{len(cat.ids)} figures: {len(cat.ids) - 2} not built yet, 1 inconclusive, 1 reproduced." in table


def test_the_readme_block_is_replaced_between_its_markers_only():
    readme = f"intro\n{RESULTS_BEGIN}\nold table\n{RESULTS_END}\nrest\n"
    new = replace_block(readme, "| new |\n")
    assert new.startswith("intro\n" + RESULTS_BEGIN) and new.endswith(RESULTS_END + "\nrest\n")
    assert "old table" not in new and "| new |" in new
    assert replace_block(new, "| new |\n") == new  # idempotent
    with pytest.raises(ValueError, match="markers"):
        replace_block("no markers here", "| new |\n")
