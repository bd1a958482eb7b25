"""Signing in and out: POST /api/v1/sessions (sensitive params), GET/DELETE /api/v1/sessions/current."""

import base64
import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import DatabaseError, connection
from django.utils import timezone
from django.views.debug import ExceptionReporter

from planocore.accounts.models import ApiSession, Client, Employee
from planocore.accounts.tokens import hash_token
from tests.platform.helpers import b64, sign_in

PASSWORD = "s3cret-Passw0rd!"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("jane", "jane@example.com", PASSWORD)


@pytest.fixture
def client_role(user):
    group = Group.objects.create(name="clients")
    group.permissions.add(Permission.objects.get(codename="view_application"))
    role = Client.objects.create(user=user)
    role.groups.add(group)
    return role


def session_token(anon_api, **extra) -> str:
    code, body = sign_in(anon_api, "jane@example.com", PASSWORD, **extra)
    assert code == 200, body
    return body["data"]["token"]


def test_sign_in_answers_a_session_token_stored_only_as_a_hash(anon_api, user):
    code, body = sign_in(anon_api, "JANE@example.com", PASSWORD, application="planoauth", remember_me=True)
    assert (code, body["status"]) == (200, "action-successful")
    token = body["data"]["token"]
    assert token.startswith("pcs_")
    session = ApiSession.objects.get()
    assert session.token_hash == hash_token(token)
    assert token not in {session.token_hash, session.prefix}
    assert session.prefix == token[:10]
    assert (session.user, session.application.slug, session.remember_me) == (user, "planoauth", True)
    assert body["session"] == body["data"]["session"]
    assert body["session"]["email"] == "jane@example.com"
    user.refresh_from_db()
    assert user.last_login is not None

    code, body = anon_api.get("/api/v1/sessions/current", token=token)
    assert (code, body["data"]["type"], body["data"]["session"]["id"]) == (200, "session", session.pk)


@pytest.mark.parametrize(
    ("email", "password"),
    [("jane@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)],
)
def test_wrong_credentials_are_invalid_param_naming_the_password(anon_api, user, email, password):
    code, body = sign_in(anon_api, email, password)
    assert (code, body["status"]) == (400, "invalid-param")
    assert "password" in body["errors"] and "`password`" in body["message"]
    assert not ApiSession.objects.exists()


def test_inactive_user_cannot_sign_in(anon_api, user):
    user.is_active = False
    user.save()
    code, body = sign_in(anon_api, "jane@example.com", PASSWORD)
    assert (code, body["status"]) == (400, "invalid-param")


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"email": "jane@example.com"}, "missing-param", "password"),
        ({"password": PASSWORD}, "missing-param", "email"),
        ({"email": "not-an-email", "password": PASSWORD}, "invalid-param", "email"),
        (
            {"email": "jane@example.com", "password": PASSWORD, "application": "nope"},
            "invalid-param",
            "application",
        ),
        (
            {"email": "jane@example.com", "password": PASSWORD, "remember_me": "maybe"},
            "invalid-param",
            "remember_me",
        ),
    ],
)
def test_bad_sign_in_params_name_the_field(anon_api, user, params, status, field):
    code, body = anon_api.post("/api/v1/sessions", raw=b64(params), content_type="text/plain")
    assert (code, body["status"]) == (400, status)
    assert field in body["errors"]
    assert f"`{field}`" in body["message"]


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("this is not base64!", "invalid-encoded-params"),
        ('{"email": "jane@example.com", "password": "x"}', "invalid-encoded-params"),  # JSON, not base64
        (base64.b64encode(b"{not json").decode(), "invalid-encoded-params"),
        (base64.b64encode(b"{}").decode(), "no-params-decoded"),
        (base64.b64encode(b"[1, 2]").decode(), "no-params-decoded"),
    ],
)
def test_sensitive_body_must_be_base64_json(anon_api, user, raw, status):
    code, body = anon_api.post("/api/v1/sessions", raw=raw, content_type="application/json")
    assert (code, body["status"]) == (400, status)
    assert not ApiSession.objects.exists()


def test_sign_out_revokes_the_session(anon_api, user):
    token = session_token(anon_api)
    code, body = anon_api.delete("/api/v1/sessions/current", token=token)
    assert (code, body["status"], body["data"]["revoked"]) == (200, "action-successful", True)
    assert ApiSession.objects.get().revoked_at is not None
    code, body = anon_api.get("/api/v1/sessions/current", token=token)
    assert (code, body["status"]) == (401, "invalid-token")


def test_application_tokens_cannot_be_signed_out(api, app_token):
    code, body = api.delete("/api/v1/sessions/current")
    assert (code, body["status"]) == (403, "permission-denied")


