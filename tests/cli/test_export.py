import pyarrow as pa
from typer.testing import CliRunner

from tests.exporters.conftest import make_tricky_workspace
from tvgcurate.cli import app

runner = CliRunner()


def test_export_with_format_options_and_sidecar(tmp_path):
    ws = make_tricky_workspace(tmp_path / "t", newline=True, irrelevant=False)
    out = tmp_path / "c.txt"
    args = ["export", "-w", str(ws.root), "--format", "charades-sta", "--out", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "--opt newlines=space" in r.output
    r = runner.invoke(app, args + ["--opt", "newlines=space"])
    assert r.exit_code == 0, r.output
    assert "wrote 6 record(s) as charades-sta" in r.output
    assert "Charades_v1_c.csv" in r.output
    r = runner.invoke(app, args + ["--opt", "newlines=space"])
    assert r.exit_code == 2 and "exists; pass --overwrite" in r.output


def test_bad_opt_is_one_clear_line(tmp_path):
    ws = make_tricky_workspace(tmp_path / "t")
    base = ["export", "-w", str(ws.root), "--format", "hf", "--out", str(tmp_path / "o")]
    r = runner.invoke(app, base + ["--opt", "frames"])
    assert r.exit_code == 2 and "expected KEY=VALUE" in r.output
    r = runner.invoke(app, base + ["--opt", "colour=red"])
    assert r.exit_code == 2 and "has no such option" in r.output
    assert not (tmp_path / "o").exists()


def test_left_out_samples_are_reported(tmp_path):
    ws = make_tricky_workspace(tmp_path / "t")
    videos = ws.read("videos")
    ws.write("videos", videos.slice(0, 1))  # vid1 disappears
    r = runner.invoke(
        app,
        ["export", "-w", str(ws.root), "--format", "sharegpt", "--out", str(tmp_path / "s.json")],
    )
    assert r.exit_code == 0, r.output
    assert "2 sample(s) left out" in r.output and "vid1" in r.output


def test_left_out_irrelevant_and_partial_rows_are_counted_with_the_flag(tmp_path):
    ws = make_tricky_workspace(tmp_path / "t")
    rows = ws.read("samples").to_pylist()
    irr = next(r for r in rows if r["relevance"] == "irrelevant")
    partial = {**irr, "sample_id": "qvhighlights:train:part0", "relevance": "partial"}
    ws.write("samples", pa.Table.from_pylist([*rows, partial], schema=ws.read("samples").schema))
    base = ["export", "-w", str(ws.root), "--format", "qvhighlights"]
    r = runner.invoke(app, [*base, "--out", str(tmp_path / "a.jsonl")])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())  # the console may wrap a long line
    assert "wrote 4 record(s)" in out
    assert "left out 2 row(s) the model must refuse (1 irrelevant, 1 partial)" in out
    assert "pass --include-irrelevant to keep them" in out
    r = runner.invoke(app, [*base, "--out", str(tmp_path / "b.jsonl"), "--include-irrelevant"])
    assert r.exit_code == 0, r.output
    assert "wrote 6 record(s)" in r.output and "left out" not in r.output
    # a format that cannot carry them says so, and where they can go
    r = runner.invoke(
        app,
        ["export", "-w", str(ws.root), "--format", "charades-sta", "--out", str(tmp_path / "c"),
         "--opt", "newlines=space"],
    )  # fmt: skip
    out = " ".join(r.output.split())
    assert r.exit_code == 0, r.output
    assert "(1 irrelevant, 1 partial); format 'charades-sta' cannot carry them" in out
