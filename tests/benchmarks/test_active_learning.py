"""benchmarks/active_learning.py --quick: the whole experiment's plumbing on a tiny demo
workspace (noise planted, round 0 in sample and out of fold, the ranked-only arms, two
relabel rounds through the session's Label Studio with both arms retrained, what each arm
trained on, plots). It checks the pipeline, not the claim (about a minute)."""

from __future__ import annotations

import json

import pytest


def bench():
    from benchmarks import active_learning

    return active_learning


@pytest.mark.slow
@pytest.mark.server
def test_quick_runs_end_to_end(ls_server, monkeypatch, capfd):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.token)
    out = ls_server.media_root / "al-quick"  # under the server's document root
    argv = ["--quick", "--out", str(out), "--url", ls_server.url, "--seeds", "0", "1",
            "--lanes", "2", "--document-root", str(ls_server.media_root.parent),
            "--repeats", "2"]  # fmt: skip
    summary = bench().main(argv)
    r, r1 = summary["seeds"]  # two seeds, side by side in two lanes
    assert (r["seed"], r1["seed"]) == (0, 1) and r1["planted"] > 0
    assert r["start"] == r1["start"] and r["start"].startswith(str(out / "pretrain"))
    planted = json.loads((out / "seed0" / "planted.json").read_text())
    assert r["planted"] == len(planted) > 0
    assert {p["kind"] for p in planted} <= set(bench().KINDS)
    # ranked-only arms, overall and per kind, with the ratio to the base rate
    prec = r["find"]["precision"]
    assert set(prec) == {"audit (out of fold)", "audit in-sample", "model evidence (out of fold)",
                         "rules only", "random"}  # fmt: skip
    cells = [c for row in prec.values() for c in row.values()]
    assert all(0.0 <= c["precision"] <= 1.0 for c in cells)
    assert set(r["find"]["by_kind"]) == set(r["planted_by_kind"])
    # round 0 is the full training split's model
    assert r["round0"]["composition"]["sft"]["rows"] == r["train_rows"]
    for number in (1, 2):  # two relabel rounds, both arms retrained, what each trained on
        rnd = r[f"round{number}"]
        assert set(rnd["held_out"]) == {"audit", "random"}
        for arm in ("audit", "random"):
            assert rnd["relabel"][arm]["samples_version"] is not None
            assert rnd["picked"][arm]["rows"] == rnd["relabel"][arm]["asked"] > 0
            comp = rnd["composition"][arm]
            assert comp["rows"] == r["train_rows"] and comp["not_in_truth"] == 0
            assert comp["sft"]["refusal_targets"] is not None
            assert rnd["remaining_planted"][arm] <= r["planted"]
        assert "checks" in rnd["picked"]["audit"]
        assert rnd["cost"]["audit"]["rows_asked"] == number * rnd["relabel"]["audit"]["asked"]
        paired = summary["paired_audit_minus_random"][f"round{number}"]
        assert set(paired) == {"R1@0.5", "mIoU", "refusal_auc", "refusal_acc@frr0.1"}
    # no row is asked twice: round 2 picks among the rows round 1 did not ask about
    work = out / "seed0" / "ws" / "work"
    r1 = set((work / "al seed0 r1 audit.ids").read_text().split())
    r2 = set((work / "al seed0 r2 audit.ids").read_text().split())
    assert r1 and r2 and not r1 & r2
    assert {"task", "r0 train full", "r1 train audit", "r2 train random"} <= set(r["seconds"])
    assert (out / "precision.png").stat().st_size > 0 and (out / "rounds.png").exists()
    assert json.loads((out / "RESULTS.json").read_text())["seeds"][0]["seed"] == 0
    # per check: how often it fired on correct rows and on each planted kind, per seed
    rates = bench().check_rates(out)
    assert rates["seeds"] == ["seed0", "seed1"] and "iou_disagreement" in rates["measured"]
    for c, by_kind in rates["fired"].items():
        assert all(n <= rates["measured"][c][k] for k, n in by_kind.items())
    assert rates["markdown"].splitlines()[2].startswith("| check | f (mean) | correct |")
    # the stake: every model on the shared test task, the ceilings, separability per kind
    for res in summary["seeds"]:
        assert set(res["round0"]["test"]) >= {"mIoU", "refusal_auc"}
        assert all(set(res[f"round{n}"]["test"]) == {"audit", "random"} for n in (1, 2))
        ceil = res["stake"]["ceilings"]
        assert set(ceil) == set(bench().stake.CEILINGS)
        assert ceil["all planted fixed"]["fixed"] == res["planted"]
        assert sum(ceil[n]["fixed"] for n in ceil if n != "all planted fixed") == res["planted"]
        assert set(res["stake"]["separability"]) == set(res["planted_by_kind"])
        # --repeats 2: every model once more, on its own labels, with another training seed
        models = {"r0", "r1-audit", "r1-random", "r2-audit", "r2-random"} | {
            f"ceiling:{n}" for n in ceil}  # fmt: skip
        assert set(res["stake"]["repeats"]) == models
        assert all(list(v) == [str(res["seed"] + 1000)] for v in res["stake"]["repeats"].values())
        view = bench().stake.averaged(res, 2)
        a, b = (
            res["round0"]["test"]["mIoU"],
            res["stake"]["repeats"]["r0"][str(res["seed"] + 1000)]["mIoU"],
        )
        assert view["round0"]["test"]["runs"] == 2 and view["round0"]["test"][
            "mIoU"
        ] == pytest.approx((a + b) / 2)
    assert (out / "test-task" / "TEST.json").is_file()
    text = bench().markdown(summary)
    assert (
        "| test task (2 other videos), greedy |" in text
        and "| round1 audit − random mIoU |" in text
    )
    # a rerun with the same settings reuses the pretraining and every finished seed
    capfd.readouterr()
    again = bench().main(argv)
    said = capfd.readouterr().out
    assert said.count("finished before with these settings") == 3  # pretraining + 2 seeds
    assert again["seeds"] == json.loads(json.dumps(summary["seeds"], default=str))


