"""Every config field a user may set is an option of its command (derived from the
dataclasses, so a new field without an option fails here)."""

import dataclasses

import pytest
import typer

from tvgcurate.cli import app
from tvgcurate.cli.options import ConfigOptions


def _command(path: str):
    cmd = typer.main.get_command(app)
    for part in path.split():
        cmd = cmd.commands[part]
    return cmd


@pytest.mark.parametrize("src", ConfigOptions.all, ids=lambda s: f"{s.command}:{s.cls.__name__}")
def test_every_settable_field_is_an_option(src):
    params = {p.name for p in _command(src.command).params}
    fields = [f.name for f in dataclasses.fields(src.cls)]
    assert set(src.skip) <= set(fields), "skip names a field that does not exist"
    missing = [n for n in fields if n not in src.skip and n not in params]
    assert not missing, f"{src.command}: fields without an option: {missing}"


def test_defaults_and_help_come_from_the_dataclass():
    from tvgcurate.curation.keyframes.run import KeyframesConfig

    opts = {p.name: p for p in _command("keyframes").params}
    for f in dataclasses.fields(KeyframesConfig):
        if f.default is not dataclasses.MISSING and f.name in opts:
            assert opts[f.name].default == f.default, f.name
    assert opts["detector_threshold"].help.startswith("Detector threshold")


def test_at_least_the_known_commands_are_covered():
    assert {"keyframes", "relabel push", "relabel pull", "relabel stats"} <= {
        s.command for s in ConfigOptions.all
    }
