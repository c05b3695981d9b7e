"""The report's plots (matplotlib, imported lazily), each returned as a PNG data URI.

Checks draw their own section through these (`Check.plot`); the report draws the rest.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np

from tvgcurate.schemas.sample import stored_windows

GREEN, ORANGE, GREY, RED = "#2ca02c", "#ff7f0e", "#7f7f7f", "#d62728"


def png(fig, dpi: int) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


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
    return png(fig, dpi)


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
    return png(fig, dpi)


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
    return png(fig, dpi)


def plot_timeline(row: dict, duration: float, kf, pred: dict | None, dpi: int) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 1.35))
    if kf is not None and len(kf.t):
        ax.plot(kf.t, kf.change, color=GREY, lw=1, label="change score")
        for c in kf.t[kf.cut]:
            ax.axvline(c, color="black", ls=":", lw=1)
    for i, (s, e) in enumerate(stored_windows(row)):
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
    lo = min([0.0] + [min(w) for w in stored_windows(row)])
    hi = max([duration] + [max(w) for w in stored_windows(row)])
    ax.axvline(duration, color=RED, lw=1.5)
    ax.set_xlim(lo - 0.5, hi + 0.5)
    ax.set_ylim(0, 1.05)
    ax.set_yticks([])
    ax.set_xlabel("seconds", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.legend(loc="upper right", fontsize=7, ncol=3, frameon=False, bbox_to_anchor=(1, 1.35))
    return png(fig, dpi)


def plot_precision(ks: list[int], curves: dict[str, list[float]], base: float, dpi: int) -> str:
    """Precision@k of several rankings against the planted truth, with the random rate."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    for name, ys in curves.items():
        style = dict(lw=2.2, color=RED) if name == "priority" else dict(lw=1.2)
        ax.plot(ks, ys, label=name, **style)
    ax.axhline(base, color=GREY, ls="--", lw=1, label=f"random ({base:.2f})")
    ax.set_xlabel("k (top-k samples)")
    ax.set_ylabel("precision@k")
    ax.set_ylim(0, 1.02)
    ax.set_title("planted errors in the top k, per ranking")
    ax.legend(fontsize=7, ncol=2)
    return png(fig, dpi)
