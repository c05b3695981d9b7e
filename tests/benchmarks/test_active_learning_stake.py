"""benchmarks/active_learning_stake.py: the ceilings put back exactly the planted rows of
their kinds, and separability ranks a model that sees an error above one that does not."""

from __future__ import annotations

import pyarrow as pa
import pytest


def stake():
    from benchmarks import active_learning_stake

    return active_learning_stake


def _row(i, windows, relevance="relevant"):
    return {"sample_id": f"s{i}", "video_id": "v", "query": f"q{i}", "split": "train",
            "windows": [{"start": a, "end": b} for a, b in windows], "relevance": relevance,
            "duration_s": 10.0}  # fmt: skip


@pytest.fixture
def noisy(tmp_path):
    """A workspace: clean rows (version 1), then rows 0 (moved) and 1 (present_absent) noisy."""
    from tvgcurate.workspace import Workspace

    ws = Workspace(tmp_path / "ws", create=True)
    clean = [_row(i, [(2.0 * i, 2.0 * i + 2)]) for i in range(4)]
    ws.write("samples", pa.Table.from_pylist(clean), validate=False)
    noisy = [_row(0, [(1.0, 3.0)]), _row(1, [], "irrelevant"), *clean[2:]]
    ws.write("samples", pa.Table.from_pylist(noisy, schema=ws.read("samples").schema),
             validate=False)  # fmt: skip
    planted = [{"sample_id": "s0", "kind": "moved"}, {"sample_id": "s1", "kind": "present_absent"}]
    return ws, planted


def test_ceilings_put_back_only_their_kinds(noisy):
    ws, planted = noisy
    s = stake()
    windows = stake().WINDOW_KINDS
    by_id = {r["sample_id"]: r for r in s.fixed_rows(ws, 2, planted, windows)}
    assert by_id["s0"]["windows"] == [{"start": 0.0, "end": 2.0}]  # moved: back
    assert by_id["s1"]["relevance"] == "irrelevant"  # a relevance error: left as planted
    both = {r["sample_id"]: r for r in s.fixed_rows(ws, 2, planted, None)}
    assert both["s1"]["relevance"] == "relevant" and both["s1"]["windows"] == [
        {"start": 2.0, "end": 4.0}]  # fmt: skip
    assert set(s.CEILINGS["relevance errors fixed"]) | set(windows) == {
        "false_positive", "present_absent", "moved", "swapped", "boundary"}  # fmt: skip


def _predictions(ws, windows_of, refusal_of):
    rows = [{"run_id": "oof", "sample_id": f"s{i}", "error": None, "refused": False,
             "windows": [{"start": a, "end": b, "score": 1.0} for a, b in windows_of[i]],
             "refusal_score": refusal_of[i]} for i in range(4)]  # fmt: skip
    ws.write("predictions", pa.Table.from_pylist(rows), validate=False)


def test_separability_is_high_when_the_model_sees_the_error_and_low_when_not(noisy):
    ws, planted = noisy
    truth = {0: [(0.0, 2.0)], 1: [(2.0, 4.0)], 2: [(4.0, 6.0)], 3: [(6.0, 8.0)]}
    _predictions(ws, truth, {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0})  # grounds the truth, refuses none
    sep = stake().separability(ws, 2, planted, "oof")
    assert sep["moved"] == {"auc": 100.0, "planted": 1, "correct": 2}
    # present_absent: its noisy label expects a refusal, the model answers (P(refusal) 0)
    assert sep["present_absent"]["correct"] == 0 and sep["present_absent"]["auc"] is None
    # a model that follows the noisy label cannot tell the moved row from the others
    _predictions(ws, {**truth, 0: [(1.0, 3.0)], 2: [(5.0, 7.0)], 3: [(7.0, 9.0)]},
                 {i: 0.0 for i in range(4)})  # fmt: skip
    assert stake().separability(ws, 2, planted, "oof")["moved"]["auc"] == 0.0


