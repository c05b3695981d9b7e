"""The pre-created user's credentials on disk (mode 0600, never printed)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from tvgcurate.labeling.server.config import CREDENTIALS, STATE_DIR, ServerConfig, ServerError


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str = field(repr=False)
    token: str = field(repr=False)


def credentials_path(data_dir: Path) -> Path:
    return Path(data_dir) / STATE_DIR / CREDENTIALS


def env_file_path(data_dir: Path) -> Path:
    """A shell file that sets LABEL_STUDIO_API_KEY (mode 0600): `source` it."""
    return Path(data_dir) / STATE_DIR / "api-key.env"


def read_credentials(data_dir: Path) -> Credentials | None:
    path = credentials_path(data_dir)
    if not path.exists():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    return Credentials(d["email"], d["password"], d["token"])


def ensure_credentials(cfg: ServerConfig) -> tuple[Credentials, bool]:
    """(credentials, first_start). New credentials only for a data dir never started."""
    creds = read_credentials(cfg.data_dir)
    if creds is not None:
        return creds, False
    if (cfg.data_dir / "label_studio.sqlite3").exists():
        raise ServerError(
            f"{cfg.data_dir} holds a Label Studio database that tvgcurate did not create, so its "
            "token is unknown: use a new --data-dir, or start that server yourself and set "
            "LABEL_STUDIO_API_KEY to a personal access token"
        )
    creds = Credentials(cfg.email, secrets.token_urlsafe(18), secrets.token_hex(20))
    path = credentials_path(cfg.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"email": creds.email, "password": creds.password, "token": creds.token}, fh)
    env_file = env_file_path(cfg.data_dir)
    fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"export LABEL_STUDIO_API_KEY={creds.token}\n")
    return creds, True
