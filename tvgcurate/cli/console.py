"""Rich consoles shared by commands.

They print data (sample ids, queries, paths), so emoji codes are off: an id such as
``activitynet:train:v_x#2`` must not render ``:train:`` as an emoji. Markup stays on for
the commands' own styling; wrap any data put inside a markup string in ``safe()``.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape


def make_console(stderr: bool = False) -> Console:
    """A console for data: no emoji codes, no automatic highlighting of numbers and paths."""
    return Console(stderr=stderr, emoji=False, highlight=False)


def safe(value: object) -> str:
    """`value` as text that rich prints literally inside a markup string."""
    return escape(str(value))


console = make_console()
err_console = make_console(stderr=True)
