import json

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.workspace import Workspace


@pytest.mark.slow
def test_demo_runs_and_ingests_every_generated_sample(tmp_path):
    r = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "d"), "--num-videos", "6"])
    assert r.exit_code == 0, r.output
    ws = Workspace(tmp_path / "d" / "workspace")
    gt = json.loads((tmp_path / "d" / "data" / "ground_truth.json").read_text())
    samples = ws.read("samples")
    source_ids = {r["sample_id"] for r in samples.to_pylist() if r["origin"] == "source"}
    assert source_ids == {q["sample_id"] for q in gt["queries"]}
    assert ws.read("videos").column("probe_error").null_count == 6
    assert "where everything is" in r.output
