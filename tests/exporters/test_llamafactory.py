import json
from pathlib import Path

import pytest
from PIL import Image

from tests.exporters.thirdparty import install, run_loader
from tvgcurate.exporters import ExportConfig, export
from tvgcurate.model.inputs import DEFAULT_PROMPT

PACKAGES = ["llamafactory==0.9.5", "omegaconf==2.4.0", "antlr4-python3-runtime==4.9.3"]


@pytest.fixture(scope="module")
def lf_dir(tricky_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("lf") / "tvg"
    res = export(
        ExportConfig(
            workspace=tricky_ws.root, format="llamafactory", out=out, include_irrelevant=True
        )
    )
    assert res.written == tricky_ws.read("samples").num_rows and not res.skipped
    return out


def _frames(ws):
    kf = {}
    for k in ws.read("keyframes").to_pylist():
        kf.setdefault(k["video_id"], []).append(k)
    return {v: sorted(ks, key=lambda k: k["timestamp_s"]) for v, ks in kf.items()}


def test_records_follow_the_multimodal_sharegpt_layout(lf_dir, tricky_ws):
    info = json.loads((lf_dir / "dataset_info.json").read_text())
    assert info == {
        "tvg": {
            "file_name": "tvg.json",
            "formatting": "sharegpt",
            "columns": {"messages": "messages", "images": "images"},
            "tags": {
                "role_tag": "role",
                "content_tag": "content",
                "user_tag": "user",
                "assistant_tag": "assistant",
            },
        }
    }
    records = json.loads((lf_dir / "tvg.json").read_text(encoding="utf-8"))
    samples = {s["sample_id"]: s for s in tricky_ws.read("samples").to_pylist()}
    frames = _frames(tricky_ws)
    for rec in records:
        s = samples[rec["sample_id"]]
        user, answer = rec["messages"]
        kfs = frames[s["video_id"]]
        stamps = "".join(f"<t>{k['timestamp_s']:.1f}</t><image>" for k in kfs)
        assert user == {"role": "user", "content": stamps + DEFAULT_PROMPT.format(query=s["query"])}
        assert user["content"].count("<image>") == len(rec["images"]) == len(kfs)
        sizes = [Image.open(p).size for p in rec["images"]]
        assert sizes == [(k["width"], k["height"]) for k in kfs]
        if s["relevance"] == "relevant":
            w = min((w["start"], w["end"]) for w in s["windows"])
            assert answer["content"] == f"<answer>{w[0]:.1f} to {w[1]:.1f}</answer>"
        else:
            assert answer["content"] == "<answer>none</answer>"


def test_video_media_writes_the_sharegpt_records(tricky_ws, tmp_path):
    out = tmp_path / "v"
    export(ExportConfig(workspace=tricky_ws.root, format="llamafactory", out=out,
                        options={"media": "video"}))  # fmt: skip
    (rec, *_) = json.loads((out / "v.json").read_text())
    assert rec["messages"][0]["content"].startswith("<video>") and len(rec["videos"]) == 1
    assert json.loads((out / "dataset_info.json").read_text())["v"]["columns"]["videos"] == "videos"


LOADER = """
import json, sys
from tvgcurate_stub import stub
stub("torchaudio")  # imported at the top of mm_plugin, unused by the loader
from llamafactory.data.parser import get_dataset_list
from llamafactory.data.loader import _load_single_dataset
from llamafactory.hparams import DataArguments, ModelArguments
from transformers import Seq2SeqTrainingArguments
out, name, tmp = sys.argv[1:4]
(attr,) = get_dataset_list([name], out)
ds = _load_single_dataset(
    attr,
    ModelArguments(model_name_or_path="none"),
    DataArguments(dataset=[name], dataset_dir=out, media_dir=out, overwrite_cache=True),
    Seq2SeqTrainingArguments(output_dir=tmp),
)
print(json.dumps(ds.to_list()))
"""


@pytest.mark.slow
def test_llama_factory_loader_reads_the_export(lf_dir, tmp_path):
    """LLaMA-Factory's own dataset_info parser and loader (align_dataset) read every row."""
    target = install(PACKAGES)
    rows = run_loader(
        target, LOADER, str(lf_dir), "tvg", str(tmp_path),
        env={"DISABLE_VERSION_CHECK": "1", "HF_DATASETS_CACHE": str(tmp_path / "c")},
    )  # fmt: skip
    records = json.loads((lf_dir / "tvg.json").read_text(encoding="utf-8"))
    assert len(rows) == len(records)
    for row, rec in zip(rows, records, strict=True):
        assert row["_prompt"] == rec["messages"][:1]
        assert row["_response"] == rec["messages"][1:]
        assert row["_images"] == rec["images"] and all(Path(p).is_file() for p in row["_images"])
        assert row["_videos"] is None