def test_the_interval_narrows_as_seeds_come_in_and_says_how_many_it_would_take():
    import math
    import statistics

    from benchmarks.active_learning import paired, seeds_needed, t_interval

    mean, (lo, hi) = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and hi - 2.0 == pytest.approx(4.303 / math.sqrt(3))
    assert t_interval([1.0]) == (1.0, None)
    # the fewest seeds whose interval excludes 0 at this mean and sd: n does, n - 1 does not
    n = seeds_needed(0.8, 1.6)
    half = lambda k: t_interval([0.8 + 1.6 * x for x in _unit(k)])[1][0]  # noqa: E731
    assert half(n) > 0 > half(n - 1)
    assert seeds_needed(-0.8, 1.6) == n and seeds_needed(0.0, 1.0) is None
    assert seeds_needed(0.01, 10.0, most=50) is None
    diffs = [1.0, -0.5, 2.0, 0.5]
    res = [{"round1": {"test": {"audit": {"mIoU": d}, "random": {"mIoU": 0.0}}}} for d in diffs]
    summary = {"paired_on_test": {"round1": {"mIoU": paired(res, 1, "mIoU", "test")}}}
    lines = stake().narrowing(summary)
    row = next(x for x in lines if x.startswith("| round1"))
    cells = row.split(" | ")[1].split("; ")
    assert [c.split(":")[0] for c in cells] == ["2", "3", "4"]
    lo4, hi4 = paired(res, 1, "mIoU", "test")["ci95"]
    assert cells[-1] == f"4: {statistics.mean(diffs):+.2f} [{lo4:.2f}, {hi4:.2f}]"
    assert row.endswith(f"| {seeds_needed(statistics.mean(diffs), statistics.stdev(diffs))} |")


def _unit(k: int) -> list[float]:
    """k values with mean 0 and sample sd 1."""
    import statistics

    xs = [float(i) for i in range(k)]
    m, s = statistics.mean(xs), statistics.stdev(xs)
    return [(x - m) / s for x in xs]


def test_noise_share_is_the_training_runs_part_of_the_paired_variance():
    """Each arm's three runs vary with sd 1 on fixed labels; its figure is their mean, so the
    training part of an audit - random difference's variance is 2 * 1 / 3."""
    from benchmarks.active_learning import paired

    def seed(s, audit, random_):
        res = {"seed": s, "round0": {"test": {"mIoU": 50.0}},
               "round1": {"test": {"audit": {"mIoU": audit}, "random": {"mIoU": random_}}},
               "stake": {"repeats": {}}}  # fmt: skip
        for key, first in (("r1-audit", audit), ("r1-random", random_)):
            res["stake"]["repeats"][key] = {
                str(s + 1000): {"mIoU": first + 1.0},
                str(s + 2000): {"mIoU": first - 1.0},
            }
        return res

    seeds = [seed(4, 52.0, 50.0), seed(5, 51.0, 50.0), seed(6, 53.0, 50.0)]
    st = stake()
    assert st.metric_of(st.model_runs(seeds[0], 3)["r1-audit"], "mIoU") == [52.0, 53.0, 51.0]
    assert st.metric_of(st.model_runs(seeds[0], 2)["r1-audit"], "mIoU") == [52.0, 53.0]
    views = [st.averaged(r, 3) for r in seeds]  # the means: the first runs themselves here
    summary = {"args": {"repeats": "3"},
               "paired_on_test": {"round1": {"mIoU": paired(views, 1, "mIoU", "test")}},
               "seeds": seeds}  # fmt: skip
    row = next(x for x in st.noise_share(summary) if x.startswith("| round1"))
    one, runs, train, total, share = row.strip("| ").split(" | ")[1:]
    assert (one, runs, train, total) == ("1.00", "3", "0.67", "1.00")  # diffs 2, 1, 3: var 1
    assert share == "67%"
    assert st.noise_share({**summary, "args": {"repeats": "1"}}) == []  # one run: no spread
    same = [seed(s, 51.0, 50.0) for s in (4, 5)]  # equal differences: no share to give
    summary = {"args": {"repeats": "3"}, "seeds": same, "paired_on_test": {
        "round1": {"mIoU": paired([st.averaged(r, 3) for r in same], 1, "mIoU", "test")}}}  # fmt: skip
    assert st.noise_share(summary)[-1].endswith("| 0.00 | - |")


