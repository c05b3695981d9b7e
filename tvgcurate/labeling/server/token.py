"""A personal access token, created through Label Studio's web login."""

from __future__ import annotations

from tvgcurate.labeling.server.config import ServerError


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
