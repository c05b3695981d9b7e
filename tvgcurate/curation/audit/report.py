"""A static HTML report of one audit: plots as embedded PNGs (matplotlib), no server, no
JavaScript, one self-contained `index.html` that opens anywhere.

Sections: issue counts per check; how the evidence was weighed (each check's measured fire
rate, false-alarm rate and weight, and whether the model evidence is in-sample or out of
fold); the model's agreement with the labels; per check family, the precision@k curve of its
ranking when the planted truth is known (the demo), else the share of samples it flags; the IoU distribution of the predictions run;
boundary distance histograms; and, for the top-ranked samples, a timeline strip each with the
annotated windows, the predicted windows, the change-score curve and the scene cuts.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.curation.audit.base import CHECKS, check_names
from tvgcurate.curation.audit.plots import plot_counts, plot_timeline
from tvgcurate.curation.audit.ranking import (
    PRIORITY,
    RankingConfig,
    family_rankings,
    precision_curve,
    weighing,
)
from tvgcurate.curation.audit.reliability import estimate
from tvgcurate.keyvalue import setting
from tvgcurate.schemas.sample import stored_windows


@dataclass
class ReportConfig:
    out: Path = setting(help="Directory for index.html.")
    top: int = setting(30, "Top-ranked samples drawn as timelines.")
    dpi: int = setting(80, "Resolution of the embedded plots.")
    trust: float | None = setting(None, "The model's agreement with the labels (ranking.Trust).")
    reliability: dict | None = setting(
        None, "Each check's measured reliability (default: measured from the table)."
    )
    model_evidence: str | None = setting(
        None, "'out of fold (K folds)' or 'in-sample' (None: no model)."
    )
    planted: set[str] | None = setting(
        None, "Sample ids known to be wrong (demo): precision@k curves per family."
    )
    weights: dict[str, float] | None = setting(
        None, "The priority's per-check multipliers (--weight), as the audit used them."
    )


def trust_html(trust) -> str:
    """The model's agreement line: its value and how it was measured."""
    if trust is None:
        return "<p class='dim'>No model checks ran: the priority comes from the rules alone.</p>"
    how = trust.describe() if hasattr(trust, "describe") else f"{float(trust):.2f}"
    return (
        f"<p>Model agreement <b>{html.escape(how)}</b>: top-1 IoU on relevant rows, refusal "
        "on irrelevant ones. Shown for reference; how much a model flag counts is its "
        "check's measured reliability above.</p>"
    )


def reliability_html(rel: dict, model_evidence: str | None, ranking=None) -> list[str]:
    """The evidence weights: per check, rows measured, fire rate, the false-alarm rate it was
    weighed by (and on how many rows), the weight of one flag, and the flags."""
    parts = [f"<p>{html.escape(line)}.</p>" for line in weighing(rel, model_evidence, ranking)]
    parts.append("<table><tr><th>check</th><th>measured</th><th>fire rate</th><th>false-alarm "
                 "rate f</th><th>measured on</th><th>weight ln((1-f)/f)</th><th>flagged</th>"
                 "</tr>")  # fmt: skip
    for r in sorted(rel.values(), key=lambda r: (-r.weight, r.check)):
        parts.append(
            f"<tr><td>{html.escape(r.check)}</td><td class='n'>{r.measured}</td>"
            f"<td class='n'>{r.fire_rate:.1%}</td><td class='n'>{r.false_alarm:.2%}</td>"
            f"<td class='n'>{r.clean_rows}</td><td class='n'>{r.weight:.2f}</td>"
            f"<td class='n'>{r.flagged}</td></tr>"
        )
    parts.append("</table><p class='dim'>A sample's evidence is the sum of the weights of the "
                 "checks that flag it; one flag of a check that fires on 1% of rows (4.6) "
                 "outweighs several of checks that fire on a third of them (0.7 each).</p>")  # fmt: skip
    return parts


