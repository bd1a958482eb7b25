"""Params the fuzz run (tests/fuzz) found crashing: numbers past a bigint, non-ASCII digits."""

import base64

import pytest

from notifications.models import Notification
from tests.notifications.conftest import URL

pytestmark = pytest.mark.django_db

PAST_BIGINT = 2**63


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_notifyable_id_past_a_bigint_is_invalid(api):
    code, body = api.post(URL, {"key": "k", "notifyable_type": "Order", "notifyable_id": PAST_BIGINT})
    assert (code, body["status"]) == (400, "invalid-param")
    assert list(body["errors"]) == ["notifyable_id"]
    assert not Notification.objects.exists()


def test_largest_notifyable_id_is_stored(api):
    code, body = api.post(URL, {"key": "k", "notifyable_type": "Order", "notifyable_id": PAST_BIGINT - 1})
    assert code == 200, body
    assert Notification.objects.get().notifyable_id == PAST_BIGINT - 1


@pytest.mark.parametrize("user_id", ["²", "٣", str(PAST_BIGINT)])
def test_conversation_user_id_that_is_no_user_id_is_invalid(api, user_id):
    code, body = api.post(URL, {"notification_type": "conversation", "user_id": user_id, "email_body": "Hi"})
    assert (code, body["status"]) == (400, "invalid-param")
    assert "user_id" in body["errors"]


@pytest.mark.parametrize("name", ["page[after]", "page[before]"])
def test_cursor_with_a_non_ascii_digit_is_invalid(api, name):
    code, body = api.get(URL, {name: cursor("id:²")})
    assert (code, body["status"]) == (400, "invalid-param")
    assert name in body["errors"]