def test_annotator_refuses_rows_it_has_no_truth_for(tmp_path):
    """A task whose sample id is not in the clean labels (a synthetic row made after
    `truth_of`, an id changed by a relabel) stops the run instead of being guessed."""
    from tvgcurate.loop import load_annotator

    truth = {"s1": {"windows": [(1.0, 2.0)], "relevance": "relevant"},
             "s2": {"windows": [], "relevance": "irrelevant"}}  # fmt: skip
    annotate = load_annotator(bench().annotator_script(tmp_path / "annotate.py", truth))
    verdict = [
        i for i in annotate({"data": {"sample_id": "s2", "fps": 4.0}}) if i["type"] == "choices"
    ]
    assert verdict[0]["value"]["choices"] == ["irrelevant"]
    with pytest.raises(KeyError, match="no clean label"):
        annotate({"data": {"sample_id": "synthetic:new", "fps": 4.0}})


def test_composition_and_picks_count_what_an_arm_trains_on(tmp_path):
    import pyarrow as pa

    from tvgcurate.workspace import Workspace

    rows = [{"sample_id": f"s{i}", "video_id": "v", "query": "q", "split": "train",
             "windows": [{"start": 1.0, "end": 2.0}] if i < 3 else [],
             "relevance": "relevant" if i < 3 else "irrelevant", "duration_s": 10.0,
             "origin": "source" if i else "relabel:r1", "needs_review": i == 1} for i in range(5)]  # fmt: skip
    ws = Workspace(tmp_path / "ws", create=True)
    ws.write("samples", pa.Table.from_pylist(rows), validate=False)
    truth = bench().truth_of(ws)
    truth["s4"] = dict(truth["s4"], relevance="relevant", windows=[(3.0, 4.0)])  # s4 is wrong
    comp = bench().composition(ws, truth)
    assert comp["relevance"] == {"relevant": 3, "irrelevant": 2}
    assert comp["needs_review"] == 1 and comp["origin"] == {"relabel": 1, "source": 4}
    assert comp["wrong_labels"] == 1 and comp["not_in_truth"] == 0
    planted = [{"sample_id": "s4", "kind": "present_absent"}]
    got = bench().picked(["s3", "s4"], rows, truth, planted)
    assert got["label_before"] == {"irrelevant": 2} and got["truth"] == {
        "irrelevant": 1,
        "relevant": 1,
    }
    assert got["planted"] == {"present_absent": 1} and got["irrelevant_label_and_truth"] == 1


