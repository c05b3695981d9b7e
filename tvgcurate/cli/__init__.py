"""Command-line interface. Each module here defines one command (or group) on `app`.

Modules are discovered, so adding a command never edits a shared list. A command only
parses its options, builds a config and calls one library function; a TvgError raised by
the library becomes one red line on stderr and exit code 2 (see `app.Group`).
"""

from __future__ import annotations

import importlib
import pkgutil

from tvgcurate.cli.app import app

_SKIP = {"app", "options", "console"}


def _load_commands() -> None:
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _SKIP and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_load_commands()


def main() -> None:
    app()


__all__ = ["app", "main"]
