"""`labelstudio check` (set-up runs it) and `serve`: a server that does not come up fails with
one line that names its log and the log's last error line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.labeling.server import ServerError, check, last_error_line

SENTRY_TRACE = """\
Starting Label Studio ...
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/label_studio/core/utils/sentry.py", line 12, in init
    sentry_sdk.init(dsn, send_default_pii=True)
  File "/venv/lib/python3.11/site-packages/sentry_sdk/client.py", line 301, in __init__
    raise TypeError(f"Unknown option {key!r}")
TypeError: Unknown option 'send_default_pii'
"""


def fake_label_studio(tmp_path, body: str):
    """An executable that stands in for `label-studio`: prints `body` and exits 1."""
    exe = tmp_path / "label-studio"
    exe.write_text(f"#!/bin/sh\ncat <<'EOF'\n{body}EOF\nexit 1\n", encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_last_error_line_finds_the_exception(tmp_path):
    log = tmp_path / "server.log"
    log.write_text(SENTRY_TRACE + "\n\n", encoding="utf-8")
    assert last_error_line(log) == "TypeError: Unknown option 'send_default_pii'"


def test_last_error_line_of_a_log_without_errors_is_its_last_line(tmp_path):
    log = tmp_path / "server.log"
    log.write_text("one\ntwo\n", encoding="utf-8")
    assert last_error_line(log) == "two"
    assert last_error_line(tmp_path / "missing.log") == ""


def test_check_names_the_log_and_its_last_error(tmp_path):
    exe = fake_label_studio(tmp_path, SENTRY_TRACE)
    with pytest.raises(ServerError) as err:
        check(exe, health_timeout_s=20)
    msg = str(err.value)
    assert "\n" not in msg
    assert "exited with code 1" in msg
    assert "TypeError: Unknown option 'send_default_pii'" in msg
    log = msg.split("server log ", 1)[1].split(",", 1)[0]
    assert "send_default_pii" in Path(log).read_text(encoding="utf-8")  # the log is kept


@pytest.mark.parametrize("command", [["check"], ["serve", "--data-dir", "DATA", "--port", "0"]])
def test_cli_gives_the_same_one_line_error(tmp_path, command):
    exe = fake_label_studio(tmp_path, SENTRY_TRACE)
    if command[0] == "serve":
        command = ["serve", "--data-dir", str(tmp_path / "data"), "--port", str(free())]
    res = CliRunner().invoke(
        app, ["labelstudio", *command, "--label-studio", str(exe), "--health-timeout", "20"]
    )
    assert res.exit_code == 2, res.output
    assert "TypeError: Unknown option 'send_default_pii'" in res.output
    assert "server log" in res.output


def free() -> int:
    from tvgcurate.labeling.server import free_port

    return free_port()
