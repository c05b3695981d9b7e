"""Every audit check: on planted demo errors (precision/recall per check) and on hand-made
samples for the checks the demo does not plant."""

from __future__ import annotations

import numpy as np
import pytest

from tvgcurate.curation.audit import CHECKS, AuditConfig, build_checks, run_audit
from tvgcurate.curation.audit.context import AuditContext, Keyframes
from tvgcurate.demo.data import load_ground_truth
from tvgcurate.demo.evaluate import markdown_table, planted_scores
from tvgcurate.errors import TvgError

from .conftest import sample

WINDOW_KINDS = {
    "start_after_end", "negative_time", "past_duration", "zero_length", "whole_video",
    "overlapping_windows",
}  # fmt: skip
DURATION_KINDS = {"duration_mismatch", "vid_span_mismatch"}
# Rule checks whose flags are wrong by definition on demo data (precision must be 1.0).
EXACT = WINDOW_KINDS | DURATION_KINDS | {
    "clip_ids_mismatch", "whitespace_query", "empty_query", "positional_leak", "split_leak",
}  # fmt: skip


def flags(name, ctx, **overrides):
    (check,) = build_checks([name], {f"{name}.{k}": str(v) for k, v in overrides.items()})
    return {f.sample_id: (check.is_issue(f), f) for f in check.score(ctx)}


@pytest.fixture
def planted_audit(planted_ws, demo_dir):
    res = run_audit(AuditConfig(workspace=planted_ws.root, encoder="hashing", progress=False))
    return res, load_ground_truth(demo_dir)


def test_planted_errors_precision_recall(planted_audit):
    res, gt = planted_audit
    scores = {s.check: s for s in planted_scores(res.table, gt["planted"])}
    print("\n" + markdown_table(list(scores.values())))
    planted_kinds = {p["kind"] for p in gt["planted"]}
    assert planted_kinds >= WINDOW_KINDS | DURATION_KINDS  # the fixture plants every kind
    for kind in WINDOW_KINDS | DURATION_KINDS:
        assert scores[kind].recall == 1.0, (kind, scores[kind])
    for kind in EXACT:
        assert scores[kind].recall == 1.0, (kind, scores[kind])
        assert scores[kind].precision == 1.0, (kind, scores[kind])
    # Same text twice: both copies are flagged; one of them carries the planted error.
    dup = scores["duplicate_query"]
    assert dup.recall == 1.0 and dup.precision >= 0.5
    # No row of the demo needs an error: every sample was measurable.
    assert res.table.filter(res.table.column("error").is_valid()).num_rows == 0


def test_audit_writes_a_version_with_a_ranking(planted_audit, planted_ws):
    res, gt = planted_audit
    assert res.version == planted_ws.current("audits").version
    table = planted_ws.read("audits")
    prio = table.filter(table.column("check").to_pandas().eq("priority").to_numpy())
    assert prio.num_rows == res.samples
    assert sorted(prio.column("rank").to_pylist()) == list(range(1, res.samples + 1))
    scores = [s for s in table.column("score").to_pylist() if s is not None]
    assert min(scores) >= 0.0 and max(scores) <= 1.0
    # Every sample with a flagged rule violation outranks every sample without an issue.
    ranked = res.ranked()
    issue = {r["sample_id"]: r["is_issue"] for r in prio.to_pylist()}
    last_issue = max(i for i, s in enumerate(ranked) if issue[s])
    first_clean = min(i for i, s in enumerate(ranked) if not issue[s])
    assert last_issue < first_clean


@pytest.mark.parametrize("name", list(CHECKS))
def test_every_check_conforms(name, conformance_ctx):
    """Scores in 0..1 (or None with an error), a bool flag, no exception on odd rows."""
    ctx = conformance_ctx
    check = CHECKS[name]()
    out = check.rows(ctx, "audit-x")
    assert out, f"{name} returned no rows on the tiny input"
    for r in out:
        assert r["check"] == name and isinstance(r["is_issue"], bool)
        assert r["score"] is None or 0.0 <= r["score"] <= 1.0
        if r["score"] is None:
            assert r["error"] and not r["is_issue"]
    assert all(r["error"] is None for r in out if r["sample_id"] == "a")
    assert check.weight > 0 and check.description and check.family


