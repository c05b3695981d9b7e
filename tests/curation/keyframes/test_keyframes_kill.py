"""A real SIGKILL in the middle of `tvgcurate keyframes`, then a rerun: the finished shards
are reused and the keyframes table equals a clean run's (each frame once)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import make_workspace, write_clip

pytestmark = pytest.mark.slow

N_VIDEOS = 8


def _cli(ws_root, **kw):
    args = [sys.executable, "-m", "tvgcurate", "keyframes", "-w", str(ws_root),
            "--shard-size", "1", "--no-progress"]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen(args, env=env, text=True, **kw)


def _sorted_rows(table):
    return sorted(table.to_pylist(), key=lambda r: (r["video_id"], r["frame_index"]))


def test_sigkill_then_rerun_reuses_shards_and_matches_a_clean_run(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    clips = {
        f"v{i}": write_clip(media / f"v{i}.mp4", [1.0 + i % 5], duration=8.0, seed=i)
        for i in range(N_VIDEOS)
    }
    killed = make_workspace(tmp_path / "killed", media, clips)
    clean = make_workspace(tmp_path / "clean", media, clips)

    p = _cli(killed.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scratch = killed.root / "work" / "keyframes"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:
        if scratch.is_dir() and any(scratch.rglob("*.done")):
            break
        time.sleep(0.002)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    marked = len(list(scratch.rglob("*.done")))
    assert 1 <= marked < N_VIDEOS, f"kill the run halfway ({marked} of {N_VIDEOS} shards done)"
    assert killed.current("keyframes") is None  # killed before the table was written

    rerun = _cli(killed.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, out
    m = re.search(r"(\d+) shard\(s\) computed, (\d+) reused", out)
    assert m, out
    assert (int(m[1]), int(m[2])) == (N_VIDEOS - marked, marked)  # finished shards reused
    assert killed.current("keyframes").version == 1

    ref = _cli(clean.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ref_out, _ = ref.communicate(timeout=300)
    assert ref.returncode == 0, ref_out
    assert f"{N_VIDEOS} shard(s) computed, 0 reused" in ref_out

    got, want = killed.read("keyframes"), clean.read("keyframes")
    assert got.schema == want.schema
    keys = [(r["video_id"], r["frame_index"]) for r in got.to_pylist()]
    assert len(keys) == len(set(keys)) == want.num_rows  # nothing duplicated, nothing lost
    assert {k[0] for k in keys} == set(clips)
    assert all(r["error"] is None for r in got.to_pylist())
    assert _sorted_rows(got) == _sorted_rows(want)
