"""New ingest inputs: TACoS/DiDeMo QVH lines (qid types kept), TimeLens-Bench, custom
column maps, and directories."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tvgcurate.curation.ingest import IngestConfig, detect_format, ingest
from tvgcurate.curation.ingest.timelens import compare_refined
from tvgcurate.errors import InputError, TvgError
from tvgcurate.exporters import ExportConfig, export
from tvgcurate.workspace import Workspace


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def samples(ws_dir):
    return {r["sample_id"]: r for r in Workspace(ws_dir).read("samples").to_pylist()}


TACOS = [  # string qids, digit-only ones among them
    {"qid": "12", "query": "a person takes out a knife.", "duration": 152.5, "vid": "s13-d21",
     "relevant_windows": [[10.0, 20.5]]},
    {"qid": "0012", "query": "he cuts the cucumber.", "duration": 152.5, "vid": "s13-d21",
     "relevant_windows": [[20.5, 41.0]]},
    {"qid": "s27-d50_3", "query": "the person washes a plate.", "duration": 95.0,
     "vid": "s27-d50", "relevant_windows": [[0.0, 12.0]]},
]  # fmt: skip


def test_tacos_string_qids_round_trip_as_strings(tmp_path):
    src = write_jsonl(tmp_path / "tacos_val_release.jsonl", TACOS)
    assert detect_format(src) == "tacos"
    ingest(IngestConfig(sources=[src], workspace=tmp_path / "ws"))
    got = samples(tmp_path / "ws")
    assert set(got) == {"tacos:val:12", "tacos:val:0012", "tacos:val:s27-d50_3"}
    assert {r["source_qid_type"] for r in got.values()} == {"str"}
    out = tmp_path / "out.jsonl"
    export(ExportConfig(workspace=tmp_path / "ws", format="qvhighlights", out=out, source="tacos"))
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert exported == TACOS  # "12" stays "12", not 12
    assert all(isinstance(r["qid"], str) for r in exported)


def test_integer_qids_stay_integers_and_mixed_files_keep_each_type(tmp_path):
    rows = [
        {"qid": 7, "query": "q one", "duration": 30, "vid": "v1", "relevant_windows": [[0, 4]]},
        {"qid": "8", "query": "q two", "duration": 30, "vid": "v1", "relevant_windows": [[4, 8]]},
    ]
    src = write_jsonl(tmp_path / "didemo_test_release.jsonl", rows)
    assert detect_format(src) == "didemo"
    ingest(IngestConfig(sources=[src], workspace=tmp_path / "ws"))
    got = samples(tmp_path / "ws")
    assert got["didemo:test:7"]["source_qid_type"] == "int"
    assert got["didemo:test:8"]["source_qid_type"] == "str"
    out = tmp_path / "out.jsonl"
    export(ExportConfig(workspace=tmp_path / "ws", format="qvhighlights", out=out))
    assert [json.loads(line)["qid"] for line in out.read_text().splitlines()] == [7, "8"]


TIMELENS = {  # the layout timelens/dataset/timelens_data.py reads
    "3MSZA": {"duration": 30.96, "spans": [[24.0, 30.96], [2.0, 9.5]],
              "queries": ["A person turns on the light.", "person opens the door."]},
    "AO8RW": {"duration": 12.0, "spans": [[0.0, 6.0]], "queries": ["person sits on a chair"]},
}  # fmt: skip


def test_timelens_bench_file_is_read_and_compared_with_the_original(tmp_path):
    refined = tmp_path / "charades-timelens.json"
    refined.write_text(json.dumps(TIMELENS, indent=2))
    assert detect_format(refined) == "timelens"
    original = write_jsonl(
        tmp_path / "charades_test_release.jsonl",
        [
            {"qid": 1, "query": "person turn a light on.", "duration": 30.96, "vid": "3MSZA",
             "relevant_windows": [[24.3, 30.4]]},
            {"qid": 2, "query": "person opens the door", "duration": 30.96, "vid": "3MSZA",
             "relevant_windows": [[2.0, 9.5]]},
            {"qid": 3, "query": "person sits on a chair.", "duration": 12.0, "vid": "AO8RW",
             "relevant_windows": [[1.0, 5.0]]},
            {"qid": 4, "query": "a dropped query.", "duration": 40.0, "vid": "ZZZZZ",
             "relevant_windows": [[1.0, 5.0]]},
        ],
    )  # fmt: skip
    ws_dir = tmp_path / "ws"
    ingest(IngestConfig(sources=[original], workspace=ws_dir, source="charades-sta"))
    report = ingest(IngestConfig(sources=[refined], workspace=ws_dir))
    got = samples(ws_dir)
    assert got["charades-timelens:test:3MSZA#0"]["query"] == "A person turns on the light."
    assert got["charades-timelens:test:3MSZA#1"]["windows"] == [{"start": 2.0, "end": 9.5}]
    assert got["charades-timelens:test:AO8RW#0"]["duration_s"] == 12.0
    stats = report.comparisons["charades-timelens"]
    assert stats == compare_refined(Workspace(ws_dir), "charades-timelens")
    assert stats["original"] == "charades-sta"
    assert stats["paired"] == 3 and stats["original_only"] == 1 and stats["refined_only"] == 0
    assert stats["matched_by_query"] == 2  # the door and the chair; the light by order
    assert stats["windows_changed"] == 2 and stats["queries_rewritten"] == 1
    shift = stats["boundary_shift"]
    assert shift["pairs"] == 3 and shift["max_s"] == pytest.approx(1.0)


def test_timelens_bad_entry_names_the_field(tmp_path):
    bad = tmp_path / "activitynet-timelens.json"
    bad.write_text(json.dumps({"v_x": {"duration": 5, "spans": [[0, 1]], "queries": []}}))
    with pytest.raises(InputError, match="v_x.queries"):
        ingest(IngestConfig(sources=[bad], workspace=tmp_path / "ws"))


CUSTOM = [
    {"id": "a1", "sentence": "a dog runs", "t0": 1.0, "t1": 4.5, "vid": "dogs", "len": 20.0},
    {"id": "a2", "sentence": "a cat sleeps", "t0": 0.0, "t1": 3.0, "vid": "cats", "len": 9.0},
]
MAP = "query=sentence,start=t0,end=t1,video=vid,duration=len,qid=id"


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_custom_column_map(tmp_path, kind):
    path = tmp_path / f"mine.{kind}"
    if kind == "jsonl":
        write_jsonl(path, CUSTOM)
    elif kind == "csv":
        keys = list(CUSTOM[0])
        path.write_text(
            ",".join(keys)
            + "\n"
            + "".join(",".join(str(r[k]) for k in keys) + "\n" for r in CUSTOM)
        )
    else:
        pq.write_table(pa.Table.from_pylist(CUSTOM), path)
    ingest(
        IngestConfig(
            sources=[path], workspace=tmp_path / "ws", format="custom", map=MAP, split="val",
            source="mine",
        )
    )  # fmt: skip
    got = samples(tmp_path / "ws")
    assert got["mine:val:a1"]["query"] == "a dog runs"
    assert got["mine:val:a1"]["windows"] == [{"start": 1.0, "end": 4.5}]
    assert got["mine:val:a2"]["duration_s"] == 9.0 and got["mine:val:a2"]["video_id"] == "cats"


def test_custom_map_errors_say_how_to_fix(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", CUSTOM)
    with pytest.raises(TvgError, match="needs --map"):
        IngestConfig(sources=[path], workspace=tmp_path / "ws", format="custom", split="val")
    with pytest.raises(TvgError, match="unknown field"):
        IngestConfig(sources=[path], workspace=tmp_path / "ws", format="custom", map="text=x")
    with pytest.raises(TvgError, match="--format custom"):
        IngestConfig(sources=[path], workspace=tmp_path / "ws", map=MAP)
    with pytest.raises(InputError, match="no column 'sentenc'"):
        ingest(
            IngestConfig(
                sources=[path], workspace=tmp_path / "ws", format="custom", split="val",
                map="query=sentenc,start=t0,end=t1,video=vid",
            )
        )  # fmt: skip


def test_custom_bad_row_is_rejected_or_skipped(tmp_path):
    rows = [*CUSTOM, {"id": "a3", "sentence": None, "t0": 1, "t1": 2, "vid": "v", "len": 3}]
    path = write_jsonl(tmp_path / "m.jsonl", rows)
    kw = dict(sources=[path], workspace=tmp_path / "ws", format="custom", map=MAP, split="val")
    with pytest.raises(InputError, match="m.jsonl:3.*sentence"):
        ingest(IngestConfig(**kw))
    report = ingest(IngestConfig(**kw, on_error="skip"))
    assert report.rejects == 1 and report.rows_per_file[str(path)] == 2


def test_directory_finds_known_files_and_lists_the_skipped(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    write_jsonl(d / "tacos_val_release.jsonl", TACOS)
    (d / "charades-timelens.json").write_text(json.dumps(TIMELENS))
    (d / "README.md").write_text("# notes\n")
    (d / "notes.jsonl").write_text("")  # a jsonl without a split in its name
    (d / ".hidden.jsonl").write_text("{}")
    report = ingest(IngestConfig(sources=[d], workspace=tmp_path / "ws"))
    assert sorted(report.rows_per_file) == sorted(
        [str(d / "charades-timelens.json"), str(d / "tacos_val_release.jsonl")]
    )
    assert set(report.skipped) == {str(d / "README.md"), str(d / "notes.jsonl")}
    assert "split" in report.skipped[str(d / "notes.jsonl")]
    assert "knows" in report.skipped[str(d / "README.md")]


def test_directory_without_annotations_and_missing_path(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no annotation file"):
        IngestConfig(sources=[tmp_path / "empty"], workspace=tmp_path / "ws")
    with pytest.raises(InputError, match="no such file or directory"):
        IngestConfig(sources=[tmp_path / "nope"], workspace=tmp_path / "ws")


@pytest.mark.realdata
def test_lighthouse_directory(shared_data, tmp_path):
    report = ingest(IngestConfig(sources=[shared_data / "lighthouse"], workspace=tmp_path / "ws"))
    assert len(report.rows_per_file) == 3 and not report.skipped
    assert sum(report.rows_per_file.values()) == 12404 + 3720 + 17505


def test_directory_with_format_custom_takes_files_by_suffix(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    write_jsonl(d / "a_val.jsonl", CUSTOM)
    (d / "notes.md").write_text("x")
    report = ingest(IngestConfig(sources=[d], workspace=tmp_path / "ws", format="custom", map=MAP))
    assert list(report.rows_per_file) == [str(d / "a_val.jsonl")]
    assert list(report.skipped) == [str(d / "notes.md")]
