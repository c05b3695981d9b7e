"""The API key never appears in output, logs, errors or files."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app

from .conftest import make_workspace, ui_result

pytestmark = pytest.mark.server


def test_the_key_never_leaks(ls_server, tmp_path, monkeypatch, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    key = ls_server.token
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", key)
    ws = make_workspace(tmp_path / "ws", ls_server.media_root, n=4)
    runner = CliRunner()
    outputs = []

    def run(*args, env=None):
        r = runner.invoke(app, [str(a) for a in args], env=env)
        outputs.append(r.output + (r.stderr if r.stderr_bytes else ""))
        if r.exception and not isinstance(r.exception, SystemExit):
            outputs.append(repr(r.exception))
        return r

    common = ["-w", ws.root, "--url", ls_server.url, "--project", "secrets"]
    assert run("relabel", *common, "--to-labelstudio", "--select", "all",
               "--media-root", ls_server.media_root).exit_code == 0  # fmt: skip
    from label_studio_sdk import LabelStudio

    from tvgcurate.labeling.client import connect

    c = connect(ls_server.url, key)
    sdk = LabelStudio(base_url=ls_server.url, api_key=key)
    for t in c.list_tasks(c.find_project("secrets")):
        sdk.annotations.create(id=t["id"], result=ui_result([(1, 20)], "relevant", rewrite="x"))
    assert run("relabel", *common, "--from-labelstudio").exit_code == 0
    assert run("relabel", "-w", ws.root, "--stats").exit_code == 0
    assert run("relabel", *common, "--to-labelstudio", "--out", tmp_path / "offline",
               "--select", "all", "--media-root", ls_server.media_root).exit_code == 0  # fmt: skip
    # failures: wrong key, missing project, unreachable server
    bad = run("relabel", *common, "--from-labelstudio", env={"LABEL_STUDIO_API_KEY": key[::-1]})
    assert bad.exit_code == 2 and "LABEL_STUDIO_API_KEY" in bad.output
    missing = run("relabel", "-w", ws.root, "--url", ls_server.url, "--project", "nope",
                  "--from-labelstudio")  # fmt: skip
    assert missing.exit_code == 2 and "no project named" in missing.output
    down = run("relabel", "-w", ws.root, "--url", "http://127.0.0.1:9", "--project", "p",
               "--from-labelstudio", "--retries", "2", env={"LABEL_STUDIO_API_KEY": key})  # fmt: skip
    assert down.exit_code == 2 and "cannot reach" in down.output

    captured = capfd.readouterr()
    texts = outputs + [captured.out, captured.err, caplog.text]
    for f in tmp_path.rglob("*"):
        if f.is_file():
            texts.append(f.read_bytes().decode("utf-8", "replace"))
    assert len(texts) > 10
    for text in texts:
        assert key not in text and key[::-1] not in text
