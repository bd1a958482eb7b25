"""Concurrent Mandrill deliveries on PostgreSQL: each event applied once, never over a newer one."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from notifications.models import MandrillEvent
from notifications.services import mandrill_event_key, notification_record_tracking
from planocore.outbox.models import Channel, ExternalRequest
from tests.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks and real concurrency"),
]
MESSAGE_ID = "0123456789abcdef0123456789abcdef"


def _deliver_at_once(calls: list[dict]) -> list[int]:
    record = notification_record_tracking
    results, errors = run_at_once(lambda kwargs: record(**kwargs), [(c,) for c in calls])
    assert not errors, errors
    return results


def _event(event_type: str, ts: int) -> dict:
    return {
        "message_id": MESSAGE_ID,
        "event_type": event_type,
        "metadata": {},
        "occurred_at": datetime.fromtimestamp(ts, tz=UTC),
        "event_key": mandrill_event_key(
            message_id=MESSAGE_ID, event_type=event_type, ts=ts, recipient="a@b.c"
        ),
    }


@pytest.fixture
def email_request(transactional_db):
    return ExternalRequest.objects.create(
        channel=Channel.EMAIL, status=ExternalRequest.Status.SENT, provider_message_id=MESSAGE_ID
    )


def test_concurrent_deliveries_of_one_event_apply_once(email_request):
    results = _deliver_at_once([_event("opened", 1795000000)] * 6)
    assert sorted(results) == [0, 0, 0, 0, 0, 1]
    assert MandrillEvent.objects.count() == 1
    email_request.refresh_from_db()
    assert email_request.delivery_status == "opened"


def test_concurrent_events_end_on_the_newest(email_request):
    events = [_event(kind, ts) for kind, ts in (("sent", 1795000000), ("opened", 1795000100))] * 3
    events += [_event("clicked", 1795000200)]
    _deliver_at_once(events)
    email_request.refresh_from_db()
    assert (email_request.delivery_status, email_request.delivery_status_at.timestamp()) == (
        "clicked",
        1795000200,
    )
    assert MandrillEvent.objects.count() == 3
