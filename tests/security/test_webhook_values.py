"""Every webhook field is checked like an API param (issue 25.6).

A bad event is refused (400, nothing stored); dates are kept within range (none
after now plus a day, none before 2000: a far-future event would also freeze a
record, since older events change nothing); no stored value can break an admin
page: after fuzzed webhook events every changelist and change page renders.
"""

import random
import string

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from messaging.models import MessagingClient, ProcessedWebhookEvent
from notifications.models import MandrillEvent
from tests.messaging.test_webhook import CLIENT_ID, event, post
from tests.notifications.test_webhook import KEY, _event, _post

pytestmark = pytest.mark.django_db

SC_SECRET = "whsec-test-only"


@pytest.fixture
def sc_secret(settings):
    settings.SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET = SC_SECRET


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user("ana", "ana@example.com", "x-Pass-123")


@pytest.fixture
def mandrill_key(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MANDRILL_WEBHOOK_KEY": KEY}


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("externalId", "²"),  # a digit to str.isdigit, not to int()
        ("externalId", "١٢"),  # Arabic-Indic digits
        ("externalId", "9" * 40),  # past a bigint
        ("createdAt", "9999-12-31T23:59:59-05:00"),  # year 10000 once in UTC
        ("createdAt", "2999-01-01T00:00:00Z"),  # far future: would freeze the client
        ("createdAt", "0001-01-01T00:00:00+01:00"),  # year 0 once in UTC
        ("linkedAt", "9999-12-31T23:59:59-05:00"),
        ("integrationId", "i" * 65),  # longer than the column
        ("conversation", "c" * 65),
        ("userId", "u" * 65),
    ],
)
def test_a_bad_sunshine_event_is_400_and_stores_nothing(client, person, sc_secret, where, value):
    ev = event("ev-1", "client:add", person, status="active")
    if where == "externalId":
        ev["payload"]["user"]["externalId"] = value
    elif where == "createdAt":
        ev["createdAt"] = value
    elif where == "linkedAt":
        ev["payload"]["client"]["linkedAt"] = value
    elif where == "integrationId":
        ev["payload"]["client"]["integrationId"] = value
    elif where == "conversation":
        ev["payload"]["conversation"] = {"id": value}
    elif where == "userId":
        ev["payload"]["user"]["id"] = value
    response = post(client, [ev], SC_SECRET)
    assert response.status_code == 400, response.content
    assert "Nothing was applied" in response.json()["message"]
    assert not MessagingClient.objects.exists() and not ProcessedWebhookEvent.objects.exists()


def test_a_sunshine_event_from_a_user_id_that_is_no_number_is_ignored(client, person, sc_secret):
    ev = event("ev-1", "client:add", person, status="active")
    ev["payload"]["user"]["externalId"] = "someone-else"
    response = post(client, [ev], SC_SECRET)
    assert response.status_code == 200, response.content
    assert not MessagingClient.objects.exists()


@pytest.mark.parametrize("ts", [253402300799, 4102444800])  # 9999-12-31; 2100-01-01
def test_a_future_mandrill_event_is_400(client, mandrill_key, ts):
    response = _post(client, [_event("open", "m1", ts=ts)])
    assert response.status_code == 400
    assert not MandrillEvent.objects.exists()


def _fuzzed_string(rng: random.Random, size: int) -> str:
    alphabet = string.printable + "²١٢ßé中😀\u202e\u200b<>\"'&%{}"
    return "".join(rng.choice(alphabet) for _ in range(size))


def test_no_fuzzed_webhook_event_breaks_an_admin_page(person, sc_secret, mandrill_key, staff_user):
    rng = random.Random(25)
    hook = Client()
    accepted = 0
    for n in range(60):
        ev = event(f"ev-{n}", rng.choice(["client:add", "client:update"]), person, status="active")
        client_part = ev["payload"]["client"]
        client_part["id"] = f"{CLIENT_ID[:-3]}{n:03d}"
        choice = rng.randrange(6)
        if choice == 0:
            client_part["integrationId"] = _fuzzed_string(rng, rng.randrange(1, 64))
        elif choice == 1:
            client_part["externalId"] = _fuzzed_string(rng, rng.randrange(1, 254))
        elif choice == 2:
            ev["payload"]["conversation"] = {"id": _fuzzed_string(rng, rng.randrange(1, 64))}
        elif choice == 3:
            ev["createdAt"] = rng.choice(
                ["2000-01-01T00:00:00Z", "2026-11-23T10:00:00+14:00", "2026-11-23T10:00:00-12:00"]
            )
        elif choice == 4:
            client_part["linkedAt"] = "2000-01-01T00:00:00-12:00"
        else:
            ev["payload"]["user"]["id"] = _fuzzed_string(rng, rng.randrange(1, 64))
        response = post(hook, [ev], SC_SECRET)
        assert response.status_code in (200, 400), response.content
        accepted += response.status_code == 200
    for n in range(40):
        mandrill = _event(
            rng.choice(["send", "open", "click", "hard_bounce", "reject"]),
            f"m{n}",
            notification_id=_fuzzed_string(rng, rng.randrange(1, 20)),
            email=_fuzzed_string(rng, rng.randrange(1, 80)),
            ts=rng.choice([0, 946684800, 1795000000]),
        )
        assert _post(hook, [mandrill]).status_code in (200, 400)
    assert accepted > 20 and MessagingClient.objects.exists()

    browser = Client(raise_request_exception=False)
    browser.force_login(staff_user)
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = browser.get(reverse(f"{prefix}_changelist"))
        assert changelist.status_code == 200, (model._meta.label, changelist.status_code)
        for pk in model_admin.get_queryset(changelist.wsgi_request).values_list("pk", flat=True)[:200]:
            page = browser.get(reverse(f"{prefix}_change", args=[pk]))
            assert page.status_code == 200, (model._meta.label, pk, page.status_code)