def test_thresholds_change_flags_not_scores():
    ctx = AuditContext([sample("a", windows=((0, 28),)), sample("b", windows=((0, 20),))])
    default = flags("whole_video", ctx)
    loose = flags("whole_video", ctx, max_share=0.6)
    assert default["a"][0] and not default["b"][0]
    assert loose["a"][0] and loose["b"][0]
    assert [f.score for _, f in default.values()] == [f.score for _, f in loose.values()]
    with pytest.raises(TvgError, match="max_share"):
        build_checks(["whole_video"], {"whole_video.max_share": "0"})
    with pytest.raises(TvgError, match="no threshold"):
        build_checks(["whole_video"], {"whole_video.nope": "1"})


def test_window_rules_on_hand_made_samples():
    ctx = AuditContext(
        [
            sample("inv", windows=((8, 4),)),
            sample("neg", windows=((-2, 4),)),
            sample("past", windows=((20, 30.5),)),
            sample("edge", windows=((20, 30),)),
            sample("zero", windows=((5, 5),)),
            sample("overlap", windows=((2, 10), (8, 12))),
            sample("touch", windows=((2, 4), (4, 6))),
        ]
    )
    assert {s for s, (i, _) in flags("start_after_end", ctx).items() if i} == {"inv"}
    assert {s for s, (i, _) in flags("negative_time", ctx).items() if i} == {"neg"}
    assert {s for s, (i, _) in flags("past_duration", ctx).items() if i} == {"past"}
    assert not flags("past_duration", ctx, tolerance_s=1.0)["past"][0]
    assert {s for s, (i, _) in flags("zero_length", ctx).items() if i} == {"zero"}
    assert {s for s, (i, _) in flags("overlapping_windows", ctx).items() if i} == {"overlap"}


def test_duration_and_clip_grid():
    rows = [
        sample("ok", video="v1", duration_s=30.4),
        sample("bad", video="v2", duration_s=36.0),
        sample("gone", video="v3"),
        sample("span", video="abc_60.0_210.0", duration_s=150.0, relevant_clip_ids=[1, 2]),
        sample("short", video="abd_60.0_210.0", duration_s=126.0, relevant_clip_ids=[3]),
    ]
    ctx = AuditContext(
        rows,
        videos={"v1": {"duration_s": 30.0}, "v2": {"duration_s": 30.0}, "v3": {"probe_error": "x"}},
    )
    dm = flags("duration_mismatch", ctx)
    assert not dm["ok"][0] and dm["bad"][0] and dm["gone"][1].error
    vs = flags("vid_span_mismatch", ctx)
    assert not vs["span"][0] and vs["short"][0]
    assert not flags("vid_span_mismatch", ctx, flag_longer_duration_only=True)["short"][0]
    cg = flags("clip_ids_mismatch", ctx)  # window (2, 6) -> clips 1, 2
    assert not cg["span"][0] and cg["short"][0] and cg["short"][1].score == 0.0


def test_query_checks():
    ctx = AuditContext(
        [
            sample("ok", query="a man opens the fridge"),
            sample("empty", query=""),
            sample("one", query="dog"),
            sample("ws", query=" a man opens the fridge "),
            sample("anet", query=" A man opens the fridge.", source="activitynet"),
            sample("moji", query="a cafÃ© owner smiles"),
            sample("fffd", query="a man \ufffd smiles"),
            sample("ctrl", query="a man\x07 smiles"),
            sample("pos", query="At the beginning of the video a man waves"),
            sample("credits", query="End credits roll over a black screen"),
            sample("weak", query="at the end he waves goodbye"),
        ]
    )
    assert {s for s, (i, _) in flags("empty_query", ctx).items() if i} == {"empty", "one"}
    assert {s for s, (i, _) in flags("whitespace_query", ctx).items() if i} == {"ws"}
    assert {s for s, (i, _) in flags("broken_encoding", ctx).items() if i} == {
        "moji", "fffd", "ctrl",
    }  # fmt: skip
    pos = flags("positional_leak", ctx)
    assert {s for s, (i, _) in pos.items() if i} == {"pos", "credits"}
    assert pos["weak"][1].score == 0.5
    assert flags("positional_leak", ctx, flag_weak=True)["weak"][0]


