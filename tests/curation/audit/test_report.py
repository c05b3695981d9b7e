"""The HTML report: written by `audit --report`, self-contained, and rendered by headless
Chromium (skipped when Chromium is absent outside CI)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tvgcurate.curation.audit import AuditConfig, run_audit
from tvgcurate.demo.data import load_ground_truth
from tvgcurate.demo.evaluate import oracle_predictions

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
]  # fmt: skip


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name) or (
            f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None
        )
        if path:
            return path
    return None


def screenshot(html_path, png_path, tmp_path, size=(1200, 2600)) -> subprocess.CompletedProcess:
    exe = chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install -y chromium)")
        pytest.skip("Chromium is not installed")
    cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}",
           f"--window-size={size[0]},{size[1]}", f"--screenshot={png_path}",
           html_path.resolve().as_uri()]  # fmt: skip
    env = dict(os.environ, HOME=str(tmp_path))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def report(planted_ws, demo_dir, tmp_path):
    planted_ws.write("predictions", oracle_predictions(load_ground_truth(demo_dir)))
    res = run_audit(
        AuditConfig(
            workspace=planted_ws.root, predictions="oracle", encoder="hashing",
            report=tmp_path / "report", top=10, progress=False,
        )
    )  # fmt: skip
    return res


def test_report_is_self_contained(report):
    text = report.report.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 3 + 10  # counts, IoU, boundaries, 10 strips
    assert 'src="http' not in text and "<script" not in text
    for section in ("Issues per check", "Model/label agreement", "Boundary shift", "Top 10"):
        assert section in text
    assert report.ranked()[0] in text


def test_report_shows_each_checks_measured_reliability(report):
    """The weights are measured per audit, so the report says what they were: per check its
    fire rate, the false-alarm rate f and the weight ln((1-f)/f), and the model evidence."""
    text = report.report.read_text(encoding="utf-8")
    assert "How the evidence was weighed" in text and "weight ln((1-f)/f)" in text
    rel = report.reliability["iou_disagreement"]
    row = (f"<tr><td>iou_disagreement</td><td class='n'>{rel.measured}</td>"
           f"<td class='n'>{rel.fire_rate:.1%}</td><td class='n'>{rel.false_alarm:.2%}</td>")  # fmt: skip
    assert row in text and f"<td class='n'>{rel.weight:.2f}</td>" in text
    assert "model evidence: in-sample" in text  # the oracle table has no fold column


def test_report_renders_in_headless_chromium(report, tmp_path):
    from PIL import Image

    png = tmp_path / "shot.png"
    proc = screenshot(report.report, png, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    img = Image.open(png).convert("RGB")
    assert img.size == (1200, 2600)
    # Not a blank page: the plots put red bars and green windows on the screen.
    colours = img.resize((300, 650)).getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 50
    reds = sum(n for n, (r, g, b) in colours if r > 180 and g < 90 and b < 90)
    assert reds > 100


def test_report_says_which_checks_weigh_nothing_as_the_audit_weighed_them():
    """The 'reads no label' line follows the multipliers the audit used: by default
    iou_spread weighs 0; with --weight iou_spread=1 the report does not claim it."""
    from tvgcurate.curation.audit.ranking import RankingConfig
    from tvgcurate.curation.audit.reliability import estimate
    from tvgcurate.curation.audit.report import reliability_html

    rows = [{"sample_id": f"s{i}", "check": "iou_spread", "is_issue": i < 10,
             "score": 0.2 if i < 10 else 0.9, "value": 0.8 if i < 10 else 0.1}
            for i in range(100)]  # fmt: skip
    rel = estimate(rows)
    assert "iou_spread reads no label: weighs 0" in "".join(reliability_html(rel, None))
    restored = reliability_html(rel, None, RankingConfig(weights={"iou_spread": 1.0}))
    assert "reads no label" not in "".join(restored)
