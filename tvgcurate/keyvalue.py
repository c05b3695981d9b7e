"""The one KEY=VALUE parser (`--set`, `--opt`): strings in, a dict with typed values out.

>>> parse(["sft.max_steps=10", "name=x", "flags=[1, 2]"], flag="--set")
{'sft.max_steps': 10, 'name': 'x', 'flags': [1, 2]}

A dotted KEY reaches into nested mappings (`apply`, `assign`), checked against the
dataclasses the mappings will become (a field that is a dict takes any keys below it):

>>> apply({"sft": {"max_steps": 3}}, ["sft.peft.r=4", "seed=1"])
{'sft': {'max_steps': 3, 'peft': {'r': 4}}, 'seed': 1}
>>> parse(["newlines=space"], typed=False)
{'newlines': 'space'}
>>> convert("off", bool), convert("3", int | None), convert("a, b", tuple)
(False, 3, ('a', 'b'))

The fields those dataclasses are made of come from here too: `setting` (a default and the
help text every CLI option and `--list` shows) and `require_positive` (a count below 1 refused
with its option's name).
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from collections.abc import Callable, Iterable
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


def _optional_arg(hint: Any) -> Any:
    """`X` of `X | None` (any other hint as it is)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _below(schema: Any, part: str, path: str, key: str, flag: str) -> tuple[bool, Any]:
    """(whether `part` may hold keys, the schema below it) of field `part` of `schema` (a
    dataclass; None: any keys). An unknown field is a one-line error naming the key."""
    if schema is None:
        return True, None
    fields = {f.name for f in dataclasses.fields(schema)}
    if part not in fields:
        where = f" in '{path}'" if path else ""
        raise TvgError(f"{flag} {key}: unknown key '{part}'{where}; valid: "
                       f"{', '.join(sorted(fields))}")  # fmt: skip
    hint = _optional_arg(typing.get_type_hints(schema)[part])
    if dataclasses.is_dataclass(hint):
        return True, hint
    origin = typing.get_origin(hint) or hint
    return (isinstance(origin, type) and issubclass(origin, dict)), None


def assign(data: dict, key: str, val: Any, schema: Any = None, flag: str = "--set") -> None:
    """Set `val` at the dotted `key` of the nested dicts `data` (in place), making the
    mappings on the way. `schema`: the dataclass `data` becomes; each part of the key must be
    a field of the dataclass at its level, and only a field that is a dataclass or a dict
    has keys below it. A wrong key is a one-line error naming it and the valid ones."""
    parts = [p.strip() for p in str(key).split(".")]
    if not all(parts):
        raise TvgError(f"{flag} {key}: an empty part in the key (write e.g. sft.peft.r)")
    node, path = data, ""
    for i, part in enumerate(parts):
        nested, below = _below(schema, part, path, key, flag)
        path = f"{path}.{part}" if path else part
        if i == len(parts) - 1:
            node[part] = val
            return
        if not nested:
            raise TvgError(f"{flag} {key}: '{path}' is a value, not a section; it has no "
                           f"key '{parts[i + 1]}'")  # fmt: skip
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            raise TvgError(f"{flag} {key}: '{path}' is {child!r}, not a mapping")
        node, schema = child, below


def apply(
    data: dict | None,
    items: Iterable[str] | None,
    schema: Any = None,
    flag: str = "--set",
    example: str = "KEY=VALUE",
) -> dict:
    """A copy of `data` with "dotted.key=value" items applied in order (values as in
    `parse`; keys as in `assign`)."""
    out = copy.deepcopy(dict(data or {}))
    for item in items or []:
        key, raw = split(item, flag, example)
        assign(out, key, value(raw), schema, flag)
    return out


def setting(
    default: Any = dataclasses.MISSING, help: str = "", *, factory: Callable[[], Any] | None = None
) -> Any:
    """A settable field of a config dataclass: its default (`factory` makes a mutable one per
    instance) and the help text that its CLI option (`cli/options.py`) and `--list` show."""
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help})


def require_positive(cfg: Any, *specs: str) -> None:
    """Refuse the first field of `cfg` (a config dataclass) below 1, naming its option:
    a spec is the field's name, optionally followed by a hint, e.g. "shard_size (e.g. 64)"
    -> "--shard-size must be >= 1 (e.g. 64)". None (an unset optional count) passes."""
    for spec in specs:
        name, _, hint = spec.partition(" ")
        value = getattr(cfg, name)
        if value is not None and value < 1:
            raise TvgError(
                f"--{name.replace('_', '-')} must be >= 1" + (f" {hint}" if hint else "")
            )
