"""A restarted or unreachable database (issue 25.5).

Connections are checked before reuse (CONN_HEALTH_CHECKS), so a restarted
PostgreSQL costs no request; while the database cannot be reached the API answers
503 `database-unavailable` with Retry-After (never `application-crash`), other
paths a plain 503, and /healthz names the database.
"""

import logging

import psycopg
import pytest
from django.core.cache import cache
from django.db import OperationalError, close_old_connections, connection

from conftest import Api
from planocore.accounts.models import Application
from planocore.accounts.services import application_token_create
from planocore.api import statuses

GLIP = "/api/v1/glip/messages"


def database_down(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@pytest.mark.django_db
def test_every_api_request_while_the_database_is_down_is_503_with_retry_after(api, caplog):
    assert api.get(GLIP)[0] == 200  # warm: the route state is in the cache
    with caplog.at_level(logging.INFO), connection.execute_wrapper(database_down):
        response = api.client.get(GLIP, **api._headers(None))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == statuses.DATABASE_UNAVAILABLE.slug
    assert 0 < int(response["Retry-After"]) <= 30
    assert "Connection refused" not in body["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info]  # one warning line, no traceback


@pytest.mark.django_db
def test_the_route_check_reading_the_database_is_503_too(api):
    cache.clear()  # the route state must come from the database
    with connection.execute_wrapper(database_down):
        response = api.client.get(GLIP, **api._headers(None))
    assert (response.status_code, response.json()["status"]) == (503, "database-unavailable")
    assert response["Retry-After"]


@pytest.mark.django_db
def test_sign_in_while_the_database_is_down_is_503(anon_api):
    from tests.platform.helpers import b64

    with connection.execute_wrapper(database_down):
        response = anon_api.client.post(
            "/api/v1/sessions", b64({"email": "a@example.com", "password": "x"}), content_type="text/plain"
        )
    assert (response.status_code, response.json()["status"]) == (503, "database-unavailable")


@pytest.mark.django_db
def test_healthz_names_the_database(client, settings):
    settings.CELERY_BROKER_URL = ""
    with connection.execute_wrapper(database_down):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["broker"], body["cache"]) == ("error", "not-configured", "ok")


@pytest.mark.django_db
def test_the_admin_while_the_database_is_down_is_a_plain_503(admin_client):
    admin_client.raise_request_exception = False  # answer as the server would
    with connection.execute_wrapper(database_down):
        response = admin_client.get("/admin/notifications/notification/")
    assert response.status_code == 503 and response["Retry-After"]


def test_connections_are_checked_before_reuse(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a pooled connection ended by the server needs PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_a_restarted_database_costs_no_request():
    """The server ends our pooled connection (as a restart does); the next request still answers."""
    # A transactional test's database was flushed: the migrations' applications may be gone.
    application, _ = Application.objects.get_or_create(
        slug="planox2", defaults={"name": "PlanoX2", "role": Application.Role.EMPLOYEE}
    )
    api = Api(application_token_create(application=application, permissions=None)[1])
    params = connection.get_connection_params()
    old = {k: connection.settings_dict[k] for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
    try:
        assert api.get(GLIP)[0] == 200
        pid = connection.connection.info.backend_pid  # kept open for the next request
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        # What the server does at each request's start (Django's test client skips it).
        close_old_connections()
        code, body = api.get(GLIP)
        assert (code, body["status"]) == (200, "action-successful"), body
        assert connection.connection.info.backend_pid != pid
    finally:
        connection.close()
        connection.settings_dict.update(old)
