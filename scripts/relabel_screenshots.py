"""Take the screenshots in docs/relabel.md: a real local Label Studio, demo data, headless
Chromium (system /usr/bin/chromium driven by the `playwright` Python package; no browser
download).

    python3 -m venv /tmp/shots && /tmp/shots/bin/pip install --no-deps -r requirements/screenshots.txt
    PYTHONPATH=/tmp/shots/lib/python3.11/site-packages .venv/bin/python scripts/relabel_screenshots.py

Writes docs/images/relabel-*.png (each kept under 300 KB).
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "images"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shrink(path: Path, limit: int = 300_000) -> None:
    from PIL import Image

    img = Image.open(path).convert("RGB")
    while True:
        img.quantize(colors=128).save(path, optimize=True)
        if path.stat().st_size <= limit:
            return
        img = img.resize((int(img.width * 0.85), int(img.height * 0.85)))


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tvgcurate.curation.ingest import IngestConfig, ingest
    from tvgcurate.demo.data import DemoConfig, generate
    from tvgcurate.labeling.client import connect
    from tvgcurate.labeling.media import MediaSource
    from tvgcurate.labeling.push import PushConfig, push
    from tvgcurate.labeling.server import ServerConfig, start

    tmp = Path(tempfile.mkdtemp(prefix="relabel-shots-"))
    demo = tmp / "demo"
    generate(DemoConfig(out=demo, num_videos=6, min_duration=20, max_duration=24, seed=3))
    media = demo / "videos"
    ws_dir = tmp / "ws"
    ingest(IngestConfig(workspace=ws_dir, sources=sorted((demo / "qvhighlights").glob("*.jsonl")),
                        videos=media))  # fmt: skip
    server = start(ServerConfig(data_dir=tmp / "ls", port=free_port(), media_root=media))
    try:
        creds = server.credentials
        push(
            PushConfig(workspace=ws_dir, project="cQvH round 1", select="all", url=server.url,
                       api_key=creds.token, media=MediaSource(media_root=media))
        )  # fmt: skip
        client = connect(server.url, creds.token)
        pid = client.find_project("cQvH round 1")
        task = client.list_tasks(pid)[0]
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS[1:], headless=True)
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.goto(server.url + "/user/login/")
            page.fill("input[name=email]", creds.email)
            page.fill("input[name=password]", creds.password)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{server.url}/projects/{pid}/data")
            page.wait_for_timeout(4000)
            shot = OUT / "relabel-tasks.png"
            page.screenshot(path=str(shot))
            shrink(shot)
            page.set_viewport_size({"width": 1360, "height": 1350})
            page.goto(f"{server.url}/projects/{pid}/data?task={task['id']}")
            page.wait_for_selector("video", state="attached", timeout=60_000)
            page.wait_for_timeout(5000)
            shot = OUT / "relabel-labeling.png"
            page.screenshot(path=str(shot))
            shrink(shot)
            browser.close()
    finally:
        server.stop()
    for f in sorted(OUT.glob("relabel-*.png")):
        print(f, f.stat().st_size)


if __name__ == "__main__":
    main()
