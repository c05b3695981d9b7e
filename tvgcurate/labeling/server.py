"""A local Label Studio server for users and tests, run from its own virtual environment.

Label Studio (1.23) lives in its own venv (``scripts/setup-labelstudio.sh`` creates
``.venv-labelstudio``), never in tvgcurate's. ``start`` runs::

    label-studio start --no-browser --internal-host HOST --port P --data-dir D

with the environment that keeps it self-contained and quiet: HOME/XDG dirs under the
data dir, no version check, no analytics, SQLite in the data dir, local-files serving
rooted at the media directory's parent, and -- on the very first start of a data dir --
a pre-created user whose legacy API token is enabled (``LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN``
only works at the first start). The credentials are written to
``D/.tvgcurate/credentials.json`` (mode 0600) and never printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tvgcurate.errors import TvgError
from tvgcurate.labeling.media import default_document_root

ENV_BIN = "TVGCURATE_LABEL_STUDIO"
STATE_DIR = ".tvgcurate"
CREDENTIALS = "credentials.json"
PIDFILE = "server.pid"
LOGFILE = "server.log"
DEFAULT_EMAIL = "admin@tvgcurate.local"
REPO_VENV = Path(__file__).resolve().parents[2] / ".venv-labelstudio"


class ServerError(TvgError):
    """The local Label Studio could not be found, started or stopped."""


def find_label_studio(explicit: Path | None = None) -> Path:
    """The `label-studio` executable: explicit, $TVGCURATE_LABEL_STUDIO, the repo venv, PATH."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    if os.environ.get(ENV_BIN):
        candidates.append(Path(os.environ[ENV_BIN]))
    candidates.append(REPO_VENV / "bin" / "label-studio")
    found = shutil.which("label-studio")
    if found:
        candidates.append(Path(found))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    raise ServerError(
        "Label Studio is not installed: run `scripts/setup-labelstudio.sh` (creates "
        f"{REPO_VENV}) or set {ENV_BIN} to a `label-studio` executable"
    )


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str = field(repr=False)
    token: str = field(repr=False)


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


def server_env(cfg: ServerConfig, creds: Credentials, base: dict[str, str] | None = None) -> dict:
    """The environment for `label-studio start` (isolated, quiet, user pre-created)."""
    env = dict(os.environ if base is None else base)
    home = cfg.state_dir / "home"
    for k in ("LABEL_STUDIO_API_KEY", "USERNAME"):
        env.pop(k, None)  # never hand the client's key to the server; LS reads a bare USERNAME
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            "LABEL_STUDIO_USERNAME": creds.email,
            "LABEL_STUDIO_PASSWORD": creds.password,
            "LABEL_STUDIO_USER_TOKEN": creds.token,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "false",
        }
    )
    if cfg.media_root is not None:
        env["LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED"] = "true"
        env["LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"] = str(cfg.document_root)
    return env


@dataclass
class RunningServer:
    pid: int
    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def credentials(self) -> Credentials:
        creds = read_credentials(self.data_dir)
        if creds is None:
            raise ServerError(f"{self.data_dir}: no credentials file")
        return creds

    def stop(self, timeout_s: float = 30.0) -> None:
        stop(self.pid, timeout_s, self.process)
        with contextlib.suppress(FileNotFoundError):
            (self.data_dir / STATE_DIR / PIDFILE).unlink()


def _is_healthy(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/health", timeout=3) as r:  # noqa: S310 - local URL
            return r.status == 200
    except OSError:
        return False


def _log_tail(path: Path, n: int = 15) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return " | ".join(lines[-n:])


def start(cfg: ServerConfig) -> RunningServer:
    """Start Label Studio in the background and wait until /health answers."""
    exe = find_label_studio(cfg.label_studio)
    if _is_healthy(cfg.url):
        raise ServerError(f"something already answers on {cfg.url}; pick another --port")
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    creds, _first = ensure_credentials(cfg)
    (cfg.state_dir / "home").mkdir(parents=True, exist_ok=True)
    log_path = cfg.state_dir / LOGFILE
    cmd = [
        str(exe), "start", "--no-browser",
        "--internal-host", cfg.host, "--port", str(cfg.port),
        "--data-dir", str(cfg.data_dir),
    ]  # fmt: skip
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
    try:
        proc = subprocess.Popen(
            cmd,
            env=server_env(cfg, creds),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cfg.state_dir,
            start_new_session=True,
        )
    finally:
        log.close()
    (cfg.state_dir / PIDFILE).write_text(str(proc.pid), encoding="utf-8")
    server = RunningServer(proc.pid, cfg.url, cfg.data_dir, log_path, proc)
    deadline = time.monotonic() + cfg.health_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(
                f"Label Studio exited with code {proc.returncode} before it was healthy; "
                f"log {log_path}: {_log_tail(log_path)}"
            )
        if _is_healthy(cfg.url):
            return server
        time.sleep(1.0)
    server.stop()
    raise ServerError(
        f"Label Studio did not answer {cfg.url}/health within {cfg.health_timeout_s:.0f} s; "
        f"log {log_path}: {_log_tail(log_path)}"
    )


def stop(pid: int, timeout_s: float = 30.0, process: subprocess.Popen | None = None) -> bool:
    """Stop the server we started (its own session, so its process group is its pid)."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    except PermissionError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                return True
        else:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    if process is not None:
        process.wait(timeout=10)
    return True


def stop_data_dir(data_dir: Path) -> bool:
    """Stop the server recorded in `data_dir`'s pid file (`labelstudio stop`)."""
    pidfile = Path(data_dir).resolve() / STATE_DIR / PIDFILE
    if not pidfile.exists():
        return False
    pid = int(pidfile.read_text(encoding="utf-8").strip())
    stopped = stop(pid)
    pidfile.unlink(missing_ok=True)
    return stopped


def personal_access_token(url: str, email: str, password: str) -> str:
    """Log in through /user/login/ and create a personal access token (POST /api/token/)."""
    import re

    import httpx

    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as c:
        page = c.get("/user/login/")
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        csrf = m.group(1) if m else c.cookies.get("csrftoken", "")
        c.post(
            "/user/login/",
            data={"csrfmiddlewaretoken": csrf, "email": email, "password": password},
            headers={"Referer": url + "/user/login/"},
        )
        r = c.post(
            "/api/token/",
            headers={"X-CSRFToken": c.cookies.get("csrftoken", ""), "Referer": url + "/"},
        )
        if r.status_code not in (200, 201):
            raise ServerError(f"creating a personal access token failed: HTTP {r.status_code}")
        return r.json()["token"]


def serve_forever(server: RunningServer) -> int:
    """Wait on a started server until it exits or Ctrl-C, then stop it."""
    try:
        assert server.process is not None
        return server.process.wait()
    except KeyboardInterrupt:
        server.stop()
        return 0
