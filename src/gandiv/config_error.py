"""The one error a bad config raises (it names the dotted key, the problem and what is allowed), and the small
checks that both the config validator and the figure modules' own checks use.

At the bottom of the package so that every layer that checks settings raises the same error without
importing the pipeline.
"""

from __future__ import annotations

from contextlib import contextmanager

from gandiv.exact import domain


class ConfigError(ValueError):
    """Invalid config; `path` is the dotted key, the message says what is allowed."""

    def __init__(self, path: str, problem: str, allowed: str | None = None):
        self.path = path or "<top level>"
        msg = f"config key '{self.path}': {problem}"
        super().__init__(msg + (f"; allowed: {allowed}" if allowed else ""))


@contextmanager
def domain_errors(path: str, param: str | None = None):
    """Turn a DomainError into a ConfigError at `path` + the parameter's name (its part after `param` if given)."""
    try:
        yield
    except domain.DomainError as e:
        key = path + e.param[len(param):] if param else f"{path}.{e.param}"
        raise ConfigError(key, e.problem, e.allowed) from None


def check_whole_calls(path: str, section: dict) -> None:
    """`steps` is a whole number of compiled calls of `steps_per_call` steps."""
    steps, chunk = section["steps"], section["steps_per_call"]
    if steps % chunk:
        lo, hi = steps // chunk * chunk, (steps // chunk + 1) * chunk
        nearest = f"{lo} or {hi}" if lo else f"{hi}"
        raise ConfigError(f"{path}.steps", f"{steps} is not a multiple of steps_per_call={chunk}",
                          f"a multiple of {chunk}, nearest {nearest} (or change steps_per_call)")


def check_knn(path: str, evaluation: dict) -> None:
    """The k-NN estimator needs at least 2k samples."""
    n, k = evaluation["n_samples"], evaluation["knn_k"]
    if n < 2 * k:
        raise ConfigError(f"{path}.knn_k", f"{k} exceeds n_samples / 2 = {n / 2:g}",
                          f"integer in [1, {n // 2}] (n_samples >= 2 * knn_k)")


def check_batch_share(key: str, pi: float, batch_size: int) -> None:
    """With pi_mode batch, pi is the real share of each D-batch of 2 * batch_size samples: ConfigError naming `key`
    unless the batch holds at least one real and one generated sample (as gandiv.gan.model.batch_sizes rounds)."""
    n_batch = 2 * batch_size
    n_real = int(round(n_batch * pi))
    if not 1 <= n_real <= n_batch - 1:
        raise ConfigError(key, f"pi={pi!r} gives {n_real} real and {n_batch - n_real} generated samples in a batch of "
                               f"2 * batch_size = {n_batch} (pi_mode batch)",
                          f"pi with 1 <= round({n_batch} * pi) <= {n_batch - 1}, "
                          f"i.e. pi in ({0.5 / n_batch:.6g}, {1 - 0.5 / n_batch:.6g})")
