"""Fixtures for the Label Studio tests.

``ls_server`` (defined in tests/conftest.py, so that the labeling, CLI and benchmark tests
share it) starts ONE real Label Studio (from .venv-labelstudio) for the whole session:
127.0.0.1, a free port, SQLite in a temporary data dir, HOME/XDG dirs in tmp, no version
check, no analytics, a pre-created user with a legacy token (enabled at the first start),
local-files serving rooted at a temporary media dir. It stops the server by its pid.
Without the Label Studio venv the server tests are skipped, except in CI (CI=true), where
they fail loudly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pytest

from tvgcurate.workspace import Workspace

FPS_CASES = {"fps24": Fraction(24), "fps25": Fraction(25), "fps2997": Fraction(30000, 1001)}


from tvgcurate.labeling.server import free_port  # noqa: E402 - re-exported for the tests


@dataclass
class LSServer:
    url: str
    token: str
    email: str
    password: str
    media_root: Path
    data_dir: Path
    pid: int
    log_path: Path


def server_config(tmp_path_factory, name: str):
    """A fresh data dir, media dir and free port for a test server; skips (or fails, in CI)
    when the Label Studio venv is missing."""
    from tvgcurate.labeling.server import ServerConfig, ServerError, find_label_studio

    try:
        find_label_studio()
    except ServerError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true but Label Studio is missing: {exc}")
        pytest.skip(f"Label Studio venv missing (run scripts/setup-labelstudio.sh): {exc}")
    base = tmp_path_factory.mktemp(name)
    media = base / "media" / "videos"
    media.mkdir(parents=True)
    return ServerConfig(data_dir=base / "data", port=free_port(), media_root=media)


def make_video(path: Path, fps: Fraction, seconds: float, size=(64, 48)) -> Path:
    """A small H.264 MP4 at an exact frame rate, from the demo-data renderer."""
    from tvgcurate.demo.render import clip_spec, render_video

    spec = clip_spec(
        path.stem,
        width=size[0],
        height=size[1],
        fps=fps,
        duration=seconds,
        cuts=(seconds / 2,),
        shapes=(("circle", "red", 1.0, seconds - 1.0),),
    )
    return render_video(spec, path)


def video_rows(media_root: Path, names: dict[str, Fraction], seconds: float = 8.0) -> list[dict]:
    """Make (once) and probe one video per name; rows for the videos table."""
    from tvgcurate.curation.videos import probe

    rows = []
    for vid, fps in names.items():
        rel = f"{vid}.mp4"
        if not (media_root / rel).exists():
            make_video(media_root / rel, fps, seconds)
        rows.append({"video_id": vid, "path": rel, **probe(media_root / rel)})
    return rows


def sample_rows(videos: list[dict], n: int = 20, split: str = "val") -> list[dict]:
    """`n` QVH-style samples over `videos`; windows on a 2 s grid; some hard PIR pairs."""
    rows = []
    for i in range(n):
        v = videos[i % len(videos)]
        start = float(2 * (i % 3))
        synthetic = i in (18, 19)
        rows.append(
            {
                "sample_id": f"qvhighlights:{split}:{1000 + i}",
                "video_id": v["video_id"],
                "query": f"query number {i}",
                "windows": [] if synthetic else [{"start": start, "end": start + 2.0}],
                "relevance": "irrelevant" if synthetic else "relevant",
                "split": split,
                "source": "qvhighlights",
                "source_qid": str(1000 + i),
                "duration_s": v["duration_s"],
                "origin": "synthetic:hard" if synthetic else "source",
                "parent_sample_id": f"qvhighlights:{split}:{1000 + i - 5}" if synthetic else None,
                "needs_review": synthetic,
            }
        )
    return rows


def make_workspace(root: Path, media_root: Path, n: int = 20, prefix: str = "") -> Workspace:
    ws = Workspace(root, create=True)
    names = {f"{prefix}{k}": fps for k, fps in FPS_CASES.items()}
    videos = video_rows(media_root, names)
    ws.write("videos", pa.Table.from_pylist(videos))
    ws.write("samples", pa.Table.from_pylist(sample_rows(videos, n)))
    return ws


@pytest.fixture
def offline_ws(tmp_path) -> tuple[Workspace, Path]:
    """A workspace with 20 samples over 3 tiny videos (24, 25, 29.97 fps); no server."""
    media = tmp_path / "media" / "videos"
    return make_workspace(tmp_path / "ws", media), media


def signup(url: str, email: str, password: str) -> str:
    """Sign a second user up through the web form, as a person would; returns their token."""
    import re

    import httpx

    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as c:
        page = c.get("/user/signup/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        c.post(
            "/user/signup/",
            data={"csrfmiddlewaretoken": csrf, "email": email, "password": password},
            headers={"Referer": url + "/user/signup/"},
        )
        r = c.get("/api/current-user/token")
        r.raise_for_status()
        return r.json()["token"]


@pytest.fixture(scope="session")
def annotator_b(ls_server) -> str:
    """The token of a second annotator (signed up once per session)."""
    return signup(ls_server.url, "annotator.b@example.org", "b-password-123456")


def ui_result(frames=None, verdict=None, rewrite=None) -> list[dict]:
    """An annotation result exactly as the labeling UI submits it."""
    import secrets as _s

    from tvgcurate.labeling import config as lc

    out = []
    for a, b in frames or []:
        out.append({"id": _s.token_hex(5), "type": "timelinelabels", "origin": "manual",
                    "to_name": lc.VIDEO, "from_name": lc.MOMENT,
                    "value": {"ranges": [{"start": a, "end": b}], "timelinelabels": [lc.MOMENT_LABEL]}})  # fmt: skip
    if verdict:
        out.append({"id": _s.token_hex(5), "type": "choices", "origin": "manual",
                    "to_name": lc.VIDEO, "from_name": lc.VERDICT,
                    "value": {"choices": [lc.VERDICT_CHOICE[verdict]]}})  # fmt: skip
    if rewrite:
        out.append({"id": _s.token_hex(5), "type": "textarea", "origin": "manual",
                    "to_name": lc.QUERY, "from_name": lc.REWRITE, "value": {"text": [rewrite]}})  # fmt: skip
    return out
