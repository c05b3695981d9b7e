import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.compute as pc
import pytest

from tvgcurate.curation.ingest import IngestConfig, ingest
from tvgcurate.errors import InputError, TvgError
from tvgcurate.workspace import Workspace

QVH = [
    {
        "qid": 7,
        "query": "A man cooks.",
        "duration": 150,
        "vid": "abc_10.0_160.0",
        "relevant_clip_ids": [1, 2],
        "saliency_scores": [[1, 2, 3], [4, 4, 4]],
        "relevant_windows": [[2, 6]],
    },
    {
        "qid": 8,
        "query": "Un café très bon.",
        "duration": 150,
        "vid": "abc_10.0_160.0",
        "relevant_clip_ids": [3],
        "saliency_scores": [[0, 1, 2]],
        "relevant_windows": [[6, 8], [10, 12]],
    },
]


def _write_jsonl(path, records, bom=False, newline="\n"):
    text = newline.join(json.dumps(r, ensure_ascii=False) for r in records) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _ingest(tmp_path, *files, **kw):
    cfg = IngestConfig(sources=list(files), workspace=tmp_path / "ws", **kw)
    return ingest(cfg), Workspace(tmp_path / "ws")


def test_qvhighlights_native(tmp_path):
    f = _write_jsonl(tmp_path / "highlight_val_release.jsonl", QVH)
    test = _write_jsonl(
        tmp_path / "highlight_test_release.jsonl",
        [{"qid": 9, "query": "q", "duration": 150, "vid": "z_0.0_150.0"}],
    )
    report, ws = _ingest(tmp_path, f, test)
    rows = {r["sample_id"]: r for r in ws.read("samples").to_pylist()}
    assert set(rows) == {"qvhighlights:val:7", "qvhighlights:val:8", "qvhighlights:test:9"}
    r = rows["qvhighlights:val:8"]
    assert r["windows"] == [{"start": 6.0, "end": 8.0}, {"start": 10.0, "end": 12.0}]
    assert (
        r["query"] == "Un café très bon."
        and r["relevance"] == "relevant"
        and r["origin"] == "source"
    )
    assert r["saliency"] == [[0, 1, 2]] and r["relevant_clip_ids"] == [3]
    assert rows["qvhighlights:test:9"]["windows"] is None  # unannotated, not irrelevant
    assert report.rows_per_file[str(f)] == 2


def test_qvh_lines_with_int_and_string_qids(tmp_path):
    ints = _write_jsonl(
        tmp_path / "charades_train_release.jsonl",
        [
            {
                "qid": 0,
                "query": "person opens a door.",
                "duration": 30.5,
                "vid": "AO8RW",
                "relevant_windows": [[0.0, 6.9]],
            }
        ],
    )
    strs = _write_jsonl(
        tmp_path / "tacos_test_release.jsonl",
        [
            {
                "qid": "s30-d52.avi_0",
                "query": "she cuts.",
                "duration": 99.0,
                "vid": "s30-d52",
                "relevant_windows": [[1, 2]],
            }
        ],
    )
    mixed = _write_jsonl(
        tmp_path / "mixed_val.jsonl",
        [
            {"qid": 1, "query": "a", "duration": 9, "vid": "v", "relevant_windows": [[1, 2]]},
            {"qid": "x2", "query": "b", "duration": 9, "vid": "v", "relevant_windows": [[3, 4]]},
        ],
    )
    _, ws = _ingest(tmp_path, ints, strs, mixed)
    ids = set(ws.read("samples").column("sample_id").to_pylist())
    assert {
        "charades-sta:train:0",
        "tacos:test:s30-d52.avi_0",
        "qvh-lines:val:1",
        "qvh-lines:val:x2",
    } <= ids


def test_charades_native_with_csv_durations(tmp_path):
    (tmp_path / "charades_sta_train.txt").write_text(
        "AO8RW 0.0 6.9##a person is putting a book on a shelf.\nY6R7T 20.8 30.0##person begins to play on a phone.\n"
    )
    (tmp_path / "Charades_v1_train.csv").write_text("id,subject,length\nAO8RW,x,33.67\n")
    _, ws = _ingest(tmp_path, tmp_path / "charades_sta_train.txt")
    rows = ws.read("samples").to_pylist()
    assert [r["sample_id"] for r in rows] == ["charades-sta:train:0", "charades-sta:train:1"]
    assert rows[0]["duration_s"] == 33.67 and rows[1]["duration_s"] is None
    assert rows[0]["windows"] == [{"start": 0.0, "end": 6.9}]


