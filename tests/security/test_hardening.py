"""The admin's CSRF check, cookie flags and framing headers; secret params kept out of access logs."""

import json
import logging
import os
import runpy
import subprocess
import sys

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from planocore.accounts.models import Application, ApplicationToken
from planocore.ops.logging import GunicornLogger, JsonFormatter
from tests.ops.helpers import ROOT, gunicorn_access_record

TOKEN = "pca_" + "Q" * 43
ADMIN_PASSWORD = "Staff-Admin-Pass-1c9e"


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("sec-staff", "sec-staff@example.com", ADMIN_PASSWORD)


# --- CSRF on the admin --------------------------------------------------------------------
@pytest.mark.django_db
def test_admin_login_and_actions_need_the_csrf_token(superuser):
    browser = Client(enforce_csrf_checks=True)
    credentials = {"username": "sec-staff", "password": ADMIN_PASSWORD}
    assert browser.post("/admin/login/", credentials).status_code == 403  # no CSRF cookie, no token

    page = browser.get("/admin/login/")
    token = page.cookies["csrftoken"].value
    response = browser.post("/admin/login/?next=/admin/", {**credentials, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/admin/"

    # Signed in: a state-changing admin POST without the token is refused and changes nothing.
    application = Application.objects.get(slug="planox2")
    make_token = reverse("admin:planocore_application_make_token", args=[application.pk])
    before = ApplicationToken.objects.count()
    assert browser.post(make_token).status_code == 403
    assert ApplicationToken.objects.count() == before
    token = browser.cookies["csrftoken"].value  # rotated at login
    assert browser.post(make_token, {"csrfmiddlewaretoken": token}).status_code == 200
    assert ApplicationToken.objects.count() == before + 1


# --- admin sign-in rate ------------------------------------------------------------------------
@pytest.mark.django_db
def test_admin_login_is_throttled_per_address_like_the_api_sign_in(superuser):
    from django.conf import settings

    from planocore.budgets import parse_rate

    allowed = parse_rate(settings.SIGN_IN_RATE)[0]
    browser = Client()
    wrong = {"username": "sec-staff", "password": "not-the-password"}
    for _ in range(allowed):
        assert browser.post("/admin/login/", wrong).status_code == 200  # the form again, with its error

    refused = browser.post("/admin/login/", {"username": "sec-staff", "password": ADMIN_PASSWORD})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "Too many sign-in attempts" in refused.content.decode()
    assert "_auth_user_id" not in browser.session  # the right password did not get in either

    # Another address is not held back, and reading the page is never throttled.
    assert browser.get("/admin/login/").status_code == 200
    other = Client(REMOTE_ADDR="10.9.8.7")
    signed_in = other.post(
        "/admin/login/?next=/admin/", {"username": "sec-staff", "password": ADMIN_PASSWORD}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"


# --- cookies ----------------------------------------------------------------------------------
def _settings_in_a_process(**env) -> dict:
    """Some values of planocore/settings.py as a fresh process with this environment reads them."""
    code = (
        "import json, planocore.settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'X_FRAME_OPTIONS')}))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("SECURE_COOKIES", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_secure_cookies_setting_makes_both_cookies_secure():
    on = _settings_in_a_process(SECURE_COOKIES="true")
    assert on["SESSION_COOKIE_SECURE"] is True and on["CSRF_COOKIE_SECURE"] is True
    assert on["SESSION_COOKIE_HTTPONLY"] is True and on["X_FRAME_OPTIONS"] == "DENY"
    off = _settings_in_a_process()  # the local default: plain-HTTP development
    assert off["SESSION_COOKIE_SECURE"] is False and off["CSRF_COOKIE_SECURE"] is False


@pytest.mark.django_db
def test_admin_cookies_carry_the_secure_flags(settings, superuser):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True  # what SECURE_COOKIES=true sets
    browser = Client()
    page = browser.get("/admin/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] is True and csrf["samesite"] == "Lax"
    response = browser.post(
        "/admin/login/?next=/admin/", {"username": "sec-staff", "password": ADMIN_PASSWORD}, secure=True
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True and session["httponly"] is True and session["samesite"] == "Lax"
    assert "Secure" in session.OutputString() and "HttpOnly" in session.OutputString()


# --- framing and content-type headers ------------------------------------------------------
@pytest.mark.django_db
def test_no_page_may_be_framed(admin_client, app_token):
    application = Application.objects.get(slug="planox2")
    anonymous = Client()
    for client, url in (
        (anonymous, "/admin/login/"),
        (admin_client, "/admin/"),
        (admin_client, reverse("admin:planocore_application_change", args=[application.pk])),
        (anonymous, "/documentation/"),
        (anonymous, "/api/v1/applications"),
        (anonymous, "/healthz"),
    ):
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {app_token}")
        assert response.status_code == 200, url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url


# --- logs ---------------------------------------------------------------------------------------
def test_json_log_lines_show_a_request_without_its_query_string():
    request = RequestFactory().get(f"/api/v1/glip/messages/9?token={TOKEN}&view=x")
    record = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "Bad Request: %s", (request.path,), None
    )
    record.request, record.status_code = request, 400  # what django.request passes with extra=
    line = JsonFormatter().format(record)
    assert TOKEN not in line
    assert json.loads(line)["request"] == "GET /api/v1/glip/messages/9"


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_gunicorn_access_lines_mask_secret_query_params(log_format, monkeypatch):
    """gunicorn.conf.py's logger, fed a real request's atoms: the token in the query is masked."""
    monkeypatch.setenv("LOG_FORMAT", "plain")  # the JSON variant is formatted below, not reconfigured
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["logger_class"] == "planocore.ops.logging.GunicornLogger"
    query = f"view=default&token={TOKEN}&rc_password=hunter2-secret"
    record, logger = gunicorn_access_record(query, authorization=f"Bearer {TOKEN}", request_id="rid-sec")
    assert isinstance(logger, GunicornLogger)
    line = record.getMessage() if log_format == "plain" else JsonFormatter().format(record)
    assert TOKEN not in line and "hunter2-secret" not in line, line
    assert "token=***" in line and "rc_password=***" in line and "view=default" in line
    if log_format == "json":
        data = json.loads(line)
        assert data["http"]["query"] == "view=default&token=***&rc_password=***"
        assert data["request_id"] == "rid-sec"
