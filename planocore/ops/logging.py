"""A JSON log formatter: one object per line, with the request id.

Wired by settings.LOGGING when LOG_FORMAT=json (and by gunicorn.conf.py for
gunicorn's own logs). A line looks like:

    {"time": "2026-11-23T09:30:00.123Z", "level": "INFO", "logger": "planocore.api",
     "message": "...", "request_id": "4f0c...", "process": 12}

`request_id` comes from RequestIdLogFilter (planocore.api.middleware); for
gunicorn's access lines it is read from the response's X-Request-ID header,
and the request's fields are given under "http". Values passed with
`extra={...}` are added as keys. An exception adds "exception" (the traceback).
"""

import contextlib
import json
import logging
from datetime import UTC, datetime

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
            data.update(self._access_fields(record.args))
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in data:
                data[key] = value
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
        for key in ("status", "bytes", "duration_ms"):
            if key in http:
                with contextlib.suppress(TypeError, ValueError):
                    http[key] = int(http[key])
        return {"request_id": request_id, "http": http}