def test_duplicates_and_near_duplicates():
    rows = [
        sample("a", query="A man opens the door.", windows=((2, 6),)),
        sample("b", query="a man opens the door", windows=((20, 24),)),
        sample("c", query="the man opens a door", windows=((10, 14),)),
        sample("d", query="a cat sleeps on the sofa", windows=((10, 14),)),
        sample("e", query="a man opens the door", video="v2"),
    ]
    texts_seen = []

    def embed(texts):
        texts_seen.extend(texts)
        # "man ... door" sentences point the same way; the cat elsewhere.
        return np.array(
            [[1.0, 0.0] if "door" in t else [0.0, 1.0] for t in texts], dtype=np.float32
        )

    ctx = AuditContext(rows, embed=embed)
    dup = flags("duplicate_query", ctx)
    assert dup["a"][0] and dup["b"][0] and not dup["c"][0] and "e" not in dup
    assert dup["a"][1].score == 0.0  # same text, disjoint windows: ambiguous
    near = flags("near_duplicate_query", ctx)
    assert near["c"][0] and not near["d"][0]
    assert "b" in near["c"][1].detail or "a" in near["c"][1].detail
    assert not flags("near_duplicate_query", ctx, min_similarity=1.01)["c"][0]


def test_split_leak_flags_the_minority():
    rows = [sample(f"t{i}", split="train") for i in range(3)] + [sample("v", split="val")]
    rows.append(sample("other", video="v9", split="val"))
    ctx = AuditContext(rows)
    got = flags("split_leak", ctx)
    assert {s for s, (i, _) in got.items() if i} == {"v"}
    assert {s for s, (i, _) in flags("split_leak", ctx, flag="all").items() if i} == {
        "t0", "t1", "t2", "v",
    }  # fmt: skip


def test_boundary_precision_reports_seconds():
    t = np.arange(0, 30, 0.5)
    change = np.where((t >= 10) & (t < 20), 0.05, 0.0)  # something on screen 10..20 s
    cut = np.isin(t, [25.0])
    ctx = AuditContext([sample("good", windows=((10, 20),)), sample("far", windows=((4, 14),))])
    ctx.__dict__["keyframes"] = {"v1": Keyframes(t, change, cut)}
    got = flags("boundary_precision", ctx)
    assert not got["good"][0]
    assert got["far"][0] and got["far"][1].data["start_s"] >= 4.0
    assert got["far"][1].value == pytest.approx(got["far"][1].data["start_s"])


def test_model_checks():
    rows = [
        sample("agree", windows=((2, 6),)),
        sample("off", windows=((20, 24),)),
        sample("refused", windows=((2, 6),)),
        sample("neg", windows=(), relevance="irrelevant"),
        sample("neg_ok", windows=(), relevance="irrelevant"),
    ]
    w = [{"start": 2.0, "end": 6.0, "score": 0.9}]
    preds = {
        "agree": {"windows": w, "refused": False, "iou_spread": 0.1},
        "off": {"windows": w, "refused": False, "iou_spread": 0.9},
        "refused": {"windows": [], "refused": True},
        "neg": {"windows": w, "refused": False},
        "neg_ok": {"windows": [], "refused": True},
    }
    ctx = AuditContext(rows, predictions=preds)
    iou = flags("iou_disagreement", ctx)
    assert not iou["agree"][0] and iou["off"][0] and iou["agree"][1].score == 1.0
    assert {s for s, (i, _) in flags("false_refusal", ctx).items() if i} == {"refused"}
    conf = flags("confident_on_irrelevant", ctx)
    assert conf["neg"][0] and not conf["neg_ok"][0]
    assert {s for s, (i, _) in flags("iou_spread", ctx).items() if i} == {"off"}


def test_per_item_failure_is_data():
    class Boom(CHECKS["zero_length"]):
        def score_one(self, ctx, row):
            if row["sample_id"] == "b":
                raise ValueError("bad row")
            return super().score_one(ctx, row)

    rows = Boom().rows(AuditContext([sample("a"), sample("b")]), "x")
    by = {r["sample_id"]: r for r in rows}
    assert by["b"]["error"] == "ValueError: bad row" and by["b"]["score"] is None
    assert not by["b"]["is_issue"] and by["a"]["error"] is None
