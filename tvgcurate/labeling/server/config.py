"""The local server's configuration, its state-dir layout, and its error type."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tvgcurate.errors import TvgError
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
    data_dir: Path = field(metadata={"help": "Label Studio data dir (SQLite, uploads, logs)."})
    port: int = field(default=8080, metadata={"help": "Port to listen on."})
    host: str = field(default="127.0.0.1", metadata={"help": "Interface to listen on."})
    media_root: Path | None = field(
        default=None, metadata={"help": "Videos directory; served through local-files serving."}
    )
    document_root: Path | None = field(
        default=None, metadata={"help": "LOCAL_FILES_DOCUMENT_ROOT (default: media root's parent)."}
    )
    label_studio: Path | None = field(default=None, metadata={"help": "label-studio executable."})
    email: str = field(default=DEFAULT_EMAIL, metadata={"help": "The pre-created user's email."})
    health_timeout_s: float = field(
        default=240.0, metadata={"help": "How long to wait for /health (first start ~40 s)."}
    )

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
