"""Process control: the server's environment, start (wait for /health), stop, serve."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tvgcurate.labeling.server.binary import find_label_studio
from tvgcurate.labeling.server.config import LOGFILE, PIDFILE, STATE_DIR, ServerConfig, ServerError
from tvgcurate.labeling.server.credentials import Credentials, ensure_credentials, read_credentials


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


_ERROR_LINE = re.compile(r"^\s*(\w+\.)*\w*(Error|Exception|Exit)\b|\b(ERROR|CRITICAL|FATAL)\b")


def last_error_line(path: Path) -> str:
    """The log's last line that reads as an error (an exception, an ERROR record), else its
    last non-empty line; "" when the log is missing or empty."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    lines = [line.strip() for line in lines if line.strip()]
    for line in reversed(lines):
        if _ERROR_LINE.search(line):
            return line[:300]
    return lines[-1][:300] if lines else ""


def _failure(what: str, log_path: Path) -> ServerError:
    """One line: what went wrong, the server log's path, and its last error line."""
    last = last_error_line(log_path) or "(the log is empty)"
    return ServerError(f"{what}; server log {log_path}, last error: {last}")


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
            raise _failure(
                f"Label Studio exited with code {proc.returncode} before it was healthy", log_path
            )
        if _is_healthy(cfg.url):
            return server
        time.sleep(1.0)
    server.stop()
    raise _failure(
        f"Label Studio did not answer {cfg.url}/health within {cfg.health_timeout_s:.0f} s",
        log_path,
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


def serve_forever(server: RunningServer) -> int:
    """Wait on a started server until it exits or Ctrl-C, then stop it."""
    try:
        assert server.process is not None
        return server.process.wait()
    except KeyboardInterrupt:
        server.stop()
        return 0


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check(label_studio: Path | None = None, health_timeout_s: float = 240.0) -> float:
    """Start the server once on a free local port in a throw-away data dir, wait for /health,
    stop it; the seconds it took to become healthy. On failure the data dir (and its log) is
    kept and the ServerError names the log and its last error line."""
    data_dir = Path(tempfile.mkdtemp(prefix="tvgcurate-ls-check-"))
    cfg = ServerConfig(
        data_dir=data_dir,
        port=free_port(),
        label_studio=label_studio,
        health_timeout_s=health_timeout_s,
    )
    t0 = time.monotonic()
    server = start(cfg)
    seconds = time.monotonic() - t0
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)
    return seconds
