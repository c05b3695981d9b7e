"""The Typer application object. Command modules in tvgcurate/cli/ register on it."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from tvgcurate.errors import TvgError


class Group(TyperGroup):
    """Turns library TvgErrors into one red line on stderr and the error's exit code (2),
    for every command and sub-group."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TvgError as exc:
            from rich.markup import escape

            from tvgcurate.cli.console import err_console

            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(code=exc.exit_code) from None


app = typer.Typer(
    name="tvgcurate",
    cls=Group,
    help="Build and curate temporal video grounding training sets (Tempo-R0: SAA, ETA, PIR-GRPO).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)