@pytest.mark.parametrize(
    ("age", "idle", "remember_me", "expired"),
    [
        (timedelta(days=8), timedelta(hours=1), False, True),
        (timedelta(days=3), timedelta(hours=73), False, True),
        (timedelta(days=6), timedelta(hours=71), False, False),
        (timedelta(days=30), timedelta(days=20), True, False),
    ],
)
def test_session_expiry(anon_api, user, age, idle, remember_me, expired):
    token = session_token(anon_api, remember_me=remember_me)
    now = timezone.now()
    ApiSession.objects.update(created_at=now - age, last_used_at=now - idle)
    code, body = anon_api.get("/api/v1/sessions/current", token=token)
    if expired:
        assert (code, body["status"]) == (401, "session-expired")
    else:
        assert (code, body["status"]) == (200, "action-successful")


def test_user_without_a_role_gets_client_required_with_the_session(anon_api, user):
    token = session_token(anon_api)
    code, body = anon_api.get("/api/v1/applications", token=token)
    assert (code, body["status"]) == (401, "client-required")
    assert body["session"]["email"] == "jane@example.com"
    assert body["session"]["id"] == ApiSession.objects.get().pk
    assert body["data"] is None


def test_role_permissions_apply_and_application_selects_the_role(anon_api, user, client_role):
    token = session_token(anon_api)
    code, body = anon_api.get("/api/v1/applications", token=token)
    assert (code, body["status"]) == (200, "action-successful")
    assert {a["slug"] for a in body["data"]} == {"planoauth", "planoorder", "planox2"}
    # planox2 acts through the Employee role, which this user lacks.
    code, body = anon_api.get("/api/v1/applications", {"application": "planox2"}, token=token)
    assert (code, body["status"]) == (401, "client-required")
    Employee.objects.create(user=user)  # a role whose groups give no permission
    code, body = anon_api.get("/api/v1/applications", {"application": "planox2"}, token=token)
    assert (code, body["status"]) == (403, "permission-denied")
    assert "planocore.view_application" in body["message"]


def test_session_view_returns_the_session_object(anon_api, user, client_role):
    token = session_token(anon_api)
    code, body = anon_api.get("/api/v1/sessions/current", {"session_view": "default"}, token=token)
    assert code == 200 and body["session"]["email"] == "jane@example.com"


def test_sign_in_is_throttled_per_client_address(anon_api, user, settings):
    settings.SIGN_IN_RATE = "3/min"
    for _ in range(3):
        code, _body = sign_in(anon_api, "jane@example.com", "wrong")
        assert code == 400
    code, body = sign_in(anon_api, "jane@example.com", PASSWORD)
    assert (code, body["status"]) == (429, "too-many-requests")
    response = anon_api.client.post(
        "/api/v1/sessions",
        b64({"email": "jane@example.com", "password": PASSWORD}),
        content_type="text/plain",
    )
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 60
    # Another address is not held back, and a forged X-Forwarded-For does not help.
    code, body = anon_api.post(
        "/api/v1/sessions",
        raw=b64({"email": "jane@example.com", "password": PASSWORD}),
        content_type="text/plain",
        REMOTE_ADDR="10.0.0.9",
    )
    assert code == 200
    code, body = anon_api.post(
        "/api/v1/sessions",
        raw=b64({"email": "jane@example.com", "password": PASSWORD}),
        content_type="text/plain",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert code == 429


@pytest.mark.parametrize("how", ["query", "json", "form"])
def test_token_as_a_param(anon_api, app_token, how):
    client = anon_api.client
    if how == "query":
        response = client.get(f"/api/v1/sessions/current?token={app_token}")
    elif how == "json":
        response = client.delete(
            "/api/v1/sessions/current", {"token": app_token}, content_type="application/json"
        )
    else:
        response = client.delete(
            "/api/v1/sessions/current", f"token={app_token}", content_type="application/x-www-form-urlencoded"
        )
    body = response.json()
    # DELETE with an application token is refused after authenticating: 403, not 401.
    assert body["status"] == ("action-successful" if how == "query" else "permission-denied")


def test_sensitive_params_are_never_logged(anon_api, user, caplog):
    """Neither the password nor the base64 body reach any log, even when signing in crashes."""
    caplog.set_level(logging.DEBUG)
    raw = b64({"email": "jane@example.com", "password": PASSWORD})

    def fail_session_insert(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and "apisession" in sql.lower():
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_session_insert):
        response = anon_api.client.post(
            "/api/v1/sessions", raw, content_type="application/x-www-form-urlencoded"
        )
    body = response.json()
    assert (response.status_code, body["status"]) == (500, "application-crash")
    # Django's error report of this request (what AdminEmailHandler would mail) hides the params.
    report = ExceptionReporter(response.wsgi_request, None, None, None, is_email=True).get_traceback_text()
    assert "POST" in report and PASSWORD not in report and raw not in report
    assert "Traceback" not in str(body) and "disk full" not in str(body)
    sign_in(anon_api, "jane@example.com", "wrong " + PASSWORD)  # a 400 logged by django.request

    logged = "\n".join(
        record.getMessage()
        + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    )
    assert "Unhandled error in POST /api/v1/sessions" in logged  # the crash was logged...
    assert PASSWORD not in logged and raw not in logged  # ...without the params
    assert not ApiSession.objects.exists()
