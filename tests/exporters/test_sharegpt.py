import json
from pathlib import Path

import datasets

from tests.exporters.conftest import TRICKY
from tvgcurate.exporters import ExportConfig, export
from tvgcurate.model.eta import parse_answer
from tvgcurate.model.inputs import DEFAULT_PROMPT


def _query_of(user: str) -> str:
    head, tail = DEFAULT_PROMPT.split("{query}")
    assert user.startswith("<video>" + head) and user.endswith(tail)
    return user[len("<video>" + head) : len(user) - len(tail)]


def test_messages_round_trip_with_llama_factory_loader(tricky_ws, tmp_path):
    out = tmp_path / "tvg.json"
    res = export(
        ExportConfig(
            workspace=tricky_ws.root,
            format="sharegpt",
            out=out,
            include_irrelevant=True,
            options={"dataset_info": "true"},
        )
    )
    records = json.loads(out.read_text(encoding="utf-8"))
    assert res.written == len(records) == 5
    samples = {s["sample_id"]: s for s in tricky_ws.read("samples").to_pylist()}
    media = Path(tricky_ws.meta("media_root"))
    for rec in records:
        s = samples[rec["sample_id"]]
        user, answer = rec["messages"]
        assert (user["role"], answer["role"]) == ("user", "assistant")
        assert _query_of(user["content"]) == s["query"]
        assert user["content"].count("<video>") == len(rec["videos"]) == 1
        assert rec["videos"] == [str((media / f"{s['video_id']}.mp4").resolve())]
        assert Path(rec["videos"][0]).is_file()
        a = parse_answer(answer["content"])
        if s["relevance"] == "relevant":
            w = min((w["start"], w["end"]) for w in s["windows"])
            assert (a.start, a.end) == (round(w[0], 1), round(w[1], 1))
            assert (
                answer["content"] == f"<answer>{w[0]:.1f} to {w[1]:.1f}</answer>"
            )  # width 1: 4 s videos
        else:
            assert a.refused
    assert {_query_of(r["messages"][0]["content"]) for r in records} >= set(TRICKY)
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert info["tvg"]["file_name"] == "tvg.json" and info["tvg"]["columns"]["videos"] == "videos"
    ds = datasets.load_dataset("json", data_files=str(out), cache_dir=str(tmp_path / "c"))["train"]
    assert ds.to_list() == records  # what LLaMA-Factory's loader reads


def test_conversations_style_jsonl_and_prefix(tricky_ws, tmp_path):
    out = tmp_path / "tvg.jsonl"
    export(
        ExportConfig(
            workspace=tricky_ws.root,
            format="sharegpt",
            out=out,
            options={"style": "conversations", "video_prefix": "videos/", "timestamp_width": "4"},
        )
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(TRICKY)  # relevant rows only by default; a newline never splits one
    rec = json.loads(lines[0])
    assert [t["from"] for t in rec["conversations"]] == ["human", "gpt"]
    assert rec["videos"] == ["videos/vid0.mp4"]
    assert rec["conversations"][1]["value"] == "<answer>0000.5 to 0002.8</answer>"
