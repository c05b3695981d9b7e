import json

import pytest

from tvgcurate.curation.ingest import IngestConfig, ingest
from tvgcurate.errors import TvgError
from tvgcurate.exporters import ExportConfig, export


@pytest.mark.realdata
@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_real_qvhighlights_round_trip_is_exact(shared_data, tmp_path, split):
    src = shared_data / "qvhighlights" / f"highlight_{split}_release.jsonl"
    ingest(IngestConfig(sources=[src], workspace=tmp_path / "ws"))
    out = tmp_path / f"{split}.jsonl"
    n = export(
        ExportConfig(
            workspace=tmp_path / "ws",
            format="qvhighlights",
            out=out,
            split=split,
            source="qvhighlights",
        )
    ).written
    original = [json.loads(line) for line in src.read_text().splitlines() if line.strip()]
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert n == len(original)
    assert exported == original
    assert all(
        list(a) == list(b) for a, b in zip(exported, original, strict=True)
    )  # field order too


def test_export_refuses_existing_path_and_is_atomic(tmp_path):
    src = tmp_path / "highlight_val_release.jsonl"
    src.write_text(
        json.dumps(
            {"qid": 1, "query": "q", "duration": 10, "vid": "v_0_10", "relevant_windows": [[0, 2]]}
        )
        + "\n"
    )
    ingest(IngestConfig(sources=[src], workspace=tmp_path / "ws"))
    out = tmp_path / "out.jsonl"
    out.write_text("keep me")
    cfg = dict(workspace=tmp_path / "ws", format="qvhighlights", out=out)
    with pytest.raises(TvgError, match="exists; pass --overwrite"):
        export(ExportConfig(**cfg))
    assert out.read_text() == "keep me"
    export(ExportConfig(**cfg, overwrite=True))
    assert json.loads(out.read_text())["relevant_windows"] == [[0, 2]]
    assert not list(tmp_path.glob(".out.jsonl*"))


def test_unknown_format(tmp_path):
    with pytest.raises(TvgError, match="unknown export format 'nope'"):
        ExportConfig(workspace=tmp_path, format="nope", out=tmp_path / "x")
