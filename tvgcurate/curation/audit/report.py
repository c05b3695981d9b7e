"""A static HTML report of one audit: plots as embedded PNGs (matplotlib), no server, no
JavaScript, one self-contained `index.html` that opens anywhere.

Sections: issue counts per check; the IoU distribution of the predictions run; boundary
distance histograms; and, for the top-ranked samples, a timeline strip each with the
annotated windows, the predicted windows, the change-score curve and the scene cuts.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.curation.audit.context import windows_of

GREEN, ORANGE, GREY, RED = "#2ca02c", "#ff7f0e", "#7f7f7f", "#d62728"


@dataclass
class ReportConfig:
    out: Path = field(metadata={"help": "Directory for index.html."})
    top: int = field(default=30, metadata={"help": "Top-ranked samples drawn as timelines."})
    dpi: int = field(default=80, metadata={"help": "Resolution of the embedded plots."})


def _png(fig, dpi: int) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(src: str, alt: str, cls: str = "plot") -> str:
    return f'<img class="{cls}" alt="{html.escape(alt)}" src="{src}">'


def _rows(table: pa.Table, check: str) -> list[dict]:
    return table.filter(pc.equal(table.column("check"), check)).to_pylist()


def plot_counts(summaries, dpi: int) -> str:
    import matplotlib.pyplot as plt

    names = [s.check for s in summaries][::-1]
    counts = [s.flagged for s in summaries][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(names) + 0.8))
    bars = ax.barh(names, counts, color=[RED if c else GREY for c in counts])
    for b, s in zip(bars, summaries[::-1], strict=True):
        ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {s.flagged} ({s.share:.1%})",
                va="center", fontsize=8)  # fmt: skip
    ax.set_xlabel("samples flagged")
    ax.set_title("issues per check")
    ax.margins(x=0.25)
    return _png(fig, dpi)


def plot_iou(rows: list[dict], threshold: float | None, dpi: int) -> str:
    import matplotlib.pyplot as plt

    ious = np.array([r["score"] for r in rows if r["score"] is not None])
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.hist(ious, bins=np.linspace(0, 1, 21), color=ORANGE, edgecolor="white")
    if threshold is not None:
        ax.axvline(threshold, color=RED, ls="--", label=f"flag below {threshold:g}")
        ax.legend(fontsize=8)
    ax.set_xlabel("IoU of the model's top window with the label")
    ax.set_ylabel("samples")
    ax.set_title(
        f"IoU distribution ({len(ious)} samples, mean {ious.mean() if len(ious) else 0:.2f})"
    )
    return _png(fig, dpi)


def plot_boundaries(rows: list[dict], threshold: float | None, dpi: int) -> str:
    import matplotlib.pyplot as plt

    data = [json.loads(r["data"]) for r in rows if r["data"]]
    fig, axes = plt.subplots(1, 2, figsize=(8, 2.6), sharey=True)
    top = max([d[k] for d in data for k in ("start_s", "end_s")] + [1.0])
    bins = np.linspace(0, max(top, (threshold or 0) * 1.5), 25)
    for ax, key, label in zip(axes, ("start_s", "end_s"), ("start", "end"), strict=True):
        ax.hist([d[key] for d in data], bins=bins, color=GREEN, edgecolor="white")
        if threshold is not None:
            ax.axvline(threshold, color=RED, ls="--")
        ax.set_xlabel(f"{label} boundary to nearest change (s)")
    axes[0].set_ylabel("samples")
    fig.suptitle("boundary shift: distance of annotated boundaries to content changes / cuts")
    return _png(fig, dpi)


def plot_timeline(row: dict, duration: float, kf, pred: dict | None, dpi: int) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 1.35))
    if kf is not None and len(kf.t):
        ax.plot(kf.t, kf.change, color=GREY, lw=1, label="change score")
        for c in kf.t[kf.cut]:
            ax.axvline(c, color="black", ls=":", lw=1)
    for i, (s, e) in enumerate(windows_of(row)):
        ax.axvspan(min(s, e), max(s, e), ymin=0.55, ymax=0.95, color=GREEN, alpha=0.55,
                   label="label" if i == 0 else None)  # fmt: skip
        if s > e:
            ax.axvspan(e, s, ymin=0.55, ymax=0.95, hatch="//", fill=False, ec=RED)
    if pred is not None and not pred.get("error"):
        for i, w in enumerate((pred.get("windows") or [])[:3]):
            ax.axvspan(w["start"], w["end"], ymin=0.08, ymax=0.45, color=ORANGE,
                       alpha=0.8 if i == 0 else 0.3, label="prediction" if i == 0 else None)  # fmt: skip
        if pred.get("refused"):
            ax.text(0.01, 0.2, "model refused", transform=ax.transAxes, fontsize=8, color=RED)
    lo = min([0.0] + [min(w) for w in windows_of(row)])
    hi = max([duration] + [max(w) for w in windows_of(row)])
    ax.axvline(duration, color=RED, lw=1.5)
    ax.set_xlim(lo - 0.5, hi + 0.5)
    ax.set_ylim(0, 1.05)
    ax.set_yticks([])
    ax.set_xlabel("seconds", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.legend(loc="upper right", fontsize=7, ncol=3, frameon=False, bbox_to_anchor=(1, 1.35))
    return _png(fig, dpi)


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px} td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}
td.n{text-align:right} .flag{color:#d62728;font-weight:600} .dim{color:#888}
.plot{max-width:100%} .strip{max-width:100%;display:block}
.sample{margin:10px 0 18px 0} .sample .head{font-size:13px} code{font-size:12px}
.meta{color:#555;font-size:13px}
"""


