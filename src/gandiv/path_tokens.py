"""How numbers become parts of file paths (Snakemake wildcards) and back, without losing a bit.

A run's folder names its numbers (``pi0.2``, ``seed0``, ``epsilon0.5``), and the job that
trains the run reads them back from the path. The token must therefore round-trip exactly:
``float(number_token(x)) == x`` for every finite float. ``f"{x:g}"`` does not (0.1234561 and
0.1234564 both become ``0.123456``; 0.9999999 becomes ``1``), so the short ``:g`` form is used
only where it round-trips and Python's shortest exact ``repr`` otherwise. The map is one-to-one:
two different numbers never share a folder (gandiv.pipeline.wildcards.check_path_tokens checks
every such number of a config).
"""

from __future__ import annotations

import math
import numbers


def number_token(value: float) -> str:
    """The path token of a finite number: ``:g`` where that parses back to `value` exactly, else ``repr``.

    Raises ValueError for booleans, non-numbers and non-finite values.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"number_token: expected a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"number_token: {value} is not finite; allowed: finite numbers")
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def int_token(value: int) -> str:
    """The path token of an integer (a seed): its decimal digits. Raises ValueError for floats and booleans."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"int_token: expected an integer, got {value!r}; allowed: integers (1.0 is not one)")
    return str(int(value))


def parse_number(token: str) -> float:
    """The number a path token names (inverse of `number_token`)."""
    return float(token)
