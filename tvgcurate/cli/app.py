"""The Typer application object. Command modules in tvgcurate/cli/ register on it."""

from __future__ import annotations

import click
import typer
from typer.core import TyperGroup

from tvgcurate.errors import TvgError


class CliError(click.ClickException):
    """A TvgError as click shows it: one line on stderr, the error's exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:  # noqa: ARG002 - click's signature
        from rich.markup import escape

        from tvgcurate.cli.console import err_console

        err_console.print(f"[bold red]error:[/] {escape(self.message)}", soft_wrap=True)


class Group(TyperGroup):
    """Turns library TvgErrors into one-line CLI errors, for every command and sub-group."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TvgError as exc:
            raise CliError(str(exc), exc.exit_code) from None


app = typer.Typer(
    name="tvgcurate",
    cls=Group,
    help="Build and curate temporal video grounding training sets (Tempo-R0: SAA, ETA, PIR-GRPO).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)