def test_activitynet_native(tmp_path):
    f = tmp_path / "val_1.json"
    f.write_text(
        json.dumps(
            {
                "v_x": {
                    "duration": 55.15,
                    "timestamps": [[0.28, 55.15], [13.8, 60.0]],
                    "sentences": ["A tutorial.", "  The coach helps."],
                }
            }
        )
    )
    _, ws = _ingest(tmp_path, f)
    rows = ws.read("samples").to_pylist()
    assert [r["sample_id"] for r in rows] == ["activitynet:val:v_x#0", "activitynet:val:v_x#1"]
    assert rows[1]["query"] == "  The coach helps."  # kept as given, the audit flags it
    assert rows[1]["windows"] == [{"start": 13.8, "end": 60.0}]  # past the duration, kept


def test_suspicious_values_are_ingested_as_given(tmp_path):
    recs = [
        {
            "qid": 1,
            "query": "",
            "duration": 10,
            "vid": "v",
            "relevant_windows": [[8, 2], [-1, 3], [5, 50]],
        }
    ]
    _, ws = _ingest(tmp_path, _write_jsonl(tmp_path / "x_train.jsonl", recs))
    row = ws.read("samples").to_pylist()[0]
    assert row["query"] == ""
    assert row["windows"] == [
        {"start": 8.0, "end": 2.0},
        {"start": -1.0, "end": 3.0},
        {"start": 5.0, "end": 50.0},
    ]


def test_bom_crlf_blank_lines_and_non_ascii(tmp_path):
    f = _write_jsonl(tmp_path / "highlight_train_release.jsonl", QVH, bom=True, newline="\r\n")
    f.write_bytes(f.read_bytes() + b"\r\n")
    _, ws = _ingest(tmp_path, f)
    t = ws.read("samples")
    assert t.num_rows == 2
    assert "Un café très bon." in t.column("query").to_pylist()
    assert t.column("source_line").to_pylist() == [1, 2]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('{"qid": 3, "query": "q", "duration": 10, "vid": "v", "relevant_windows": [[1, 2]]', None),
        ('{"qid": 3, "duration": 10, "vid": "v", "relevant_windows": [[1, 2]]}', "query"),
        (
            '{"qid": 3, "query": "q", "duration": 10, "vid": "v", "relevant_windows": [["a", 2]]}',
            "relevant_windows",
        ),
        ('{"qid": 3, "query": "q", "duration": "ten", "vid": "v"}', "duration"),
        (
            '{"qid": 3, "query": "q", "duration": 10, "vid": "v", "relevant_windows": [[1, 2, 3]]}',
            "relevant_windows",
        ),
    ],
)
def test_broken_row_names_file_line_and_field(tmp_path, line, field):
    good = json.dumps(
        {"qid": 1, "query": "ok", "duration": 10, "vid": "v", "relevant_windows": [[1, 2]]}
    )
    f = tmp_path / "bad_train.jsonl"
    f.write_text(f"{good}\n\n{line}\n{good.replace('1,', '2,', 1)}\n")
    with pytest.raises(InputError) as info:
        _ingest(tmp_path, f)
    msg = str(info.value)
    assert msg.startswith(f"{f}:3:")
    if field:
        assert f"field '{field}'" in msg
    assert not (tmp_path / "ws" / "tables").exists() or not list(
        (tmp_path / "ws" / "tables").rglob("v*.parquet")
    )


def test_charades_non_numeric_time(tmp_path):
    f = tmp_path / "charades_sta_test.txt"
    f.write_text("AO8RW 0.0 6.9##fine.\nAO8RW zero 6.9##broken.\n")
    with pytest.raises(InputError, match=r"charades_sta_test.txt:2: field 'start': not a number"):
        _ingest(tmp_path, f)


def test_activitynet_mismatched_lengths(tmp_path):
    f = tmp_path / "train.json"
    f.write_text(
        '{\n"v_a": {"duration": 5, "timestamps": [[0, 1]], "sentences": ["x"]},\n"v_b": {"duration": 5, "timestamps": [[0, 1]], "sentences": []}\n}'
    )
    with pytest.raises(InputError, match=r"train.json:3: field 'v_b.sentences'"):
        _ingest(tmp_path, f)


def test_unknown_format_and_missing_split(tmp_path):
    f = tmp_path / "notes.md"
    f.write_text("hello")
    with pytest.raises(InputError, match="cannot tell the format"):
        _ingest(tmp_path, f)
    g = _write_jsonl(tmp_path / "data.jsonl", QVH)
    with pytest.raises(InputError, match="pass --split"):
        _ingest(tmp_path, g)
    with pytest.raises(TvgError, match="unknown --format"):
        IngestConfig(sources=[g], workspace=tmp_path / "ws", format="tacos-native")


