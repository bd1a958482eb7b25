"""Running the project in a child process (check --deploy, gunicorn) against the test database;
gunicorn's access logger as gunicorn.conf.py sets it up."""

import logging
import os
import runpy
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

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


def gunicorn_access_record(
    query: str, *, authorization: str = "", request_id: str = "rid-1", log_authorization: bool = False
):
    """(record, logger): the access record gunicorn.conf.py's logger writes for one GET with `query`.

    `log_authorization` adds the Authorization header to the line's format, as an
    operator might.
    """
    from gunicorn.config import Config

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    for name in ("accesslog", "access_log_format", "logger_class", "loglevel"):
        cfg.set(name, conf[name])
    if log_authorization:
        cfg.set("access_log_format", conf["access_log_format"] + ' auth="%({authorization}i)s"')
    access = logging.getLogger("gunicorn.access")
    saved = list(access.handlers)
    records: list[logging.LogRecord] = []
    logger = cfg.logger_class(cfg)
    catcher = logging.Handler()
    catcher.emit = records.append
    access.addHandler(catcher)
    try:
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"/api/v1/notifications?{query}",
            "PATH_INFO": "/api/v1/notifications",
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "10.0.0.7",
        }
        response = SimpleNamespace(status="200 OK", headers=[("X-Request-ID", request_id)], sent=42)
        request = SimpleNamespace(headers=[("AUTHORIZATION", authorization)] if authorization else [])
        logger.access(response, request, environ, timedelta(milliseconds=5))
    finally:
        for handler in list(access.handlers):
            if handler not in saved:
                access.removeHandler(handler)
    (record,) = records
    return record, logger
