import json

from typer.testing import CliRunner

from tvgcurate.cli import app

runner = CliRunner()


def _qvh(tmp_path):
    f = tmp_path / "highlight_val_release.jsonl"
    f.write_text(
        json.dumps(
            {"qid": 1, "query": "q", "duration": 10, "vid": "v_0_10", "relevant_windows": [[0, 2]]}
        )
        + "\n"
    )
    return f


def test_every_command_has_help_with_an_example():
    import typer

    group = typer.main.get_command(app)
    names = list(group.commands)
    assert {"ingest", "info", "log", "export", "checkout"} <= set(names)
    for name in names:
        cmd = group.commands[name]
        subs = cmd.commands.values() if hasattr(cmd, "commands") else [cmd]
        for sub in subs:
            text = (sub.epilog or "") + (sub.help or "")
            assert "Example" in text or "example" in text, f"{name} {sub.name} has no example"


def test_ingest_info_log_export(tmp_path):
    ws = tmp_path / "ws"
    r = runner.invoke(app, ["ingest", str(_qvh(tmp_path)), "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["info", "--workspace", str(ws)])
    assert r.exit_code == 0 and "qvhighlights" in r.output and "samples" in r.output
    r = runner.invoke(app, ["log", "--workspace", str(ws)])
    assert r.exit_code == 0 and "v1" in r.output
    out = tmp_path / "o.jsonl"
    r = runner.invoke(
        app, ["export", "--workspace", str(ws), "--format", "qvhighlights", "--out", str(out)]
    )
    assert r.exit_code == 0 and out.exists()


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    f = tmp_path / "x_val.jsonl"
    f.write_text('{"qid": 1, "query": "q", "duration": 10, "vid": "v"}\n{"qid": 2, "query": \n')
    r = runner.invoke(app, ["ingest", str(f), "--workspace", str(tmp_path / "ws")])
    assert r.exit_code == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert (
        len(lines) == 1 and f"{f}:2:" in lines[0].replace("\n", "") and "malformed JSON" in lines[0]
    )
