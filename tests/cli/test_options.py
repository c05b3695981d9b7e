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
    known = {"keyframes", "relabel push", "relabel pull", "relabel stats", "audit"}
    known |= {"build-irrelevant", "export", "labelstudio serve", "demo", "demo-data"}
    assert known <= {s.command for s in ConfigOptions.all}


PLUGIN_OPTIONS = [
    ("keyframes", "executor", "tvgcurate.executors.base", "EXECUTORS"),
    ("keyframes", "policy", "tvgcurate.curation.keyframes.budget", "POLICIES"),
    ("keyframes", "decoder", "tvgcurate.curation.keyframes.decode", "DECODERS"),
    ("keyframes", "detector", "tvgcurate.curation.keyframes.boundaries", "DETECTORS"),
    ("audit", "encoder", "tvgcurate.curation.embeddings", "ENCODERS"),
    ("build-irrelevant", "encoder", "tvgcurate.curation.embeddings", "ENCODERS"),
    ("build-irrelevant", "strategies", "tvgcurate.curation.irrelevant.registry", "STRATEGIES"),
    ("demo", "encoder", "tvgcurate.curation.embeddings", "ENCODERS"),
    ("export", "format", "tvgcurate.exporters.base", "EXPORTERS"),
]


@pytest.mark.parametrize("command,param,module,registry", PLUGIN_OPTIONS)
def test_plugin_choices_come_from_the_registry(command, param, module, registry):
    import importlib

    reg = getattr(importlib.import_module(module), registry)
    opt = {p.name: p for p in _command(command).params}[param]
    assert reg.names() and opt.help.endswith("Choices: " + ", ".join(reg.names()) + ".")


@pytest.mark.parametrize(
    "args",
    [
        ["keyframes", "-w", "WS", "--executor", "nope"],
        ["build-irrelevant", "-w", "WS", "--strategy", "hard", "--strategy", "nope"],
        ["export", "-w", "WS", "--format", "nope", "--out", "o.jsonl"],
        ["audit", "-w", "WS", "--encoder", "nope"],
    ],
    ids=lambda a: a[0],
)
def test_an_unknown_plugin_is_one_line_naming_the_choices(args, tmp_path):
    from typer.testing import CliRunner

    args = [str(tmp_path / "ws") if a == "WS" else a for a in args]
    r = CliRunner().invoke(app, args)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == 2, r.output
    flag = next(a for a, b in zip(args, args[1:]) if b == "nope")
    assert len(lines) == 1 and lines[0].startswith(f"error: {flag}: unknown "), r.stderr
    assert "'nope'; choose from:" in lines[0], r.stderr
