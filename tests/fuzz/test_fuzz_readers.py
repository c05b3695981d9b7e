"""Hostile input for every reader (issue 16): malformed variants of the demo's annotation
files, generated with hypothesis. Property: `ingest` exits 0 or 2; exit 2 is one line that
names the file; `--on-error skip` succeeds or exits 2 the same way; never a traceback; a
failed run leaves the workspace as it was. Bounded: max_examples per reader below."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tvgcurate.cli import app

EXAMPLES = 25  # per reader and mode; the count in docs/ingest.md is derived from this
READERS = {  # demo file -> extra files the reader needs next to it
    "qvhighlights/demo_val_release.jsonl": [],
    "charades/charades_sta_test.txt": [],
    "charades/Charades_v1_test.csv": ["charades/charades_sta_test.txt"],
    "activitynet/val_1.json": [],
}
NUMBER = re.compile(rb"(?<![\w.])-?\d+(\.\d+)?(?![\w.])")
REPLACEMENTS = [b"NaN", b"Infinity", b"-Infinity", b"-7.5", b'"12"', b"null", b"[]", b"{}",
                b"true", b"1e400", b"-1"]  # fmt: skip


@st.composite
def malformed(draw, data: bytes) -> bytes:
    """One to three malformations of `data`."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "bytes", "bom", "crlf", "number", "dup_line",
                                     "drop_key", "dup_key", "long_line", "drop_line"]))  # fmt: skip
        n = max(len(data), 1)
        if kind == "truncate":
            data = data[: draw(st.integers(0, n - 1))]
        elif kind == "bytes":
            at = draw(st.integers(0, n))
            junk = draw(
                st.sampled_from([b"\xff\xfe", b"\x80", b"\xc3\x28", b"\x00", b"\xed\xa0\x80"])
            )
            data = data[:at] + junk + data[at:]
        elif kind == "bom":
            data = b"\xef\xbb\xbf" + data
        elif kind == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif kind == "number":
            hits = list(NUMBER.finditer(data))
            if hits:
                m = hits[draw(st.integers(0, len(hits) - 1))]
                data = data[: m.start()] + draw(st.sampled_from(REPLACEMENTS)) + data[m.end() :]
        elif kind in ("dup_line", "drop_line", "long_line"):
            lines = data.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "dup_line":
                lines.insert(i, lines[i])
            elif kind == "drop_line":
                del lines[i]
            else:
                lines.insert(i, lines[i][:20] + b"x" * (1 << 20) + lines[i][20:])
            data = b"\n".join(lines)
        elif kind == "drop_key":
            keys = list(re.finditer(rb'"[a-z_]+": ?("[^"]*"|[^,}\]]*|\[[^\]]*\]),? ?', data))
            if keys:
                m = keys[draw(st.integers(0, len(keys) - 1))]
                data = data[: m.start()] + data[m.end() :]
        elif kind == "dup_key":
            at = data.find(b"{")
            if at >= 0:
                data = data[: at + 1] + b'"qid": "dup", "duration": -3, ' + data[at + 1 :]
    return data


def _snapshot(ws: Path) -> dict[str, bytes]:
    return {str(p.relative_to(ws)): p.read_bytes() for p in sorted(ws.rglob("*"))
            if p.is_file() and "work" not in p.parts and p.name != ".lock"}  # fmt: skip


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory, demo_dir) -> Path:
    """A workspace that already holds one ingest (so a failed run has something to keep)."""
    ws = tmp_path_factory.mktemp("fuzz") / "ws"
    r = CliRunner().invoke(
        app, ["ingest", str(demo_dir / "qvhighlights" / "demo_train_release.jsonl"), "-w", str(ws)]
    )
    assert r.exit_code == 0, r.output
    return ws


def _check(result, ws: Path, before: dict, name: str) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback: {result.exception!r}\n{result.output[-2000:]}")
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        lines = [x for x in result.output.strip().splitlines() if x.strip()]
        assert len(lines) == 1, result.output[-2000:]
        assert name in lines[0], lines[0][:300]
        assert _snapshot(ws) == before  # a failed run changes nothing


@pytest.mark.parametrize("rel", sorted(READERS))
@pytest.mark.parametrize("mode", ["fail", "skip"])
def test_malformed_files_fail_cleanly(rel, mode, demo_dir, base_ws, tmp_path_factory):
    original = (demo_dir / rel).read_bytes()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])  # fmt: skip
    @given(data=malformed(original))
    def run(data: bytes) -> None:
        tmp = tmp_path_factory.mktemp("case")
        ws = tmp / "ws"
        shutil.copytree(base_ws, ws)
        target = tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        extra = []
        for x in READERS[rel]:
            (tmp / x).write_bytes((demo_dir / x).read_bytes())
            extra.append(str(tmp / x))
        before = _snapshot(ws)
        args = ["ingest", str(target), *extra, "-w", str(ws), "--on-error", mode]
        res = CliRunner().invoke(app, args, env={"COLUMNS": "400"})
        _check(res, ws, before, Path(rel).name)
        if mode == "skip" and res.exit_code == 0 and "skipped" in res.output:
            assert list((ws / "rejects").glob("*.jsonl"))
        shutil.rmtree(tmp, ignore_errors=True)

    run()


def test_predictions_for_eval_fail_cleanly(tmp_path_factory, demo_dir):
    gt = demo_dir / "qvhighlights" / "demo_val_release.jsonl"
    lines = []
    for line in gt.read_text().splitlines():
        import json

        rec = json.loads(line)
        lines.append(json.dumps({"qid": rec["qid"], "pred_relevant_windows":
                                 [[*w, 0.5] for w in rec["relevant_windows"]]}))  # fmt: skip
    original = ("\n".join(lines) + "\n").encode()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])  # fmt: skip
    @given(data=malformed(original))
    def run(data: bytes) -> None:
        tmp = tmp_path_factory.mktemp("pred")
        p = tmp / "preds.jsonl"
        p.write_bytes(data)
        res = CliRunner().invoke(app, ["eval", "-p", str(p), "--gt", str(gt)],
                                 env={"COLUMNS": "400"})  # fmt: skip
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            raise AssertionError(f"traceback: {res.exception!r}")
        assert res.exit_code in (0, 2), res.output
        if res.exit_code == 2:
            out = [x for x in res.output.strip().splitlines() if x.strip()]
            assert len(out) == 1 and "preds.jsonl" in out[0], res.output[-1000:]
        shutil.rmtree(tmp, ignore_errors=True)

    run()
