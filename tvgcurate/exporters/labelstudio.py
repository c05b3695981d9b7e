"""Label Studio's offline bundle: `tasks.json` (importable tasks) + `labeling-config.xml`.

The tasks are made by the relabel code (`tvgcurate.labeling.offline.tasks_for`), so this
export and `tvgcurate relabel push --out DIR` give the same tasks: the sample id, the video URL,
the query, the video's fps and duration, and the current windows (and verdict) as a
prediction in timeline frames. Video URLs follow Label Studio's local-files serving under
the workspace's media root (what `tvgcurate labelstudio serve` sets up), or
`video_url_prefix` + `videos.path` for videos on a web server. Samples that cannot be shown
(no video row, no fps) are left out and reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tvgcurate.errors import TvgError
from tvgcurate.exporters.base import ExportContext, Exporter, register
from tvgcurate.keyvalue import setting
from tvgcurate.workspace import Workspace


@dataclass
class LabelStudioOptions:
    media_root: Path | None = setting(
        None, "Directory of the videos (default: recorded by ingest)."
    )
    document_root: Path | None = setting(
        None, "The server's LOCAL_FILES_DOCUMENT_ROOT (default: media root's parent)."
    )
    video_url_prefix: str | None = setting(
        None, "Videos on a web server: URL = PREFIX/<videos.path>."
    )
    with_predictions: str | None = setting(
        None, "A predictions run_id, sent as a second prediction."
    )


def _media(ws: Workspace, opts: LabelStudioOptions):
    from tvgcurate.labeling.media import MediaSource

    try:
        if opts.video_url_prefix:
            return MediaSource(url_prefix=opts.video_url_prefix)
        root = opts.media_root or ws.meta("media_root")
        if not root:
            raise TvgError(
                "say where the videos are: --opt media_root=DIR or --opt video_url_prefix=URL "
                "(the workspace records no media root: ingest ran without --videos)"
            )
        root = Path(root)
        if not root.is_absolute():
            root = ws.root / root
        return MediaSource(media_root=root, document_root=opts.document_root)
    except ValueError as exc:
        raise TvgError(str(exc)) from None


@register("labelstudio")
class LabelStudioExporter(Exporter):
    """Label Studio offline tasks (tasks.json + labeling-config.xml), from the relabel code."""

    is_dir = True
    Options = LabelStudioOptions

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        from tvgcurate.labeling.offline import SkippedSample, tasks_for, write_offline

        opts = self.options(ctx)
        ws = Workspace(ctx.workspace)
        media = _media(ws, opts)
        predictions = None
        if opts.with_predictions:
            predictions = ws.read("predictions")
            if opts.with_predictions not in set(predictions.column("run_id").to_pylist()):
                raise TvgError(
                    f"--opt with_predictions={opts.with_predictions}: no such run in the "
                    "predictions table"
                )
        skipped: list[SkippedSample] = []
        tasks = tasks_for(
            samples,
            ws.read("videos"),
            video_url=media.url_fn(),
            samples_version=ctx.samples_version,
            predictions=predictions,
            run_id=opts.with_predictions,
            skipped=skipped,
        )
        ctx.skipped.update({s.sample_id: s.error for s in skipped})
        if not tasks:
            first = skipped[0].error if skipped else "no samples"
            raise TvgError(f"no sample could become a Label Studio task ({first})")
        write_offline(out, tasks)
        return len(tasks)