def test_skip_mode_writes_rejects_and_ingests_the_rest(tmp_path):
    good = [
        json.dumps(
            {"qid": i, "query": "ok", "duration": 10, "vid": "v", "relevant_windows": [[1, 2]]}
        )
        for i in range(3)
    ]
    f = tmp_path / "x_val.jsonl"
    f.write_text(
        "\n".join([good[0], "{not json", good[1], '{"qid": 9, "vid": "v"}', good[2]]) + "\n"
    )
    report, ws = _ingest(tmp_path, f, on_error="skip")
    assert ws.read("samples").num_rows == 3
    assert ws.read("samples").column("source_line").to_pylist() == [1, 3, 5]
    rejects = [json.loads(x) for x in report.rejects_path.read_text().splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [(2, None), (4, "query")]


def test_duplicate_qid_is_an_error(tmp_path):
    f = _write_jsonl(tmp_path / "highlight_val_release.jsonl", [QVH[0], QVH[0]])
    with pytest.raises(InputError, match="duplicate sample id 'qvhighlights:val:7'"):
        _ingest(tmp_path, f)


def test_reingest_replaces_rows_and_makes_a_new_version(tmp_path):
    f = _write_jsonl(tmp_path / "highlight_val_release.jsonl", QVH)
    _ingest(tmp_path, f)
    _write_jsonl(f, [QVH[0] | {"query": "changed"}])
    _, ws = _ingest(tmp_path, f)
    t = ws.read("samples")
    assert t.num_rows == 2 and ws.current("samples").version == 2
    assert "changed" in t.column("query").to_pylist()
    assert ws.read("samples", 1).column("query").to_pylist()[0] == "A man cooks."


def _big_file(path, n):
    rec = '{{"qid": {i}, "query": "person number {i} opens the door.", "duration": 30.5, "vid": "V{v}", "relevant_windows": [[1.5, 6.0]]}}\n'
    with open(path, "w") as fh:
        fh.writelines(rec.format(i=i, v=i % 5000) for i in range(n))


@pytest.mark.slow
def test_killed_ingest_leaves_previous_version(tmp_path):
    small = _write_jsonl(tmp_path / "highlight_val_release.jsonl", QVH)
    ws_dir = tmp_path / "ws"
    ingest(IngestConfig(sources=[small], workspace=ws_dir))
    manifest = (ws_dir / "manifest.json").read_bytes()
    big = tmp_path / "big_train.jsonl"
    _big_file(big, 400_000)
    incoming_dir = ws_dir / "tables" / "samples"
    killed_mid_write = False
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tvgcurate", "ingest", str(big), "-w", str(ws_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if list(incoming_dir.glob(".incoming-*")):
                os.kill(proc.pid, signal.SIGKILL)
                killed_mid_write = True
                break
            time.sleep(0.001)
        proc.wait()
        if killed_mid_write:
            break
        ws_dir_manifest = (ws_dir / "manifest.json").read_bytes()
        assert ws_dir_manifest != manifest  # it finished: try again from the old version
        Workspace(ws_dir).checkout("samples", 1)
        manifest = (ws_dir / "manifest.json").read_bytes()
    assert killed_mid_write, "the ingest always finished before it could be killed"
    assert (ws_dir / "manifest.json").read_bytes() == manifest
    ws = Workspace(ws_dir)
    assert ws.read("samples").num_rows == 2
    # and the next ingest works
    ingest(IngestConfig(sources=[big], workspace=ws_dir))
    assert Workspace(ws_dir).read("samples").num_rows == 400_002


REAL = {
    "qvhighlights/highlight_train_release.jsonl": 7218,
    "qvhighlights/highlight_val_release.jsonl": 1550,
    "qvhighlights/highlight_test_release.jsonl": 1542,
    "lighthouse/charades_train_release.jsonl": 12404,
    "lighthouse/charades_test_release.jsonl": 3720,
    "lighthouse/activitynet_val_release.jsonl": 17505,
}


@pytest.mark.realdata
def test_every_real_file_ingests_with_its_record_count(shared_data, tmp_path):
    files = [shared_data / name for name in REAL]
    report, ws = _ingest(tmp_path, *files)
    for name, n in REAL.items():
        records = sum(1 for line in (shared_data / name).read_bytes().splitlines() if line.strip())
        assert records == n
        assert report.rows_per_file[str(shared_data / name)] == n
    t = ws.read("samples")
    assert t.num_rows == sum(REAL.values())
    assert pc.count_distinct(t.column("sample_id")).as_py() == t.num_rows
    sources = set(t.column("source").to_pylist())
    assert sources == {"qvhighlights", "charades-sta", "activitynet"}
