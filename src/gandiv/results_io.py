"""Reading and writing the pipeline's intermediate files (json, csv, npz, Keras weights, text).

Writers are atomic: each writes a temporary file in the target's folder (`<name>.tmp`, or
`tmp-<name>` for Keras weights, whose loader insists on the `.weights.h5` ending) and renames
it over the target with `os.replace`, so a job killed midway leaves the old file or none, never
half of one; a write that fails removes its temporary file.

Readers turn any failure to parse a file (truncated, empty, not of its format, lacking keys or
columns the caller requires) into `CorruptResultError`, and a missing file into
`MissingResultError`; both name the file and say how to redo it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shlex
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

__all__ = ["ResultFileError", "CorruptResultError", "MissingResultError", "atomic_path", "atomic_write",
           "write_text", "write_json", "write_csv", "write_npz", "save_weights", "read_text", "read_json",
           "read_csv", "read_npz", "load_weights", "read_gan_run"]


class ResultFileError(Exception):
    """An intermediate file that a job or figure needs cannot be used."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(self._message())

    def __reduce__(self):
        return type(self), (self.path, self.reason)

    def _message(self) -> str:
        return f"{self.path}: {self.reason}"


class CorruptResultError(ResultFileError, ValueError):
    """The file exists but cannot be parsed: truncated, empty, of another format, or lacking what is required."""

    def _message(self) -> str:
        return (f"{self.path}: cannot be read ({self.reason}); delete it and run Snakemake again to redo the job "
                f"that writes it (rm {shlex.quote(self.path)})")


class MissingResultError(ResultFileError, FileNotFoundError):
    """The file does not exist (its job has not run, or the file was removed)."""

    def __init__(self, path: str | os.PathLike, reason: str = "no such file"):
        super().__init__(path, reason)

    def _message(self) -> str:
        return (f"{self.path}: missing ({self.reason}); run Snakemake again to make it with the job that writes it")


