"""Datetime filters of the list routes take any ISO-8601 offset and compare in UTC.

Python accepts UTC offsets up to ±23:59, PostgreSQL only up to ±15:59: the fuzz
run on PostgreSQL found `created_before=...-18:08` failing in the database.
"""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cancelations.models import CancelationReason
from cancelations.services import Actor, cancelation_create
from glip.models import GlipMessage, GlipTeam
from notifications.models import Notification

pytestmark = pytest.mark.django_db

FAR_WEST = timezone(-timedelta(hours=18, minutes=8))


def in_far_west(moment: datetime) -> str:
    return moment.astimezone(FAR_WEST).isoformat()


@pytest.fixture
def records(db):
    team = GlipTeam.objects.create(name="Photographers", chat_id="chat-1")
    GlipMessage.objects.create(team=team, text="hello")
    Notification.objects.create(key="stored")
    reason = CancelationReason.objects.filter(active=True).first()
    cancelation_create(
        data={"cancelable_type": "Order", "cancelable_id": 7, "reason_slug": reason.slug},
        actor=Actor(by="planox2", via="planox2"),
    )


ROUTES = [
    ("/api/v1/glip/messages", "created_after", "created_before"),
    ("/api/v1/notifications", "created_after", "created_before"),
    ("/api/v1/cancelations", "canceled_after", "canceled_before"),
]


@pytest.mark.parametrize(("url", "after", "before"), ROUTES)
def test_an_offset_past_the_databases_range_filters_by_the_same_instant(api, records, url, after, before):
    now = datetime.now(UTC)
    code, body = api.get(url, {after: in_far_west(now - timedelta(hours=1))})
    assert code == 200, body
    assert len(body["data"]) == 1
    code, body = api.get(url, {before: in_far_west(now - timedelta(hours=1))})
    assert code == 200, body
    assert body["data"] == []


@pytest.mark.parametrize(("url", "after", "before"), ROUTES)
def test_a_datetime_out_of_range_in_utc_is_an_invalid_param(api, records, url, after, before):
    code, body = api.get(url, {before: "0001-01-01T00:00:00+05:00"})
    assert (code, body["status"]) == (400, "invalid-param")
    assert before in body["message"]
