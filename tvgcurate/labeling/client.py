"""Talking to a Label Studio server: bounded retries with backoff, and clear errors.

The API key comes from ``LABEL_STUDIO_API_KEY`` (never a flag, so it stays out of shell
history). It may be a personal access token (the default in recent Label Studio; the SDK
sees the JWT and sends ``Bearer``) or a legacy token (only if the organisation allows
legacy tokens). The key never appears in an error, a log line or a file: every message
that leaves this module goes through ``redact``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tvgcurate.errors import TvgError

ENV_KEY = "LABEL_STUDIO_API_KEY"
DEFAULT_URL = "http://127.0.0.1:8080"

T = TypeVar("T")


class LabelStudioError(TvgError):
    """Label Studio is unreachable, refused the key, or rejected a request."""


def api_key_from_env(env: dict[str, str] | None = None) -> str:
    """The API key from LABEL_STUDIO_API_KEY, or an error saying how to get one."""
    key = (env if env is not None else os.environ).get(ENV_KEY, "").strip()
    if not key:
        raise LabelStudioError(
            f"{ENV_KEY} is not set: in Label Studio open Account & Settings -> Personal Access "
            f"Token, create one, and `export {ENV_KEY}=...` (a server started by `tvgcurate "
            "labelstudio serve` prints the command that sets it)"
        )
    return key


def redact(text: object, *secrets: str | None) -> str:
    """`text` with every secret (and any 8+ character piece of a JWT) replaced by ***."""
    out = str(text)
    for secret in secrets:
        if not secret:
            continue
        out = out.replace(secret, "***")
        for part in secret.split("."):
            if len(part) >= 8:
                out = out.replace(part, "***")
    return out


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: `attempts` tries, sleeping backoff_s * 2**i (capped) between them."""

    attempts: int = 5
    backoff_s: float = 0.5
    max_backoff_s: float = 8.0

    def delays(self) -> Iterator[float]:
        for i in range(max(self.attempts - 1, 0)):
            yield min(self.backoff_s * (2**i), self.max_backoff_s)


_RETRY_STATUS = {502, 503, 504}


