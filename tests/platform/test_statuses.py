"""Every status reachable through the real HTTP stack, with its HTTP code, in the envelope."""

import json
import logging

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from planocore.api import statuses
from tests.platform.urls import ProbeView

pytestmark = pytest.mark.urls("tests.platform.urls")

ENVELOPE_KEYS = {"status", "code", "message", "data"}


def check(response, status: statuses.Status) -> dict:
    body = json.loads(response.content)
    assert response.status_code == status.code, body
    assert body["status"] == status.slug, body
    assert body["code"] == status.code
    assert set(body) >= ENVELOPE_KEYS
    assert response["Content-Type"].startswith("application/json")
    return body


@pytest.fixture
def client(db):
    return Client(raise_request_exception=False)


def post_json(client, path, data, **extra):
    return client.post(path, json.dumps(data), content_type="application/json", **extra)


def test_action_successful(client):
    body = check(post_json(client, "/api/v1/probe", {"name": "ok", "count": 2}), statuses.ACTION_SUCCESSFUL)
    assert body["data"] == {"name": "ok", "count": 2}


def test_invalid_token(client):
    response = client.get("/api/v1/sessions/current", HTTP_AUTHORIZATION="Bearer pca_wrong")
    check(response, statuses.INVALID_TOKEN)


def test_missing_param_names_the_field(client):
    body = check(post_json(client, "/api/v1/probe", {"count": 2}), statuses.MISSING_PARAM)
    assert "`name`" in body["message"] and "name" in body["errors"]


def test_missing_token_is_missing_param(client):
    body = check(client.get("/api/v1/sessions/current"), statuses.MISSING_PARAM)
    assert body["errors"] == {"token": [body["message"]]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"name": "ok", "count": 0}, "count"),
        ({"name": "ok", "colour": "green"}, "colour"),
        ({"name": "x" * 21}, "name"),
    ],
)
def test_invalid_param_names_the_field(client, params, field):
    body = check(post_json(client, "/api/v1/probe", params), statuses.INVALID_PARAM)
    assert body["message"].startswith(f"`{field}`")
    assert list(body["errors"]) == [field]


def test_form_and_multipart_bodies_are_read(client):
    check(client.post("/api/v1/probe", {"name": "multi"}), statuses.ACTION_SUCCESSFUL)
    response = client.post("/api/v1/probe", "name=form", content_type="application/x-www-form-urlencoded")
    assert check(response, statuses.ACTION_SUCCESSFUL)["data"]["name"] == "form"


def test_invalid_content_type(client):
    before = ProbeView.calls
    response = client.post("/api/v1/probe", "name=ok", content_type="text/csv")
    body = check(response, statuses.INVALID_CONTENT_TYPE)
    assert "application/json" in body["message"]
    assert ProbeView.calls == before


def test_invalid_encoded_params_for_unparseable_json(client):
    body = check(
        client.post("/api/v1/probe", "{name: ", content_type="application/json"),
        statuses.INVALID_ENCODED_PARAMS,
    )
    assert "decoded" in body["message"]


def test_no_params_decoded(client):
    check(client.post("/api/v1/probe", "[1, 2]", content_type="application/json"), statuses.NO_PARAMS_DECODED)
    check(client.post("/api/v1/probe", "{}", content_type="application/json"), statuses.NO_PARAMS_DECODED)


def test_route_non_existent(client):
    body = check(client.get("/api/v1/no/such/route"), statuses.ROUTE_NON_EXISTENT)
    assert "/documentation/" in body["message"]


def test_method_not_allowed(client):
    body = check(
        client.put("/api/v1/probe", "{}", content_type="application/json"), statuses.METHOD_NOT_ALLOWED
    )
    assert "GET, POST" in body["message"]


def test_application_crash_is_logged_with_the_request_id_and_no_traceback(client, caplog):
    caplog.set_level(logging.ERROR)
    response = client.get("/api/v1/probe", HTTP_X_REQUEST_ID="req-crash-1")
    body = check(response, statuses.APPLICATION_CRASH)
    assert response["X-Request-ID"] == "req-crash-1"
    assert "req-crash-1" in body["message"]
    assert "Traceback" not in response.content.decode() and "secret-detail" not in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "planocore.api"]
    assert "req-crash-1" in record.getMessage() and record.exc_info[0] is RuntimeError


def test_django_level_500_on_an_api_path_is_the_envelope(client):
    response = client.get("/api/v1/plain-crash", HTTP_X_REQUEST_ID="req-crash-2")
    body = check(response, statuses.APPLICATION_CRASH)
    assert "req-crash-2" in body["message"] and "secret-detail" not in response.content.decode()


