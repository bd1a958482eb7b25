"""Running the project in a child process (check --deploy, gunicorn) against the test database."""

import os
import socket
import sqlite3
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(sys.executable).parent


def child_database_url(tmp_path: Path) -> str:
    """A DATABASE_URL a child process can open, holding the migrated test schema.

    SQLite: the in-memory test database dumped to a file (no migrate run).
    PostgreSQL: the test database itself.
    """
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        path = tmp_path / "child.sqlite3"
        # A dump, not the backup API: the test's transaction is IMMEDIATE (write-locked),
        # and a backup of the in-memory database would wait for it for ever.
        target = sqlite3.connect(path)
        try:
            target.executescript("\n".join(connection.connection.iterdump()))
        finally:
            target.close()
        return f"sqlite:///{path}"
    params = connection.settings_dict
    auth = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    return f"postgres://{auth}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production process (docs/operations.md), over this one's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "planocore.settings",
            "DJANGO_DEBUG": "false",
            "SECRET_KEY": "p" * 20 + "-Zq8rT5vW2yX7aB4cD9eF1gH3jK6mN0sU-" + "x" * 16,
            "ALLOWED_HOSTS": "planocore.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://planocore.example.com",
            "SECURE_COOKIES": "true",
            "SECURE_SSL_REDIRECT": "true",
            "SECURE_HSTS_SECONDS": "31536000",
            "CELERY_BROKER_URL": "",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(overrides)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