@dataclass
class LabelStudioClient:
    """A thin, retrying wrapper over the label-studio-sdk calls that tvgcurate needs."""

    url: str
    api_key: str = field(repr=False)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_s: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    _sdk_client: Any = field(default=None, init=False, repr=False)

    # -- plumbing --------------------------------------------------------------
    @property
    def sdk(self) -> Any:
        if self._sdk_client is None:
            from label_studio_sdk import LabelStudio

            self._sdk_client = self.call(
                "authenticate",
                lambda: LabelStudio(
                    base_url=self.url, api_key=self.api_key, timeout=self.timeout_s, max_retries=0
                ),
            )
        return self._sdk_client

    def _fail(self, what: str, detail: object) -> LabelStudioError:
        return LabelStudioError(
            redact(f"Label Studio at {self.url}: {what} failed: {detail}", self.api_key)
        )

    def call(self, what: str, fn: Callable[[], T], idempotent: bool = True) -> T:
        """Run `fn` with retries on connection failures (and 5xx when idempotent)."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        delays = self.retry.delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except ApiError as exc:
                status = exc.status_code
                if status in (401, 403):
                    raise LabelStudioError(
                        redact(
                            f"Label Studio at {self.url} refused the API key (HTTP {status}) during "
                            f"{what}: set {ENV_KEY} to a valid personal access token (Account & "
                            "Settings -> Personal Access Token) or, if your organisation enables "
                            "them, a legacy token",
                            self.api_key,
                        )
                    ) from None
                if idempotent and status in _RETRY_STATUS:
                    delay = next(delays, None)
                    if delay is not None:
                        self.sleep(delay)
                        continue
                raise self._fail(what, f"HTTP {status}: {_short(exc.body)}") from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                if isinstance(exc, httpx.RemoteProtocolError) and not idempotent:
                    # the request went out and may have been acted on: repeating it could
                    # create twice; a rerun of the command finds what was created
                    raise self._fail(
                        what, f"{type(exc).__name__}: {exc}; rerun to resume"
                    ) from None
                delay = next(delays, None)
                if delay is None:
                    raise LabelStudioError(
                        redact(
                            f"cannot reach Label Studio at {self.url} after {attempt} attempt(s) "
                            f"({type(exc).__name__}: {exc}); is the server running? start one with "
                            "`tvgcurate labelstudio serve` or pass the right --url",
                            self.api_key,
                        )
                    ) from None
                self.sleep(delay)
            except httpx.HTTPError as exc:
                if idempotent:
                    delay = next(delays, None)
                    if delay is not None:
                        self.sleep(delay)
                        continue
                raise self._fail(what, f"{type(exc).__name__}: {exc}") from None
            except LabelStudioError:
                raise
            except Exception as exc:  # the SDK's own errors (pydantic, JWT refresh, ...)
                raise self._fail(what, f"{type(exc).__name__}: {exc}") from None

    # -- health and identity ---------------------------------------------------
    def health(self) -> None:
        """Wait (bounded) until /health answers; the key is not sent."""
        import httpx

        def probe() -> None:
            with httpx.Client(timeout=min(self.timeout_s, 10.0)) as h:
                r = h.get(self.url.rstrip("/") + "/health")
            if r.status_code != 200:
                raise httpx.RemoteProtocolError(f"/health answered HTTP {r.status_code}")

        self.call("health check", probe)

    def whoami(self) -> dict:
        me = self.call("who am I", lambda: self.sdk.users.whoami())
        return {"id": me.id, "email": me.email, "username": getattr(me, "username", None)}

    def users(self) -> dict[int, str]:
        """User id -> email (or username), to name annotators."""
        users = self.call("list users", lambda: self.sdk.users.list())
        return {u.id: (u.email or u.username or f"user:{u.id}") for u in users}

    # -- projects --------------------------------------------------------------
    def find_project(self, title: str) -> int | None:
        pager = self.call("list projects", lambda: list(self.sdk.projects.list(title=title)))
        ids = sorted(p.id for p in pager if p.title == title)
        return ids[0] if ids else None

    def create_project(self, title: str, label_config: str, description: str = "") -> int:
        p = self.call(
            "create project",
            lambda: self.sdk.projects.create(
                title=title, label_config=label_config, description=description
            ),
            idempotent=False,
        )
        return int(p.id)

    def overlap(self, project_id: int) -> int:
        """The project's "annotations per task" (maximum_annotations) setting."""
        p = self.call("get project", lambda: self.sdk.projects.get(id=project_id))
        return int(getattr(p, "maximum_annotations", None) or 1)

    def list_tasks(self, project_id: int) -> list[dict]:
        """Every task of the project: id, data, meta."""

        def fetch() -> list[dict]:
            out = []
            for t in self.sdk.tasks.list(project=project_id, fields="all", page_size=500):
                out.append(
                    {"id": int(t.id), "data": dict(t.data or {}), "meta": dict(t.meta or {})}
                )
            return out

        return self.call("list tasks", fetch)

    def import_tasks(self, project_id: int, tasks: list[dict]) -> list[int]:
        r = self.call(
            "import tasks",
            lambda: self.sdk.projects.import_tasks(
                id=project_id, request=tasks, return_task_ids=True
            ),
            idempotent=False,
        )
        return [int(i) for i in (getattr(r, "task_ids", None) or [])]

    def update_task_meta(self, task_id: int, meta: dict) -> None:
        self.call("update task", lambda: self.sdk.tasks.update(id=str(task_id), meta=meta))

    def local_storages(self, project_id: int) -> list[dict]:
        st = self.call(
            "list storages", lambda: self.sdk.import_storage.local.list(project=project_id)
        )
        return [{"id": s.id, "path": s.path} for s in st]

    def create_local_storage(self, project_id: int, path: str, title: str) -> int:
        s = self.call(
            "create local-files storage",
            lambda: self.sdk.import_storage.local.create(
                project=project_id, path=path, title=title, use_blob_urls=False
            ),
            idempotent=False,
        )
        return int(s.id)

    def export_tasks(self, project_id: int) -> list[dict]:
        """Every task with every annotation (JSON export, all tasks)."""

        def fetch() -> list[dict]:
            chunks = self.sdk.projects.exports.download_sync(
                id=project_id, export_type="JSON", download_all_tasks=True
            )
            return json.loads(b"".join(chunks).decode("utf-8"))

        return self.call("export tasks", fetch)


def _short(body: object, limit: int = 300) -> str:
    text = body if isinstance(body, str) else json.dumps(body, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def connect(
    url: str, api_key: str, retry: RetryPolicy | None = None, timeout_s: float = 60.0
) -> LabelStudioClient:
    """A client that has checked that the server answers and accepts the key."""
    client = LabelStudioClient(url.rstrip("/"), api_key, retry or RetryPolicy(), timeout_s)
    client.health()
    client.whoami()
    return client
