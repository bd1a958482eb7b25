"""The JSON log formatter: one object per line, with the request id."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest

from planocore.api.middleware import RequestIdLogFilter
from planocore.ops.logging import JsonFormatter
from tests.ops.helpers import ROOT


@pytest.fixture
def json_log():
    """Records of planocore.* as JSON lines, through the same filter and formatter as settings.LOGGING."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("planocore")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_request_id_of_the_request_is_on_its_log_lines(client, db, settings, json_log):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # the health check logs a warning
    response = client.get("/healthz", HTTP_X_REQUEST_ID="req-abc-123")
    assert response["X-Request-ID"] == "req-abc-123"
    lines = [line for line in json_log() if line["logger"] == "planocore.ops"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "req-abc-123"
    assert line["level"] == "WARNING"
    assert line["message"].startswith("Health check: the broker does not answer")
    assert line["time"].endswith("Z")


def test_outside_a_request_the_id_is_a_dash(json_log):
    logging.getLogger("planocore.test").warning("hello %s", "world")
    assert json_log()[-1]["request_id"] == "-"
    assert json_log()[-1]["message"] == "hello world"


def test_extra_fields_and_exceptions(json_log):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("planocore.test").exception("failed", extra={"request_pk": 42, "channel": "sms"})
    line = json_log()[-1]
    assert (line["request_pk"], line["channel"]) == (42, "sms")
    assert line["level"] == "ERROR"
    assert "ValueError: boom" in line["exception"]
    assert "\n" not in json.dumps(line)  # one line per record


def test_gunicorn_access_record_fields():
    atoms = {"h": "10.0.0.1", "m": "GET", "U": "/healthz", "q": "", "s": "200", "B": "37", "M": "5",
             "a": "probe", "{x-request-id}o": "rid-1"}  # fmt: skip
    record = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "%(h)s %(s)s", (atoms,), None)
    data = json.loads(JsonFormatter().format(record))
    assert data["request_id"] == "rid-1"
    assert data["http"] == {"remote_addr": "10.0.0.1", "method": "GET", "path": "/healthz", "status": 200,
                            "bytes": 37, "duration_ms": 5, "user_agent": "probe"}  # fmt: skip
    assert data["message"] == "10.0.0.1 200"


def test_unknown_log_format_is_refused_at_start():
    env = {**os.environ, "LOG_FORMAT": "xml", "DJANGO_SETTINGS_MODULE": "planocore.settings"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json, not 'xml'" in result.stderr