def test_arm_repeats_add_runs_to_the_rounds_arms_only(tmp_path, monkeypatch):
    """--arm-repeats 4 with --repeats 2: the arms' models get training seeds +1000..+3000,
    round 0 and the ceilings +1000 only; the means follow each model's own count."""
    import argparse

    st = stake()
    runs = st.Runs.of_args(argparse.Namespace(repeats=2, arm_repeats=4))
    assert (runs.of("r0"), runs.of("r1-audit"), runs.of("r2-random"), runs.of("ceiling:all")) == (
        2, 4, 4, 2)  # fmt: skip
    assert st.Runs.of_args({"repeats": "3", "arm_repeats": "None"}) == st.Runs(3, None)
    assert st.Runs.of_args({"repeats": "3"}).of("r1-audit") == 3  # a run made before the option

    res = {"seed": 4, "round0": {"test": {"mIoU": 50.0}},
           "round1": {"test": {"audit": {"mIoU": 52.0}, "random": {"mIoU": 51.0}}},
           "stake": {"ceilings": {"all": {"test": {"mIoU": 54.0}}}}}  # fmt: skip
    labels = {key: (lambda: None) for key in ("r0", "r1-audit", "r1-random", "ceiling:all")}
    trained: list[tuple[str, int]] = []

    def train_on(args, work, table, out, tseed, clock, phase, note):
        trained.append((phase.split(" t")[0], tseed))
        return argparse.Namespace(output=out)

    monkeypatch.setattr(st, "model_labels", lambda *a: labels)
    monkeypatch.setattr(st, "fresh_copy", lambda root, name: root / name)
    monkeypatch.setattr(st, "train_on", train_on)
    monkeypatch.setattr(
        st, "on_test", lambda args, out, seed, run_id: {"mIoU": 40.0 + len(trained)}
    )
    args = argparse.Namespace(repeats=2, arm_repeats=4)
    st.add_repeats(args, res, tmp_path, [], lambda name, f, *a: f(*a), lambda: None)
    assert sorted(t for k, t in trained if k == "r1-audit") == [1004, 2004, 3004]
    assert [t for k, t in trained if k == "r0"] == [1004]
    assert [t for k, t in trained if k == "ceiling:all"] == [1004]
    n_before = len(trained)
    st.add_repeats(args, res, tmp_path, [], lambda name, f, *a: f(*a), lambda: None)
    assert len(trained) == n_before  # finished runs are not redone
    means = st.averaged(res, runs)
    assert means["round1"]["test"]["audit"]["runs"] == 4
    assert means["round0"]["test"]["runs"] == 2
    assert means["stake"]["ceilings"]["all"]["test"]["runs"] == 2
    audit = st.metric_of(st.model_runs(res, runs)["r1-audit"], "mIoU")
    assert means["round1"]["test"]["audit"]["mIoU"] == pytest.approx(sum(audit) / 4)


def _looks():
    """results/active-learning/looks.py as a module."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "results/active-learning/looks.py"
    spec = importlib.util.spec_from_file_location("looks", path)
    looks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(looks)
    return looks


def test_the_confirmation_is_judged_on_the_fresh_seeds_at_their_own_runs():
    """looks.confirmation: the fresh run's arm models are the means of their own runs (here the
    reported run read as if made with --arm-repeats 2: its first two runs), the interval is
    over the fresh seeds only, and the verdict needs every round's mIoU lower bound above 0."""
    import json
    import statistics
    from pathlib import Path

    looks, st = _looks(), stake()
    root = Path(__file__).resolve().parents[2]
    reported = json.loads((root / "results/active-learning/RESULTS.json").read_text())
    fresh = {**reported, "args": {**reported["args"], "repeats": "1", "arm_repeats": "2"}}
    lines = looks.confirmation(reported, fresh)
    row = next(x for x in lines if x.startswith("| mIoU | round1 |"))
    d = []
    for r in reported["seeds"]:
        runs = st.model_runs(r, st.Runs(1, 2))
        a, b = (st.metric_of(runs[f"r1-{arm}"], "mIoU") for arm in ("audit", "random"))
        assert len(a) == len(b) == 2
        d.append(statistics.mean(a) - statistics.mean(b))
    assert row.split(" | ")[2] == f"{statistics.mean(d):+.2f}"
    assert looks.verdict({"round1": 0.1, "round2": 0.01}).startswith("**Confirmed**")
    short = looks.verdict({"round1": 0.3, "round2": 0.0})
    assert short.startswith("**Not confirmed**") and "round2" in short and "round1" not in short


