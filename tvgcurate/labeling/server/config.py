"""The local server's configuration, its state-dir layout, and its error type."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.labeling.media import default_document_root

STATE_DIR = ".tvgcurate"
CREDENTIALS = "credentials.json"
PIDFILE = "server.pid"
LOGFILE = "server.log"
DEFAULT_EMAIL = "admin@tvgcurate.local"


class ServerError(TvgError):
    """The local Label Studio could not be found, started or stopped."""


@dataclass
class ServerConfig:
    data_dir: Path = setting(help="Label Studio data dir (SQLite, uploads, logs).")
    port: int = setting(8080, "Port to listen on.")
    host: str = setting("127.0.0.1", "Interface to listen on.")
    media_root: Path | None = setting(None, "Videos directory; served through local-files serving.")
    document_root: Path | None = setting(
        None, "LOCAL_FILES_DOCUMENT_ROOT (default: media root's parent)."
    )
    label_studio: Path | None = setting(None, "label-studio executable.")
    email: str = setting(DEFAULT_EMAIL, "The pre-created user's email.")
    health_timeout_s: float = setting(240.0, "How long to wait for /health (first start ~40 s).")

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        if not 0 < int(self.port) < 65536:
            raise ServerError(f"--port {self.port}: must be between 1 and 65535")
        if self.media_root is not None:
            self.media_root = Path(self.media_root).resolve()
            if not self.media_root.is_dir():
                raise ServerError(f"--media-root {self.media_root}: not a directory")
            if self.document_root is None:
                self.document_root = default_document_root(self.media_root)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state_dir(self) -> Path:
        return self.data_dir / STATE_DIR
