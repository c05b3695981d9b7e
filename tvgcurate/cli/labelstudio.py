"""`tvgcurate labelstudio`: run a local Label Studio for re-annotation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import Group, app
from tvgcurate.cli.console import console
from tvgcurate.cli.options import ConfigOptions
from tvgcurate.labeling.server.config import ServerConfig

SERVER = ConfigOptions("labelstudio serve", ServerConfig)

labelstudio = typer.Typer(
    cls=Group, help="A local Label Studio server (from its own venv).", no_args_is_help=True
)
app.add_typer(labelstudio, name="labelstudio")

DEFAULT_DATA = Path.home() / ".local" / "share" / "tvgcurate" / "labelstudio"


@labelstudio.command(
    "serve",
    epilog="Example:\n\n  tvgcurate labelstudio serve --media-root data/videos --port 8080",
)
def serve(
    media_root: Path | None = SERVER.option(
        "media_root", "--media-root", help="Videos dir served to the labeling UI."
    ),
    data_dir: Path = SERVER.option("data_dir", "--data-dir", default=DEFAULT_DATA),
    port: int = SERVER.option("port", "--port"),
    host: str = SERVER.option("host", "--host", help="Interface (keep 127.0.0.1)."),
    document_root: Path | None = SERVER.option("document_root", "--document-root"),
    label_studio: Path | None = SERVER.option(
        "label_studio", "--label-studio", help="label-studio executable (default: found)."
    ),
    email: str = SERVER.option("email", "--email"),
    health_timeout_s: float = SERVER.option("health_timeout_s", "--health-timeout"),
    detach: Annotated[
        bool, typer.Option("--detach", help="Return once healthy; stop with `labelstudio stop`.")
    ] = False,
) -> None:
    """Start Label Studio locally: pre-created user, API key file, local-files serving."""
    from tvgcurate.labeling.server import env_file_path, serve_forever, start

    cfg = SERVER.build(locals())
    console.print(f"starting Label Studio on {cfg.url} (first start takes ~40 s) ...")
    server = start(cfg)
    creds = server.credentials
    console.print(f"[green]ready[/] {server.url}  (pid {server.pid}, log {server.log_path})")
    console.print(
        f"  log in as {creds.email}; password and token are in {cfg.state_dir}/credentials.json"
    )
    console.print(f"  API key for tvgcurate:  source {env_file_path(cfg.data_dir)}")
    if media_root:
        console.print(f"  videos: relabel with --media-root {cfg.media_root}")
    if detach:
        console.print(f"  stop with: tvgcurate labelstudio stop --data-dir {cfg.data_dir}")
        return
    console.print("  Ctrl-C stops it")
    serve_forever(server)


@labelstudio.command(
    "check",
    epilog="Example:\n\n  tvgcurate labelstudio check",
)
def check(
    label_studio: Annotated[
        Path | None,
        typer.Option("--label-studio", help="label-studio executable (default: found)."),
    ] = None,
    health_timeout_s: Annotated[
        float, typer.Option("--health-timeout", help="Seconds to wait for /health.")
    ] = 240.0,
) -> None:
    """Start the server once on a free local port, wait for /health, stop it (set-up runs this)."""
    from tvgcurate.labeling.server import check as check_server

    seconds = check_server(label_studio, health_timeout_s)
    console.print(f"Label Studio started and answered /health in {seconds:.0f} s; stopped")


@labelstudio.command(
    "stop",
    epilog="Example:\n\n  tvgcurate labelstudio stop --data-dir ~/.local/share/tvgcurate/labelstudio",
)
def stop(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="The data dir given to serve.")
    ] = DEFAULT_DATA,
) -> None:
    """Stop a server started with `labelstudio serve --detach`."""
    from tvgcurate.labeling.server import stop_data_dir

    console.print("stopped" if stop_data_dir(data_dir) else "no server recorded in that data dir")
