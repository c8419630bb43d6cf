"""ConfigError, and the message that names the key and what is allowed there for a JSON-schema error.

Every config error, from the schema or from a semantic check, is a ConfigError whose message reads
``config key 'a.b[0].c': <problem>; allowed: <what is allowed>``. jsonschema's own messages name
neither the dotted key nor the allowed values in one line, so `schema_error` rewrites the error
`jsonschema.exceptions.best_match` picks.
"""

from __future__ import annotations

import jsonschema

from gandiv.config_error import ConfigError


def dotted(parts) -> str:
    """Join a key path as `a.b[0].c` (integers are list indices)."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def join_key(path: str, key) -> str:
    """The dotted path of `key` under `path` (`path` may be empty: the top level)."""
    return dotted([path, key]) if path else dotted([key])


def _typename(value) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string",
             list: "array", dict: "object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _range(schema: dict) -> str:
    """Describe the numeric bounds of a schema, e.g. `number in (0, 0.5)`."""
    lo = ("(", schema["exclusiveMinimum"]) if "exclusiveMinimum" in schema else (
        ("[", schema["minimum"]) if "minimum" in schema else None)
    hi = (")", schema["exclusiveMaximum"]) if "exclusiveMaximum" in schema else (
        ("]", schema["maximum"]) if "maximum" in schema else None)
    kind = schema.get("type", "number")
    if lo and hi:
        return f"{kind} in {lo[0]}{lo[1]}, {hi[1]}{hi[0]}"
    if lo:
        return f"{kind} {'>' if lo[0] == '(' else '>='} {lo[1]}"
    return f"{kind} {'<' if hi[0] == ')' else '<='} {hi[1]}"


def schema_error(e: jsonschema.ValidationError) -> ConfigError:
    """Turn the most relevant jsonschema error into a ConfigError naming key and allowed values."""
    path, v, s, inst = dotted(e.absolute_path), e.validator, e.schema, e.instance
    if "propertyNames" in e.schema_path:
        return ConfigError(join_key(path, inst), f"invalid name {inst!r}",
                           f"names matching {e.validator_value}")
    if v == "additionalProperties":
        allowed = list(s.get("properties", {}))
        extra = [k for k in inst if k not in allowed]
        return ConfigError(join_key(path, extra[0]), f"unknown key {extra[0]!r}",
                           "keys " + (", ".join(allowed) if allowed else "(none; use {})"))
    if v == "required":
        missing = [k for k in e.validator_value if k not in inst]
        return ConfigError(join_key(path, missing[0]), f"missing required key {missing[0]!r}",
                           "keys " + ", ".join(s.get("properties", {})))
    if v == "enum":
        what = "kinds" if path.endswith("kind") else "values"
        return ConfigError(path, f"unknown value {inst!r}", f"{what} " + ", ".join(map(str, e.validator_value)))
    if v == "type":
        got = "null" if inst is None else f"{_typename(inst)} {inst!r}"
        if e.validator_value == "integer" and isinstance(inst, float):
            got += " (a float, even if whole: write it without the decimal point)"
        return ConfigError(path, f"expected {e.validator_value}, got {got}",
                           str(e.validator_value))
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return ConfigError(path, f"{inst!r} is out of range", _range(s))
    if v in ("minItems", "maxItems"):
        lo, hi = s.get("minItems", 0), s.get("maxItems")
        return ConfigError(path, f"has {len(inst)} items",
                           f"{lo} items" if lo == hi else (f"{lo} to {hi} items" if hi else f"at least {lo} items"))
    if v == "minProperties":
        return ConfigError(path, "is empty", f"at least {e.validator_value} entries")
    if v == "uniqueItems":
        return ConfigError(path, f"has duplicate items {inst!r}", "unique items")
    if v == "const":
        return ConfigError(path, f"got {inst!r}", repr(e.validator_value))
    return ConfigError(path, e.message)
