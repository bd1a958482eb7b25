"""The notifications admin and the production notifications screen."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from planocore.outbox.models import ExternalRequest
from tests.notifications.conftest import EMAIL, URL

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:notifications_notification_changelist"
ADMIN_EMAIL = {
    "notification_type": "email",
    "email_to": "ann@example.com",
    "outbox-externalrequest-content_type-object_id-TOTAL_FORMS": "0",
    "outbox-externalrequest-content_type-object_id-INITIAL_FORMS": "0",
}


@pytest.fixture
def staff(client, staff_user):
    client.force_login(staff_user)
    return client


def test_changelist_filters_search_and_drill_down(staff, notify):
    notify(EMAIL)
    notify({**EMAIL, "key": "other-key", "email_to": "zed@example.com"})
    old = Notification.objects.create(key="old", notification_type="")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    url = reverse(CHANGELIST)

    page = staff.get(url)
    assert page.status_code == 200
    assert page.context["cl"].result_count == 3
    assert b"tour-ready" in page.content and b"other-key" in page.content

    assert staff.get(url, {"q": "zed@example"}).context["cl"].result_count == 1
    assert staff.get(url, {"q": "other-key"}).context["cl"].result_count == 1
    assert staff.get(url, {"notification_type__exact": "email"}).context["cl"].result_count == 2
    assert staff.get(url, {"status": "sent"}).context["cl"].result_count == 2
    assert staff.get(url, {"processed__exact": "0"}).context["cl"].result_count == 1
    this_year = staff.get(url, {"created_at__year": str(timezone.now().year)})
    assert this_year.context["cl"].result_count == 2
    assert f"created_at__month={timezone.now().month}".encode() in this_year.content


@pytest.mark.parametrize(
    "per_page,small_list",
    [(50, 1000), (1, 1000), (1, 0)],
    ids=["dates-of-the-page", "dates-of-few-rows", "indexed-probes"],
)
def test_drill_down_links_only_buckets_with_rows(staff, monkeypatch, per_page, small_list):
    from notifications.admin import NotificationAdmin
    from planocore.templatetags import planocore_admin as notifications_admin

    monkeypatch.setattr(notifications_admin, "SMALL_LIST", small_list)
    monkeypatch.setattr(NotificationAdmin, "list_per_page", per_page)
    first = Notification.objects.create(key="a")
    second = Notification.objects.create(key="b")
    now = timezone.now()
    Notification.objects.filter(pk=first.pk).update(created_at=now.replace(year=now.year - 2))
    Notification.objects.filter(pk=second.pk).update(created_at=now)

    with CaptureQueriesContext(connection) as queries:
        page = staff.get(reverse(CHANGELIST))

    content = page.content.decode()
    assert f"created_at__year={now.year - 2}" in content and f"created_at__year={now.year}" in content
    assert f"created_at__year={now.year - 1}" not in content
    # Indexed probes only: no DISTINCT over the dates of every row.
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]


def test_a_search_that_fits_on_one_page_reads_the_list_once_for_its_rows_and_dates(staff):
    Notification.objects.bulk_create(
        [
            Notification(notification_type="email", email_subject="Your tour 777 is ready"),
            Notification(notification_type="email", email_subject="Your tour 778 is ready"),
        ]
    )
    with CaptureQueriesContext(connection) as queries:
        page = staff.get(reverse(CHANGELIST), {"q": "tour 777 is"})

    assert page.context["cl"].result_count == 1
    assert [row.email_subject for row in page.context["cl"].result_list] == ["Your tour 777 is ready"]
    assert f"created_at__year={timezone.now().year}".encode() in page.content
    searches = [q["sql"] for q in queries.captured_queries if "LIKE" in q["sql"].upper()]
    # The capped count and the rows; the drill-down's dates come from the rows.
    assert len(searches) == 2, searches


def _rows_query(queries) -> str:
    """The page's rows query: the ordered search."""
    (rows,) = [q["sql"] for q in queries.captured_queries if "LIKE" in q["sql"] and "ORDER BY" in q["sql"]]
    return rows


def test_a_search_sorts_few_matches_and_walks_the_primary_key_for_many(staff, monkeypatch):
    from django.contrib import admin

    from planocore import admin_display

    monkeypatch.setattr(admin_display, "COUNT_CAP", 3)
    monkeypatch.setattr(admin.site._registry[Notification], "list_per_page", 2)
    made = Notification.objects.bulk_create(
        [Notification(notification_type="email", email_subject=f"Your tour {n} is ready") for n in range(5)]
    )
    newest = sorted(n.pk for n in made)[-2:][::-1]

    with CaptureQueriesContext(connection) as queries:
        page = staff.get(reverse(CHANGELIST), {"q": "ready"})
    # More matches than the count's cap: newest first by the primary key, no sort of every match.
    assert [n.pk for n in page.context["cl"].result_list] == newest
    assert "+ 0" not in _rows_query(queries)

    with CaptureQueriesContext(connection) as queries:
        page = staff.get(reverse(CHANGELIST), {"q": "tour 3 is"})
    # Few matches: fetched through the indexes and sorted (`id + 0`).
    assert [n.email_subject for n in page.context["cl"].result_list] == ["Your tour 3 is ready"]
    assert "+ 0" in _rows_query(queries)


def test_change_page_shows_the_outgoing_requests_with_proof(staff, notify):
    notify(EMAIL)
    notification = Notification.objects.get()
    request = ExternalRequest.objects.get()

    page = staff.get(reverse("admin:notifications_notification_change", args=[notification.pk]))

    assert page.status_code == 200
    assert request.provider_message_id.encode() in page.content
    assert b"outgoing requests (proof)" in page.content.lower() and b"sandbox" in page.content


