"""The one error a bad config raises: it names the dotted key, the problem and what is allowed.

At the bottom of the package so that every layer that checks settings (the config validator, the
figure modules' own checks) raises the same error without importing the pipeline.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """Invalid config; `path` is the dotted key, the message says what is allowed."""

    def __init__(self, path: str, problem: str, allowed: str | None = None):
        self.path = path or "<top level>"
        msg = f"config key '{self.path}': {problem}"
        super().__init__(msg + (f"; allowed: {allowed}" if allowed else ""))
