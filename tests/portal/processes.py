"""A new Python process of the portal, as gunicorn or a management command starts one: with
DEBUG off and production's required settings, on a throwaway SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This environment without DEBUG and DATABASE_URL, with a secret key, a site address and a
    SQLite file in ``tmp_path``; ``extra`` on top."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY="x" * 50,
        SITE_URL="https://motcua.example.gov.vn",
        SQLITE_PATH=str(tmp_path / "probe.sqlite3"),
    )
    env.update(extra)
    return env


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """``python *args`` from the project's folder; its output captured as text."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