def test_the_docs_show_both_looks_as_looks_py_prints_them():
    """docs/active-learning.md's table of the two looks (3 and 6 runs per arm model) is what
    results/active-learning/looks.py prints from the committed RESULTS.json."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    looks = _looks()
    summary = json.loads((root / "results/active-learning/RESULTS.json").read_text())
    lines = looks.looks(summary)
    assert len(lines) == 2 + 2 * len(summary["paired_on_test"])
    first = stake().averaged(summary["seeds"][0], stake().Runs(3, 3))
    assert first["round1"]["test"]["audit"]["runs"] == 3  # the first look: three runs per arm
    doc = (root / "docs" / "active-learning.md").read_text()
    for line in lines:
        assert f"    {line}" in doc


def test_ceilings_option_picks_which_ceilings_train(tmp_path, monkeypatch):
    """--ceilings names ceilings by first word; `--ceilings` alone trains none; default all."""
    import argparse

    from benchmarks import active_learning

    st = stake()
    assert active_learning.parse_args([]).ceilings is None
    assert st.wanted_ceilings(active_learning.parse_args([])) == list(st.CEILINGS)
    assert st.wanted_ceilings(active_learning.parse_args(["--ceilings"])) == []
    picked = active_learning.parse_args(["--ceilings", "window", "all"])
    assert st.wanted_ceilings(picked) == ["all planted fixed", "window errors fixed"]
    with pytest.raises(SystemExit):
        active_learning.parse_args(["--ceilings", "nonsense"])

    trained: list[str] = []
    monkeypatch.setattr(st, "model_labels", lambda *a: {})
    monkeypatch.setattr(st, "fresh_copy", lambda root, name: root / name)
    monkeypatch.setattr(
        st, "train_on", lambda *a: trained.append(a[-1]) or argparse.Namespace(output=tmp_path)
    )
    res = {"seed": 4}
    st.add_ceilings(argparse.Namespace(ceilings=[]), res, tmp_path, [], None, lambda: None)
    assert trained == [] and res["stake"]["ceilings"] == {}


def test_the_docs_show_the_confirmation_as_its_commands_print_it():
    """docs/active-learning.md shows the confirmation's verdict table as looks.py prints it and
    every table as `--markdown` prints it, from the committed confirmation/RESULTS.json."""
    import json
    from pathlib import Path

    from benchmarks.active_learning import markdown

    root = Path(__file__).resolve().parents[2]
    results = root / "results/active-learning"
    reported = json.loads((results / "RESULTS.json").read_text())
    fresh = json.loads((results / "confirmation/RESULTS.json").read_text())
    assert _design(fresh) == ("1", "2", "[]")  # the design PLAN.md fixed
    assert [r["seed"] for r in fresh["seeds"]] == list(range(10, 18))
    doc = (root / "docs" / "active-learning.md").read_text()
    lines = _looks().confirmation(reported, fresh)
    assert lines[-1].endswith("every round's mIoU interval is above 0.")
    for line in lines:
        assert line in doc.splitlines()
    assert markdown(fresh) in doc


def _design(summary: dict) -> tuple[str, str, str]:
    """--repeats, --arm-repeats and --ceilings as RESULTS.json keeps them."""
    a = summary["args"]
    return a["repeats"], a["arm_repeats"], a["ceilings"]
