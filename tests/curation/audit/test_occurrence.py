"""The multiple-occurrence check (TimeLens): K sampled answers in separated groups."""

from __future__ import annotations

import pytest

from tvgcurate.curation.audit import CHECKS, build_checks
from tvgcurate.curation.audit.context import AuditContext
from tvgcurate.curation.audit.occurrence import answer_groups


def _ans(*windows) -> list[str]:
    return [w if isinstance(w, str) else f"<answer>{w[0]} to {w[1]}</answer>" for w in windows]


def _ctx(texts_by_id: dict[str, list[str]], relevance="relevant") -> AuditContext:
    samples = [
        {"sample_id": sid, "video_id": "v", "relevance": relevance, "origin": "source",
         "windows": [{"start": 1.0, "end": 3.0}]}
        for sid in texts_by_id
    ]  # fmt: skip
    preds = {sid: {"sample_id": sid, "samples_text": t} for sid, t in texts_by_id.items()}
    return AuditContext(samples, predictions=preds, run_id="k")


def test_two_supported_groups_are_flagged_with_a_hand_computed_score():
    ctx = _ctx(
        {
            # 8 answers: 4 around [1, 3], 3 around [7, 9], a refusal -> n2 = 3, score 1 - 6/8
            "twice": _ans(
                (1, 3),
                (1.2, 3),
                (1, 3.1),
                (0.9, 3),
                (7, 9),
                (7, 9.2),
                (7.1, 9),
                "<answer>none</answer>",
            ),  # fmt: skip
            # one group with noise that overlaps it: never two groups
            "once": _ans((1, 3), (1.2, 3), (1, 3.5), (0.5, 3), (1, 2.8), (1, 3), (2, 3), (1, 4)),
            # a single stray answer elsewhere: a second group of 1, below the support
            "stray": _ans((1, 3), (1.2, 3), (1, 3.1), (0.9, 3), (1, 3), (1, 3), (1, 3), (7, 9)),
        }
    )
    check = CHECKS.get("multiple_occurrence")()
    rows = {r["sample_id"]: r for r in check.rows(ctx, "a1")}
    assert rows["twice"]["is_issue"] and rows["twice"]["score"] == pytest.approx(0.25)
    assert rows["twice"]["value"] == 3.0 and "[7, 9]" in rows["twice"]["detail"]
    assert not rows["once"]["is_issue"] and rows["once"]["score"] == 1.0
    assert not rows["stray"]["is_issue"] and rows["stray"]["score"] == pytest.approx(0.75)
    # the threshold moves the flag, never the score
    strict = build_checks(["multiple_occurrence"], {"multiple_occurrence.min_answers": "4"})[0]
    again = {r["sample_id"]: r for r in strict.rows(ctx, "a2")}
    assert not again["twice"]["is_issue"] and again["twice"]["score"] == rows["twice"]["score"]


def test_needs_k_samples_and_a_relevant_row():
    greedy = _ctx({"g": _ans((1, 3))})
    assert CHECKS.get("multiple_occurrence")().rows(greedy, "a") == []
    irrelevant = _ctx({"i": _ans((1, 3), (1, 3), (7, 9), (7, 9))}, relevance="irrelevant")
    assert CHECKS.get("multiple_occurrence")().rows(irrelevant, "a") == []


def test_groups_are_separated_by_their_median_windows():
    # a noisy answer bridging the two places does not merge them
    groups = answer_groups([(1, 3), (1, 3), (1, 8), (7, 9), (7, 9)])
    assert [(g.n, g.start, g.end) for g in groups] == [(3, 1.0, 3.0), (2, 7.0, 9.0)]
    assert answer_groups([]) == []


def test_the_demo_plants_repeated_events_and_the_check_finds_them(demo_dir):
    """Answers drawn from the demo's true occurrences (no noise): every planted repeated
    event is flagged and nothing else."""
    from tvgcurate.demo.data import load_ground_truth

    gt = load_ground_truth(demo_dir)
    texts = {}
    for q in gt["queries"]:
        occ = q["occurrences"]
        texts[q["sample_id"]] = _ans(*(occ[i % len(occ)] for i in range(6)))
    rows = CHECKS.get("multiple_occurrence")().rows(_ctx(texts), "demo")
    flagged = {r["sample_id"] for r in rows if r["is_issue"]}
    planted = {p["sample_id"] for p in gt["planted"] if p["kind"] == "repeated_event"}
    assert planted and flagged == planted


def test_a_zero_length_answer_forms_its_own_group_instead_of_hanging():
    # IoU of a zero-length window with itself is 0/0: it used to join no group, forever
    assert [g.n for g in answer_groups([(1.0, 1.0), (2.0, 3.0), (2.0, 3.0)])] == [2, 1]


def test_abstains_below_min_samples():
    """With 4 answers, two groups of 2 are what a model torn between two places gives
    (benchmarks.occurrence: K = 4 finds 13% of repeated events), so by default the check
    abstains below K = 6; `min_samples` lowers the bar."""
    ctx = _ctx({"split": _ans((1, 3), (1.1, 3), (7, 9), (7, 9.1))})
    assert CHECKS.get("multiple_occurrence")().rows(ctx, "a") == []
    loose = build_checks(["multiple_occurrence"], {"multiple_occurrence.min_samples": "2"})[0]
    (r,) = loose.rows(ctx, "b")
    assert r["is_issue"] and r["score"] == 0.0
