"""The one registry type every plug-in family uses (cleanlab's factory habit, as a class).

A `Registry` maps a name to a plug-in (a class, a function or any object) and, optionally,
to metadata about it. Plug-ins register themselves with the decorator; a registry that names
a `package` imports every module of that package the first time it is read, so a family is
complete without any import side effect elsewhere (the one discovery mechanism).

>>> colours = Registry("colour")
>>> @colours.register("red")
... def red():
...     return (255, 0, 0)
>>> colours.get("red")()
(255, 0, 0)
>>> colours.names()
['red']
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from tvgcurate.errors import TvgError

T = TypeVar("T")


class UnknownChoiceError(TvgError, KeyError):
    """A name that no plug-in of the family was registered under (a user error: exit 2)."""

    def __init__(self, kind: str, name: str, known: list[str]):
        self.kind, self.name, self.known = kind, name, known
        choices = ", ".join(known) if known else "none registered"
        super().__init__(f"unknown {kind} {name!r}; choose from: {choices}")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class DuplicateRegistrationError(TvgError, ValueError):
    """Two plug-ins of one family claimed the same name (a programming error)."""


class Registry(Generic[T]):
    """Named plug-ins of one family.

    Args:
        kind: what a plug-in is, in words ("audit check", "exporter"); used in errors.
        package: a dotted package whose modules are imported on first read, so that every
            plug-in defined there is registered (None: plug-ins live beside the registry).
    """

    def __init__(self, kind: str, package: str | None = None):
        self.kind = kind
        self.package = package
        self._items: dict[str, T] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._discovered = package is None

    # -- writing ---------------------------------------------------------------------------
    def add(self, name: str, obj: T, **meta: Any) -> T:
        """Register `obj` under `name`; a second registration of a name is an error."""
        if not name or not isinstance(name, str):
            raise DuplicateRegistrationError(f"{self.kind} names must be non-empty strings")
        if name in self._items and self._items[name] is not obj:
            raise DuplicateRegistrationError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = obj
        self._meta[name] = dict(meta)
        return obj

    def register(self, name: str | None = None, **meta: Any) -> Callable[[T], T]:
        """Decorator: register the decorated object under `name` (default: its `name`
        attribute, else its `__name__`), with optional metadata."""

        def deco(obj: T) -> T:
            key = name or getattr(obj, "name", None) or getattr(obj, "__name__", None)
            self.add(key, obj, **meta)
            return obj

        return deco

    # -- reading ---------------------------------------------------------------------------
    def discover(self) -> None:
        """Import every module of `package` once, so its plug-ins register themselves."""
        if self._discovered:
            return
        self._discovered = True
        pkg = importlib.import_module(self.package)
        for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
            importlib.import_module(info.name)

    def get(self, name: str) -> T:
        """The plug-in called `name`; an unknown name raises an error listing the choices."""
        self.discover()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownChoiceError(self.kind, name, self.names()) from None

    def meta(self, name: str) -> dict[str, Any]:
        """The metadata `name` was registered with."""
        self.get(name)
        return self._meta[name]

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        self.discover()
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        self.discover()
        return list(self._items.items())

    def values(self) -> list[T]:
        self.discover()
        return list(self._items.values())

    def __contains__(self, name: object) -> bool:
        self.discover()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self.discover()
        return len(self._items)

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._items)} registered)"


def all_registries() -> list[Registry]:
    """Every Registry defined in tvgcurate's modules (imports the package tree): the
    conformance tests are parametrised over this list, so a new family is tested by itself."""
    import tvgcurate

    found: dict[int, Registry] = {}
    for info in pkgutil.walk_packages(tvgcurate.__path__, "tvgcurate."):
        if info.name.startswith(("tvgcurate.cli", "tvgcurate.__main__")):
            continue
        try:
            mod = importlib.import_module(info.name)
        except ImportError:  # an optional heavy dependency that is not installed
            continue
        for value in vars(mod).values():
            if isinstance(value, Registry):
                found[id(value)] = value
    return list(found.values())
