import json

import pytest

from tests.exporters.conftest import TRICKY
from tvgcurate.curation.ingest import IngestConfig, ingest
from tvgcurate.errors import TvgError
from tvgcurate.exporters import ExportConfig, export
from tvgcurate.workspace import Workspace


def test_native_file_round_trip_is_the_same_json(demo_dir, tmp_path):
    src = demo_dir / "activitynet" / "val_1.json"
    ingest(IngestConfig(sources=[src], workspace=tmp_path / "ws"))
    out = tmp_path / "val_1.json"
    res = export(ExportConfig(workspace=tmp_path / "ws", format="activitynet", out=out))
    original, exported = json.loads(src.read_text()), json.loads(out.read_text())
    assert exported == original
    assert list(exported) == list(original)  # video order too
    assert all(list(exported[v]) == ["duration", "timestamps", "sentences"] for v in exported)
    assert res.written == sum(len(v["sentences"]) for v in original.values())


def test_sentence_order_follows_the_sentence_index_not_the_table(demo_dir, tmp_path):
    src = demo_dir / "activitynet" / "val_1.json"
    ingest(IngestConfig(sources=[src], workspace=tmp_path / "ws"))
    ws = Workspace(tmp_path / "ws")
    samples = ws.read("samples")
    ws.write("samples", samples.take(list(reversed(range(samples.num_rows)))))
    out = tmp_path / "val_1.json"
    export(ExportConfig(workspace=tmp_path / "ws", format="activitynet", out=out))
    exported, original = json.loads(out.read_text()), json.loads(src.read_text())
    assert exported == original  # the table was reversed; sentences come back in index order


def test_tricky_queries_survive_reingest(tricky_ws, tmp_path):
    out = tmp_path / "val.json"
    res = export(ExportConfig(workspace=tricky_ws.root, format="activitynet", out=out))
    assert res.written == len(TRICKY) + 1
    ingest(IngestConfig(sources=[out], workspace=tmp_path / "ws2"))
    back = Workspace(tmp_path / "ws2").read("samples").to_pylist()
    orig = [s for s in tricky_ws.read("samples").to_pylist() if s["relevance"] == "relevant"]
    expected = sorted(
        (s["video_id"], s["query"], w["start"], w["end"], s["duration_s"])
        for s in orig
        for w in s["windows"]
    )
    got = sorted(
        (
            s["video_id"],
            s["query"],
            s["windows"][0]["start"],
            s["windows"][0]["end"],
            s["duration_s"],
        )
        for s in back
    )
    assert got == expected


def test_missing_duration_comes_from_videos_or_is_a_clear_error(tricky_ws, tmp_path):
    ws = Workspace(tmp_path / "ws", create=True)
    samples = tricky_ws.read("samples")
    samples = samples.set_column(
        samples.column_names.index("duration_s"), "duration_s", [[None] * samples.num_rows]
    )
    ws.write("samples", samples)
    with pytest.raises(TvgError, match="has no duration"):
        export(ExportConfig(workspace=ws.root, format="activitynet", out=tmp_path / "a.json"))
    ws.write("videos", tricky_ws.read("videos"))
    export(ExportConfig(workspace=ws.root, format="activitynet", out=tmp_path / "a.json"))
    assert {v["duration"] for v in json.loads((tmp_path / "a.json").read_text()).values()} == {4.0}


@pytest.mark.realdata
def test_real_activitynet_rows_survive_the_native_format(shared_data, tmp_path):
    """Lighthouse's ActivityNet val -> ActivityNet json -> ingest: every query (with its
    outer whitespace), window and duration comes back."""
    src = shared_data / "lighthouse" / "activitynet_val_release.jsonl"
    ingest(IngestConfig(sources=[src], workspace=tmp_path / "ws"))
    out = tmp_path / "val_1.json"
    export(ExportConfig(workspace=tmp_path / "ws", format="activitynet", out=out))
    ingest(IngestConfig(sources=[out], workspace=tmp_path / "ws2"))
    key = ("video_id", "query", "windows", "duration_s")
    a = sorted(
        tuple(map(str, (r[k] for k in key)))
        for r in Workspace(tmp_path / "ws").read("samples").to_pylist()
    )
    b = sorted(
        tuple(map(str, (r[k] for k in key)))
        for r in Workspace(tmp_path / "ws2").read("samples").to_pylist()
    )
    assert a == b and len(b) == 17505
