"""What a job may read from the config: the keys its rule declared, and a record of what it did read.

Each Snakemake rule declares the config keys its job reads, once, as `params` (PyPSA-Eur's
habit): `job_config(config, keys)` cuts those keys out of the validated config. Snakemake
reruns a job when its params change, so a job reruns exactly when a value it reads changes,
provided the declaration matches the code. The job itself sees the cut-out config only
through a `ConfigView`, which

- raises `UndeclaredConfigKey`, naming the key and the declared ones, on any key the rule
  did not declare (so the code cannot read more than the declaration), and
- records every value the code reads (dotted paths), which the workflow test compares with
  the declarations (so the declaration cannot claim more than the code reads).

A path is dotted, with list indices in brackets: `gan.grid[0].pi`, `targets.bimodal_1d.weights`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

RECORD_ENV = "GANDIV_RECORD_CONFIG_READS"  # a folder where each job writes its reads (set by the workflow test)


class UndeclaredConfigKey(KeyError):
    """A job read a config key its rule did not declare in `params`."""

    def __str__(self) -> str:
        return self.args[0]


def _join(path: str, key) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


def _split(dotted: str) -> list:
    """`a.b[0].c` -> ['a', 'b', 0, 'c']."""
    parts = []
    for piece in dotted.split("."):
        name, *indices = piece.split("[")
        if name:
            parts.append(name)
        parts += [int(i.rstrip("]")) for i in indices]
    return parts


def job_config(config: Mapping, keys: list[str]) -> dict:
    """The part of `config` under the dotted `keys`, as one nested dict (keys absent from config are left out).

    Keys are sorted at every level, so the result (a Snakemake param, compared by its text) does not
    depend on the order of the keys in the config file.
    """
    out: dict = {}
    for dotted in keys:
        node, parts = config, _split(dotted)
        try:
            for part in parts:
                node = node[part]
        except (KeyError, IndexError, TypeError):
            continue  # an optional key this config does not set; reading it yields the view's default
        target = out
        for part, nxt in zip(parts[:-1], parts[1:]):
            if isinstance(part, int):
                raise ValueError(f"job_config: declare list entries whole, not {dotted!r}")
            target = target.setdefault(part, [] if isinstance(nxt, int) else {})
        target[parts[-1]] = node
    return _sorted(out)


def _sorted(node):
    if isinstance(node, Mapping):
        return {k: _sorted(node[k]) for k in sorted(node)}
    if isinstance(node, list):
        return [_sorted(v) for v in node]
    return node


class ConfigView(Mapping):
    """Read-only view of a job's declared config; see the module docstring.

    `declared` are the dotted keys the rule declared; `reads` (shared by nested views) collects
    the dotted path of every leaf value read and of every list of scalars read whole.
    """

    def __init__(self, data: Mapping, declared: list[str], path: str = "", reads: set | None = None):
        self._data, self._declared, self._path = data, list(declared), path
        self.reads = reads if reads is not None else set()

    def _is_declared(self, path: str) -> bool:
        return any(path == d or path.startswith((d + ".", d + "[")) or d.startswith((path + ".", path + "["))
                   for d in self._declared)

    def _check(self, key) -> str:
        path = _join(self._path, key)
        if not self._is_declared(path):
            raise UndeclaredConfigKey(
                f"config key '{path}' is read by this job but not declared by its rule; declared: "
                f"{', '.join(self._declared) or '(none)'} (add it to the rule's params in workflow/rules/*.smk)")
        return path

    def _wrap(self, value, path: str):
        if isinstance(value, Mapping):
            return ConfigView(value, self._declared, path, self.reads)
        if isinstance(value, list) and any(isinstance(v, (Mapping, list)) for v in value):
            return ListView(value, self._declared, path, self.reads)
        self.reads.add(path)
        return list(value) if isinstance(value, list) else value

    def __getitem__(self, key):
        path = self._check(key)
        return self._wrap(self._data[key], path)

    def get(self, key, default=None):
        path = self._check(key)
        return self._wrap(self._data[key], path) if key in self._data else default

    def __contains__(self, key) -> bool:
        self._check(key)
        return key in self._data

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __or__(self, other: Mapping) -> dict:
        return {**self, **other}

    def to_dict(self) -> dict:
        """A plain nested copy (every value counts as read)."""
        return {k: _plain(v) for k, v in self.items()}


class ListView(Sequence):
    """A list of config entries (e.g. `gan.grid`) seen through the same declarations and record."""

    def __init__(self, data: list, declared: list[str], path: str, reads: set):
        self._data, self._view = data, ConfigView({}, declared, path, reads)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._data)))]
        return self._view._wrap(self._data[index], _join(self._view._path, index))

    def __len__(self) -> int:
        return len(self._data)


def _plain(value):
    if isinstance(value, ConfigView):
        return value.to_dict()
    if isinstance(value, ListView):
        return [_plain(v) for v in value]
    return value


def recording() -> bool:
    """Whether this job records what it reads ($GANDIV_RECORD_CONFIG_READS is set: the workflow test)."""
    return bool(os.environ.get(RECORD_ENV))


def record_reads(view: ConfigView, job: str, **files) -> None:
    """Write {"job": job, "reads": [...], **files} into the folder named by $GANDIV_RECORD_CONFIG_READS, if set.

    `job` names the job by its first output file; one file per job, so parallel jobs never share one.
    `files` are lists of paths (the files the job opened, its declared inputs and outputs).
    """
    folder = os.environ.get(RECORD_ENV)
    if folder:
        name = job.replace("/", "__") + ".json"
        record = {"job": job, "reads": sorted(view.reads)} | {k: sorted(map(str, v)) for k, v in files.items()}
        (Path(folder) / name).write_text(json.dumps(record) + "\n")
