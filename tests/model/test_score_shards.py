"""`score` over shards: the refusal score, resumable shards, ranks, executors (tiny, CPU)."""

import json

import numpy as np
import pyarrow.compute as pc
import pytest

from tvgcurate.model.score import ScoreConfig, score
from tvgcurate.model.score_stage import dist_rank, rank_shards

SMALL = dict(hidden_size=64, num_layers=2, intermediate_size=128, vision_embed_dim=32)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    from tvgcurate.model.loading import save_model
    from tvgcurate.model.tiny import TinyConfig, build_tiny

    model, processor = build_tiny(TinyConfig(**SMALL))
    meta = {"frames": "keyframes", "max_frames": 2, "timestamp_width": 1}
    return save_model(model, processor, tmp_path_factory.mktemp("tiny") / "m", meta)


def cfg(ws, ckpt, **kw):
    base = dict(
        workspace=ws.root,
        checkpoint=ckpt,
        split=None,
        batch_size=2,
        shard_size=3,
        max_new_tokens=6,
        progress=False,
        torch_threads=1,
        write=False,
    )
    return ScoreConfig(**{**base, **kw})


def test_refusal_score_and_suppressed_windows(grounding_ws, tiny_dir):
    res = score(cfg(grounding_ws, tiny_dir, run_id="r1"))
    assert len(res.rows) == 8 and len({r["sample_id"] for r in res.rows}) == 8
    for r in res.rows:
        assert r["error"] is None
        assert 0.0 <= r["refusal_score"] <= 1.0
        assert r["window_text"].startswith("<answer>")
        assert r["raw_text"] == r["samples_text"][0]
    rs = res.metrics["extra"]["refusal_score"]
    assert {"refusal_auc", "refusal_acc@frr0.05", "refusal_acc@frr0.1"} <= set(rs)
    assert "refusal_auc" in __import__("tvgcurate.model.score").model.score.headline(res.metrics)


def test_refusal_score_matches_a_direct_forward(grounding_ws, tiny_dir):
    """The score is p(refusal)/(p(refusal)+sum p(digits)) after the prompt plus <answer>."""
    import torch

    from tvgcurate.model.backends.base import GenOptions, decision_tokens
    from tvgcurate.model.backends.hf import HFBackend
    from tvgcurate.model.inputs import InputConfig, build_inputs

    inputs = build_inputs(grounding_ws, InputConfig(max_frames=2, timestamp_width=1)).inputs[:2]
    be = HFBackend(tiny_dir, GenOptions(max_new_tokens=4, batch_size=1))
    gens = be.generate(inputs)
    proc, model = be.processor, be.model
    refuse, digits = decision_tokens(proc.tokenizer)
    for m, g in zip(inputs, gens, strict=True):
        text = proc.apply_chat_template(m.prompt, tokenize=False, add_generation_prompt=True)
        enc = proc(text=[text + "<answer>"], images=m.images, return_tensors="pt")
        with torch.no_grad():
            p = torch.softmax(model(**enc).logits[0, -1].float(), -1)
        want = float(p[refuse] / (p[refuse] + p[digits].sum()))
        assert g.refusal_score == pytest.approx(want, rel=1e-4)
        assert "none" not in g.window_text  # the refusal's first token is suppressed


def test_rerun_skips_finished_shards_and_matches(grounding_ws, tiny_dir, tmp_path):
    first = score(cfg(grounding_ws, tiny_dir, run_id="resume"))
    assert first.report.computed == 3 and first.report.skipped == 0
    # lose one shard's marker: the rerun recomputes exactly that one
    done = sorted(first.report.files)[1].with_suffix(".done")
    done.unlink()
    again = score(cfg(grounding_ws, tiny_dir, run_id="resume"))
    assert again.report.computed == 1 and again.report.skipped == 2
    key = lambda rows: [(r["sample_id"], r["raw_text"], r["refusal_score"]) for r in rows]  # noqa: E731
    assert key(again.rows) == key(first.rows)


def test_a_model_retrained_into_the_same_directory_is_scored_as_itself(grounding_ws, tmp_path):
    """One process scores a model, then another model saved to the same path: the second
    score reads the new weights (the per-process model cache follows the files, not the
    path), as a fresh process would."""
    import torch

    from tvgcurate.model.loading import save_model
    from tvgcurate.model.tiny import TinyConfig, build_tiny

    meta = {"frames": "keyframes", "max_frames": 2, "timestamp_width": 1}
    path = tmp_path / "same"
    scores = []
    for init in (0, 1):
        model, processor = build_tiny(TinyConfig(**SMALL))
        torch.manual_seed(init)
        with torch.no_grad():  # build_tiny is deterministic: make the second model another
            for p in model.parameters():
                p.add_(torch.randn_like(p) * 0.2 * init)
        save_model(model, processor, path, meta)
        res = score(cfg(grounding_ws, path, run_id=f"same-{init}", limit=2))
        scores.append([r["refusal_score"] for r in res.rows])
    from tvgcurate.model import score_stage

    score_stage._BACKENDS.clear()  # a fresh process: nothing cached
    fresh = score(cfg(grounding_ws, path, run_id="same-fresh", limit=2))
    assert scores[1] == pytest.approx([r["refusal_score"] for r in fresh.rows])
    assert scores[0] != pytest.approx(scores[1])
    assert len(score_stage._BACKENDS) == 1  # one model kept per process