# ------------------------------------------------------------------------------------------------
# writing


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, prefix: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it over `path`, on failure remove it.

    The temporary file is `<path>.tmp`, or `tmp-<name>` in the same folder with `prefix=True`
    (for writers that insist on the file's ending). The folder is created if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"tmp-{path.name}") if prefix else path.with_name(f"{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object], prefix: bool = False) -> None:
    """Call `write(tmp)` to write a temporary file, then rename it over `path` (see `atomic_path`)."""
    with atomic_path(path, prefix) as tmp:
        write(tmp)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` (UTF-8) atomically."""
    data = text.encode("utf-8")  # encode first: a failure leaves no file at all
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_json(path: str | os.PathLike, record, default: Callable | None = None) -> None:
    """Write `record` as JSON with indent 2 and a trailing newline, atomically.

    The record is serialised in memory first, so an object JSON cannot encode leaves no file.
    """
    write_text(path, json.dumps(record, indent=2, default=default) + "\n")


def write_csv(path: str | os.PathLike, frame: pd.DataFrame, float_format: str) -> None:
    """Write a DataFrame as CSV without its index, floats in `float_format`, atomically."""
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format=float_format))


def write_npz(path: str | os.PathLike, **arrays) -> None:
    """Write named arrays as an uncompressed .npz, atomically."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    atomic_write(path, write)


def save_weights(network, path: str | os.PathLike) -> None:
    """Save a Keras model's weights (`*.weights.h5`) atomically, through `tmp-<name>` in the same folder."""
    atomic_write(path, network.save_weights, prefix=True)


# ------------------------------------------------------------------------------------------------
# reading


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _existing(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise MissingResultError(path)
    if not p.is_file():
        raise CorruptResultError(path, "not a regular file")
    return p


def _read_bytes(path: str | os.PathLike) -> bytes:
    p = _existing(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise MissingResultError(path) from exc
    except OSError as exc:
        raise CorruptResultError(path, _reason(exc)) from exc
    if not data:
        raise CorruptResultError(path, "empty file")
    return data


def _require(path, found: Iterable[str], required: Iterable[str], what: str) -> None:
    found = set(found)
    missing = [k for k in required if k not in found]
    if missing:
        raise CorruptResultError(path, f"missing {what} {', '.join(map(repr, missing))}")


def read_text(path: str | os.PathLike) -> str:
    """The file's text (UTF-8); an empty or undecodable file is corrupt."""
    data = _read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptResultError(path, f"not UTF-8 text: {exc}") from exc


def read_json(path: str | os.PathLike, required: Iterable[str] = ()):
    """The parsed JSON; with `required`, the top level must be an object holding those keys."""
    text = read_text(path)
    try:
        record = json.loads(text)
    except ValueError as exc:  # json.JSONDecodeError
        raise CorruptResultError(path, str(exc)) from exc
    required = tuple(required)
    if required:
        if not isinstance(record, dict):
            raise CorruptResultError(path, f"expected a JSON object, got {type(record).__name__}")
        _require(path, record, required, "key")
    return record


def read_csv(path: str | os.PathLike, required: Iterable[str] = (), sep: str = ",", **kwargs) -> pd.DataFrame:
    """The CSV as a DataFrame (`pd.read_csv(path, sep=sep, **kwargs)`), checked whole first.

    Corrupt: empty, not UTF-8, no trailing newline (a cut-off last line), a row whose number of
    fields differs from the header's, a parse error, or a missing `required` column.
    """
    text = read_text(path)
    if not text.endswith("\n"):
        raise CorruptResultError(path, "the last line is incomplete (no trailing newline): the file was cut off")
    try:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        header = next(rows)
        for number, row in enumerate(rows, start=2):
            if row and len(row) != len(header):
                raise CorruptResultError(path, f"line {number} has {len(row)} fields, the header {len(header)}")
    except csv.Error as exc:
        raise CorruptResultError(path, f"not CSV: {exc}") from exc
    try:
        table = pd.read_csv(path, sep=sep, **kwargs)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CorruptResultError(path, _reason(exc)) from exc
    _require(path, table.columns, required, "column")
    return table


def read_npz(path: str | os.PathLike, required: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """Every array of an .npz, read now (so a damaged member fails here, not later), as {name: array}."""
    _read_bytes(path)  # missing or empty
    try:
        loaded = np.load(path)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise CorruptResultError(path, "a single .npy array, not an .npz archive")
        with loaded as npz:
            arrays = {name: npz[name] for name in npz.files}
    except CorruptResultError:
        raise
    except Exception as exc:  # BadZipFile, EOFError, ValueError (pickled data), zlib.error, CRC errors, ...
        raise CorruptResultError(path, _reason(exc)) from exc
    _require(path, arrays, required, "array")
    return arrays


def load_weights(network, path: str | os.PathLike) -> None:
    """Load Keras weights (`*.weights.h5`) into `network`; a file that does not load is corrupt."""
    _read_bytes(path)  # missing or empty
    try:
        network.load_weights(path)
    except Exception as exc:  # h5py's OSError for a truncated or foreign file, Keras' ValueError for a mismatch
        raise CorruptResultError(path, _reason(exc)) from exc


# ----------------------------------------------------------------- a figure's outputs

TIDY_COLUMNS = ("quantity", "value", "unit")  # further columns (exact, error) may stand beside value


def check_tidy(data: pd.DataFrame) -> None:
    """Every figure table names each number by `quantity` and `unit`, one number per row."""
    missing = [c for c in TIDY_COLUMNS if c not in data.columns]
    if missing:
        raise ValueError(f"figure table must end with columns {TIDY_COLUMNS}, got {list(data.columns)}")


def write_figure(fig, data: pd.DataFrame, verdict: dict, png: str, pdf: str, csv: str, verdict_json: str) -> None:
    """Write a figure (a matplotlib Figure, closed after), its tidy table and its verdict; each file appears whole or
    not at all. PNG and PDF carry no creation date or software version, so a rebuild gives the same bytes."""
    import matplotlib.pyplot as plt  # only the figure jobs write figures

    check_tidy(data)
    atomic_write(png, lambda p: fig.savefig(p, format="png", dpi=150, metadata={"Software": None}))
    atomic_write(pdf, lambda p: fig.savefig(p, format="pdf", metadata={"CreationDate": None, "Creator": None,
                                                                         "Producer": None}))
    plt.close(fig)
    write_csv(csv, data, float_format="%.10g")
    write_json(verdict_json, verdict, default=float)


# ----------------------------------------------------------------- a GAN run's files (named by gandiv.gan.runs)

GAN_STATUS_KEYS = ("target", "generator", "rule", "pi", "seed", "diverged")  # in every run's status.json
GAN_SNAPSHOT_ARRAYS = ("steps", "samples", "probe_points", "probe_logits")  # in every run's snapshots.npz


def read_gan_run(status_path: str | os.PathLike, snapshots_path: str | os.PathLike) -> tuple[dict, dict]:
    """One trained GAN run: its status record (what names it, whether it diverged) and its snapshot arrays.

    Snapshots: steps (S,), fixed-z samples (S, n, d), probe_points (n_probe, d) and the discriminator's
    probe_logits (S, n_probe), among others. Raises CorruptResultError if either file lacks one of
    GAN_STATUS_KEYS / GAN_SNAPSHOT_ARRAYS, MissingResultError if one is missing.
    """
    return read_json(status_path, required=GAN_STATUS_KEYS), read_npz(snapshots_path, required=GAN_SNAPSHOT_ARRAYS)

