"""The evidence model of the priority (reliability.py, ranking.py): each flag adds
ln((1-f)/f) with f its check's false-alarm rate measured on the audited rows, so one
decisive flag outranks several weak ones, and the rate holds up when the rows carry errors."""

from __future__ import annotations

import json
import math

import pytest

from tvgcurate.curation.audit import CHECKS, rank
from tvgcurate.curation.audit.context import AuditContext
from tvgcurate.curation.audit.predictions import folds, model_evidence
from tvgcurate.curation.audit.ranking import measure_trust, ranked_by
from tvgcurate.curation.audit.reliability import estimate, log_odds


def row(sid, check, flagged, score=None, value=None):
    """One audit row; model checks' alarms read `value` (IoU, spread), others `is_issue`."""
    return {
        "audit_id": "a", "sample_id": sid, "check": check, "is_issue": flagged,
        "score": (0.0 if flagged else 1.0) if score is None else score, "value": value,
        "detail": "", "error": None,
    }  # fmt: skip


def rule_rows(check, n, fired):
    return [row(f"s{i}", check, i in fired) for i in range(n)]


def iou_rows(n, low: set[int], flagged: set[int]):
    """iou_disagreement rows: IoU 0.1 on `low` (alarms), 0.8 elsewhere; `flagged` the tail."""
    return [row(f"s{i}", "iou_disagreement", i in flagged, 0.1 if i in low else 0.8,
                0.1 if i in low else 0.8) for i in range(n)]  # fmt: skip


def spread_rows(n, high: set[int]):
    return [row(f"s{i}", "iou_spread", i in high, 0.2 if i in high else 0.9,
                0.8 if i in high else 0.1) for i in range(n)]  # fmt: skip


def test_weight_is_measured_from_the_fire_rate():
    """The same check weighs differently on different data: rare -> strong, common -> ~0."""
    weights = {}
    for share in (0.01, 0.10, 0.45):
        n = 400
        rel = estimate(rule_rows("zero_length", n, set(range(int(share * n)))))["zero_length"]
        assert rel.fire_rate == pytest.approx(share)
        assert rel.false_alarm == pytest.approx(share, rel=0.15)  # prior: 4 rows' worth
        assert rel.weight == pytest.approx(log_odds(rel.false_alarm))
        weights[share] = rel.weight
    assert weights[0.01] == pytest.approx(math.log(99), abs=0.3)  # ~ln(1/0.01)
    assert weights[0.10] == pytest.approx(math.log(9), abs=0.2)
    assert weights[0.45] < 0.3  # ~0: a check firing on 45% of rows is nearly no evidence
    assert weights[0.01] > weights[0.10] > weights[0.45]


def test_one_decisive_flag_outranks_two_common_weak_flags():
    """At model mIoU ~50, iou_disagreement alarms on 45% and iou_spread on 30% of rows;
    false_refusal fires on 1%. A row with the rare flag alone ranks above a row with both
    common flags (the old noisy-OR of fixed weights ranked it below)."""
    n = 400
    low = set(range(0, 180))  # 45%: IoU under 0.5
    high = set(range(40, 160))  # 30%: spread over 0.5
    rows = iou_rows(n, low, flagged=set(range(0, 80)))  # the model's lowest 20% flagged
    rows += spread_rows(n, high)
    rows += rule_rows("false_refusal", n, {396, 397, 398, 399})  # 1%
    out, _, rel = rank(rows)
    assert rel["false_refusal"].weight == pytest.approx(math.log(99), abs=0.4)
    # The alarm (IoU < 0.5), not the narrower flag, sets iou_disagreement's weight.
    assert rel["iou_disagreement"].fire_rate == pytest.approx(0.45)
    assert rel["iou_disagreement"].weight < 0.3
    assert rel["iou_spread"].weight == pytest.approx(math.log(0.7 / 0.3), abs=0.15)
    order = [r["sample_id"] for r in out]
    both_weak = "s50"  # flagged by iou_disagreement and iou_spread
    by = {r["sample_id"]: r for r in out}
    assert "iou_disagreement" in by[both_weak]["detail"] and "iou_spread" in by[both_weak]["detail"]
    assert order.index("s399") < order.index(both_weak)
    assert order[:4] == ["s396", "s397", "s398", "s399"]
    data = json.loads(by["s399"]["data"])
    assert data["flags"]["false_refusal"]["fire_rate"] == pytest.approx(0.01)
    assert by["s399"]["value"] == pytest.approx(1 - math.exp(-data["evidence"]))
    assert by["s399"]["score"] == pytest.approx(math.exp(-data["evidence"]))
    assert [r["rank"] for r in out] == list(range(1, n + 1))


