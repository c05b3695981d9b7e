"""The combined priority earns its keep: on planted data with a predictions run, the top 5%
holds at least 3x as many planted errors as 5% drawn at random; relabel uses the ranking."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from tests.helpers import ingest_demo, oracle_predictions
from tvgcurate.curation.audit import AuditConfig, RankingConfig, rank, run_audit
from tvgcurate.demo.data import DemoConfig, generate, load_ground_truth
from tvgcurate.demo.evaluate import planted_scores, precision_at_k
from tvgcurate.labeling.select import rank_samples, select_ids


@pytest.fixture(scope="module")
def big_planted(tmp_path_factory):
    """36 videos' annotations (no video files: fast), 20% planted, ingested."""
    root = tmp_path_factory.mktemp("rank")
    demo = root / "demo"
    generate(DemoConfig(out=demo, num_videos=36, seed=3, plant_errors=True, write_videos=False))
    ws = ingest_demo(demo, root / "ws", videos=False)
    return ws, load_ground_truth(demo)


def test_top_5_percent_beats_random_3x(big_planted):
    ws, gt = big_planted
    ws.write("predictions", oracle_predictions(gt))
    res = run_audit(
        AuditConfig(workspace=ws.root, predictions="oracle", encoder="hashing", progress=False)
    )
    planted = {p["sample_id"] for p in gt["planted"]}
    n = res.samples
    k = max(1, math.ceil(0.05 * n))
    base = len(planted) / n
    p_at_k = precision_at_k(res.ranked(), planted, k)
    print(f"\nn={n} planted={len(planted)} k={k} precision@k={p_at_k:.2f} random={base:.2f} "
          f"lift={p_at_k / base:.1f}x trust={res.trust:.2f}")  # fmt: skip
    assert p_at_k >= 3 * base
    # The model is what finds a shifted window: no annotation rule can.
    scores = {s.check: s for s in planted_scores(res.table, gt["planted"])}
    assert scores["iou_disagreement"].recall == 1.0
    assert res.trust is not None and res.trust > 0.9


def test_relabel_select_uses_the_audit_ranking(big_planted):
    ws, _ = big_planted
    res = run_audit(AuditConfig(workspace=ws.root, encoder="hashing", progress=False))
    samples = ws.read("samples")
    assert select_ids(samples, "audit:top=7", ws) == res.ranked()[:7]
    assert rank_samples(ws.read("audits"))[:7] == res.ranked()[:7]


def test_noisy_or_and_model_trust():
    def row(sid, check, score, issue):
        return {
            "audit_id": "a",
            "sample_id": sid,
            "check": check,
            "score": score,
            "is_issue": issue,
        }

    rows = [
        row("rule", "zero_length", 0.0, True),
        row("two_weak", "positional_leak", 0.5, False),
        row("two_weak", "split_leak", 0.4, False),
        row("one_weak", "positional_leak", 0.5, False),
        row("clean", "zero_length", 1.0, False),
        row("model", "iou_disagreement", 0.0, True),
        row("clean", "iou_disagreement", 0.1, True),
    ]
    out, trust = rank(rows, RankingConfig())
    order = [r["sample_id"] for r in out]
    assert order[0] == "rule" and trust == pytest.approx(0.1)
    assert order.index("two_weak") < order.index("one_weak")
    # A model that agrees with nothing barely moves the ranking.
    assert dict(zip(order, [r["value"] for r in out]))["model"] < 0.2
    assert all(0 <= r["score"] <= 1 for r in out)
    assert [r["rank"] for r in out] == list(range(1, len(out) + 1))
    assert pa.Table.from_pylist(out).num_rows == 5
