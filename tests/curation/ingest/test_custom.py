"""The custom reader's per-row columns: `--map split=COL` and `--map relevance=COL`."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.curation.ingest import IngestConfig, ingest
from tvgcurate.curation.ingest.custom import parse_map
from tvgcurate.errors import InputError
from tvgcurate.workspace import Workspace

MAP = "query=sentence,start=t0,end=t1,video=vid,qid=id,split=part,relevance=label"
ROWS = [
    {"id": "1", "sentence": "a dog runs", "t0": 1.0, "t1": 4.5, "vid": "dogs", "part": "train",
     "label": "relevant"},
    {"id": "1", "sentence": "a dog runs", "t0": 2.0, "t1": 5.0, "vid": "dogs", "part": "val",
     "label": "relevant"},  # same qid, another split: another sample
    {"id": "2", "sentence": "a cat flies", "t0": None, "t1": None, "vid": "cats",
     "part": "val", "label": "irrelevant"},
    {"id": "3", "sentence": "a cat sleeps and sings", "t0": 0.0, "t1": 3.0, "vid": "cats",
     "part": "val", "label": "partial"},
    {"id": "4", "sentence": "a cat sings", "t0": None, "t1": None, "vid": "cats",
     "part": "test", "label": "partial"},
]  # fmt: skip


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_csv(path, rows):
    keys = list(rows[0])
    cell = lambda v: "" if v is None else str(v)  # noqa: E731
    path.write_text(
        ",".join(keys) + "\n" + "".join(",".join(cell(r[k]) for k in keys) + "\n" for r in rows)
    )
    return path


def samples(ws_dir):
    return {r["sample_id"]: r for r in Workspace(ws_dir).read("samples").to_pylist()}


def test_map_accepts_split_and_relevance():
    assert parse_map(MAP)["split"] == "part" and parse_map(MAP)["relevance"] == "label"


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_per_row_split_and_relevance(tmp_path, kind):
    path = tmp_path / f"mine.{kind}"  # no split in the file name, no --split: the rows say
    if kind == "jsonl":
        write_jsonl(path, ROWS)
    elif kind == "csv":
        write_csv(path, ROWS)
    else:
        pq.write_table(pa.Table.from_pylist(ROWS), path)
    report = ingest(
        IngestConfig(sources=[path], workspace=tmp_path / "ws", format="custom", map=MAP,
                     source="mine")
    )  # fmt: skip
    assert report.rejects == 0
    got = samples(tmp_path / "ws")
    assert sorted(got) == ["mine:test:4", "mine:train:1", "mine:val:1", "mine:val:2", "mine:val:3"]
    assert [got["mine:train:1"][k] for k in ("split", "relevance")] == ["train", "relevant"]
    assert got["mine:val:1"]["windows"] == [{"start": 2.0, "end": 5.0}]
    assert got["mine:val:2"]["relevance"] == "irrelevant" and got["mine:val:2"]["windows"] == []
    # a partial row keeps the windows it has (stored, never ground truth), or has none
    assert got["mine:val:3"]["relevance"] == "partial"
    assert got["mine:val:3"]["windows"] == [{"start": 0.0, "end": 3.0}]
    assert got["mine:test:4"]["relevance"] == "partial" and got["mine:test:4"]["windows"] == []


def test_per_row_split_wins_over_split_flag_and_windows_column(tmp_path):
    rows = [
        {"q": "a dog runs", "v": "dogs", "w": [[1, 2], [3, 4]], "s": "train", "r": "relevant"},
        {"q": "a cat flies", "v": "cats", "w": None, "s": "val", "r": "irrelevant"},
        {"q": "a cat sings", "v": "cats", "w": [], "s": "val", "r": "partial"},
    ]
    path = write_jsonl(tmp_path / "mine_test.jsonl", rows)
    ingest(
        IngestConfig(sources=[path], workspace=tmp_path / "ws", format="custom", split="test",
                     source="m", map="query=q,video=v,windows=w,split=s,relevance=r")
    )  # fmt: skip
    got = samples(tmp_path / "ws")
    assert sorted(got) == ["m:train:0", "m:val:1", "m:val:2"]
    assert len(got["m:train:0"]["windows"]) == 2
    assert got["m:val:1"]["windows"] == [] and got["m:val:2"]["windows"] == []


@pytest.mark.parametrize(
    "change, where, match",
    [
        ({"label": "maybe"}, "label", "relevance 'maybe' is not one of relevant, irrelevant, partial"),
        ({"label": None}, "label", "missing relevance"),
        ({"part": ""}, "part", "missing split"),
        ({"part": None}, "part", "missing split"),
        ({"t0": None, "t1": None, "label": "relevant"}, "t0", "a relevant row needs at least one"),
        ({"t1": None, "label": "irrelevant"}, "t0", r"not \[start, end\] numbers"),
    ],
)  # fmt: skip
def test_bad_per_row_value_names_file_line_and_column(tmp_path, change, where, match):
    rows = [dict(ROWS[0]), {**ROWS[3], **change}, dict(ROWS[2])]
    path = write_jsonl(tmp_path / "m.jsonl", rows)
    kw = dict(sources=[path], workspace=tmp_path / "ws", format="custom", map=MAP)
    with pytest.raises(InputError, match=rf"m\.jsonl:2: field '{where}': .*{match}") as exc:
        ingest(IngestConfig(**kw))
    assert "\n" not in str(exc.value)
    assert not (tmp_path / "ws").exists() or not Workspace(tmp_path / "ws").has("samples")
    report = ingest(IngestConfig(**kw, on_error="skip"))
    assert report.rejects == 1 and report.rows_per_file[str(path)] == 2


def test_without_relevance_column_every_row_is_relevant_and_needs_a_window(tmp_path):
    rows = [{"q": "a dog runs", "v": "dogs", "w": [[1, 2]]}, {"q": "x", "v": "v", "w": []}]
    path = write_jsonl(tmp_path / "m_val.jsonl", rows)
    with pytest.raises(InputError, match=r"m_val\.jsonl:2: field 'w': missing window"):
        ingest(IngestConfig(sources=[path], workspace=tmp_path / "ws", format="custom",
                            map="query=q,video=v,windows=w"))  # fmt: skip


def test_directory_with_per_row_split_needs_no_split_in_the_names(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    write_jsonl(d / "annotations.jsonl", ROWS)
    report = ingest(IngestConfig(sources=[d], workspace=tmp_path / "ws", format="custom", map=MAP))
    assert report.rows_per_file == {str(d / "annotations.jsonl"): len(ROWS)}


def test_cli_ingest_custom_per_row_columns(tmp_path):
    runner = CliRunner()
    ws = tmp_path / "ws"
    good = write_csv(tmp_path / "mine.csv", ROWS)
    args = ["ingest", "--workspace", str(ws), "--format", "custom", "--map", MAP, "--source", "m"]
    r = runner.invoke(app, [*args, str(good)])
    assert r.exit_code == 0, r.output
    assert {s["split"] for s in samples(ws).values()} == {"train", "val", "test"}
    bad = write_csv(tmp_path / "bad.csv", [ROWS[0], {**ROWS[1], "label": "nope"}])
    r = runner.invoke(app, [*args, str(bad)])
    assert r.exit_code == 2
    out = " ".join(r.output.split())  # the console may wrap the one line
    assert "bad.csv:3" in out and "field 'label'" in out and "'nope' is not one of" in out
    assert len(samples(ws)) == len(ROWS)  # the earlier ingest is intact