def write_report(
    cfg: ReportConfig, ws, ctx, table: pa.Table, summaries, skipped, checks=None
) -> Path:
    """Render the report of one audit into cfg.out/index.html and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    from tvgcurate.curation.audit.base import CHECKS

    prio = sorted(_rows(table, "priority"), key=lambda r: r["rank"])
    per_sample: dict[str, list[dict]] = {}
    for r in table.to_pylist():
        if r["check"] != "priority" and r["is_issue"]:
            per_sample.setdefault(r["sample_id"], []).append(r)
    samples = {r["sample_id"]: r for r in ctx.samples}
    annot = {sid for sid, rs in per_sample.items() if any(not CHECKS[r["check"]].model for r in rs)}
    model = {sid for sid, rs in per_sample.items() if any(CHECKS[r["check"]].model for r in rs)}
    audit_id = prio[0]["audit_id"] if prio else ""

    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>tvgcurate audit "
             f"{html.escape(audit_id)}</title><style>{CSS}</style></head><body>"]  # fmt: skip
    parts.append(f"<h1>tvgcurate audit</h1><div class='meta'>{html.escape(audit_id)} · "
                 f"workspace <code>{html.escape(str(ws.root))}</code> · {len(ctx.samples)} samples · "
                 f"{len(annot)} with an annotation issue"
                 + (f" · predictions <code>{html.escape(ctx.run_id)}</code> disagree on "
                    f"{len(model)}" if ctx.run_id else "")
                 + "</div>")  # fmt: skip

    parts.append("<h2>Issues per check</h2>")
    parts.append(_img(plot_counts(summaries, cfg.dpi), "issue counts per check"))
    parts.append("<table><tr><th>check</th><th>family</th><th>measured</th><th>flagged</th>"
                 "<th>share</th><th>what it means</th><th>examples</th></tr>")  # fmt: skip
    for s in summaries:
        cls = "flag" if s.flagged else "dim"
        parts.append(
            f"<tr><td>{s.check}</td><td>{s.family}</td><td class='n'>{s.measured}</td>"
            f"<td class='n {cls}'>{s.flagged}</td><td class='n'>{s.share:.1%}</td>"
            f"<td>{html.escape(CHECKS[s.check].description)}</td>"
            f"<td><code>{'<br>'.join(html.escape(e) for e in s.examples)}</code></td></tr>"
        )
    parts.append("</table>")
    if skipped:
        parts.append("<p class='dim'>skipped: " + "; ".join(
            f"{html.escape(k)} ({html.escape(v)})" for k, v in skipped.items()) + "</p>")  # fmt: skip

    parts.append("<h2>Model/label agreement</h2>")
    iou_rows = _rows(table, "iou_disagreement")
    if iou_rows:
        th = getattr(_config(checks, "iou_disagreement"), "min_iou", None)
        parts.append(_img(plot_iou(iou_rows, th, cfg.dpi), "IoU distribution"))
    else:
        parts.append("<p class='dim'>No predictions run audited (pass --predictions RUN).</p>")

    parts.append("<h2>Boundary shift</h2>")
    b_rows = _rows(table, "boundary_precision")
    if b_rows:
        th = getattr(_config(checks, "boundary_precision"), "max_distance_s", None)
        parts.append(_img(plot_boundaries(b_rows, th, cfg.dpi), "boundary shift histograms"))
    else:
        parts.append("<p class='dim'>No keyframes table (run tvgcurate keyframes).</p>")

    top = prio[: cfg.top]
    parts.append(f"<h2>Top {len(top)} samples by priority</h2>")
    parts.append("<p class='meta'>green: annotated windows (hatched red: stored inverted); "
                 "orange: predicted windows (darkest = top); grey: change score; dotted: scene "
                 "cuts; red line: the sample's duration.</p>")  # fmt: skip
    for r in top:
        sid = r["sample_id"]
        row = samples.get(sid)
        if row is None:
            continue
        dur = ctx.duration(row) or max([1.0] + [max(w) for w in windows_of(row)])
        pred = (ctx.predictions or {}).get(sid)
        src = plot_timeline(row, dur, ctx.keyframes.get(row["video_id"]), pred, cfg.dpi)
        issues = "".join(
            f"<li><b>{html.escape(i['check'])}</b> (score {i['score']:.2f}): "
            f"{html.escape(i['detail'] or '')}</li>"
            for i in per_sample.get(sid, [])
            if i["score"] is not None
        )
        parts.append(
            f"<div class='sample'><div class='head'>#{r['rank']} <code>{html.escape(sid)}</code> "
            f"priority {r['value']:.2f} · video <code>{html.escape(row['video_id'])}</code> · "
            f"“{html.escape(row.get('query') or '')}”</div><ul>{issues}</ul>"
            f"{_img(src, 'timeline of ' + sid, 'strip')}</div>"
        )
    parts.append("</body></html>")
    path = out / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _config(checks, name):
    """The thresholds the audit used for check `name` (its defaults when not given)."""
    from tvgcurate.curation.audit.base import CHECKS

    if checks and name in checks:
        return checks[name].config
    return CHECKS[name].Config() if name in CHECKS else None
