"""Fixtures for the audit tests: the session's planted demo data ingested (with keyframes),
and a predictions table of a model that is right wherever the labels are right."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from tvgcurate.workspace import Workspace


def ingest_demo(demo: Path, ws_dir: Path, videos: bool = True) -> Workspace:
    from tvgcurate.curation.ingest import IngestConfig, ingest

    files = sorted(
        p
        for p in demo.rglob("*")
        if p.suffix in (".jsonl", ".txt", ".json", ".csv") and p.name != "ground_truth.json"
    )
    ingest(
        IngestConfig(sources=files, workspace=ws_dir, videos=demo / "videos" if videos else None)
    )
    return Workspace(ws_dir)


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


def oracle_predictions(gt: dict, run_id: str = "oracle", jitter: float = 0.5) -> pa.Table:
    """Predictions of a model that knows what is in each video: for every query it answers
    the true interval of the shape the query names (nudged by `jitter` s), so it agrees with
    every correct label and disagrees with a wrong one. Stands in for a trained model."""
    rows = []
    for i, q in enumerate(gt["queries"]):
        sh = q["shape"]
        d = jitter * (1 if i % 2 else -1)
        rows.append(
            {
                "run_id": run_id,
                "sample_id": q["sample_id"],
                "windows": [
                    {"start": max(0.0, sh["start"] + d), "end": sh["end"] + d, "score": 1.0}
                ],
                "refused": False,
                "raw_text": f"<answer>{sh['start']:06.1f} to {sh['end']:06.1f}</answer>",
            }
        )
    return pa.Table.from_pylist(rows)
