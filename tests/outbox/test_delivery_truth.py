"""One truth about delivery (issue 23): states staff can trust, failures that clear, a sweep that is watched.

A record's state is its latest outgoing request's; a resend supersedes the older
requests; problems stay open until a later send or staff resolve them; the sweep
leaves a heartbeat that the dashboard and /healthz read.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification, ProductionNotification
from notifications.services import notification_create, notification_resend
from planocore.dashboard import dashboard
from planocore.delivery import DeliveryState
from planocore.outbox import services
from planocore.outbox.models import ExternalRequest, SandboxFailure, SweepHeartbeat

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:outbox_externalrequest_changelist"


def _switch(channel: str, mode: str) -> None:
    SandboxFailure.ensure_all()
    SandboxFailure.objects.filter(channel=channel).update(mode=mode)
    SandboxFailure.objects.get(channel=channel).save()  # drops the cached switches


@pytest.fixture
def failed_email(fresh_clone, django_capture_on_commit_callbacks):
    """An email notification whose one send the sandbox refused (permanent): a problem."""
    _switch("email", SandboxFailure.Mode.PERMANENT)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_create(
            data={"notification_type": "email", "email_to": "ann@example.com", "email_subject": "Tour ready"}
        )
    notification.refresh_from_db()
    assert notification.status == DeliveryState.FAILED and notification.provider_failed_at is not None
    _switch("email", SandboxFailure.Mode.OFF)
    return notification


def _resend(notification, capture) -> ExternalRequest:
    with capture(execute=True):
        request = notification_resend(notification=Notification.objects.get(pk=notification.pk))
    request.refresh_from_db()
    return request


def _failure_blocks() -> dict:
    return {block.title: block for block in dashboard()["failures"]}


def test_resend_then_abandon_the_old_request_leaves_the_notification_sent(
    failed_email, api, admin_client, django_capture_on_commit_callbacks
):
    old = failed_email.outgoing_requests.get()
    new = _resend(failed_email, django_capture_on_commit_callbacks)
    assert new.status == DeliveryState.SENT
    old.refresh_from_db()
    assert old.superseded_by_id == new.pk and new.supersedes
    assert old.resolved_at is not None and old.resolution == f"Sent by request #{new.pk}."

    count, refusals = services.abandon_requests(queryset=ExternalRequest.objects.filter(pk=old.pk))
    assert count == 1
    old.refresh_from_db()
    assert old.status == DeliveryState.ABANDONED

    # The API, the admin and the dashboard all still say sent.
    code, body = api.get(f"/api/v1/notifications/{failed_email.pk}")
    assert code == 200 and body["data"]["status"] == "sent"
    assert Notification.objects.get(pk=failed_email.pk).processed == 1
    page = admin_client.get(reverse("admin:notifications_notification_change", args=[failed_email.pk]))
    assert 'class="state-badge state-sent"' in page.content.decode()
    outbox = dashboard()["outbox"]
    assert outbox["abandoned"] == 0 and outbox["failed"] == 0  # resolved: not a problem
    assert all(f.label.split()[0] != f"#{old.pk}" for b in dashboard()["failures"] for f in b.failures)


def test_retrying_a_superseded_request_is_refused_naming_its_replacement(
    failed_email, admin_client, django_capture_on_commit_callbacks
):
    old = failed_email.outgoing_requests.get()
    new = _resend(failed_email, django_capture_on_commit_callbacks)
    count, refusals = services.retry_requests(queryset=ExternalRequest.objects.filter(pk=old.pk))
    assert count == 0 and refusals.superseded == {old.pk: new.pk}
    response = admin_client.post(
        reverse(CHANGELIST), {"action": "retry_now", "_selected_action": [old.pk]}, follow=True
    )
    shown = [str(m) for m in response.context["messages"]]
    assert f"Left alone: #{old.pk} was replaced by request #{new.pk}: act on #{new.pk} instead." in shown
    old.refresh_from_db()
    assert old.status == DeliveryState.FAILED  # untouched


def test_a_successful_resend_clears_the_failure_and_a_filter_finds_it_resolved(
    failed_email, admin_client, django_capture_on_commit_callbacks
):
    production = reverse("admin:notifications_productionnotification_changelist")
    blocks = _failure_blocks()
    assert blocks["Production notifications (emails refused, failed or bounced)"].count == 1
    assert blocks["Outgoing requests failed or abandoned"].count == 1
    assert "Tour ready" in admin_client.get(production).content.decode()

    _resend(failed_email, django_capture_on_commit_callbacks)

    blocks = _failure_blocks()
    assert blocks["Production notifications (emails refused, failed or bounced)"].count == 0
    assert blocks["Outgoing requests failed or abandoned"].count == 0
    assert blocks["Production notifications (emails refused, failed or bounced)"].failures == []
    assert "Tour ready" not in admin_client.get(production).content.decode()  # opens on open problems
    assert "Tour ready" not in admin_client.get(production + "?problem=open").content.decode()
    # Nothing deleted: the resolved problem is one filter away, with how it was resolved.
    resolved = admin_client.get(production + "?problem=resolved")
    assert "Tour ready" in resolved.content.decode()
    notification = Notification.objects.get(pk=failed_email.pk)
    assert notification.resolved_at is not None and notification.resolution.startswith("Sent by request #")
    requests = admin_client.get(reverse(CHANGELIST) + "?problem=resolved").context["cl"].result_list
    assert [r.pk for r in requests] == [failed_email.outgoing_requests.order_by("pk").first().pk]


def test_staff_mark_a_problem_handled_with_who_when_and_a_note(failed_email, admin_client, staff_user):
    # The action asks for a note first, then resolves the notification and its failed request.
    url = reverse("admin:notifications_productionnotification_changelist")
    asked = admin_client.post(
        url + "?problem=open", {"action": "mark_handled", "_selected_action": [failed_email.pk]}
    )
    assert asked.status_code == 200 and 'name="note"' in asked.content.decode()
    admin_client.post(
        url + "?problem=open",
        {
            "action": "mark_handled",
            "_selected_action": [failed_email.pk],
            "apply": "1",
            "note": "Address fixed in planoorder; customer called.",
        },
    )
    notification = Notification.objects.get(pk=failed_email.pk)
    request = notification.outgoing_requests.get()
    for record in (notification, request):
        assert record.resolved_at is not None
        assert record.resolved_by.username == "admin"
        assert record.resolution == "Address fixed in planoorder; customer called."
    assert notification.status == DeliveryState.FAILED  # still not sent: the truth
    assert not ProductionNotification.objects.filter(pk=notification.pk, resolved_at__isnull=True).exists()
    assert dashboard()["outbox"]["failed"] == 0


def test_a_stopped_sweep_shows_on_the_dashboard_and_in_healthz(client, admin_client, settings):
    ExternalRequest.objects.create(
        channel="sms", payload={"to": ["+12125550100"], "text": "hi"}, next_attempt_at=timezone.now()
    )
    SweepHeartbeat.objects.create(name="outbox", ran_at=timezone.now() - timedelta(minutes=5))
    assert client.get("/healthz").json()["sweep"] == "stalled"
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="sweep-stalled"' in html and "no sweep has run" in html

    services.process_due()  # a sweep runs: it leaves a heartbeat, and the work is done
    beat = SweepHeartbeat.objects.get(name="outbox")
    assert timezone.now() - beat.ran_at < timedelta(seconds=30) and beat.sent == 1
    assert client.get("/healthz").json()["sweep"] == "ok"
    assert 'id="sweep-stalled"' not in admin_client.get(reverse("admin:index")).content.decode()


def test_every_dashboard_number_links_to_exactly_the_rows_it_counts(admin_client):
    now = timezone.now()
    make = ExternalRequest.objects.create
    make(channel="sms", status="queued", next_attempt_at=now + timedelta(hours=1))  # queued, not due
    make(channel="sms", status="queued", next_attempt_at=now - timedelta(seconds=5))  # queued, due
    make(channel="sms", status="retrying", attempts=1, next_attempt_at=now + timedelta(minutes=5))
    make(channel="sms", status="sending", attempts=1, leased_until=now - timedelta(seconds=1))  # due again
    make(channel="email", status="failed", attempts=1)
    make(channel="email", status="failed", attempts=1, resolved_at=now, resolution="done")
    make(channel="glip", status="abandoned", attempts=8)
    make(channel="glip", status="sent", attempts=1)
    html = admin_client.get(reverse("admin:index")).content.decode()
    # (a state's link holds its badge: any markup up to </a>)
    rows = re.findall(
        r'<a href="([^"]+)">((?:(?!</a>).)*)</a></th><td class="num outbox-(\w+)">(\d+)</td>', html, re.S
    )
    assert {key for _, _, key, _ in rows} == {"due", "queued", "sending", "retrying", "failed", "abandoned"}
    for href, _, key, shown in rows:
        listed = admin_client.get(href.replace("&amp;", "&")).context["cl"].result_count
        assert listed == int(shown), f"{key}: dashboard {shown}, list {listed}"
    counts = {key: int(shown) for _, _, key, shown in rows}
    assert counts == {"due": 2, "queued": 2, "sending": 1, "retrying": 1, "failed": 1, "abandoned": 1}
    today = re.findall(r'<a href="([^"]+)"[^>]*><strong class="today-(\w+)">(\d+)</strong>', html)
    assert len(today) == 3 * 6  # sent, failed, waiting for each channel (the five providers and callbacks)
    for href, kind, shown in today:
        listed = admin_client.get(href.replace("&amp;", "&")).context["cl"].result_count
        assert listed == int(shown), f"today {kind}: dashboard {shown}, list {listed} ({href})"
    assert sum(int(shown) for _, _, shown in today) == ExternalRequest.objects.count()
    blocks = re.findall(r'<h3[^>]*><a href="([^"]+)">[^<]*<span class="failure-count">(\d+)</span>', html)
    assert blocks
    for href, shown in blocks:
        listed = admin_client.get(href.replace("&amp;", "&")).context["cl"].result_count
        assert listed == int(shown), f"{href}: dashboard {shown}, list {listed}"
