"""The one KEY=VALUE parser (`--set`, `--opt`): strings in, a dict with typed values out.

>>> parse(["sft.max_steps=10", "name=x", "flags=[1, 2]"], flag="--set")
{'sft.max_steps': 10, 'name': 'x', 'flags': [1, 2]}
>>> parse(["newlines=space"], typed=False)
{'newlines': 'space'}
>>> convert("off", bool), convert("3", int | None), convert("a, b", tuple)
(False, 3, ('a', 'b'))
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from pathlib import Path
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


TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def convert(text: Any, tp: Any) -> Any:
    """A value string as the field type `tp` (bool, int, float, Path, tuple of strings from
    "a,b", optional types: "", "none", "null" -> None; other types and non-strings pass
    through). Raises ValueError when the text is not a `tp`; the caller names the flag."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if text is None or (isinstance(text, str) and text.lower() in ("", "none", "null")):
            return None
        return convert(text, args[0]) if args else text
    if not isinstance(text, str):
        return text
    if tp is bool:
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise ValueError(text)
    if tp in (int, float, Path):
        return tp(text)
    if tp is tuple or typing.get_origin(tp) is tuple:
        return tuple(v.strip() for v in text.split(",") if v.strip())
    return text


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
