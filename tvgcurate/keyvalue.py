"""The one KEY=VALUE parser (`--set`, `--opt`): strings in, a dict with typed values out.

>>> parse(["sft.learning_rate=1e-4", "name=x", "flags=[1, 2]"], flag="--set")
{'sft.learning_rate': 0.0001, 'name': 'x', 'flags': [1, 2]}
>>> parse(["newlines=space"], typed=False)
{'newlines': 'space'}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tvgcurate.errors import TvgError


def value(text: str) -> Any:
    """A value as YAML (numbers, booleans, lists, null), else the string itself.

    A YAML mapping stays a string: "{query}" is a template, not a mapping."""
    import yaml

    try:
        out = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return text if isinstance(out, dict) else out


def split(item: str, flag: str = "--set", example: str = "KEY=VALUE") -> tuple[str, str]:
    """(key, value) of one "key=value" item; a one-line error naming the item otherwise."""
    key, eq, raw = str(item).partition("=")
    if not eq or not key.strip():
        raise TvgError(f"{flag} {item!r}: expected KEY=VALUE, e.g. {flag} {example}")
    return key.strip(), raw.strip()


def parse(
    items: Iterable[str] | None,
    flag: str = "--set",
    example: str = "KEY=VALUE",
    typed: bool = True,
    dashes_to_underscores: bool = False,
) -> dict[str, Any]:
    """Parse "key=value" strings into a dict (later items win). `typed`: values through
    `value()`; otherwise kept as strings (the target dataclass's field types decide)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, raw = split(item, flag, example)
        if dashes_to_underscores:
            key = key.replace("-", "_")
        out[key] = value(raw) if typed else raw
    return out