def test_add_in_the_admin_dispatches(staff, django_capture_on_commit_callbacks):
    data = {
        "notification_type": "email",
        "email_to": "ann@example.com",
        "email_subject": "From the admin",
        "outbox-externalrequest-content_type-object_id-TOTAL_FORMS": "0",
        "outbox-externalrequest-content_type-object_id-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("admin:notifications_notification_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert ExternalRequest.objects.get().payload["subject"] == "From the admin"
    assert Notification.objects.get().processed == 1


def test_an_edit_in_the_admin_is_saved_and_sends_nothing(staff, django_capture_on_commit_callbacks):
    data = {**ADMIN_EMAIL, "email_subject": "From the admin"}
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("admin:notifications_notification_add"), data)
    notification = Notification.objects.get()
    url = reverse("admin:notifications_notification_change", args=[notification.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, {**data, "email_subject": "Corrected", "key": "k-1"})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    notification.refresh_from_db()
    assert (notification.email_subject, notification.key) == ("Corrected", "k-1")
    assert ExternalRequest.objects.count() == 1  # the edit sent nothing


def test_admin_form_refuses_what_cannot_be_sent(staff):
    data = {
        "notification_type": "email",
        "email_to": "not-an-address",
        "email_subject": "x",
        "outbox-externalrequest-content_type-object_id-TOTAL_FORMS": "0",
        "outbox-externalrequest-content_type-object_id-INITIAL_FORMS": "0",
    }
    response = staff.post(reverse("admin:notifications_notification_add"), data)
    assert response.status_code == 200
    assert "email_to" in response.context["adminform"].form.errors
    assert not Notification.objects.exists()


def test_actions_resend_and_mark_processed(staff, django_capture_on_commit_callbacks):
    unsent = Notification.objects.create(key="fm", notification_type="")
    with django_capture_on_commit_callbacks(execute=True):
        sent = Notification.objects.create(
            notification_type="email", email_to="a@example.com", email_body="b"
        )
    url = reverse(CHANGELIST)

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {"action": "resend", "_selected_action": [sent.pk]})
    assert ExternalRequest.objects.filter(object_id=str(sent.pk), status="sent").count() == 2

    staff.post(url, {"action": "mark_processed", "_selected_action": [unsent.pk]})
    unsent.refresh_from_db()
    assert unsent.processed == 1 and unsent.processed_at is not None


def test_production_notifications_list_mandrill_failures_with_links(staff, api, mandrill_fake):
    mandrill_fake.reject("ann@example.com")
    mandrill_fake.reject("bob@example.com")
    mandrill_fake.reject("cc@example.com")
    api.post(URL, {**EMAIL, "key": "refused"})
    mandrill_fake.reset()
    api.post(URL, {**EMAIL, "key": "fine"})
    refused = Notification.objects.get(key="refused")
    request = ExternalRequest.objects.get(object_id=str(refused.pk))

    page = staff.get(reverse("admin:notifications_productionnotification_changelist"))

    assert page.status_code == 200
    assert [n.pk for n in page.context["cl"].result_list] == [refused.pk]
    content = page.content.decode()
    assert reverse("admin:notifications_notification_change", args=[refused.pk]) in content
    assert "refused every recipient" in content and f"#{request.pk}" in content


def test_search_by_id_phone_and_address(staff):
    sms = Notification.objects.create(key="a", phone_to="+15550002222", olio_id="OL-9")
    mail = Notification.objects.create(key="b", email_to="Ann <ann@example.com>", user_id="u-77")
    url = reverse(CHANGELIST)

    def found(term):
        return {n.pk for n in staff.get(url, {"q": term}).context["cl"].result_list}

    assert found(str(sms.pk)) == {sms.pk}
    assert found("+15550002222") == {sms.pk}
    assert found("OL-9") == {sms.pk}
    assert found("u-77") == {mail.pk}
    assert found("ann@example") == {mail.pk}
    # Part of an address without "@" too (issue 24), from three characters on.
    assert found("ann") == {mail.pk}
    assert found("example.com") == {mail.pk}
    assert found("an") == set()


def test_capped_count(monkeypatch, db):
    from django.db import connection

    from planocore import admin_display

    for i in range(5):
        Notification.objects.create(key=f"k{i}")
    monkeypatch.setattr(admin_display, "COUNT_CAP", 3)
    paginator = admin_display.CappedCountPaginator(Notification.objects.order_by("-id"), 2)
    if connection.vendor == "postgresql":
        assert paginator.count >= 4  # the planner's estimate, never below what was counted
    else:
        assert paginator.count == 4  # counted up to the cap + 1
    exact = admin_display.CappedCountPaginator(Notification.objects.filter(key="k1"), 2)
    assert exact.count == 1


def test_admin_form_errors_are_in_the_admins_words(staff):
    data = {
        "notification_type": "email",
        "outbox-externalrequest-content_type-object_id-TOTAL_FORMS": "0",
        "outbox-externalrequest-content_type-object_id-INITIAL_FORMS": "0",
    }
    response = staff.post(reverse("admin:notifications_notification_add"), data)
    errors = response.context["adminform"].form.errors
    assert errors["email_to"] == ["Email to is required for email notifications."]
    assert errors["email_subject"] == ["An email notification needs email subject or email body."]
    assert "`" not in response.content.decode().split('id="content"')[1]
    assert not Notification.objects.exists()