def test_django_level_404_and_400_on_api_paths_are_the_envelope(client, rf):
    from planocore.api import handlers

    request = rf.get("/api/v1/anything")
    response = handlers.page_not_found(request, Exception())
    check(response, statuses.ROUTE_NON_EXISTENT)
    check(handlers.bad_request(rf.post("/api/v1/x"), Exception()), statuses.INVALID_ENCODED_PARAMS)
    check(handlers.permission_denied(rf.get("/api/v1/x"), Exception()), statuses.PERMISSION_DENIED)
    # Outside /api/ Django's own pages stay.
    assert handlers.page_not_found(rf.get("/nope"), Exception())["Content-Type"].startswith("text/html")


def test_django_400_through_the_stack(client, settings):
    # A body with more fields than Django accepts is refused by Django itself (SuspiciousOperation).
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    response = client.post(
        "/api/v1/probe", "a=1&b=2&c=3&name=x", content_type="application/x-www-form-urlencoded"
    )
    check(response, statuses.INVALID_ENCODED_PARAMS)


def test_identify_request_error_on_a_database_error(client, caplog):
    def broken_registry(execute, sql, params, many, context):
        if "planocore_apiservice" in sql or "planocore_route" in sql:
            raise DatabaseError("registry table unreadable")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(broken_registry):
        response = post_json(client, "/api/v1/probe", {"name": "x"})
    body = check(response, statuses.IDENTIFY_REQUEST_ERROR)
    assert "registry table" not in body["message"]
    assert any("Could not identify the route" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("toggle", "status"), [("route", statuses.ROUTE_NOT_FOUND), ("service", statuses.SERVICE_NOT_FOUND)]
)
def test_undeployed_route_or_service_does_not_run_the_view(client, toggle, status, django_assert_num_queries):
    from planocore.routes.models import ApiService, Route

    service = ApiService.objects.create(slug="probe", name="Probe")
    route = Route.objects.create(
        service=service, slug="probe-create", method="POST", path="/api/v1/probe", name="Probe"
    )
    target = route if toggle == "route" else service
    target.deployed = False
    target.save()
    before = ProbeView.calls
    post_json(client, "/api/v1/probe", {"name": "x"})  # warms the cached deployment state
    with django_assert_num_queries(0):
        check(post_json(client, "/api/v1/probe", {"name": "x"}), status)
    assert ProbeView.calls == before
    target.deployed = True
    target.save()  # the save drops the cached state: back at once
    check(post_json(client, "/api/v1/probe", {"name": "x"}), statuses.ACTION_SUCCESSFUL)
    assert ProbeView.calls == before + 1


def test_too_many_failed_token_attempts(client, settings, monkeypatch):
    import planocore.budgets

    # Issue 27.2: Retry-After is the time left in the limit's window (it was always 60).
    monkeypatch.setattr(planocore.budgets.time, "time", lambda: 60 * 29_000_000 + 41.5)
    settings.API_TOKEN_FAILURES_PER_MINUTE = 3
    for _ in range(3):
        check(
            client.get("/api/v1/sessions/current", HTTP_AUTHORIZATION="Bearer pca_wrong"),
            statuses.INVALID_TOKEN,
        )
    response = client.get("/api/v1/sessions/current", HTTP_AUTHORIZATION="Bearer pca_wrong")
    body = check(response, statuses.TOO_MANY_REQUESTS)
    assert response["Retry-After"] == "19" and "19 seconds" in body["message"]


def test_a_valid_token_is_served_while_the_address_is_over_its_failure_budget(client, settings, app_token):
    settings.API_TOKEN_FAILURES_PER_MINUTE = 1
    for expected in (statuses.INVALID_TOKEN, statuses.TOO_MANY_REQUESTS):
        check(client.get("/api/v1/sessions/current", HTTP_AUTHORIZATION="Bearer pca_wrong"), expected)
    response = client.get("/api/v1/sessions/current", HTTP_AUTHORIZATION=f"Bearer {app_token}")
    check(response, statuses.ACTION_SUCCESSFUL)


def test_trailing_slash_is_optional_on_every_api_route():
    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix, entry

    checked = 0
    for prefix, entry in walk(get_resolver("planocore.urls").url_patterns):
        if prefix.startswith("api/") and hasattr(entry.callback, "view_class"):
            assert str(entry.pattern).endswith("/?$"), (
                f"{prefix}{entry.pattern} needs an optional trailing slash"
            )
            checked += 1
    assert checked >= 3


def test_both_slash_forms_answer(client, app_token):
    for path in ("/api/v1/sessions/current", "/api/v1/sessions/current/"):
        check(client.get(path, HTTP_AUTHORIZATION=f"Bearer {app_token}"), statuses.ACTION_SUCCESSFUL)
