"""Issue 26, item 3: one datetime format in every response and message (UTC, six digits, `Z`)."""

import re

import pytest

from glip.models import GlipTeam
from planocore.api.fields import api_datetime

pytestmark = pytest.mark.django_db

ONE_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
ANY_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d[^\s\"')]*")


def _datetimes(value) -> list[str]:
    """Every string in a response that reads as a datetime."""
    if isinstance(value, dict):
        return [found for item in value.values() for found in _datetimes(item)]
    if isinstance(value, list):
        return [found for item in value for found in _datetimes(item)]
    return ANY_DATETIME.findall(value) if isinstance(value, str) else []


def test_api_datetime_is_utc_with_six_digits_and_z():
    from datetime import UTC, datetime, timedelta, timezone

    assert api_datetime(datetime(2026, 12, 7, 6, 5, 45, tzinfo=UTC)) == "2026-12-07T06:05:45.000000Z"
    east = timezone(timedelta(hours=2))
    assert api_datetime(datetime(2026, 12, 7, 8, 5, 45, 905344, tzinfo=east)) == "2026-12-07T06:05:45.905344Z"
    assert api_datetime(None) is None


def test_every_route_answers_datetimes_in_one_format(api, django_capture_on_commit_callbacks):
    GlipTeam.objects.create(name="General", chat_id="chat-1", active=True)
    seen = []
    with django_capture_on_commit_callbacks(execute=True):
        for path, params in [
            ("/api/v1/notifications", {"key": "k", "processed": 1}),
            ("/api/v1/glip/messages", {"team_name": "General", "message": "hi"}),
            (
                "/api/v1/cancelations",
                {"cancelable_type": "Order", "cancelable_id": 5, "reason_slug": "weather"},
            ),
        ]:
            code, body = api.post(path, params)
            assert code == 200, body
            seen += _datetimes(body)
    for path in [
        "/api/v1/notifications",
        "/api/v1/notifications?view=default-with-proof",
        "/api/v1/notifications?view=internal-applications-view",
        "/api/v1/glip/messages",
        "/api/v1/glip/teams",
        "/api/v1/cancelations",
        "/api/v1/sessions/current",
    ]:
        code, body = api.get(path)
        assert code == 200, body
        seen += _datetimes(body)
    assert len(seen) > 10
    assert [value for value in seen if not ONE_FORMAT.match(value)] == []


def test_a_cancelation_error_message_shows_the_same_format(api):
    code, body = api.post(
        "/api/v1/cancelations", {"cancelable_type": "Order", "cancelable_id": 6, "reason_slug": "weather"}
    )
    assert code == 200, body
    cancelation_id = body["data"]["id"]
    assert api.patch(f"/api/v1/cancelations/{cancelation_id}", {"active": False})[0] == 200
    code, body = api.patch(f"/api/v1/cancelations/{cancelation_id}", {"active": False})
    assert (code, body["status"]) == (400, "invalid-param"), body
    [when] = _datetimes(body["message"])
    assert ONE_FORMAT.match(when), body["message"]
