"""Fixtures for the audit tests: the session's planted demo data ingested (the helpers
`ingest_demo` lives in tests/helpers.py, `oracle_predictions` in tvgcurate.demo.evaluate)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import ingest_demo
from tvgcurate.workspace import Workspace


@pytest.fixture(scope="session")
def planted_ws_template(demo_dir, tmp_path_factory) -> Path:
    """demo_dir ingested with probed videos and keyframes (read-only template)."""
    from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes

    root = tmp_path_factory.mktemp("audit") / "ws"
    ingest_demo(demo_dir, root)
    run_keyframes(KeyframesConfig(workspace=root, progress=False))
    return root


@pytest.fixture
def planted_ws(planted_ws_template, tmp_path) -> Workspace:
    """A private copy of the planted workspace (tests may write audits into it)."""
    dst = tmp_path / "ws"
    shutil.copytree(planted_ws_template, dst)
    return Workspace(dst)


def sample(sid="s:val:1", video="v1", query="a person opens the door", windows=((2, 6),), **kw):
    """One samples row as an audit check reads it (the columns every check may look at)."""
    row = {
        "sample_id": sid, "video_id": video, "query": query,
        "windows": [{"start": float(s), "end": float(e)} for s, e in windows],
        "relevance": "relevant", "split": "val", "source": "qvhighlights", "duration_s": 30.0,
        "relevant_clip_ids": None, "origin": "source", "duration_source": "annotation",
    }  # fmt: skip
    row.update(kw)
    return row


@pytest.fixture
def conformance_ctx():
    """The shared tiny input every check must handle (`test_every_check_conforms`): odd rows
    (inverted window, blank query, a synthetic negative, no duration, a clip-cut video) and
    a prediction of every model field a check reads, `samples_text` (the K sampled answers of
    `score --num-samples K`, read by multiple_occurrence) included."""
    import numpy as np

    from tvgcurate.curation.audit.context import AuditContext, Keyframes

    rows = [
        sample("a", windows=((2, 6),)),
        sample("b", windows=((6, 2),), query="  "),
        sample("c", windows=(), relevance="irrelevant", origin="synthetic:cross-video"),
        sample("d", windows=((0, 30), (1, 2)), duration_s=None, relevant_clip_ids=[0, 1]),
        sample("e", video="x_10.0_40.0", windows=((2, 6),), relevant_clip_ids=[1, 2]),
    ]
    sampled = [f"<answer>{s} to {e}</answer>"
               for s, e in ((2, 5), (2.2, 5), (2, 5.5), (2.1, 4.8), (2, 5.2))]  # fmt: skip
    preds = {
        "a": {
            "windows": [{"start": 2.0, "end": 5.0, "score": 0.9}],
            "refused": False,
            "samples_text": [*sampled, "<answer>none</answer>"],
        },
        "c": {"windows": [], "refused": True, "iou_spread": 0.2, "refusal_rate": 0.75},
        "d": {"windows": None, "refused": False, "error": "could not build"},
    }
    kf = Keyframes(np.arange(0, 30, 0.5), np.zeros(60), np.zeros(60, bool))
    ctx = AuditContext(
        rows,
        videos={"v1": {"video_id": "v1", "duration_s": 30.0}},
        predictions=preds,
        embed=lambda texts: np.eye(len(texts), 8, dtype=np.float32),
    )
    ctx.__dict__["keyframes"] = {"v1": kf}
    return ctx