def test_noise_kinds_are_what_the_issue_asks(tmp_path):
    import pyarrow as pa

    from tvgcurate.workspace import Workspace

    rows = []
    for v in range(4):
        for q, (s, e) in enumerate([(1.0, 3.0), (5.0, 8.0)]):
            rows.append({"sample_id": f"qvhighlights:train:{v * 3 + q}", "video_id": f"v{v}",
                         "query": "a red circle", "windows": [{"start": s, "end": e}],
                         "relevance": "relevant", "split": "train", "duration_s": 10.0})  # fmt: skip
        rows.append({"sample_id": f"qvhighlights:train:{v * 3 + 2}", "video_id": f"v{v}",
                     "query": "a blue square", "windows": [], "relevance": "irrelevant",
                     "split": "train", "duration_s": 10.0})  # fmt: skip
    ws = Workspace(tmp_path / "ws", create=True)
    ws.write("samples", pa.Table.from_pylist(rows), validate=False)
    planted = bench().plant_noise(ws, 0.75, seed=0, kinds=("moved", "swapped", "false_positive"))
    assert len(planted) == 9 and {p["kind"] for p in planted} == {
        "moved",
        "swapped",
        "false_positive",
    }
    for p in planted:
        ((a, b),) = p["after"]
        assert 0.0 <= a < b <= 10.0
        if p["kind"] == "moved":
            ((s, e),) = p["before"]
            assert 0.3 * (e - s) - 1e-6 <= abs(a - s) <= 0.6 * (e - s) + 1e-6
            assert b - a == pytest.approx(e - s)
        if p["kind"] == "swapped":
            assert p["after"] != p["before"] and [tuple(x) for x in p["after"]] in (
                [(1.0, 3.0)],
                [(5.0, 8.0)],
            )
        if p["kind"] == "false_positive":
            assert p["before"] == []


def test_the_new_kinds_present_labelled_absent_and_small_boundary_errors(tmp_path):
    from tvgcurate.demo.plants import plant_noise_rows

    rows = [{"sample_id": f"s{i}", "video_id": f"v{i}", "query": "q", "split": "train",
             "windows": [{"start": 2.0, "end": 6.0}], "relevance": "relevant",
             "duration_s": 10.0} for i in range(10)]  # fmt: skip
    rows.append(dict(rows[0], sample_id="held", split="val"))
    planted = plant_noise_rows(rows, 1.0, seed=3, kinds=("present_absent", "boundary"))
    assert len(planted) == 10 and {p["kind"] for p in planted} == {"present_absent", "boundary"}
    by_id = {r["sample_id"]: r for r in rows}
    assert by_id["held"]["windows"] == [{"start": 2.0, "end": 6.0}]  # held-out stays clean
    for p in planted:
        r = by_id[p["sample_id"]]
        if p["kind"] == "present_absent":
            assert r["relevance"] == "irrelevant" and r["windows"] == []
        else:
            ((a, b),) = p["after"]
            moved = max(abs(a - 2.0), abs(b - 6.0))
            assert 0.2 * 4 - 1e-9 <= moved <= 0.4 * 4 + 1e-9 and 0 <= a < b <= 10
            assert r["relevance"] == "relevant"


def test_markdown_tables_from_the_committed_run():
    """docs/active-learning.md's tables come from `--markdown RESULTS.json`: every arm, kind
    and round of the committed run is there, with its paired interval."""
    import json
    from pathlib import Path

    from benchmarks.active_learning import markdown

    path = Path(__file__).resolve().parents[2] / "results" / "active-learning" / "RESULTS.json"
    summary = json.loads(path.read_text())
    text = markdown(summary)
    assert text.startswith(f"{len(summary['seeds'])} seeds")
    for arm in summary["seeds"][0]["find"]["precision"]:
        assert f"| {arm} |" in text
    for kind in summary["seeds"][0]["planted_by_kind"]:
        assert f"| {kind} |" in text
    assert "| round2 mIoU |" in text and "round 2 random" in text
    doc = (path.parents[2] / "docs" / "active-learning.md").read_text()
    assert text in doc  # the doc shows exactly what the command prints