def family_html(table: pa.Table, planted: set[str] | None, dpi: int) -> list[str]:
    """Per check family: the precision@k curve of its ranking (planted truth known) or the
    share of samples it flags."""
    rows = [r for r in table.to_pylist()]
    prio = sorted(_rows(table, PRIORITY), key=lambda r: r["rank"])
    fams = family_rankings([r for r in rows if r["check"] != PRIORITY])
    parts = []
    if planted:
        from tvgcurate.curation.audit.plots import plot_precision

        ranked = {"priority": [r["sample_id"] for r in prio], **fams}
        n = len(ranked["priority"])
        pos = planted & set(ranked["priority"])
        ks = sorted({k for k in range(1, n + 1, max(1, n // 40))} | {len(pos) or 1, n})
        curves = {name: precision_curve(ids, pos, ks) for name, ids in ranked.items()}
        parts.append(_img(plot_precision(ks, curves, len(pos) / n if n else 0.0, dpi),
                          "precision at k per check family"))  # fmt: skip
        k = max(1, len(pos))
        parts.append(f"<table><tr><th>ranking</th><th>precision@{k} (k = planted)</th></tr>")
        for name, ids in ranked.items():
            parts.append(f"<tr><td>{html.escape(name)}</td><td class='n'>"
                         f"{precision_curve(ids, pos, [k])[0]:.2f}</td></tr>")  # fmt: skip
        base = len(pos) / n if n else 0.0
        parts.append(f"<tr><td>random</td><td class='n'>{base:.2f}</td></tr></table>")
        return parts
    flagged: dict[str, set[str]] = {}
    measured: dict[str, set[str]] = {}
    for r in rows:
        if r["check"] == PRIORITY or r["check"] not in CHECKS:
            continue
        fam = CHECKS[r["check"]].family
        measured.setdefault(fam, set()).add(r["sample_id"])
        if r["is_issue"]:
            flagged.setdefault(fam, set()).add(r["sample_id"])
    parts.append("<table><tr><th>family</th><th>measured</th><th>flagged</th><th>share</th></tr>")
    for fam in sorted(measured):
        m, f = len(measured[fam]), len(flagged.get(fam, ()))
        parts.append(f"<tr><td>{html.escape(fam)}</td><td class='n'>{m}</td>"
                     f"<td class='n'>{f}</td><td class='n'>{f / m:.1%}</td></tr>")  # fmt: skip
    parts.append("</table><p class='dim'>No planted truth known: precision cannot be "
                 "measured, only how much each family flags.</p>")  # fmt: skip
    return parts


def _img(src: str, alt: str, cls: str = "plot") -> str:
    return f'<img class="{cls}" alt="{html.escape(alt)}" src="{src}">'


def _rows(table: pa.Table, check: str) -> list[dict]:
    return table.filter(pc.equal(table.column("check"), check)).to_pylist()


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
    prio = sorted(_rows(table, PRIORITY), key=lambda r: r["rank"])
    per_sample: dict[str, list[dict]] = {}
    for r in table.to_pylist():
        if r["check"] != PRIORITY and r["is_issue"]:
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

    rel = cfg.reliability
    if rel is None:
        rel = estimate([r for r in table.to_pylist() if r["check"] != PRIORITY], checks)
    parts.append("<h2>How the evidence was weighed</h2>")
    ranking = RankingConfig(weights=cfg.weights) if cfg.weights else None
    parts += reliability_html(rel, cfg.model_evidence, ranking)
    parts.append("<h2>Model agreement</h2>")
    parts.append(trust_html(cfg.trust))
    parts.append("<h2>Check families</h2>")
    parts += family_html(table, cfg.planted, cfg.dpi)

    # One section per check that draws its own plot (Check.section / Check.plot).
    drawn = [n for n in check_names() if CHECKS[n].section]
    for name in sorted(drawn, key=lambda n: CHECKS[n].section_order):
        cls = CHECKS[name]
        check = checks[name] if checks and name in checks else cls()
        rows = _rows(table, name)
        src = check.plot(rows, cfg.dpi) if rows else None
        parts.append(f"<h2>{html.escape(cls.section)}</h2>")
        if src:
            parts.append(_img(src, cls.section))
        else:
            parts.append(f"<p class='dim'>{html.escape(cls.section_missing)}</p>")

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
        dur = ctx.duration(row) or max([1.0] + [max(w) for w in stored_windows(row)])
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
            f"priority {r['value']:.2f} ({html.escape(r['detail'] or 'no flag')}) · video <code>{html.escape(row['video_id'])}</code> · "
            f"“{html.escape(row.get('query') or '')}”</div><ul>{issues}</ul>"
            f"{_img(src, 'timeline of ' + sid, 'strip')}</div>"
        )
    parts.append("</body></html>")
    path = out / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_audit_report(
    res, workspace: Path, out: Path, planted: set[str] | None = None, top: int = 30
) -> Path:
    """The report of an audit already run (`run_audit`'s result), with the planted truth when
    it is known (the demo, benchmarks): precision@k per family."""
    from tvgcurate.curation.audit.loading import load_context
    from tvgcurate.workspace import Workspace

    ws = Workspace(workspace)
    ctx, _ = load_context(ws, res.run_id)
    checks = {s.check for s in res.summaries}
    cfg = ReportConfig(out=out, top=top, trust=res.trust, planted=planted,
                       reliability=getattr(res, "reliability", None) or None,
                       model_evidence=getattr(res, "model_evidence", None))  # fmt: skip
    return write_report(cfg, ws, ctx, res.table, res.summaries, res.skipped,
                        {n: CHECKS[n]() for n in checks})  # fmt: skip
