"""Rich consoles shared by commands.

They print data (sample ids, queries, paths), so emoji codes are off: an id such as
``activitynet:train:v_x#2`` must not render ``:train:`` as an emoji. Markup stays on for
the commands' own styling; wrap any data put inside a markup string in ``safe()``.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text


def make_console(stderr: bool = False) -> Console:
    """A console for data: no emoji codes, no automatic highlighting of numbers and paths."""
    return Console(stderr=stderr, emoji=False, highlight=False)


def safe(value: object) -> str:
    """`value` as text that rich prints literally inside a markup string."""
    return escape(str(value))


# -- tables -----------------------------------------------------------------------------------
#
# Every table a command prints is built with `table()`, so that it reads at any width (80
# columns included): a cell never wraps onto a second line unless its column asks for it. A
# text column (a plain header) shrinks first when the table is too wide and its cells end in
# "…"; an id is therefore whole on its line or cut at the cell's end, never broken. `num()`
# columns (counts, metrics) are right-aligned, never wrapped and shrink only when nothing else
# can. `wrap()` columns (prose, `log --full` commands) wrap instead of being cut. Cells are
# data: a str is printed literally (no markup, no emoji codes); pass a rich `Text` to style one.


def num(header: str, **kwargs) -> Column:
    """A right-aligned column of numbers: one line, kept whole while text columns can shrink."""
    return Column(header, justify="right", no_wrap=True, **kwargs)


def wrap(header: str, **kwargs) -> Column:
    """A column whose cells wrap over lines (long words folded) instead of being cut."""
    return Column(header, overflow="fold", **kwargs)


def text(header: str, **kwargs) -> Column:
    """A text or id column (what a plain header gives): one line a cell, shrinks first, "…"."""
    return Column(header, overflow="ellipsis", **kwargs)


class DataTable(Table):
    """A rich `Table` whose text columns hold one-line cells cut with "…" (see `table`)."""

    def add_row(self, *renderables, style=None, end_section: bool = False) -> None:
        cells = []
        for cell, col in zip(renderables, self.columns, strict=False):
            if isinstance(cell, str):
                one_line = not col.no_wrap and col.overflow == "ellipsis"
                cell = Text(cell, no_wrap=True if one_line else None)
            cells.append(cell)
        cells.extend(renderables[len(cells) :])
        super().add_row(*cells, style=style, end_section=end_section)


# a rule under the header, two spaces between columns, no edges: a third less room than
# rich's boxes, so nine numeric columns and a label fit in 80
COMPACT = dict(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), collapse_padding=True)


def table(*columns: str | Column, title: str | None = None, **kwargs) -> DataTable:
    """The table every command prints: `columns` are headers (a text column: one line a cell,
    cut with "…" when the table is too wide) or specs made with `num()`, `wrap()`, `text()`.
    `kwargs` go to rich's `Table` (box, padding, ...; COMPACT by default). The title is literal text, and the table
    is at least as wide as it where the console allows, so it is not wrapped for want of
    columns."""
    cols = [text(c) if isinstance(c, str) else c for c in columns]
    for key, value in COMPACT.items():
        kwargs.setdefault(key, value)
    if title is not None:
        kwargs.setdefault("min_width", len(title))
        title = escape(title)  # titles name data too (paths, run ids): printed literally
    return DataTable(*cols, title=title, **kwargs)


console = make_console()
err_console = make_console(stderr=True)