def test_written_once_with_refusal_score_column(grounding_ws, tiny_dir):
    before = len(grounding_ws.versions("predictions")) if grounding_ws.has("predictions") else 0
    res = score(cfg(grounding_ws, tiny_dir, run_id="w", write=True, limit=3, shard_size=1))
    assert len(grounding_ws.versions("predictions")) == before + 1
    t = grounding_ws.read("predictions")
    t = t.filter(pc.equal(t.column("run_id"), "w"))
    assert t.num_rows == 3 and "refusal_score" in t.column_names
    assert t.column("refusal_score").null_count == 0 and res.version is not None


def test_ranks_split_shards_and_rank0_writes(grounding_ws, tiny_dir):
    assert rank_shards(5, 0, 2) == [0, 2, 4] and rank_shards(5, 1, 2) == [1, 3]
    parts = [rank_shards(10, r, 3) for r in range(3)]
    assert sorted(i for p in parts for i in p) == list(range(10))
    one = score(cfg(grounding_ws, tiny_dir, run_id="ranks", rank=1, world_size=2, write=True))
    assert one.version is None and one.report.computed == 1  # shard 1 of 0..2
    zero = score(cfg(grounding_ws, tiny_dir, run_id="ranks", rank=0, world_size=2, write=True))
    assert zero.report.computed == 2 and zero.version is not None
    full = score(cfg(grounding_ws, tiny_dir, run_id="ranks"))
    assert full.report.skipped == 3  # one run's shards are the other's, whatever the world size
    assert [r["sample_id"] for r in zero.rows] == [r["sample_id"] for r in full.rows]


def test_dist_rank_from_env(monkeypatch):
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert dist_rank() == (3, 4)
    assert dist_rank(0, 1) == (0, 1)
    from tvgcurate.errors import TvgError

    with pytest.raises(TvgError):
        dist_rank(4, 4)


@pytest.mark.slow  # two spawned workers import torch: slow on a shared CPU
def test_process_executor_gives_the_same_rows(grounding_ws, tiny_dir):
    local = score(cfg(grounding_ws, tiny_dir, run_id="ex", limit=4, shard_size=2))
    proc = score(
        cfg(
            grounding_ws,
            tiny_dir,
            run_id="ex2",
            limit=4,
            shard_size=2,
            executor="process",
            workers=2,
        )
    )
    assert [r["raw_text"] for r in proc.rows] == [r["raw_text"] for r in local.rows]
    assert np.allclose(
        [r["refusal_score"] for r in proc.rows], [r["refusal_score"] for r in local.rows]
    )


def test_metric_functions_keep_thresholds_apart():
    from tvgcurate.metrics import (
        refusal_accuracy_at_threshold,
        refusal_auc,
        refusal_threshold_at_frr,
    )

    s = np.array([0.9, 0.7, 0.4, 0.1, 0.2, 0.3, 0.35, 0.5])
    irr = np.array([True, True, True, False, False, False, False, False])
    assert refusal_auc(s, irr) == pytest.approx((5 + 5 + 4) / 15)
    thr = refusal_threshold_at_frr(s, irr, 0.0)
    assert thr == 0.5 and refusal_accuracy_at_threshold(s, irr, thr) == pytest.approx(66.67)
    assert refusal_auc(s[:3], irr[:3]) is None


def test_bad_options_are_one_line_errors(grounding_ws, tiny_dir):
    from tvgcurate.errors import TvgError

    with pytest.raises(TvgError, match="backend"):
        cfg(grounding_ws, tiny_dir, backend="nope")
    with pytest.raises(TvgError, match="shard-size"):
        cfg(grounding_ws, tiny_dir, shard_size=0)
    assert json.dumps(cfg(grounding_ws, tiny_dir).backend) == '"hf"'


def test_scores_from_the_frames_table_without_media(grounding_ws, tiny_dir, tmp_path):
    from tests.model.test_data_stream import with_frames

    ws = with_frames(grounding_ws, tmp_path)  # the videos are deleted: frames from the table
    res = score(cfg(ws, tiny_dir, run_id="frames", limit=2))
    assert [r["error"] for r in res.rows] == [None, None]
