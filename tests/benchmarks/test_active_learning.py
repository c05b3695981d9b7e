"""benchmarks/active_learning.py --quick: the whole experiment's plumbing on a tiny demo
workspace (noise planted, round 0, precision@k, relabel through the session's Label Studio,
round 1 of both workspaces, plots). It checks the pipeline, not the claim."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def bench():
    spec = importlib.util.spec_from_file_location(
        "al_bench", REPO / "benchmarks/active_learning.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
@pytest.mark.server
def test_quick_runs_end_to_end(ls_server, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.token)
    out = ls_server.media_root / "al-quick"  # under the server's document root
    summary = bench().main(["--quick", "--out", str(out), "--url", ls_server.url,
                            "--document-root", str(ls_server.media_root.parent)])  # fmt: skip
    (r,) = summary["seeds"]
    planted = json.loads((out / "seed0" / "planted.json").read_text())
    assert r["planted"] == len(planted) > 0
    assert {p["kind"] for p in planted} <= {"moved", "swapped", "false_positive"}
    prec = r["find"]["precision"]
    assert set(prec) == {"priority", "model checks", "rule checks", "random"}
    assert all(0.0 <= v <= 1.0 for row in prec.values() for v in row.values())
    assert r["relabelled_versions"]["audit"] is not None
    assert r["relabelled_versions"]["random"] is not None
    assert r["remaining_planted"]["audit"] <= r["planted"]
    assert set(r["round1"]) == {"audit", "random"}
    assert (out / "precision.png").stat().st_size > 0 and (out / "rounds.png").exists()
    assert json.loads((out / "RESULTS.json").read_text())["seeds"][0]["seed"] == 0


def test_noise_kinds_are_what_the_issue_asks(tmp_path):
    import pyarrow as pa

    from tvgcurate.workspace import Workspace

    rows = []
    for v in range(4):
        for q, (s, e) in enumerate([(1.0, 3.0), (5.0, 8.0)]):
            rows.append({"sample_id": f"qvhighlights:train:{v * 3 + q}", "video_id": f"v{v}",
                         "query": "a red circle", "windows": [{"start": s, "end": e}],
                         "relevance": "relevant", "split": "train", "duration_s": 10.0})  # fmt: skip
        rows.append({"sample_id": f"qvhighlights:train:{v * 3 + 2}", "video_id": f"v{v}",
                     "query": "a blue square", "windows": [], "relevance": "irrelevant",
                     "split": "train", "duration_s": 10.0})  # fmt: skip
    ws = Workspace(tmp_path / "ws", create=True)
    ws.write("samples", pa.Table.from_pylist(rows), validate=False)
    planted = bench().plant_noise(ws, 0.75, seed=0)
    assert len(planted) == 9 and {p["kind"] for p in planted} == {
        "moved",
        "swapped",
        "false_positive",
    }
    for p in planted:
        ((a, b),) = p["after"]
        assert 0.0 <= a < b <= 10.0
        if p["kind"] == "moved":
            ((s, e),) = p["before"]
            assert 0.3 * (e - s) - 1e-6 <= abs(a - s) <= 0.6 * (e - s) + 1e-6
            assert b - a == pytest.approx(e - s)
        if p["kind"] == "swapped":
            assert p["after"] != p["before"] and [tuple(x) for x in p["after"]] in (
                [(1.0, 3.0)],
                [(5.0, 8.0)],
            )
        if p["kind"] == "false_positive":
            assert p["before"] == []
