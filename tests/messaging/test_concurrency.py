"""Concurrent replays of one webhook event on PostgreSQL: applied exactly once."""

import threading

import pytest
from django.db import connection, connections

from messaging.models import MessagingClient, ProcessedWebhookEvent
from messaging.services import webhook_events_apply
from tests.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks and real concurrency"),
]


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_apply_once(person):
    client = MessagingClient.objects.create(
        user=person, external_user_id=str(person.pk), client_id="5e0000000000000000000abc", type="twilio"
    )
    event = {
        "id": "ev-concurrent",
        "type": "client:update",
        "createdAt": "2026-11-23T10:00:00.000Z",
        "payload": {"reason": "confirmed", "client": {"id": client.client_id}, "user": {"externalId": "x"}},
    }
    start = threading.Barrier(6)
    results = []

    def deliver():
        try:
            start.wait()
            results.append(webhook_events_apply(events=[event]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.applied for r in results) == 1
    assert sum(r.duplicates for r in results) == 5
    assert ProcessedWebhookEvent.objects.filter(event_id="ev-concurrent").count() == 1
    client.refresh_from_db()
    assert client.status == "active"


@pytest.mark.django_db(transaction=True)
def test_concurrent_events_about_a_new_client_make_one_row_and_apply_both(person):
    def add(event_id, status, created_at):
        return {
            "id": event_id,
            "type": "client:add",
            "createdAt": created_at,
            "payload": {
                "client": {"id": "5e0000000000000000000new", "type": "whatsapp", "status": status},
                "user": {"id": "5e00000000000000000000u1", "externalId": str(person.pk)},
            },
        }

    events = [add(f"ev-{n}", "pending", f"2026-11-23T10:00:0{n}Z") for n in range(5)]
    events.append(add("ev-9", "active", "2026-11-23T10:00:09Z"))
    results, errors = run_at_once(lambda event: webhook_events_apply(events=[event]), [(e,) for e in events])
    assert not errors, errors
    assert sum(r.applied for r in results) == len(events)
    client = MessagingClient.objects.get(client_id="5e0000000000000000000new")
    assert (client.status, client.last_event_at.isoformat()) == ("active", "2026-11-23T10:00:09+00:00")
