"""Where data lives. One module answers it so tests and portable installs can redirect everything."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "mediation-desk"


def home() -> Path:
    """The data directory: MEDIATION_DESK_HOME, else the platform's user data dir."""
    env = os.environ.get("MEDIATION_DESK_HOME")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db() -> Path:
    return home() / "station.sqlite"


def backup_dir(db_path: str | os.PathLike) -> Path:
    """Backups sit beside the database so they move with it."""
    p = Path(db_path)
    return p.parent / (p.stem + "-backups")
