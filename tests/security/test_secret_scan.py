"""No secret in any log line, admin page, API response, documentation page, table or cache entry.

One full run through the real stack, with real HTTP to the provider fakes: sign in,
make an application token in the admin, set an extension's JWT and post to Glip with
an extension's password (API and admin), a notification of every type, provider
failures (RingCentral's exception text holds the Authorization header), a messaging
client, both webhooks, /metrics, tokens sent as the `token` query param. Meanwhile
every record of every logger is captured at DEBUG (SQL included) and formatted both
ways settings.LOGGING can: plain and JSON. Then every admin changelist and change
page, the API's list and detail routes and the documentation are read, and every
column of every table and every cache entry is scanned: no known secret may appear.
"""

import base64
import hashlib
import hmac
import io
import json
import logging
import re
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from glip.models import GlipTeam
from planocore.accounts.models import Application, Employee
from planocore.accounts.services import api_permissions
from planocore.api.middleware import RequestIdLogFilter
from planocore.ops.logging import JsonFormatter
from planocore.providers.ringcentral.models import RingCentralExtension
from planocore.routes.list_items import LIST_ITEMS
from planocore.routes.models import Route

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:username-password login:UserWarning"),
]

USER_EMAIL = "jane.security@example.com"
USER_PASSWORD = "Jane-Signs-In-9f3c1e"
WRONG_PASSWORD = "Jane-Mistyped-2b7d40"
ADMIN_PASSWORD = "Staff-Admin-Pass-7d2b4a"
RC_PASSWORD = "Rc-Ext142-Pass-5e8d21"
EXTENSION_JWT = "ext-143-stored-jwt-0b9a7c44"
MANDRILL_WEBHOOK_KEY = "mandrill-webhook-key-4a7e19"
SC_WEBHOOK_SECRET = "sc-webhook-secret-8b2d53"
METRICS_TOKEN = "metrics-token-3f9e1d77"
TEAM, CHAT = "Security desk", "chat-sec-1"
CONVERSATION = "029c31f25a21b47effd7be91"
TOKEN_RE = re.compile(r"\bpc[as]_[A-Za-z0-9_-]{43}")
BEARER_RE = re.compile(r"Bearer\s+([A-Za-z0-9._~+/=-]{12,})", re.IGNORECASE)


# --- what is secret, and where it must not be ---------------------------------------------
@dataclass
class Secrets:
    values: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str) -> None:
        assert value and len(value) >= 8, f"{name} is too short to scan for: {value!r}"
        self.values.setdefault(value, name)

    def add_token(self, name: str, token: str) -> None:
        """A token, and its body without the `pca_`/`pcs_` prefix."""
        self.add(name, token)
        self.add(f"{name} (body)", token.split("_", 1)[1])

    def leaks(self, where: str, text: str) -> list[str]:
        """Say where each known secret, and any Authorization Bearer value, appears in `text`."""
        found = []
        for value, name in self.values.items():
            at = text.find(value)
            if at >= 0:
                found.append(f"{where}: {name} in …{text[max(0, at - 80) : at + len(value) + 40]!r}…")
        for match in BEARER_RE.finditer(text):
            around = text[max(0, match.start() - 80) : match.end()]
            found.append(f"{where}: an Authorization Bearer value in …{around!r}…")
        return found


