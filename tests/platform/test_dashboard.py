"""The operations dashboard on the admin index: counts from real rows, a pinned query count."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cancelations.models import Cancelation, CancelationNoticeProblem
from notifications.models import Notification
from planocore import dashboard as dashboard_module
from planocore.outbox.models import ExternalRequest
from planocore.providers import ratelimit

pytestmark = pytest.mark.django_db

Status = ExternalRequest.Status


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _request(channel, status, *, days_ago=0, **fields):
    row = ExternalRequest.objects.create(channel=channel, status=status, payload={}, **fields)
    created = timezone.now() - timedelta(days=days_ago)
    ExternalRequest.objects.filter(pk=row.pk).update(created_at=created, updated_at=created)
    return row


def _rows():
    now = timezone.now()
    _request("sms", Status.SENT)
    _request("sms", Status.SENT)
    _request("sms", Status.FAILED)
    _request("sms", Status.RETRYING, attempts=2, next_attempt_at=now - timedelta(minutes=30))
    _request("sms", Status.SENT, days_ago=3)
    _request("email", Status.ABANDONED, days_ago=1, last_error="Mandrill said no: invalid address.")
    _request("email", Status.SENT, days_ago=20)  # outside the 14 days
    _request("glip", Status.QUEUED, next_attempt_at=now + timedelta(hours=1))  # waiting, not due
    Notification.objects.bulk_create(
        [
            Notification(
                notification_type="email",
                email_to="someone@example.com",
                email_subject="Your tour is ready",
                status="sent",
                provider_status="rejected",
                provider_failed_at=now - timedelta(hours=2),
            ),
            Notification(notification_type="email", email_to="fine@example.com", status="sent"),
        ]
    )


def test_admin_says_planocore(admin_client):
    html = admin_client.get("/admin/").content.decode()
    # (unfold's page skeleton puts a space before every title)
    assert re.search(r"<title>\s*Operations \| PlanoCore admin</title>", html)
    assert "PlanoCore" in html and "Django administration" not in html


def test_dashboard_counts_real_rows(admin_client):
    _rows()
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    board = response.context["dashboard"]
    channels = {c["channel"]: c for c in board["channels"]}
    # Callbacks to the applications are a channel too (issue 27's leftover).
    assert list(channels) == ["glip", "email", "sms", "mms", "conversation", "callback"]
    assert {k: channels["sms"]["today"][k] for k in ("sent", "failed", "waiting")} == {
        "sent": 2,
        "failed": 1,
        "waiting": 1,
    }
    assert len(channels["sms"]["days"]) == 14
    assert channels["sms"]["days"][-4]["sent"] == 1
    assert channels["sms"]["total"] == 5
    assert channels["email"]["days"][-2]["failed"] == 1 and channels["email"]["total"] == 1
    assert channels["mms"]["total"] == 0
    outbox = board["outbox"]
    assert (outbox["due"], outbox["retrying"], outbox["queued"], outbox["abandoned"], outbox["failed"]) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert timedelta(minutes=29) < outbox["oldest_due_age"] < timedelta(minutes=31)
    html = response.content.decode()
    # The charts (chart.js): a bar per day with its label, a dataset per channel on one scale.
    charts = {chart["kind"]: chart for chart in board["charts"]}
    assert list(charts) == ["sent", "failed"]
    sent, failed = json.loads(charts["sent"]["data"]), json.loads(charts["failed"]["data"])
    assert len(sent["labels"]) == 14 and sent["labels"][-1] == timezone.localdate().strftime("%a %-d %b")
    labels = [dataset["label"] for dataset in sent["datasets"]]
    assert labels == ["Glip", "Email", "SMS", "MMS", "Sunshine Conversations", "Application callback"]
    assert sent["datasets"][2]["data"][-1] == 2 and failed["datasets"][2]["data"][-1] == 1
    assert sent["datasets"][2]["data"][-4] == 1 and failed["datasets"][1]["data"][-2] == 1
    assert html.count('class="chart"') == 2 and 'id="dash-chart-failed"' in html
    options = json.loads(charts["sent"]["options"])
    assert options["scales"]["y"]["stacked"] and options["plugins"]["legend"]["display"]
    assert 'class="num outbox-due">1<' in html
    # The failures block: the failed and abandoned requests and the production notification, with links.
    failures = {block.title: block for block in board["failures"]}
    problems = failures["Outgoing requests failed or abandoned"]
    assert problems.list_url == "/admin/outbox/externalrequest/?problem=open"
    assert problems.count == 2
    assert [f.detail for f in problems.failures] == ["", "Mandrill said no: invalid address."]
    abandoned = problems
    production = next(b for t, b in failures.items() if t.startswith("Production notifications"))
    assert production.list_url == "/admin/notifications/productionnotification/?problem=open"
    assert production.count == 1
    assert [f.label for f in production.failures] == [
        f"#{Notification.objects.get(provider_status='rejected').pk} Your tour is ready"
    ]
    assert production.failures[0].url in html and abandoned.list_url in html


def test_dashboard_renders_when_empty(admin_client):
    response = admin_client.get("/admin/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "No provider calls counted this minute." in html
    # One "None." per failure source: outgoing requests, production notifications, cancelation notices.
    assert html.count('<p class="dash-empty">None.</p>') == 3
    assert 'class="num outbox-oldest">—<' in html


def test_dashboard_shows_provider_budgets(admin_client, monkeypatch):
    penalty = timezone.now() + timedelta(seconds=30)
    rows = [
        {
            "account": "rc-main",
            "group": "sms",
            "calls_last_minute": 7,
            "limit": 40,
            "remaining_reported": None,
            "penalty_until": None,
        },
        {
            "account": "rc-main",
            "group": "glip",
            "calls_last_minute": 3,
            "limit": 50,
            "remaining_reported": 2,
            "penalty_until": penalty,
        },
    ]
    monkeypatch.setattr(ratelimit, "budgets", lambda: rows)
    budgets = admin_client.get("/admin/").context["dashboard"]["budgets"]
    assert [b["left"] for b in budgets] == [33, 2]


def test_dashboard_query_count_is_pinned(admin_client, django_assert_max_num_queries):
    _rows()
    admin_client.get("/admin/")  # warm caches (content types, sessions)
    # session + user + charts + 5 outbox (2 state counts, due, sending past its lease, the sweep's
    # heartbeat) + provider budgets + 2 per failure source (a count and the latest; 3 sources:
    # outgoing requests, production notifications, cancelation notices not made) + the admin log:
    # 16 whatever the rows (10 before the counts of open problems and the sweep's heartbeat).
    with django_assert_max_num_queries(16):
        assert admin_client.get("/admin/").status_code == 200
    for _ in range(30):
        _request("sms", Status.ABANDONED, last_error="x")
    cancelation = Cancelation.objects.create(cancelable_type="Order", cancelable_id=1)
    CancelationNoticeProblem.objects.bulk_create(
        [CancelationNoticeProblem(cancelation=cancelation, transition="canceled", problem="x")] * 30
    )
    with django_assert_max_num_queries(16):
        assert admin_client.get("/admin/").status_code == 200


def test_staff_without_outbox_view_get_the_plain_index(client, django_user_model):
    user = django_user_model.objects.create_user("plain", password="plain-password-1", is_staff=True)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200 and "dashboard" not in response.context


def test_failure_sources_are_registered():
    assert list(dashboard_module.FAILURE_SOURCES)[:3] == [
        "request_problems",
        "production_notifications",
        "cancelation_notice_problems",
    ]
