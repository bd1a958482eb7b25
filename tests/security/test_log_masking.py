"""Tokens never reach a log line, whatever the spelling of the param that carries them.

Each spelling goes through the real log paths: gunicorn's access logger as
gunicorn.conf.py sets it up (plain and JSON lines), and the handler
settings.LOGGING installs on the root logger (app logs, django.request on 4xx,
django.server, exceptions), in both formats.
"""

import io
import json
import logging
import sys

import pytest
from django.conf import settings

from planocore.api.middleware import RequestIdLogFilter
from planocore.ops.logging import JsonFormatter
from tests.ops.helpers import gunicorn_access_record

APP_TOKEN = "pca_Zk3v9QxT1bLm7RwYp2Hc8NjD4sGf6UaE0oIiKlMnBqV"
SESSION_TOKEN = "pcs_Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLlZzXx-"
PASSWORD = "hunter2-secret-pw"

# How a caller may spell a secret param in a query string.
SPELLINGS = {
    "plain": "token={t}",
    "percent-encoded o": "t%6Fken={t}",
    "lowercase hex": "t%6fken={t}",
    "every char encoded": "%74%6F%6B%65%6E={t}",
    "upper case": "TOKEN={t}",
    "title case": "Token={t}",
    "plus before": "+token={t}",
    "plus after": "token+={t}",
    "encoded space": "token%20={t}",
    "double encoded": "t%256Fken={t}",
    "value encoded": "token=pca%5FZk3v9QxT1bLm7RwYp2Hc8NjD4sGf6UaE0oIiKlMnBqV",
    "value prefix encoded": "token=%70%63%61_Zk3v9QxT1bLm7RwYp2Hc8NjD4sGf6UaE0oIiKlMnBqV",
    "another name": "q={t}",
    "inside an encoded URL": "next=https%3A%2F%2Fh.example%2Fx%3Ft%256Fken%3D{t}",
    "session token": "access={s}",
    "password": "password={p}",
    "rc_password encoded": "rc%5Fpassword={p}",
    "RC_PASSWORD": "RC_PASSWORD={p}",
}
SECRET_PARTS = (
    APP_TOKEN,
    APP_TOKEN[4:],  # a token's body, without its prefix
    SESSION_TOKEN[4:],
    "Zk3v9QxT1bLm7RwYp2Hc8NjD4sGf6UaE0oIiKlMnBqV",
    PASSWORD,
)


def query_of(spelling: str) -> str:
    return "view=default&" + SPELLINGS[spelling].format(t=APP_TOKEN, s=SESSION_TOKEN, p=PASSWORD)


def assert_masked(line: str) -> None:
    for part in SECRET_PARTS:
        assert part not in line, line
    assert "view=default" in line, line  # the rest of the line is kept


# --- gunicorn's access lines ---------------------------------------------------------------------
@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_gunicorn_access_lines_mask_every_spelling(spelling, log_format):
    record, _ = gunicorn_access_record(query_of(spelling))
    line = record.getMessage() if log_format == "plain" else JsonFormatter().format(record)
    assert_masked(line)
    if log_format == "json":
        assert "***" in json.loads(line)["http"]["query"]  # still one valid JSON object


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "Basic"])
def test_gunicorn_access_lines_mask_the_authorization_header(scheme):
    record, _ = gunicorn_access_record(
        "view=default", authorization=f"{scheme} {APP_TOKEN}", log_authorization=True
    )
    for line in (record.getMessage(), JsonFormatter().format(record)):
        assert_masked(line)
        assert f"{scheme} ***" in line


# --- the app's handler (settings.LOGGING) ----------------------------------------------------------
@pytest.fixture(params=["plain", "json"])
def app_log(request):
    """Lines written by the root handler settings.LOGGING installs, in each format."""
    (handler,) = [
        h for h in logging.getLogger().handlers if any(isinstance(f, RequestIdLogFilter) for f in h.filters)
    ]
    stream = io.StringIO()
    saved_stream, saved_formatter = handler.setStream(stream), handler.formatter
    if request.param == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
    yield stream.getvalue
    handler.setStream(saved_stream)
    handler.setFormatter(saved_formatter)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_app_log_lines_mask_every_spelling(spelling, app_log):
    url = f"/api/v1/notifications?{query_of(spelling)}"
    logging.getLogger("planocore.api").warning("Calling %s", url)
    logging.getLogger("django.server").warning('"GET %s HTTP/1.1" 404 179', url)
    logging.getLogger("planocore.api").warning("Calling", extra={"url": url})
    lines = app_log()
    assert lines.count("view=default") >= 2, lines  # the plain format leaves `extra=` values out
    assert_masked(lines)


def test_exceptions_are_masked(app_log):
    try:
        raise ValueError(f"could not fetch https://h.example/x?view=default&t%6Fken={APP_TOKEN}")
    except ValueError:
        logging.getLogger("planocore.api").exception("failed")
    lines = app_log()
    assert "ValueError: could not fetch" in lines
    assert_masked(lines)


def test_django_request_4xx_lines_mask_a_token_in_the_path(client, db, app_log):
    logging.getLogger("django.request").setLevel(logging.WARNING)
    try:
        response = client.get(f"/no-such-page/{APP_TOKEN}", {"view": "default", "TOKEN": SESSION_TOKEN})
    finally:
        logging.getLogger("django.request").setLevel(logging.ERROR)
    assert response.status_code == 404
    lines = app_log()
    assert "Not Found: /no-such-page/pca_***" in lines, lines
    for part in SECRET_PARTS:
        assert part not in lines


def test_json_bodies_and_reprs_are_masked(app_log):
    logger = logging.getLogger("planocore.api")
    logger.warning("params %s", {"token": APP_TOKEN, "view": "default"})
    logger.warning("body %s", json.dumps({"rc_password": PASSWORD, "view": "default"}))
    lines = app_log()
    for part in SECRET_PARTS:
        assert part not in lines, lines
    assert lines.count("default") == 2, lines  # the rest is kept


def test_a_traceback_line_starting_with_a_secret_param_is_masked_in_json():
    """Even without the filter, the JSON formatter's own pass masks `\\n` + `password=…`."""
    try:
        raise ValueError("bad form:\npassword=" + PASSWORD)
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("planocore.api", logging.ERROR, "", 0, "failed", None, exc_info)
    line = JsonFormatter().format(record)
    assert PASSWORD not in line and "password=***" in json.loads(line)["exception"]


def test_a_tokens_public_prefix_and_ordinary_words_are_kept(app_log):
    logging.getLogger("planocore.api").warning(
        "token pca_Zk3v9Q… revoked; view=default&page=2; topcs_x; password reset sent"
    )
    line = app_log()
    assert "pca_Zk3v9Q…" in line and "page=2" in line and "password reset sent" in line


def test_celery_processes_mask_their_handlers_too():
    """Celery installs its own handlers (plain format): the app adds the filter to each."""
    from planocore.celery import mask_celery_handlers

    stream = io.StringIO()
    logger = logging.getLogger("celery.test-masking")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        mask_celery_handlers(logger=logger)
        mask_celery_handlers(logger=logger)  # once, however often
        logger.warning("task got ?view=default&T%%4FKEN=%s", APP_TOKEN)
    finally:
        logger.removeHandler(handler)
    assert len(handler.filters) == 1
    assert_masked(stream.getvalue())
