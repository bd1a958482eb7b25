"""GET /api/v1/notifications (filters, cursor pages, views) and GET /api/v1/notifications/{id}."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from tests.notifications.conftest import EMAIL, URL

pytestmark = pytest.mark.django_db


def _make(**fields) -> Notification:
    return Notification.objects.create(**fields)


def test_filters(api):
    a = _make(key="a", status="sent", notification_type="email", user_id="1", olio_id="O1", processed=1)
    b = _make(key="b", status="failed", notification_type="sms", user_id="2", tour_id="T2", client_id="C2")
    c = _make(key="c", status="sent", notification_type="", user_id="1")

    def ids(**params):
        code, body = api.get(URL, params)
        assert code == 200, body
        return [row["id"] for row in body["data"]]

    assert ids() == [c.pk, b.pk, a.pk]
    assert ids(key="b") == [b.pk]
    assert ids(status="sent") == [c.pk, a.pk]
    assert ids(notification_type="sms") == [b.pk]
    assert ids(notification_type="email") == [a.pk]
    assert ids(user_id="1") == [c.pk, a.pk]
    assert ids(olio_id="O1") == [a.pk]
    assert ids(tour_id="T2") == [b.pk]
    assert ids(client_id="C2") == [b.pk]
    assert ids(processed=1) == [a.pk]
    assert ids(processed=0) == [c.pk, b.pk]


def test_created_range(api):
    old = _make(key="old")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    new = _make(key="new")
    since = (timezone.now() - timedelta(days=1)).isoformat()

    code, body = api.get(URL, {"created_after": since})
    assert [r["id"] for r in body["data"]] == [new.pk]
    code, body = api.get(URL, {"created_before": since})
    assert [r["id"] for r in body["data"]] == [old.pk]
    code, body = api.get(URL, {"created_after": "last week"})
    assert (code, body["status"]) == (400, "invalid-param") and "created_after" in body["errors"]


def test_cursor_pages_forward_and_back(api):
    made = [_make(key=f"n{i}").pk for i in range(5)]
    newest_first = made[::-1]

    code, first = api.get(URL, {"page[size]": 2})
    assert [r["id"] for r in first["data"]] == newest_first[:2]
    assert first["meta"] == {"page_size": 2, "has_more": True} and first["links"]["prev"] is None
    code, second = api.get(first["links"]["next"])
    assert [r["id"] for r in second["data"]] == newest_first[2:4]
    code, third = api.get(second["links"]["next"])
    assert [r["id"] for r in third["data"]] == newest_first[4:]
    assert third["links"]["next"] is None
    code, back = api.get(third["links"]["prev"])
    assert [r["id"] for r in back["data"]] == newest_first[2:4]


def test_bad_cursor_and_page_size(api):
    code, body = api.get(URL, {"page[after]": "garbage!"})
    assert (code, body["status"]) == (400, "invalid-param") and "page[after]" in body["errors"]
    code, body = api.get(URL, {"page[size]": 1000})
    assert (code, body["status"]) == (400, "invalid-param") and "page[size]" in body["errors"]


def test_list_views_and_unknown_view(api, notify):
    notify(EMAIL)
    code, body = api.get(URL, {"view": "default-with-proof"})
    assert body["data"][0]["proof"][0]["channel"] == "email"
    code, body = api.get(URL, {"view": "internal-applications-view"})
    assert "updated_in" in body["data"][0] and "email_to" not in body["data"][0]
    code, body = api.get(URL, {"view": "nope"})
    assert (code, body["status"]) == (400, "invalid-param") and "view" in body["errors"]


def test_list_query_count_does_not_grow_with_rows(api, notify, django_assert_max_num_queries):
    for _ in range(3):
        notify(EMAIL)
    api.get(URL)
    with django_assert_max_num_queries(3):
        code, body = api.get(URL, {"view": "default-with-proof"})
    assert code == 200 and len(body["data"]) == 3 and all(row["proof"] for row in body["data"])


def test_detail(api, notify):
    notify(EMAIL)
    notification = Notification.objects.get()

    code, body = api.get(f"{URL}/{notification.pk}", {"view": "default-with-proof"})
    assert code == 200 and body["data"]["id"] == notification.pk and len(body["data"]["proof"]) == 1
    code, body = api.get(f"{URL}/{notification.pk}/", {"view": "internal-applications-view"})
    assert code == 200 and set(body["data"]) >= {"created_at_fm", "processed", "processed_at"}
    code, body = api.get(f"{URL}/{notification.pk + 1000}")
    assert (code, body["status"]) == (400, "invalid-param") and "id" in body["errors"]
    code, body = api.get(f"{URL}/{notification.pk}", {"view": "bogus"})
    assert (code, body["status"]) == (400, "invalid-param")


def test_reading_needs_the_view_permission(api, make_app_token):
    token = make_app_token(permissions=["notifications.add_notification"])
    code, body = api.get(URL, token=token)
    assert (code, body["status"]) == (403, "permission-denied")
