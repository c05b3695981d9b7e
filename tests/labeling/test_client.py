"""Connection failures: bounded retries with backoff, clear errors, never the key."""

from __future__ import annotations

import pytest

from tvgcurate.labeling.client import (
    LabelStudioClient,
    LabelStudioError,
    RetryPolicy,
    api_key_from_env,
    redact,
)

from .conftest import free_port

SECRET = "s3cr3t-token-0123456789abcdef"


def test_unreachable_server_fails_after_bounded_retries_with_backoff():
    slept = []
    c = LabelStudioClient(
        f"http://127.0.0.1:{free_port()}", SECRET, RetryPolicy(attempts=4, backoff_s=0.5),
        sleep=slept.append,
    )  # fmt: skip
    with pytest.raises(LabelStudioError) as exc:
        c.health()
    msg = str(exc.value)
    assert "cannot reach Label Studio" in msg and "after 4 attempt(s)" in msg
    assert "labelstudio serve" in msg
    assert slept == [0.5, 1.0, 2.0]
    assert SECRET not in msg


def test_backoff_is_capped():
    assert list(RetryPolicy(attempts=6, backoff_s=1, max_backoff_s=4).delays()) == [1, 2, 4, 4, 4]


def test_missing_key_names_the_variable():
    with pytest.raises(LabelStudioError, match="LABEL_STUDIO_API_KEY"):
        api_key_from_env({})


def test_redact_hides_the_key_and_jwt_parts():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    text = f"Authorization: Bearer {jwt} and part {jwt.split('.')[1]}"
    out = redact(text, jwt)
    assert jwt not in out and jwt.split(".")[1] not in out
    assert redact("nothing here", None) == "nothing here"


def test_a_dropped_connection_repeats_only_idempotent_calls():
    """RemoteProtocolError: the request was sent; repeating an import could create twice."""
    import httpx

    c = LabelStudioClient(
        "http://127.0.0.1:1", SECRET, RetryPolicy(attempts=3), sleep=lambda s: None
    )
    calls = []

    def dropped():
        calls.append(1)
        raise httpx.RemoteProtocolError("server disconnected")

    with pytest.raises(LabelStudioError, match="rerun to resume") as exc:
        c.call("import tasks", dropped, idempotent=False)
    assert len(calls) == 1 and SECRET not in str(exc.value)
    calls.clear()
    with pytest.raises(LabelStudioError, match="after 3 attempt"):
        c.call("list tasks", dropped)
    assert len(calls) == 3
