"""Options shared by several commands, as Annotated aliases (huggingface_hub's habit), and
`ConfigOptions`, which builds a command's options from its config dataclass's fields so that
defaults and help text live only in the dataclass."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import typer

if TYPE_CHECKING:
    from tvgcurate.registry import Registry

WorkspaceOpt = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="Workspace directory (created by `ingest`)."),
]
SplitOpt = Annotated[
    str | None, typer.Option("--split", help="Only this split (train, val, test, ...).")
]
VersionOpt = Annotated[
    int | None, typer.Option("--version", help="Table version to read (default: current).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
EncoderOpt = Annotated[
    str, typer.Option("--encoder", help="Sentence encoder ('hashing': no model, tests only).")
]
MediaRootOpt = Annotated[
    Path | None,
    typer.Option("--media-root", help="Videos directory (videos.path is relative to it)."),
]
ProgressOpt = Annotated[bool, typer.Option(help="Show progress on stderr.")]


def choices_help(text: str, registry: Registry) -> str:
    """`text` followed by the registered names, e.g. "Executor. Choices: local, process, ray." """
    return f"{text.rstrip()} Choices: {', '.join(registry.names())}."


def choice_check(registry: Registry):
    """A Typer callback that accepts only registered names (a value or a list of values);
    an unknown one is `registry.get`'s one-line error naming the choices (exit 2)."""

    def check(param: typer.CallbackParam, value: Any) -> Any:
        from tvgcurate.errors import TvgError
        from tvgcurate.registry import UnknownChoiceError

        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            try:
                if v is not None:
                    registry.get(v)
            except UnknownChoiceError as exc:
                raise TvgError(f"{param.opts[0]}: {exc}") from None
        return value

    return check


class ConfigOptions:
    """Typer options of one command, taken from its config dataclass.

    `option(name)` is a `typer.Option` whose default and help come from the field;
    `build(locals())` makes the config from the parameters named like its fields. `skip`
    names the fields a user does not set directly, with the reason (tests check that every
    other field is a parameter of the command).

    >>> from dataclasses import dataclass
    >>> from tvgcurate.keyvalue import setting
    >>> @dataclass
    ... class C:
    ...     n: int = setting(3, "How many.")
    >>> ConfigOptions("doc-example", C, register=False).option("n").default
    3
    """

    all: ClassVar[list[ConfigOptions]] = []

    def __init__(
        self, command: str, cls: type, skip: dict[str, str] | None = None, register: bool = True
    ):
        self.command, self.cls, self.skip = command, cls, dict(skip or {})
        self.fields = {f.name: f for f in dataclasses.fields(cls)}
        if register:
            ConfigOptions.all.append(self)

    def default(self, name: str) -> Any:
        f = self.fields[name]
        if f.default is not dataclasses.MISSING:
            return f.default
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            return f.default_factory()  # type: ignore[misc]
        return ...

    def help(self, name: str) -> str:
        return self.fields[name].metadata.get("help", "")

    def option(
        self,
        name: str,
        *decls: str,
        help: str | None = None,
        choices: Registry | None = None,
        default: Any = dataclasses.MISSING,
        **kw: Any,
    ):
        """A typer.Option for field `name` (default and help from the dataclass). `choices`:
        the Registry the value names a plug-in of (listed in the help, validated on parse);
        `default`: the CLI's spelling of the field's default where it differs (e.g. "LO:HI")."""
        text = help or self.help(name)
        if choices is not None:
            text = choices_help(text, choices)
            kw.setdefault("callback", choice_check(choices))
        if default is dataclasses.MISSING:
            default = self.default(name)
            if isinstance(default, tuple):  # Typer's list options take lists
                default = list(default)
        return typer.Option(default, *decls, help=text, **kw)

    def override(self, name: str, *decls: str, prefix: str = "", suffix: str = "", **kw: Any):
        """An option for field `name` that overrides a recipe: its default is None (not
        given: the recipe's value, else the field's default), its help the field's between
        `prefix` and `suffix`. The command passes the typed value on as it is."""
        return self.option(name, *decls, help=prefix + self.help(name) + suffix, default=None, **kw)

    def settable(self) -> list[str]:
        """Fields a user sets from the command line."""
        return [n for n in self.fields if n not in self.skip]

    def build(self, values: dict[str, Any], **extra: Any):
        """The config from `values` (e.g. the command's locals()) plus `extra`."""
        kwargs = {n: values[n] for n in self.fields if n in values}
        return self.cls(**{**kwargs, **extra})
