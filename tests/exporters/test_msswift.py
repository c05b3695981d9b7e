import json

import pytest
from PIL import Image

from tests.exporters.thirdparty import install, run_loader
from tvgcurate.exporters import ExportConfig, export

PACKAGES = [
    "ms-swift==4.6.0",
    "modelscope==1.40.2",
    "modelscope-hub==0.5.1",
    "cryptography==50.0.2",
    "cffi==2.1.1",
    "pycparser==3.12",
    "json-repair==0.64.6",
    "aiohttp==3.14.5",
    "multidict==7.2.1",
    "yarl==1.25.1",
    "propcache==0.5.4",
    "aiohappyeyeballs==2.7.1",
    "aiosignal==1.4.0",
    "frozenlist==1.8.0",
]


@pytest.fixture(scope="module")
def swift_dir(tricky_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("swift") / "swift"
    res = export(
        ExportConfig(workspace=tricky_ws.root, format="ms-swift", out=out, include_irrelevant=True)
    )
    assert res.written == tricky_ws.read("samples").num_rows
    return out


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_per_split_in_the_documented_layout(swift_dir, tricky_ws):
    samples = {s["sample_id"]: s for s in tricky_ws.read("samples").to_pylist()}
    assert sorted(p.name for p in swift_dir.glob("*.jsonl")) == ["train.jsonl", "val.jsonl"]
    for split in ("train", "val"):
        for row in _rows(swift_dir / f"{split}.jsonl"):
            s = samples[row["sample_id"]]
            assert s["split"] == split
            user, answer = row["messages"]
            assert (user["role"], answer["role"]) == ("user", "assistant")
            assert user["content"].count("<image>") == len(row["images"]) == 4
            assert all(Image.open(p).size[1] == 56 for p in row["images"])
            assert row["relevance"] == s["relevance"] and row["duration_s"] == s["duration_s"]
            want = sorted([w["start"], w["end"]] for w in s["windows"]) if s["windows"] else []
            assert row["gt_windows"] == (want if s["relevance"] == "relevant" else [])


LOADER = """
import json, sys
from swift.dataset import load_dataset
train, _ = load_dataset([sys.argv[1]], split_dataset_ratio=0.0, num_proc=1, strict=True)
print(json.dumps(train.to_list(), default=str))
"""


@pytest.mark.slow
def test_ms_swift_preprocessing_reads_the_export(swift_dir, tmp_path):
    """ms-swift's own `load_dataset` (AutoPreprocessor -> MessagesPreprocessor, strict)."""
    target = install(PACKAGES)
    path = swift_dir / "train.jsonl"
    rows = run_loader(target, LOADER, str(path), env={"MODELSCOPE_CACHE": str(tmp_path / "ms")})
    mine = _rows(path)
    assert len(rows) == len(mine)
    for row, rec in zip(rows, mine, strict=True):
        assert row["messages"] == rec["messages"]
        assert [im["path"] for im in row["images"]] == rec["images"]