class EveryLogLine(logging.Handler):
    """Each record formatted as the plain and the JSON formatter of settings.LOGGING would."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(RequestIdLogFilter())
        self.plain = logging.Formatter(django_settings.LOGGING["formatters"]["plain"]["format"])
        self.json = JsonFormatter()
        self.lines: list[str] = []
        self.records = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1
        self.lines.append(self.plain.format(record))
        self.lines.append(self.json.format(record))


@pytest.fixture
def every_log_line():
    """Every logger at DEBUG into one handler (SQL queries too), restored afterwards."""
    handler = EveryLogLine()
    root = logging.getLogger()
    saved = [(root, root.level, root.disabled, root.propagate)]
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            saved.append((logger, logger.level, logger.disabled, logger.propagate))
    disabled_level = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    root.addHandler(handler)
    for logger, *_ in saved:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if not logger.propagate and logger is not root:
            logger.addHandler(handler)
    debug_cursor, connection.force_debug_cursor = connection.force_debug_cursor, True
    try:
        yield handler
    finally:
        connection.force_debug_cursor = debug_cursor
        logging.disable(disabled_level)
        for logger, level, disabled, _propagate in saved:
            logger.setLevel(level)
            logger.disabled = disabled
            if handler in logger.handlers:
                logger.removeHandler(handler)


def _b64(params: dict) -> str:
    return base64.b64encode(json.dumps(params).encode()).decode()


def _mandrill_signature(key: str, url: str, params: dict) -> str:
    signed = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(key.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def _sc_event(event_id: str, client_id: str, user_id: str) -> dict:
    return {
        "id": event_id,
        "type": "client:update",
        "createdAt": "2026-11-23T10:00:00.000Z",
        "payload": {
            "user": {"id": "5e00000000000000000000u9", "externalId": user_id},
            "client": {"id": client_id, "type": "whatsapp", "status": "active"},
            "reason": "confirmed",
        },
    }


class Run:
    """The full run: keeps what each step answered, to be scanned afterwards."""

    def __init__(self, *, secrets, rc, mandrill, sunshine, capture_on_commit):
        self.secrets, self.rc, self.mandrill, self.sunshine = secrets, rc, mandrill, sunshine
        self.capture_on_commit = capture_on_commit
        self.texts: list[tuple[str, str]] = []  # (where, what was answered)
        self.staff: Client | None = None  # signed in to the admin

    def keep(self, where: str, response) -> None:
        self.texts.append((where, response.content.decode("utf-8", "replace")))
        self.texts.append((f"{where} (headers)", "\n".join(f"{k}: {v}" for k, v in response.items())))
        for name, morsel in response.cookies.items():
            self.texts.append((f"{where} (cookie {name})", morsel.OutputString()))

    def api(self, method: str, path: str, token: str | None, data=None, *, expect=200, **extra):
        func = getattr(APIClient(), method.lower())
        headers = {**({"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}), **extra}
        with self.capture_on_commit(execute=True):
            if method == "GET":
                response = func(path, data=data or {}, **headers)
            else:
                response = func(path, data=json.dumps(data or {}), content_type="application/json", **headers)
        body = response.json()
        assert response.status_code == expect, (method, path, body)
        self.keep(f"{method} {path}", response)
        return body


@pytest.mark.slow
def test_no_secret_in_logs_pages_responses_or_tables(
    every_log_line,
    ringcentral_fake,
    mandrill_fake,
    sunshine_fake,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    rc, mandrill, sunshine = ringcentral_fake, mandrill_fake, sunshine_fake
    settings.ANYMAIL = {**settings.ANYMAIL, "MANDRILL_WEBHOOK_KEY": MANDRILL_WEBHOOK_KEY}
    settings.MANDRILL_WEBHOOK_KEY = MANDRILL_WEBHOOK_KEY
    settings.SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET = SC_WEBHOOK_SECRET
    settings.METRICS_TOKEN = METRICS_TOKEN

    secrets = Secrets()
    for name, value in [
        ("the user's password", USER_PASSWORD),
        ("a mistyped password", WRONG_PASSWORD),
        ("the admin's password", ADMIN_PASSWORD),
        ("rc_password", RC_PASSWORD),
        ("an extension's stored JWT", EXTENSION_JWT),
        ("RINGCENTRAL_CLIENT_SECRET", settings.RINGCENTRAL_CLIENT_SECRET),
        ("RINGCENTRAL_JWT", settings.RINGCENTRAL_JWT),
        ("MANDRILL_API_KEY", settings.MANDRILL_API_KEY),
        ("MANDRILL_WEBHOOK_KEY", MANDRILL_WEBHOOK_KEY),
        ("SUNSHINE_CONVERSATIONS_SECRET", settings.SUNSHINE_CONVERSATIONS_SECRET),
        ("SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET", SC_WEBHOOK_SECRET),
        ("METRICS_TOKEN", METRICS_TOKEN),
        ("SECRET_KEY", settings.SECRET_KEY),
    ]:
        secrets.add(name, value)

    # Every token the RingCentral fake issues (access and refresh) is a secret too.
    issued: list[str] = []
    issue = rc._issue

    def recording_issue(owner):
        reply = issue(owner)
        issued.extend([reply.body["access_token"], reply.body["refresh_token"]])
        return reply

    monkeypatch.setattr(rc, "_issue", recording_issue)
    run = Run(
        secrets=secrets,
        rc=rc,
        mandrill=mandrill,
        sunshine=sunshine,
        capture_on_commit=django_capture_on_commit_callbacks,
    )
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        jane, session_token, app_token = _sign_in_and_make_a_token(run)
        _glip(run, session_token, app_token)
        _notifications_messaging_and_webhooks(run, jane, session_token, app_token)
        _other_calls(run, session_token, app_token)

    for number, value in enumerate(issued):
        secrets.add(f"RingCentral {'access' if number % 2 == 0 else 'refresh'} token #{number // 2}", value)
    # What the backends sent as Authorization (Bearer access tokens, Basic client credentials).
    for fake in (rc, sunshine):
        for received in fake.received:
            scheme, _, credential = received.headers.get("authorization", "").partition(" ")
            if credential:
                secrets.add(f"an Authorization {scheme} value sent to a provider", credential)

    # The run really used what is scanned for: otherwise the scan would prove nothing.
    assert {login["grant"] for login in rc.logins} == {"jwt", "password"}, rc.logins
    assert any(login.get("extension") == "142" for login in rc.logins)
    assert len(issued) >= 6 and any(
        r.headers.get("authorization", "").lower().startswith("bearer ") for r in rc.received
    )
    assert any((r.json() or {}).get("key") == settings.MANDRILL_API_KEY for r in mandrill.received)
    assert sunshine.messages[CONVERSATION], "the conversation notification was not sent"
    assert every_log_line.records > 100
    assert any("Logged in to RingCentral" in line for line in every_log_line.lines)
    assert any('"logger": "django.db.backends"' in line for line in every_log_line.lines)

    with redirect_stdout(out), redirect_stderr(err):
        pages = _read_everything(run, session_token, app_token, jane)
    log_lines = list(every_log_line.lines)  # the reading's log lines too (templates, SQL)
    console = out.getvalue() + err.getvalue()

    leaks = []
    for number, line in enumerate(log_lines):
        leaks += secrets.leaks(f"log line {number}", line)
    leaks += secrets.leaks("stdout/stderr", console)
    for where, text in run.texts + pages:
        leaks += secrets.leaks(where, text)
    values = 0
    for where, text in _database_values():
        values += 1
        leaks += secrets.leaks(where, text)
    assert values > 100
    # The cache (Redis in production) holds RingCentral's tokens, encrypted, and lookups by id.
    stored = getattr(cache, "_cache", {})  # LocMemCache: key -> pickled value
    assert any("ringcentral:token:" in key for key in stored)
    for key, value in stored.items():
        leaks += secrets.leaks(f"cache {key}", key + " " + value.decode("latin-1"))
    assert not leaks, "\n".join(leaks[:40])


# --- the run ----------------------------------------------------------------------------
def _sign_in_and_make_a_token(run: Run):
    secrets = run.secrets
    User = get_user_model()
    User.objects.create_superuser("sec-admin", "sec-admin@example.com", ADMIN_PASSWORD)
    jane = User.objects.create_user("jane-sec", USER_EMAIL, USER_PASSWORD)
    everything = Group.objects.create(name="security-everything")
    everything.permissions.set(api_permissions())
    Employee.objects.create(user=jane).groups.add(everything)

    # A wrong password first (a 400 Django logs), then the right one.
    wrong = _b64({"email": USER_EMAIL, "password": WRONG_PASSWORD})
    right = _b64({"email": USER_EMAIL, "password": USER_PASSWORD, "application": "planox2"})
    secrets.add("a sign-in body", wrong)
    secrets.add("the sign-in body", right)
    anon = APIClient()
    response = anon.post("/api/v1/sessions", wrong, content_type="text/plain")
    assert response.status_code == 400
    run.keep("POST /api/v1/sessions (wrong password)", response)
    response = anon.post("/api/v1/sessions", right, content_type="text/plain")
    assert response.status_code == 200, response.content
    session_token = response.json()["data"]["token"]  # the one answer that shows it
    secrets.add_token("the session token", session_token)

    staff = Client()
    response = staff.post("/admin/login/?next=/admin/", {"username": "sec-admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    run.keep("POST /admin/login/", response)
    application = Application.objects.get(slug="planox2")
    response = staff.post(reverse("admin:planocore_application_make_token", args=[application.pk]))
    assert response.status_code == 200
    (app_token,) = set(TOKEN_RE.findall(response.content.decode()))  # the page that shows it, once
    secrets.add_token("the application token", app_token)
    run.staff = staff
    return jane, session_token, app_token


def _glip(run: Run, session_token: str, app_token: str) -> None:
    rc = run.rc
    rc.add_team(CHAT, TEAM)
    GlipTeam.objects.create(name=TEAM, chat_id=CHAT)
    rc.add_user(username="+16505550142", extension="142", password=RC_PASSWORD, owner_id="200142")
    rc.team(CHAT).members.update({"200142", "200143"})
    RingCentralExtension.objects.create(
        extension_number="142", login_phone_number="+16505550142", display_name="Desk"
    )
    # Staff set extension 143's JWT in the admin (a write-only field), then post as 142 there.
    rc.add_jwt(EXTENSION_JWT, "200143")
    staff = run.staff
    response = staff.post(
        reverse("admin:ringcentral_ringcentralextension_add"),
        {"extension_number": "143", "login_phone_number": "+16505550143", "display_name": "Night desk",
         "active": "on", "new_jwt": EXTENSION_JWT},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    run.keep("POST admin: add extension 143", response)
    assert RingCentralExtension.objects.get(extension_number="143").jwt == EXTENSION_JWT
    with run.capture_on_commit(execute=True):
        response = staff.post(
            reverse("admin:glip_glipmessage_add"),
            {"team": GlipTeam.objects.get(name=TEAM).pk, "text": "From the admin", "priority": "0",
             "extension": RingCentralExtension.objects.get(extension_number="142").pk,
             "rc_password": RC_PASSWORD},
        )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    run.keep("POST admin: add a Glip message", response)
    assert [p["text"] for p in rc.posts if p["owner_id"] == "200142"] == ["From the admin"]
    url = "/api/v1/glip/messages"
    with_password = {"team_name": TEAM, "rc_extension": "142", "rc_password": RC_PASSWORD}
    body = run.api("POST", url, session_token, {**with_password, "message": "Executed", "execute": True})
    assert body["data"]["status"] == "sent"
    body = run.api("POST", url, app_token, {**with_password, "message": "Queued", "priority": 2})
    assert body["data"]["status"] == "queued"  # sent after the commit
    # A provider failure: the package's exception text holds the Authorization header.
    # The token comes as a query param this time; the 502 is logged by django.request.
    rc.fail_next(500, {"errorCode": "CMN-201", "message": "Service Temporary Unavailable"}, path="/posts$")
    body = run.api(
        "POST",
        f"{url}?token={app_token}",
        None,
        {**with_password, "message": "Fails", "execute": True, "priority": 5},
        expect=502,
    )
    assert body["status"] == "provider-failed"


def _notifications_messaging_and_webhooks(run: Run, jane, session_token: str, app_token: str) -> None:
    rc, sunshine, mandrill = run.rc, run.sunshine, run.mandrill
    url = "/api/v1/notifications"
    email = {
        "notification_type": "email",
        "email_to": "ann@example.com",
        "email_subject": "Ready",
        "email_body": "Your tour is ready",
    }
    sms = {"notification_type": "sms", "phone_from": "+15550001111", "phone_to": "+15550002222"}
    run.api("POST", url, app_token, email)
    run.api("POST", url, session_token, {**sms, "email_body": "SMS, settings JWT"})
    run.api("POST", url, app_token, {**sms, "extension": "143", "email_body": "SMS, stored JWT"})
    media_url = rc.add_media("tour.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")
    run.api(
        "POST",
        url,
        app_token,
        {**sms, "notification_type": "mms", "media_url": media_url, "email_body": "MMS"},
    )
    run.api("POST", url, app_token, {"notification_type": "glip", "team_name": TEAM, "email_body": "Glip"})
    # Provider failures: RingCentral answers 500 to an SMS; Mandrill refuses an email.
    rc.fail_next(500, {"errorCode": "CMN-201", "message": "Unavailable"}, path="/sms$")
    run.api("POST", url, app_token, {**sms, "email_body": "SMS that fails", "priority": 5})
    mandrill.fail_next(500, {"status": "error", "code": -1, "name": "GeneralError", "message": "Oops"})
    body = run.api("POST", url, app_token, {**email, "email_subject": "Fails"}, expect=500)
    assert body["status"] == "mandrill-email-failed"

    # A messaging client, confirmed by Sunshine's webhook, then a conversation notification.
    sunshine.add_user(str(jane.pk))
    body = run.api(
        "POST",
        f"/api/v1/users/{jane.pk}/clients",
        session_token,
        {
            "matchCriteria": {
                "type": "whatsapp",
                "integrationId": "582dedf230e788746891281a",
                "phoneNumber": "+12125552368",
            },
            "confirmation": {"type": "immediate"},
            "target": {"conversationId": CONVERSATION},
        },
    )
    client_id = body["data"]["client_id"]
    hook = Client()
    event = {
        "app": {"id": sunshine.app_id},
        "webhook": {"id": "w1", "version": "v2"},
        "events": [_sc_event("ev-sec-1", client_id, str(jane.pk))],
    }
    for key, expected in (("wrong-" + SC_WEBHOOK_SECRET[:4], 401), (SC_WEBHOOK_SECRET, 200)):
        response = hook.post(
            "/webhooks/sunshine-conversations",
            json.dumps(event),
            content_type="application/json",
            HTTP_X_API_KEY=key,
        )
        assert response.status_code == expected, response.content
        run.keep("POST /webhooks/sunshine-conversations", response)
    run.api(
        "POST",
        url,
        app_token,
        {"notification_type": "conversation", "user_id": str(jane.pk), "email_body": "Conversation"},
    )

    # Mandrill's tracking webhook: a forged call, then a signed one.
    from notifications.models import Notification

    sent = Notification.objects.filter(notification_type="email", status="sent").get()
    message_id = sent.outgoing_requests.get().provider_message_id
    params = {
        "mandrill_events": json.dumps(
            [
                {
                    "event": "send",
                    "_id": message_id,
                    "ts": 1795000000,
                    "msg": {"email": "ann@example.com", "state": "sent"},
                }
            ]
        )
    }
    signature = _mandrill_signature(MANDRILL_WEBHOOK_KEY, "http://testserver/webhooks/mandrill", params)
    for given, expected in (("forged", 400), (signature, 200)):
        response = hook.post("/webhooks/mandrill", params, HTTP_X_MANDRILL_SIGNATURE=given)
        assert response.status_code == expected, response.content
        run.keep("POST /webhooks/mandrill", response)
    sent.refresh_from_db()
    assert (sent.status, sent.provider_status) == ("sent", "delivered")

    reasons = "/api/v1/cancelations"
    for cancelable_id in (5001, 5002):
        run.api(
            "POST",
            reasons,
            session_token,
            {"cancelable_type": "Order", "cancelable_id": cancelable_id, "reason_slug": "client-request"},
        )


def _other_calls(run: Run, session_token: str, app_token: str) -> None:
    anon = Client()
    response = anon.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    run.keep("GET /metrics", response)
    assert anon.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-metrics-token").status_code == 401
    # A session token in the query string of a request Django logs (a 400).
    run.api("GET", f"/api/v1/glip/messages/999999?token={session_token}", None, expect=400)
    run.api("GET", "/api/v1/sessions/current", "pca_" + "x" * 43, expect=401)


# --- reading everything back --------------------------------------------------------------
def _read_everything(run: Run, session_token: str, app_token: str, jane) -> list[tuple[str, str]]:
    from cancelations.models import Cancelation
    from glip.models import GlipMessage
    from notifications.models import Notification

    for token in (session_token, app_token):
        run.api("GET", "/api/v1/sessions/current", token, {"session_view": "default"})
    run.api("GET", "/api/v1/applications", app_token)
    run.api("GET", "/api/v1/glip/teams", app_token)
    run.api("GET", "/api/v1/cancelations/reasons", app_token)
    run.api("GET", f"/api/v1/users/{jane.pk}/clients", app_token)
    # Lists with the token in the query string: their links must not carry it.
    for path in ("/api/v1/glip/messages", "/api/v1/cancelations"):
        body = run.api("GET", f"{path}?page[size]=1&token={app_token}", None)
        assert body["links"]["next"], path
    body = run.api("GET", f"/api/v1/notifications?page[size]=1&token={session_token}", None)
    assert body["links"]["next"]
    for view in ("default-view", "default-with-proof", "internal-applications-view"):
        run.api("GET", "/api/v1/notifications", app_token, {"view": view, "page[size]": 100})
        for pk in Notification.objects.values_list("pk", flat=True):
            run.api("GET", f"/api/v1/notifications/{pk}", session_token, {"view": view})
    run.api("GET", "/api/v1/glip/messages", app_token)
    for pk in GlipMessage.objects.values_list("pk", flat=True):
        run.api("GET", f"/api/v1/glip/messages/{pk}", app_token)
    run.api("GET", "/api/v1/cancelations", session_token)
    for pk in Cancelation.objects.values_list("pk", flat=True):
        run.api("GET", f"/api/v1/cancelations/{pk}", app_token)

    pages: list[tuple[str, str]] = []

    def read(client, url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages.append((f"GET {url}", response.content.decode("utf-8", "replace")))

    staff = run.staff
    read(staff, "/admin/")
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        read(staff, reverse("admin:{}_{}_changelist".format(*info)))
        for pk in model_admin.get_queryset(_admin_request(staff)).values_list("pk", flat=True)[:40]:
            read(staff, reverse("admin:{}_{}_change".format(*info), args=[pk]))
    docs = Client()
    read(docs, "/documentation/")
    for slug in Route.objects.values_list("slug", flat=True):
        read(docs, reverse("documentation:route", args=[slug]))
    for name in LIST_ITEMS:
        read(docs, reverse("documentation:list-item", args=[name]))
    read(docs, "/api/schema")
    read(docs, "/api/docs")
    return pages


def _admin_request(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="sec-admin")
    return request


def _database_values():
    """(where, text) for every non-empty value of every column of every table."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None or isinstance(value, (bool, int, float)):
                        continue
                    if isinstance(value, (bytes, memoryview)):
                        text = bytes(value).decode("utf-8", "replace")
                    elif isinstance(value, str):
                        text = value
                    else:
                        text = json.dumps(value, default=str)
                    yield f"table {table}.{column}", text
