"""Parameter domains shared by the public constructors and the config validator.

Every check raises a `DomainError` (a ValueError) naming the parameter, the
problem and the allowed values; `gandiv.pipeline.config` turns it into a ConfigError
with the dotted key path. Checks return their input converted to what the
caller computes with (float arrays, merged laws), unchanged in value.
Booleans are not numbers, and a float such as 2.0 is not an integer count.
"""

from __future__ import annotations

import numpy as np

WEIGHT_TOL = 1e-9  # |sum - 1| allowed for weights, probabilities and joint tables
MAX_SEED = 2**32 - 1  # numpy RandomState seeds are in [0, MAX_SEED]


class DomainError(ValueError):
    """A parameter outside its domain: `param` (e.g. `weights[1]`), `problem`, `allowed`."""

    def __init__(self, param: str, problem: str, allowed: str):
        self.param, self.problem, self.allowed = param, problem, allowed
        super().__init__(f"{param}: {problem}; allowed: {allowed}")


# ------------------------------------------------------------------ scalars

def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def count(param: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer (Python or numpy, not bool) >= minimum (and <= maximum if given)."""
    if _is_bool(value) or not isinstance(value, (int, np.integer)) or not (
            minimum <= value and (maximum is None or value <= maximum)):
        raise DomainError(param, f"got {value!r}", f"an integer >= {minimum}" if maximum is None else
                          f"an integer in [{minimum}, {maximum}]")
    return value


def number(param: str, value, low: float, high: float = np.inf, closed: bool = False) -> float:
    """A finite real number in the open interval (low, high), or in [low, high] if `closed`."""
    real = not _is_bool(value) and isinstance(value, (int, float, np.integer, np.floating))
    inside = real and np.isfinite(value) and ((low <= value <= high) if closed else (low < value < high))
    if not inside:
        allowed = (f"a finite number > {low:g}" if high == np.inf else
                   f"a number in {'[' if closed else '('}{low:g}, {high:g}{']' if closed else ')'}")
        raise DomainError(param, f"got {value!r}", allowed)
    return value


def positive(param: str, value) -> float:
    """A finite number > 0 (a bandwidth, sd, radius, spacing, learning rate)."""
    return number(param, value, 0.0)


def open_unit(param: str, value) -> float:
    """A number in the open interval (0, 1): a mixing proportion pi."""
    return number(param, value, 0.0, 1.0)


def unit(param: str, value) -> float:
    """A probability in [0, 1]."""
    return number(param, value, 0.0, 1.0, closed=True)


def choice(param: str, value, options: tuple[str, ...]) -> str:
    """One of the named options."""
    if not isinstance(value, str) or value not in options:
        raise DomainError(param, f"got {value!r}", "one of " + ", ".join(options))
    return value


# ------------------------------------------------------------------- arrays

def array(param: str, value, ndim: int | None = None) -> np.ndarray:
    """A finite float array (not ragged, not boolean) with `ndim` axes if given."""
    try:
        raw = np.asarray(value)
    except ValueError:
        raise DomainError(param, "is ragged (rows of unequal length)", "a rectangular array of numbers") from None
    if raw.dtype.kind not in "iuf":
        raise DomainError(param, f"holds {raw.dtype} entries", "finite real numbers (not booleans)")
    if ndim is not None and raw.ndim != ndim:
        raise DomainError(param, f"has {raw.ndim} axes (shape {raw.shape})", f"an array with {ndim} axes")
    out = raw.astype(float, copy=False)  # as np.asarray(value, dtype=float): same memory layout
    bad = np.argwhere(~np.isfinite(out))
    if len(bad):
        index = "".join(f"[{i}]" for i in bad[0])
        raise DomainError(param + index, f"{out[tuple(bad[0])]} is not finite", "finite numbers")
    return out


def probability_vector(param: str, value, what: str) -> np.ndarray:
    """Non-empty 1-D finite entries >= 0 summing to 1 within WEIGHT_TOL; `what` names them in messages."""
    p = array(param, value, ndim=1)
    allowed = f"non-negative {what} summing to 1 (tolerance {WEIGHT_TOL:g})"
    if not len(p):
        raise DomainError(param, "is empty", allowed)
    negative = np.flatnonzero(p < 0)
    if len(negative):
        raise DomainError(f"{param}[{negative[0]}]", f"{p[negative[0]]:g} is negative", allowed)
    if abs(p.sum() - 1.0) > WEIGHT_TOL:
        raise DomainError(param, f"{what} sum to {p.sum():.12g}", allowed)
    return p


def _shape(value) -> tuple | None:
    """np.shape, or None for a ragged nesting."""
    try:
        return np.shape(value)
    except ValueError:
        return None


def _shape_text(value) -> str:
    try:
        return f"row lengths {[len(row) for row in value]}"
    except TypeError:
        shape = _shape(value)
        return "ragged" if shape is None else f"shape {shape}"


def covariance(param: str, value, d: int) -> np.ndarray:
    """A d x d finite, symmetric (to 1e-12 relative), positive-definite (Cholesky succeeds) matrix."""
    allowed = "symmetric positive-definite matrices"
    if _shape(value) != (d, d):
        raise DomainError(param, f"is not {d} x {d} ({_shape_text(value)})", f"a {d} x {d} matrix matching the "
                          "mean dimension")
    c = array(param, value, ndim=2)
    if not np.allclose(c, c.T, rtol=0.0, atol=1e-12 * max(1.0, np.abs(c).max())):
        raise DomainError(param, f"matrix {c.tolist()} is not symmetric", allowed)
    try:
        np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        lam = np.linalg.eigvalsh(c).min()
        raise DomainError(param, f"matrix {c.tolist()} is not positive definite (smallest eigenvalue {lam:.6g})",
                          allowed) from None
    return c


# ---------------------------------------------------------------- densities

def mixture(weights, means, covariances, dims: tuple[int, ...] | None = None):
    """Weights (k,), means (k, d), covariances (k, d, d) of a Gaussian mixture, as float arrays.

    Weights: finite, >= 0, summing to 1; one mean and one covariance per weight; all
    means share one dimension d >= 1 (in `dims` if given); covariances as `covariance`.
    """
    w = probability_vector("weights", weights, "weights")
    k = len(w)
    for key, seq in (("means", means), ("covariances", covariances)):
        try:
            n = len(seq)
        except TypeError:  # a number, or a 0-d array
            n = 0
        if n != k:
            raise DomainError(key, f"{n} {key} for {k} weights", f"exactly one entry per weight ({k})")
    rows = [array(f"means[{i}]", m, ndim=1) for i, m in enumerate(means)]
    d = len(rows[0])
    share = "all means share one dimension d" + (" in {" + ", ".join(map(str, dims)) + "}" if dims else " >= 1")
    if d == 0 or (dims and d not in dims):
        raise DomainError("means[0]", f"dimension {d}", share)
    for i, m in enumerate(rows[1:], 1):
        if len(m) != d:
            raise DomainError(f"means[{i}]", f"dimension {len(m)} differs from means[0] ({d})", share)
    for i, c in enumerate(covariances):
        covariance(f"covariances[{i}]", c, d)
    # as given (not restacked): the memory layout, and so BLAS round-off downstream, is the caller's
    return w, np.asarray(means, dtype=float), np.asarray(covariances, dtype=float)


def gaussian(mean, cov):
    """Mean: a number or a vector of d >= 1 numbers; covariance: d x d as `covariance` (a number if d = 1)."""
    m = array("mean", mean)
    if m.ndim > 1 or m.size == 0:
        raise DomainError("mean", f"has shape {m.shape}", "a number or a non-empty vector")
    m = np.atleast_1d(m)
    if len(m) == 1 and np.isscalar(cov):
        cov = [[cov]]
    return m, covariance("covariance", cov, len(m))


def discrete_law(support, probs) -> tuple[np.ndarray, np.ndarray]:
    """Finite 1-D support and probabilities (as `probability_vector`) of one length; returns the law with its
    support sorted and duplicate points merged (their probabilities summed)."""
    x = array("support", support, ndim=1)
    p = probability_vector("probs", probs, "probabilities")
    if len(x) != len(p):
        raise DomainError("probs", f"{len(p)} probabilities for {len(x)} support points",
                          "one probability per support point")
    points, index = np.unique(x, return_inverse=True)
    return points, np.bincount(index, weights=p, minlength=len(points))


def swiss_roll(n_components, turns, radius, sd) -> None:
    """n_components >= 1 integer; turns, sd finite > 0; radius [r0, r1] with 0 < r0 < r1."""
    count("n_components", n_components)
    positive("turns", turns)
    positive("sd", sd)
    if np.ndim(radius) != 1 or len(radius) != 2:
        raise DomainError("radius", f"got {radius!r}", "[r0, r1] with 0 < r0 < r1")
    r0, r1 = (positive(f"radius[{i}]", r) for i, r in enumerate(radius))
    if not r0 < r1:
        raise DomainError("radius", f"r0={r0} is not < r1={r1}", "[r0, r1] with 0 < r0 < r1")


def theis2016(seed, n_components) -> None:
    """seed an integer in [0, MAX_SEED] (a numpy RandomState seed); n_components an integer >= 1."""
    count("seed", seed, minimum=0, maximum=MAX_SEED)
    count("n_components", n_components)


def ring(n_modes, radius, sd) -> None:
    """n_modes an integer >= 1; radius, sd finite > 0."""
    count("n_modes", n_modes)
    positive("radius", radius)
    positive("sd", sd)


def grid(n_per_side, spacing, sd) -> None:
    """n_per_side an integer >= 1; spacing, sd finite > 0."""
    count("n_per_side", n_per_side)
    positive("spacing", spacing)
    positive("sd", sd)


def joint_table(param: str, table) -> np.ndarray:
    """A K x K table of finite entries >= 0 summing to 1 (WEIGHT_TOL), every row (value of x1) with positive mass."""
    allowed = f"non-negative entries summing to 1 (tolerance {WEIGHT_TOL:g})"
    shape = _shape(table)
    if shape is None or len(shape) != 2 or shape[0] != shape[1]:
        raise DomainError(param, f"rows of unequal length or not square ({_shape_text(table)})",
                          "a K x K table (rows x1, columns x2)")
    a = array(param, table, ndim=2)
    negative = np.argwhere(a < 0)
    if len(negative):
        raise DomainError(param, f"entry {negative[0].tolist()} is negative", allowed)
    if abs(a.sum() - 1.0) > WEIGHT_TOL:
        raise DomainError(param, f"entries sum to {a.sum():.12g}", allowed)
    if (a.sum(axis=1) <= 0).any():
        raise DomainError(param, f"row {int(np.argmin(a.sum(axis=1)))} is all zero",
                          "every value of x1 with positive probability")
    return a
