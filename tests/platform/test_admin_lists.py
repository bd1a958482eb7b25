"""Admin lists that work for people: the outbox's recipient, source and error; searches by
recipient, subject, team, cancelable type and note; their trigram indexes on PostgreSQL."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cancelations.models import Cancelation
from glip.models import GlipMessage, GlipTeam
from notifications.models import Notification
from planocore.admin_display import short_datetime, shortened
from planocore.outbox.models import ExternalRequest
from planocore.outbox.services import enqueue, recipient_of

pytestmark = pytest.mark.django_db

OUTBOX = "admin:outbox_externalrequest_changelist"


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _found(response) -> list[int]:
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["cl"].result_list)


def test_shortened_keeps_the_whole_value_on_hover():
    assert shortened("short", 10) == "short"
    assert shortened("a-very-long-provider-id", 8) == '<span title="a-very-long-provider-id">a-very-…</span>'
    assert (
        shortened('<b>"x"</b> and more', 5)
        == '<span title="&lt;b&gt;&quot;x&quot;&lt;/b&gt; and more">&lt;b&gt;&quot;…</span>'
    )
    assert short_datetime(None) == "—"
    # To the second, the admin's one format (issue 24: retries happen in seconds).
    assert ">2026-03-04 05:06:00</time>" in short_datetime(datetime(2026, 3, 4, 5, 6, tzinfo=UTC))


def test_recipient_of_each_payload():
    assert recipient_of({"to": ["a@example.com", "b@example.com"]}) == "a@example.com, b@example.com"
    assert recipient_of({"to": ["+12125550100"], "text": "hi"}) == "+12125550100"
    assert recipient_of({"chat_id": "123", "text": "hi"}) == "chat 123"
    assert recipient_of({"user_id": "u-1", "conversation_id": "c-1"}) == "user u-1"
    assert recipient_of({}) == ""


def test_outbox_list_shows_recipient_source_and_last_error(admin_client, django_assert_max_num_queries):
    team = GlipTeam.objects.create(name="Editors", chat_id="chat-77")
    message = GlipMessage.objects.create(team=team, text="hello")
    request = ExternalRequest.objects.get(object_id=str(message.pk), channel="glip")
    ExternalRequest.objects.filter(pk=request.pk).update(status="failed", attempts=3, last_error="x" * 200)
    for n in range(5):
        enqueue(channel="sms", payload={"to": [f"+1212555010{n}"], "text": "hi"}, dispatch=False)
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(OUTBOX))
    html = response.content.decode()
    assert "Editors (chat chat-77)" in html
    assert f'<a href="/admin/glip/glipmessage/{message.pk}/change/">Glip message #{message.pk}</a>' in html
    # The state as its badge (planocore.delivery's colour and meaning), then the tries.
    assert '<span class="state-badge state-failed" data-colour="danger"' in html
    assert re.search(
        r'title="The provider refused it[^"]*">\s*Failed\s*</span></span> <span class="text-xs">\(3 tries\)',
        html,
    )
    assert f'<span title="{"x" * 200}">{"x" * 23}…</span>' in html  # cut to 24 (one line at 1366 px)
    assert "+12125550103" in html


def test_outbox_search_by_recipient_and_provider_message_id(admin_client):
    team = GlipTeam.objects.create(name="Photographers North", chat_id="chat-9")
    glip = ExternalRequest.objects.get(object_id=str(GlipMessage.objects.create(team=team, text="hi").pk))
    email = enqueue(
        channel="email", payload={"to": ["Client.One@Example.com", "office@example.com"]}, dispatch=False
    )
    sms = enqueue(channel="sms", payload={"to": ["+12125550100"], "text": "hi"}, dispatch=False)
    ExternalRequest.objects.filter(pk=sms.pk).update(provider_message_id="rc-5551")
    url = reverse(OUTBOX)
    assert _found(admin_client.get(url, {"q": "client.one@example"})) == [email.pk]  # any case, part
    assert _found(admin_client.get(url, {"q": "office@example.com"})) == [email.pk]
    assert _found(admin_client.get(url, {"q": "2125550100"})) == [sms.pk]
    assert _found(admin_client.get(url, {"q": "photographers"})) == [glip.pk]
    assert _found(admin_client.get(url, {"q": "rc-5551"})) == [sms.pk]
    # The provider's id by its start (issue 24), not by any part of it.
    assert _found(admin_client.get(url, {"q": "rc-555"})) == [sms.pk]
    assert _found(admin_client.get(url, {"q": "c-5551"})) == []
    assert _found(admin_client.get(url, {"q": "nobody@example.com"})) == []


def test_notifications_search_by_subject_and_team(admin_client):
    subject, team, other = Notification.objects.bulk_create(
        [
            Notification(notification_type="email", email_subject="Your tour of 12 Elm Street is ready"),
            Notification(notification_type="glip", team_name="Editors North"),
            Notification(notification_type="email", email_subject="Invoice", key="k-1"),
        ]
    )
    url = reverse("admin:notifications_notification_changelist")
    assert _found(admin_client.get(url, {"q": "elm street"})) == [subject.pk]
    assert _found(admin_client.get(url, {"q": "editors"})) == [team.pk]
    assert _found(admin_client.get(url, {"q": "k-1"})) == [other.pk]


def test_cancelations_search_by_type_and_note(admin_client):
    order, tour = Cancelation.objects.bulk_create(
        [
            Cancelation(cancelable_type="Order", cancelable_id=1, reason_note="The client moved away"),
            Cancelation(
                cancelable_type="Tour",
                cancelable_id=2,
                key="tour-2",
                active=False,
                reinstated_at=timezone.now(),
                reinstated_note="Rebooked by phone",
            ),
        ]
    )
    url = reverse("admin:cancelations_cancelation_changelist")
    assert _found(admin_client.get(url, {"q": "order"})) == [order.pk]
    assert _found(admin_client.get(url, {"q": "Tour"})) == [tour.pk]
    assert _found(admin_client.get(url, {"q": "moved away"})) == [order.pk]
    assert _found(admin_client.get(url, {"q": "REBOOKED"})) == [tour.pk]
    assert _found(admin_client.get(url, {"q": "2"})) == [tour.pk]  # the canceled record's id (or the key)


def test_glip_message_is_titled_by_team_name():
    team = GlipTeam.objects.create(name="Editors", chat_id="chat-1")
    message = GlipMessage(team=team, text="hi", status="queued", pk=5)
    assert str(message) == "Glip message #5 to Editors (queued)"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_search_columns_have_trigram_indexes_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%trgm%%'")
        indexes = dict(cursor.fetchall())
    assert set(indexes) == {
        "outbox_recipient_trgm_idx",
        "notif_subject_trgm_idx",
        "notif_team_trgm_idx",
        "notif_email_to_trgm_idx",
        "cancelation_key_trgm_idx",
        "cancelation_reason_note_trgm_idx",
        "cancelation_reinstated_note_trgm_idx",
    }
    # GiST, not GIN: see planocore/db_operations.py and notifications migration 0005.
    for definition in indexes.values():
        assert "USING gist (upper(" in definition and "gist_trgm_ops (siglen='128')" in definition


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_substring_searches_are_served_by_their_trigram_indexes(admin_client):
    """The index expression is the one Django's icontains emits, so the planner can use it."""
    (notification,) = Notification.objects.bulk_create(
        [Notification(notification_type="email", email_subject="Your tour 777 is ready")]
    )
    request = enqueue(channel="email", payload={"to": ["client779@example.com"]}, dispatch=False)
    (cancelation,) = Cancelation.objects.bulk_create(
        [
            Cancelation(
                cancelable_type="Order",
                cancelable_id=783,
                reason_note="Client moved the shoot 783 to next month",
            )
        ]
    )
    notes = [
        "cancelation_key_trgm_idx",
        "cancelation_reason_note_trgm_idx",
        "cancelation_reinstated_note_trgm_idx",
    ]
    searches = [
        (
            "admin:notifications_notification_changelist",
            "TOUR 777 is",
            notification,
            ["notif_subject_trgm_idx", "notif_email_to_trgm_idx"],  # part of an address too
        ),
        # The recipient by substring, the provider message id by its start (its pattern index).
        (OUTBOX, "client779@", request, ["outbox_recipient_trgm_idx", "outbox_provider_prefix_idx"]),
        ("admin:cancelations_cancelation_changelist", "shoot 783 TO", cancelation, notes),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: make the planner show what it can use
    for url_name, term, row, index_names in searches:
        response = admin_client.get(reverse(url_name), {"q": term})
        assert _found(response) == [row.pk]
        changelist = response.context["cl"]
        assert changelist.result_count == 1
        queryset, _ = changelist.model_admin.get_search_results(
            response.wsgi_request, type(row).objects.order_by(), term
        )
        plan = queryset.explain()
        assert all(f"Bitmap Index Scan on {name}" in plan for name in index_names), plan


def test_api_messages_in_the_admins_words():
    from planocore.api.exceptions import in_admin_words

    labels = {"email_to": "Email to", "sc_user_id": "SC user id"}
    assert (
        in_admin_words("The param `email_to` is required for email notifications.", labels)
        == "Email to is required for email notifications."
    )
    assert in_admin_words("the param `reason_id` is required to create a cancelation.", labels) == (
        "Reason id is required to create a cancelation."
    )
    assert in_admin_words("Give `email_to` or `sc_user_id`.", labels) == "Give email to or SC user id."
    assert in_admin_words("use an http or https URL.", labels) == "Use an http or https URL."


def test_outbox_priority_filter_has_fixed_choices(admin_client):
    low = enqueue(channel="sms", payload={"to": ["+12125550100"]}, dispatch=False)
    high = enqueue(channel="glip", payload={"chat_id": "1"}, priority=5, dispatch=False)
    url = reverse(OUTBOX)
    assert _found(admin_client.get(url, {"priority": "low"})) == [low.pk]
    assert _found(admin_client.get(url, {"priority": "high"})) == [high.pk]