def test_flags_that_weigh_nothing_do_not_order_rows():
    """Checks that fire on most rows (an uninformative model's, say) weigh 0. Two such flags
    must not put a row above one with a single such flag and a worse score elsewhere; a
    weighty flag still comes first."""
    n = 40
    rows = rule_rows("whitespace_query", n, set(range(0, 30)))  # 75%: weight 0
    rows += rule_rows("positional_leak", n, set(range(0, 25)))  # 62%: weight 0
    rows += rule_rows("duplicate_query", n, {39})  # 2.5%: decisive
    rows += [row(f"s{i}", "whole_video", False, 0.2 if i == 29 else 1.0) for i in range(n)]
    out, _, rel = rank(rows)
    assert rel["whitespace_query"].weight == 0 and rel["positional_leak"].weight == 0
    order = [r["sample_id"] for r in out]
    assert order[0] == "s39"
    # s29 (one weightless flag, severity from whole_video) before s0 (two weightless flags)
    assert order.index("s29") < order.index("s0")
    # flagged rows still come before rows with no flag at all
    assert order.index("s29") < order.index("s35")


def test_reliability_holds_up_on_contaminated_rows():
    """25% of the rows carry errors. duplicate_query fires on 1% of the clean rows and on
    the 40 errors that four rare rule checks catch; the raw fire rate (11%) would make it a
    middling check, the estimate leaves out the rows another decisive check flags and finds
    the clean rate again. Errors no other check sees only inflate f: the weight errs low."""
    n, rules = 400, ("zero_length", "negative_time", "start_after_end", "empty_query")
    errors = {c: set(range(10 * i, 10 * i + 10)) for i, c in enumerate(rules)}
    caught = set().union(*errors.values())  # 40 rows, 10 per rule check (2.5% each)
    unseen = set(range(40, 100))  # 60 more errors that only the model would see
    clean_alarms = {100, 200, 300, 399}  # 4 of the 300 clean rows (~1.3%)
    rows = [r for c in rules for r in rule_rows(c, n, errors[c])]
    rows += rule_rows("duplicate_query", n, caught | clean_alarms)
    rel = estimate(rows)["duplicate_query"]
    assert rel.fire_rate == pytest.approx(44 / 400)
    assert rel.clean_rows == n - len(caught)
    assert rel.false_alarm < 0.025 and rel.weight > 3.5  # ~1.1% + the prior
    assert log_odds(rel.fire_rate) < 2.2  # what the raw rate would have said
    # Contamination only one check sees: f is an upper bound, the check stays decisive.
    model = rule_rows("false_refusal", n, unseen | clean_alarms)  # raw 16%
    out, _, rel2 = rank(rows + model + spread_rows(n, set(range(150, 270))))
    assert rel2["false_refusal"].false_alarm >= 4 / 360
    order = [r["sample_id"] for r in out]
    assert order.index("s50") < order.index("s150")  # false_refusal vs iou_spread alone


