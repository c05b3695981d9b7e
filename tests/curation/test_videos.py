import pyarrow.compute as pc

from tvgcurate.curation.ingest import IngestConfig, ingest
from tvgcurate.curation.videos import probe
from tvgcurate.demo.render import clip_spec, render_video
from tvgcurate.workspace import Workspace


def _mp4(path, seconds=2, fps=10, w=64, h=48):
    """A short clip from the demo-data renderer."""
    spec = clip_spec(path.stem, width=w, height=h, fps=fps, duration=seconds, cuts=(1.0,))
    return render_video(spec, path)


def test_probe_good_missing_and_corrupt(tmp_path):
    good = tmp_path / "good.mp4"
    _mp4(good)
    row = probe(good)
    assert row["probe_error"] is None
    assert (row["width"], row["height"], row["num_frames"], row["codec"]) == (64, 48, 20, "h264")
    assert abs(row["fps"] - 10) < 1e-6 and abs(row["duration_s"] - 2.0) < 0.11
    assert "file not found" in probe(tmp_path / "nope.mp4")["probe_error"]
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    err = probe(bad)["probe_error"]
    assert err and "decord" in err and "pyav" in err


def test_ingest_probes_records_errors_and_keeps_duration_mismatch(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    _mp4(media / "V1.mp4", seconds=3)
    (media / "V2.mp4").write_bytes(b"not a video")
    ann = tmp_path / "charades_sta_train.txt"
    ann.write_text("V1 0.0 1.0##a.\nV2 0.0 1.0##b.\nV3 0.0 1.0##c.\n")
    (tmp_path / "Charades_v1_train.csv").write_text("id,length\nV1,9.0\n")
    ingest(IngestConfig(sources=[ann], workspace=tmp_path / "ws", videos=media))
    ws = Workspace(tmp_path / "ws")
    videos = {r["video_id"]: r for r in ws.read("videos").to_pylist()}
    assert videos["V1"]["probe_error"] is None and abs(videos["V1"]["duration_s"] - 3.0) < 0.11
    assert videos["V2"]["probe_error"] and videos["V3"]["probe_error"].startswith(
        "no video file named V3"
    )
    samples = {r["video_id"]: r for r in ws.read("samples").to_pylist()}
    # annotated 9 s vs probed 3 s: kept as data, not fixed
    assert samples["V1"]["duration_s"] == 9.0 and samples["V1"]["duration_source"] == "annotation"
    assert samples["V2"]["duration_s"] is None
    assert ws.meta("media_root") == str(media.resolve())
    # a rerun probes only what failed before
    ingest(IngestConfig(sources=[ann], workspace=tmp_path / "ws", videos=media))
    assert (
        pc.sum(pc.is_null(Workspace(tmp_path / "ws").read("videos").column("probe_error"))).as_py()
        == 1
    )
