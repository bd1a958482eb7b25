"""A JSON log formatter: one object per line, with the request id.

Wired by settings.LOGGING when LOG_FORMAT=json (and by gunicorn.conf.py for
gunicorn's own logs). A line looks like:

    {"time": "2026-11-23T09:30:00.123Z", "level": "INFO", "logger": "planocore.api",
     "message": "...", "request_id": "4f0c...", "process": 12}

`request_id` comes from RequestIdLogFilter (planocore.api.middleware); for
gunicorn's access lines it is read from the response's X-Request-ID header,
and the request's fields are given under "http". Values passed with
`extra={...}` are added as keys; a request (django.request's `request`) is
written as its method and path, without the query string, which may hold a
`token`. An exception adds "exception" (the traceback).

`GunicornLogger` (gunicorn.conf.py's `logger_class`) masks the values of
secret params (`token`, `password`, `rc_password`, `access_token`) in the
query string of gunicorn's access lines, in either format.
"""

import contextlib
import json
import logging
import re
from datetime import UTC, datetime

from gunicorn.glogging import Logger as _GunicornBaseLogger

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()) | {
    "message",
    "asctime",
    "request_id",
}

# gunicorn's access-log atoms (record.args) worth keeping, by the key they get.
_ACCESS_ATOMS = {
    "remote_addr": "h",
    "method": "m",
    "path": "U",
    "query": "q",
    "status": "s",
    "bytes": "B",
    "duration_ms": "M",
    "user_agent": "a",
}


class JsonFormatter(logging.Formatter):
    """Format each record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "process": record.process,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            data["message"] = mask_query(data["message"])
            data.update(self._access_fields(record.args))
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in data:
                data[key] = _without_query(value)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, default=str, ensure_ascii=False)

    @staticmethod
    def _access_fields(atoms: dict) -> dict:
        request_id = atoms.get("{x-request-id}o") or "-"
        http = {
            key: atoms.get(atom)
            for key, atom in _ACCESS_ATOMS.items()
            if atoms.get(atom) not in (None, "-", "")
        }
        if "query" in http:
            http["query"] = mask_query(http["query"])
        for key in ("status", "bytes", "duration_ms"):
            if key in http:
                with contextlib.suppress(TypeError, ValueError):
                    http[key] = int(http[key])
        return {"request_id": request_id, "http": http}


# Query-string params whose values never reach a log line.
_SECRET_PARAM = re.compile(r"(?i)((?:^|[?&;])(?:token|password|rc_password|access_token)=)[^&;#\s]*")


def mask_query(text: str) -> str:
    """Replace the values of secret params in a query string or URL by `***`."""
    return _SECRET_PARAM.sub(r"\1***", text) if text else text


def _without_query(value):
    """An HttpRequest as "METHOD /path" (its repr shows the query string); anything else as is."""
    if hasattr(value, "get_full_path") and hasattr(value, "path") and hasattr(value, "method"):
        return f"{value.method} {value.path}"
    return value


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's logger, with secret query params masked in the access lines."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "q", "{raw_uri}e", "{query_string}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_query(atoms[key])
        return atoms
