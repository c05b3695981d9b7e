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

The package's modules, one concern each: `config` (ServerConfig, paths, ServerError),
`binary` (finding the `label-studio` executable), `credentials` (the pre-created user and
its token on disk), `process` (the server's environment, start, stop, serve) and `token`
(creating a personal access token through the web login).
"""

from tvgcurate.labeling.server.binary import ENV_BIN, REPO_VENV, find_label_studio
from tvgcurate.labeling.server.config import (
    CREDENTIALS,
    DEFAULT_EMAIL,
    LOGFILE,
    PIDFILE,
    STATE_DIR,
    ServerConfig,
    ServerError,
)
from tvgcurate.labeling.server.credentials import (
    Credentials,
    credentials_path,
    ensure_credentials,
    env_file_path,
    read_credentials,
)
from tvgcurate.labeling.server.process import (
    RunningServer,
    check,
    free_port,
    last_error_line,
    serve_forever,
    server_env,
    start,
    stop,
    stop_data_dir,
)
from tvgcurate.labeling.server.token import personal_access_token

__all__ = [
    "CREDENTIALS",
    "DEFAULT_EMAIL",
    "ENV_BIN",
    "LOGFILE",
    "PIDFILE",
    "REPO_VENV",
    "STATE_DIR",
    "Credentials",
    "RunningServer",
    "ServerConfig",
    "ServerError",
    "check",
    "credentials_path",
    "ensure_credentials",
    "env_file_path",
    "find_label_studio",
    "free_port",
    "last_error_line",
    "personal_access_token",
    "read_credentials",
    "serve_forever",
    "server_env",
    "start",
    "stop",
    "stop_data_dir",
]
