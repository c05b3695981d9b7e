import pytest

from tests.exporters.conftest import NEWLINE_QUERY, TRICKY, make_tricky_workspace
from tvgcurate.curation.ingest import IngestConfig, ingest
from tvgcurate.errors import TvgError
from tvgcurate.exporters import ExportConfig, export
from tvgcurate.workspace import Workspace


def test_native_file_round_trip_is_the_same_text(demo_dir, tmp_path):
    src = demo_dir / "charades" / "charades_sta_test.txt"
    ingest(IngestConfig(sources=[src], workspace=tmp_path / "ws"))
    out = tmp_path / "out" / "charades_sta_test.txt"
    res = export(ExportConfig(workspace=tmp_path / "ws", format="charades-sta", out=out))
    assert out.read_text(encoding="utf-8") == src.read_text(encoding="utf-8")
    assert res.written == len(src.read_text().splitlines())
    assert res.files == [out.parent / "Charades_v1_charades_sta_test.csv"]


def test_tricky_queries_windows_and_durations_survive_reingest(tricky_ws, tmp_path):
    out = tmp_path / "x" / "charades_sta_train.txt"
    res = export(ExportConfig(workspace=tricky_ws.root, format="charades-sta", out=out))
    assert res.written == len(TRICKY) + 1  # the two-window sample gives two lines
    ingest(IngestConfig(sources=[out], workspace=tmp_path / "ws2"))
    back = Workspace(tmp_path / "ws2").read("samples").to_pylist()
    orig = [s for s in tricky_ws.read("samples").to_pylist() if s["relevance"] == "relevant"]
    expected = [
        (s["video_id"], s["query"], w["start"], w["end"], s["duration_s"])
        for s in orig
        for w in s["windows"]
    ]
    got = [
        (
            s["video_id"],
            s["query"],
            s["windows"][0]["start"],
            s["windows"][0]["end"],
            s["duration_s"],
        )
        for s in back
    ]
    assert got == expected  # quotes, '##', non-ASCII, outer spaces and tabs kept exactly


def test_newline_is_an_error_or_the_documented_escape(tmp_path):
    ws = make_tricky_workspace(tmp_path / "t", newline=True, irrelevant=False)
    out = tmp_path / "c.txt"
    with pytest.raises(TvgError, match="line break.*--opt newlines=space"):
        export(ExportConfig(workspace=ws.root, format="charades-sta", out=out))
    assert not out.exists() and not list(tmp_path.glob(".c.txt*"))
    assert not (tmp_path / "Charades_v1_c.csv").exists()
    export(
        ExportConfig(
            workspace=ws.root, format="charades-sta", out=out, options={"newlines": "space"}
        )
    )
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and all("##" in ln for ln in lines[:-1])
    assert any(ln.endswith("##" + NEWLINE_QUERY.replace("\n", " ")) for ln in lines)


def test_irrelevant_rows_cannot_be_carried(tricky_ws, tmp_path):
    with pytest.raises(TvgError, match="cannot carry irrelevant"):
        ExportConfig(
            workspace=tricky_ws.root,
            format="charades-sta",
            out=tmp_path / "c.txt",
            include_irrelevant=True,
        )


def test_existing_sidecar_refuses_and_leaves_nothing(tricky_ws, tmp_path):
    (tmp_path / "Charades_v1_c.csv").write_text("keep")
    out = tmp_path / "c.txt"
    with pytest.raises(TvgError, match="Charades_v1_c.csv exists; pass --overwrite"):
        export(ExportConfig(workspace=tricky_ws.root, format="charades-sta", out=out))
    assert not out.exists() and (tmp_path / "Charades_v1_c.csv").read_text() == "keep"
    export(
        ExportConfig(
            workspace=tricky_ws.root, format="charades-sta", out=out, options={"durations": "false"}
        )
    )
    assert (tmp_path / "Charades_v1_c.csv").read_text() == "keep"
    export(ExportConfig(workspace=tricky_ws.root, format="charades-sta", out=out, overwrite=True))
    assert (tmp_path / "Charades_v1_c.csv").read_text() == "id,length\nvid0,4.0\nvid1,4.0\n"


@pytest.mark.realdata
def test_real_charades_lines_survive_charades_format(shared_data, tmp_path):
    """Lighthouse's Charades-STA test file -> charades-sta txt -> ingest: same rows."""
    src = shared_data / "lighthouse" / "charades_test_release.jsonl"
    ingest(IngestConfig(sources=[src], workspace=tmp_path / "ws"))
    out = tmp_path / "charades_sta_test.txt"
    export(ExportConfig(workspace=tmp_path / "ws", format="charades-sta", out=out))
    ingest(IngestConfig(sources=[out], workspace=tmp_path / "ws2"))
    a = Workspace(tmp_path / "ws").read("samples").to_pylist()
    b = Workspace(tmp_path / "ws2").read("samples").to_pylist()
    key = ("video_id", "query", "windows", "duration_s")
    assert [tuple(r[k] for k in key) for r in a] == [tuple(r[k] for k in key) for r in b]
    assert len(b) == 3720
