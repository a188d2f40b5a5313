"""Settings as text: CLI flags, URL parameters and JSON numbers coerced to a setting's type (or a
`ConfigError` saying what was expected), and a setting's value written back as URL text."""

from __future__ import annotations

import json
import math


class ConfigError(ValueError):
    """A setting out of range or of the wrong kind; `field` names it, str() says what to do."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def read_json(text: str):
    """The value of a JSON text, or a ConfigError saying where the JSON is broken."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError("json", f"not valid JSON ({e.msg} at line {e.lineno})") from None


def setting_text(value) -> str:
    """A setting's value as URL text (what `coerce` reads back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def coerce(f, value):
    """Convert strings (CLI, URL) and JSON numbers to the field's type, or raise ConfigError."""
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            number = float(value) if isinstance(value, str) else value
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            return int(number)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
            return number
        if not isinstance(value, str):
            raise ValueError
        return value.strip()
    except (TypeError, ValueError, OverflowError):
        expected = {"bool": "true or false", "int": "a whole number", "float": "a finite number"}.get(kind, "text")
        raise ConfigError(f.name, f"expected {expected} (got {value!r})") from None
