"""The combined priority earns its keep: on planted data with a predictions run, the top 5%
holds at least 3x as many planted errors as 5% drawn at random; relabel uses the ranking.
The evidence model itself (weights measured from fire rates, decisive beats weak, robust to
contaminated rows) is tested on hand-made rows in test_evidence.py."""

from __future__ import annotations

import math

import pytest

from tests.helpers import ingest_demo
from tvgcurate.curation.audit import AuditConfig, run_audit
from tvgcurate.demo.data import DemoConfig, generate, load_ground_truth
from tvgcurate.demo.evaluate import oracle_predictions, planted_scores, precision_at_k
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
          f"lift={p_at_k / base:.1f}x agreement={res.trust:.2f}")  # fmt: skip
    assert p_at_k >= 3 * base
    # The model is what finds a shifted window: no annotation rule can.
    scores = {s.check: s for s in planted_scores(res.table, gt["planted"])}
    assert scores["iou_disagreement"].recall == 1.0
    # The trust is now the plain mean agreement (it no longer scales weights, so it is no
    # longer divided by a "full trust" constant): the oracle agrees with most labels.
    assert res.trust is not None and res.trust > 0.8
    # An oracle that disagrees on few rows earns its disagreement a decisive weight.
    assert res.reliability["iou_disagreement"].weight > 3.0
    assert res.model_evidence == "in-sample"


def test_relabel_select_uses_the_audit_ranking(big_planted):
    ws, _ = big_planted
    res = run_audit(AuditConfig(workspace=ws.root, encoder="hashing", progress=False))
    samples = ws.read("samples")
    assert select_ids(samples, "audit:top=7", ws) == res.ranked()[:7]
    assert rank_samples(ws.read("audits"))[:7] == res.ranked()[:7]
