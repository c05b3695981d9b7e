"""How a task's video URL is made: Label Studio local-files serving, or a URL prefix.

Local files: the server runs with ``LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true`` and
``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=ROOT``; the project needs a local import storage
whose path is a *subdirectory* of ROOT (ROOT itself is refused), and task URLs are
``/data/local-files/?d=<path relative to ROOT>``. ``tvgcurate labelstudio serve
--media-root DIR`` uses ROOT = DIR's parent, which is also the default here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

LOCAL_FILES_PREFIX = "/data/local-files/?d="


def default_document_root(media_root: Path) -> Path:
    """The LOCAL_FILES_DOCUMENT_ROOT that `labelstudio serve` uses for `media_root`."""
    return Path(media_root).resolve().parent


@dataclass(frozen=True)
class MediaSource:
    """Where videos are served from; exactly one of media_root / url_prefix is set."""

    media_root: Path | None = None
    document_root: Path | None = None
    url_prefix: str | None = None

    def __post_init__(self) -> None:
        if (self.media_root is None) == (self.url_prefix is None):
            raise ValueError(
                "give exactly one of --media-root DIR (local-files serving) or "
                "--video-url-prefix URL (videos already on a web server)"
            )
        if self.media_root is not None:
            root = Path(self.media_root).resolve()
            doc = (
                Path(self.document_root).resolve()
                if self.document_root
                else default_document_root(root)
            )
            if doc == root or doc not in root.parents:
                raise ValueError(
                    f"--media-root {root} must be a subdirectory of the server's "
                    f"LOCAL_FILES_DOCUMENT_ROOT ({doc}); pass --document-root or move the videos "
                    "one level down"
                )
            object.__setattr__(self, "media_root", root)
            object.__setattr__(self, "document_root", doc)

    @property
    def local(self) -> bool:
        return self.media_root is not None

    def url(self, video: Mapping[str, Any]) -> str:
        path = str(video.get("path") or "")
        if not path:
            raise ValueError(f"video '{video.get('video_id')}' has no path")
        if self.url_prefix is not None:
            return self.url_prefix.rstrip("/") + "/" + quote(path.lstrip("/"))
        assert self.media_root is not None and self.document_root is not None
        full = (self.media_root / path).resolve()
        rel = full.relative_to(self.document_root)
        return LOCAL_FILES_PREFIX + quote(str(rel))

    def url_fn(self) -> Callable[[Mapping[str, Any]], str]:
        return self.url