def test_model_thresholds_follow_the_models_distribution():
    """A model with mean IoU 0.5 would flag half the rows at IoU < 0.5: the flag keeps its
    class's lowest `tail` (20%), the alarm stays at 0.5 and the weight says it is weak."""
    rows, preds = [], {}
    for i in range(100):
        sid = f"q{i}"
        rows.append({"sample_id": sid, "video_id": "v", "query": "a person", "relevance":
                     "relevant", "source": "charades-sta", "origin": "source",
                     "windows": [{"start": 0.0, "end": 10.0}]})  # fmt: skip
        end = 10.0 * (i + 0.5) / 100  # IoU = end / 10, spread over 0..1
        preds[sid] = {"windows": [{"start": 0.0, "end": end, "score": 1.0}], "refused": False}
    ctx = AuditContext(rows, predictions=preds)
    check = CHECKS["iou_disagreement"]()
    out = check.rows(ctx, "a")
    flagged = sum(r["is_issue"] for r in out)
    assert 18 <= flagged <= 22  # not 50
    rel = estimate(out, {"iou_disagreement": check})["iou_disagreement"]
    assert rel.alarms == 50 and rel.weight < 0.1
    # tail=1: the fixed threshold alone, as before.
    (loose,) = [CHECKS["iou_disagreement"](CHECKS["iou_disagreement"].Config(tail=1.0))]
    assert sum(r["is_issue"] for r in loose.rows(ctx, "a")) == 50


def test_family_ranking_uses_the_same_evidence():
    rows = rule_rows("zero_length", 100, {3}) + spread_rows(100, set(range(50)))
    assert ranked_by(rows, lambda n: n == "zero_length")[0] == "s3"
    assert set(ranked_by(rows, lambda n: n == "iou_spread")[:50]) == {f"s{i}" for i in range(50)}


def test_model_evidence_out_of_fold_or_in_sample():
    oof = {"a": {"fold": 0, "windows": []}, "b": {"fold": 2, "windows": []}}
    assert folds(oof) == 2 and model_evidence(oof) == "out of fold (2 folds)"
    assert model_evidence({"a": {"fold": 0}, "b": {"fold": None}}) == "in-sample"
    assert model_evidence({"a": {"windows": []}}) == "in-sample"  # no fold column at all
    assert model_evidence(None) is None
    # Out of fold, every row counts as held out (train split included).
    rows = [{"sample_id": s, "split": "train", "relevance": "irrelevant"} for s in oof]
    oof = {s: dict(p, refused=True) for s, p in oof.items()}
    trust = measure_trust(AuditContext(rows, predictions=oof))
    assert trust.source == "out-of-fold" and trust.rows == 2 and float(trust) == 1.0


def test_a_check_that_reads_no_label_adds_no_evidence():
    """iou_spread compares the K answers with each other, never with the label: a model that
    is unsure of a row says nothing about its label (on the active-learning benchmark it
    fired on 20% of correct rows and 18% of planted errors). Its reliability is still
    measured and reported, its flag weighs 0 in the priority, and --weight brings it back."""
    from tvgcurate.curation.audit.ranking import RankingConfig, weighing

    n = 100
    rows = spread_rows(n, set(range(0, 10)))  # 10%: rare enough to weigh ~ln 9 if counted
    rows += iou_rows(n, low={95}, flagged={95})  # one disagreement with the label
    assert not CHECKS.get("iou_spread").reads_label and CHECKS.get("iou_disagreement").reads_label
    out, _, rel = rank(rows)
    assert rel["iou_spread"].weight > 1.5
    by = {r["sample_id"]: r for r in out}
    assert json.loads(by["s0"]["data"])["evidence"] == 0.0 and by["s0"]["score"] == 1.0
    assert out[0]["sample_id"] == "s95"
    assert "iou_spread reads no label: weighs 0" in " ".join(weighing(rel))
    again, _, _ = rank(rows, RankingConfig(weights={"iou_spread": 1.0}))
    by = {r["sample_id"]: r for r in again}
    assert json.loads(by["s0"]["data"])["evidence"] == pytest.approx(rel["iou_spread"].weight)
    assert "reads no label" not in " ".join(
        weighing(rel, cfg=RankingConfig(weights={"iou_spread": 1.0}))
    )
