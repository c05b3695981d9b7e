import datasets
import pyarrow.compute as pc
import pytest

from tvgcurate.errors import TvgError
from tvgcurate.exporters import ExportConfig, export
from tvgcurate.workspace import Workspace


def _selected(ws, split):
    s = ws.read("samples")
    return s.filter(pc.equal(s.column("split"), split)).to_pylist()


def test_round_trip_loses_nothing_in_both_loaders(tricky_ws, tmp_path):
    out = tmp_path / "hf"
    res = export(
        ExportConfig(
            workspace=tricky_ws.root,
            format="hf",
            out=out,
            include_irrelevant=True,
            options={"frames": "none"},
        )
    )
    assert res.written == tricky_ws.read("samples").num_rows
    dsd = datasets.load_from_disk(str(out))
    assert set(dsd) == {"train", "val"}
    for split in dsd:
        assert dsd[split].to_list() == _selected(tricky_ws, split)  # every column, exactly
        pq = datasets.load_dataset(
            "parquet",
            data_files={split: str(out / "data" / f"{split}-*.parquet")},
            cache_dir=str(tmp_path / "cache"),
        )[split]
        assert pq.to_list() == _selected(tricky_ws, split)
        assert pq.features == dsd[split].features
    via_card = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache2"))
    assert {s: len(d) for s, d in via_card.items()} == {s: len(d) for s, d in dsd.items()}


def test_card_has_counts_features_provenance_and_licence(tricky_ws, tmp_path):
    out = tmp_path / "hf"
    export(ExportConfig(workspace=tricky_ws.root, format="hf", out=out, include_irrelevant=True))
    card = (out / "README.md").read_text(encoding="utf-8")
    tv = tricky_ws.current("samples")
    assert card.startswith("---\nlicense: cc-by-nc-sa-4.0\n")
    assert "| train | qvhighlights | irrelevant | 1 |" in card
    assert "| train | qvhighlights | relevant | 2 |" in card
    assert "| val | qvhighlights | relevant | 2 |" in card
    assert f"samples version: v{tv.version}" in card and tv.sha256 in card
    assert str(tricky_ws.root.resolve()) in card
    assert "| `windows` |" in card and "| `frames` |" in card
    custom = tmp_path / "hf2"
    export(
        ExportConfig(workspace=tricky_ws.root, format="hf", out=custom, options={"license": "mit"})
    )
    assert "license: mit" in (custom / "README.md").read_text()


def test_cached_frames_go_in_as_an_image_sequence(tricky_ws, tmp_path):
    out = tmp_path / "hf"
    export(ExportConfig(workspace=tricky_ws.root, format="hf", out=out, split="val"))
    ds = datasets.load_from_disk(str(out))["val"]
    assert ds.features["frames"] == datasets.List(datasets.Image())
    kf = [r for r in tricky_ws.read("keyframes").to_pylist() if r["video_id"] == ds[0]["video_id"]]
    row = ds[0]
    assert [im.size for im in row["frames"]] == [(k["width"], k["height"]) for k in kf]
    assert row["frame_timestamps"] == [k["timestamp_s"] for k in kf]
    assert row["frames_error"] is None
    pq = datasets.load_dataset(
        "parquet", data_files=str(out / "data" / "val-*.parquet"), cache_dir=str(tmp_path / "c")
    )["train"]
    assert [im.size for im in pq[0]["frames"]] == [im.size for im in row["frames"]]
    core = {k: v for k, v in row.items() if k not in ("frames", "frame_timestamps", "frames_error")}
    assert core == _selected(tricky_ws, "val")[0]


def test_frames_require_without_cache_is_an_error(tricky_ws, tmp_path):
    ws = Workspace(tmp_path / "ws", create=True)
    ws.write("samples", tricky_ws.read("samples"))
    with pytest.raises(TvgError, match="keyframes --cache-frames"):
        export(
            ExportConfig(
                workspace=ws.root, format="hf", out=tmp_path / "o", options={"frames": "require"}
            )
        )
    assert not (tmp_path / "o").exists()


def test_shards_split_large_sets(tricky_ws, tmp_path):
    out = tmp_path / "hf"
    export(
        ExportConfig(
            workspace=tricky_ws.root,
            format="hf",
            out=out,
            include_irrelevant=True,
            options={"max_shard_mb": "0.000001", "frames": "none"},
        )
    )
    shards = sorted(p.name for p in (out / "data").glob("train-*.parquet"))
    assert shards == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    back = datasets.load_dataset(
        "parquet", data_files=str(out / "data" / "train-*.parquet"), cache_dir=str(tmp_path / "c")
    )["train"]
    assert sorted(back["sample_id"]) == sorted(
        r["sample_id"] for r in _selected(tricky_ws, "train")
    )
