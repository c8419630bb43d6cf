"""Compare two runs' outputs: every figure's tidy table and verdict, exactly or within per-column tolerances.

A run is a working directory of the workflow (its `figures/*.csv` and `results/verdicts/*.json`).
Tables are equal when their bytes are; otherwise they are compared cell by cell (same shape and
columns, text cells equal, numeric cells within the column's tolerance |a - b| <= atol + rtol |b|,
NaN equal to NaN). Every changed verdict and every changed deciding number is listed, and every figure whose
provenance says its jobs read other config values (a different config sha256; information, not a difference).

    python -m gandiv.report.compare OLD_RUN NEW_RUN [--tolerance COLUMN=ATOL[,RTOL] ...]

Exit status 0 when everything agrees, 1 when something differs, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gandiv.results_io import read_csv, read_json

TABLES = "figures/*.csv"
VERDICTS = "results/verdicts/*.json"


@dataclass(frozen=True)
class Tolerance:
    """Numeric cells a (old) and b (new) agree when |a - b| <= atol + rtol |a|."""

    atol: float = 0.0
    rtol: float = 0.0

    def agree(self, old: np.ndarray, new: np.ndarray) -> np.ndarray:
        both_nan = np.isnan(old) & np.isnan(new)
        with np.errstate(invalid="ignore"):
            close = np.abs(old - new) <= self.atol + self.rtol * np.abs(old)
        return both_nan | close | (old == new)  # == also makes equal infinities agree


@dataclass
class Comparison:
    """What differs between two runs, as lines a reader can act on."""

    identical: list[str] = field(default_factory=list)
    within_tolerance: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    config_changed: list[str] = field(default_factory=list)  # figures whose jobs read other config values

    @property
    def agree(self) -> bool:
        return not self.differences


def compare_tables(name: str, old: Path, new: Path, tolerances: dict[str, Tolerance], out: Comparison) -> None:
    """Compare one figure's table in the two runs."""
    if old.read_bytes() == new.read_bytes():
        out.identical.append(name)
        return
    a, b = read_csv(old), read_csv(new)
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        out.differences.append(f"{name}: shape or columns differ ({len(a)} x {list(a.columns)} -> "
                               f"{len(b)} x {list(b.columns)})")
        return
    changed = []
    for column in a.columns:
        x, y = a[column], b[column]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            ok = tolerances.get(column, Tolerance()).agree(x.to_numpy(float), y.to_numpy(float))
        else:  # text: equal strings, or missing in both (pandas' string dtype keeps NaN missing, and NaN != NaN)
            same = (x.astype(str) == y.astype(str)).fillna(False).to_numpy(dtype=bool)
            ok = same | (x.isna() & y.isna()).to_numpy()
        for row in np.flatnonzero(~ok)[:5]:
            changed.append(f"{name}: row {row} column {column}: {_shown(x.iloc[row])} -> {_shown(y.iloc[row])}")
        if (~ok).sum() > 5:
            changed.append(f"{name}: column {column}: {(~ok).sum() - 5} more cells differ")
    if changed:
        out.differences.extend(changed)
    else:
        out.within_tolerance.append(name)


def compare_verdicts(name: str, old: Path, new: Path, tolerance: Tolerance, out: Comparison) -> None:
    """Compare one figure's verdict: its status and each deciding number (by name)."""
    a, b = read_json(old, required=("verdict", "numbers")), read_json(new, required=("verdict", "numbers"))
    if a["verdict"] != b["verdict"]:
        out.differences.append(f"{name}: verdict {a['verdict']!r} -> {b['verdict']!r}")
    numbers_a = {n["name"]: n["value"] for n in a["numbers"]}
    numbers_b = {n["name"]: n["value"] for n in b["numbers"]}
    for key in sorted(set(numbers_a) | set(numbers_b)):
        x, y = numbers_a.get(key), numbers_b.get(key)
        if x is None or y is None:
            out.differences.append(f"{name}: deciding number {key!r} {'added' if x is None else 'removed'}")
        elif not tolerance.agree(np.array([_number(x)]), np.array([_number(y)]))[0]:
            out.differences.append(f"{name}: deciding number {key!r}: {x!r} -> {y!r}")
    if a.get("summary") != b.get("summary"):
        out.within_tolerance.append(f"{name}: summary text differs")
    hashes = [(record.get("provenance") or {}).get("config_sha256") for record in (a, b)]
    if None not in hashes and hashes[0] != hashes[1]:  # provenance: gandiv.report.provenance
        out.config_changed.append(f"{name}: config sha256 {hashes[0][:12]} -> {hashes[1][:12]}")


def _shown(value) -> str:
    """A cell as Python writes it (numpy scalars as plain numbers)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _number(value) -> float:
    return math.nan if value is None else float(value)


def compare_runs(old_run: Path, new_run: Path, tolerances: dict[str, Tolerance] | None = None) -> Comparison:
    """Compare every figure table and verdict of two runs; a file present in only one run is a difference."""
    tolerances = tolerances or {}
    out = Comparison()
    for pattern, compare in ((TABLES, compare_tables), (VERDICTS, compare_verdicts)):
        old_files = {p.name: p for p in old_run.glob(pattern)}
        new_files = {p.name: p for p in new_run.glob(pattern)}
        for name in sorted(set(old_files) | set(new_files)):
            label = f"{Path(pattern).parent}/{name}"
            if name not in new_files or name not in old_files:
                out.differences.append(f"{label}: only in {'old' if name in old_files else 'new'} run")
            elif compare is compare_tables:
                compare_tables(label, old_files[name], new_files[name], tolerances, out)
            else:
                compare_verdicts(label, old_files[name], new_files[name], tolerances.get("value", Tolerance()), out)
    return out


def parse_tolerance(text: str) -> tuple[str, Tolerance]:
    """COLUMN=ATOL or COLUMN=ATOL,RTOL -> (column, Tolerance); ValueError naming the expected form."""
    try:
        column, numbers = text.split("=", 1)
        parts = [float(x) for x in numbers.split(",")]
        if not column or len(parts) not in (1, 2) or min(parts) < 0:
            raise ValueError
    except ValueError:
        raise ValueError(f"--tolerance {text!r}: expected COLUMN=ATOL or COLUMN=ATOL,RTOL with non-negative numbers, "
                         "e.g. value=1e-12,1e-9") from None
    return column, Tolerance(*parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old_run", type=Path, help="working directory of the reference run")
    parser.add_argument("new_run", type=Path, help="working directory of the run to check")
    parser.add_argument("--tolerance", action="append", default=[], metavar="COLUMN=ATOL[,RTOL]",
                        help="per-column tolerance for numeric cells (column `value` also applies to verdict numbers)")
    args = parser.parse_args(argv)
    try:
        tolerances = dict(map(parse_tolerance, args.tolerance))
    except ValueError as error:
        parser.error(str(error))
    for run in (args.old_run, args.new_run):
        if not any(run.glob(TABLES)):
            parser.error(f"{run}: no {TABLES} (is it a run's working directory?)")
    result = compare_runs(args.old_run, args.new_run, tolerances)
    print(f"byte-identical tables: {len(result.identical)}; agreeing within tolerance: {len(result.within_tolerance)}; "
          f"differences: {len(result.differences)}")
    for line in result.within_tolerance:
        print(f"  ~ {line}")
    for line in result.differences:
        print(f"  ! {line}")
    if result.config_changed:
        print(f"figures whose jobs read other config values: {len(result.config_changed)}")
    for line in result.config_changed:
        print(f"  * {line}")
    return 0 if result.agree else 1


if __name__ == "__main__":
    sys.exit(main())
