"""The hand-off of committed ids to the broker: one message per commit, nothing lost."""

import json
from base64 import b64decode

import pytest
from django.db import transaction

from planocore.outbox.models import ExternalRequest
from planocore.outbox.services import enqueue
from tests.markers import REDIS_URL, needs_redis

Status = ExternalRequest.Status


@pytest.mark.django_db
def test_eager_tasks_send_in_process_at_once(sandbox, django_capture_on_commit_callbacks):
    # No broker (the embedded default): the commit sends, no thread, no waiting.
    with django_capture_on_commit_callbacks(execute=True):
        request = enqueue(channel="sms", payload={"text": "now"}, priority=5)
    assert ExternalRequest.objects.get(pk=request.pk).status == Status.SENT


@pytest.mark.django_db
def test_one_request_failing_in_a_batch_does_not_stop_the_others(sandbox, monkeypatch, caplog):
    from planocore.outbox import sending
    from planocore.outbox.tasks import send_external_requests

    ids = [enqueue(channel="sms", payload={"n": n}, priority=5, dispatch=False).pk for n in range(3)]
    real_send = sending.send

    def send(request_id):
        if request_id == ids[1]:
            raise RuntimeError("database went away")
        return real_send(request_id)

    monkeypatch.setattr(sending, "send", send)
    send_external_requests([ids[0], ids[1], 999_999, ids[2]])  # 999999: deleted meanwhile
    statuses = dict(ExternalRequest.objects.values_list("pk", "status"))
    assert statuses == {ids[0]: Status.SENT, ids[1]: Status.QUEUED, ids[2]: Status.SENT}
    assert f"Sending outbox request {ids[1]} failed" in caplog.text
    assert "999999 no longer exists" in caplog.text


@pytest.mark.django_db
def test_ids_the_sweep_sent_first_are_skipped_by_their_batch(scripted):
    # A worker slow to reach a message's tail: the sweep sends those rows, and the
    # batch, arriving later, finds them taken and sends nothing twice.
    from planocore.outbox.services import process_due
    from planocore.outbox.tasks import send_external_requests

    ids = [enqueue(channel="sms", payload={"n": n}, priority=5, dispatch=False).pk for n in range(3)]
    assert process_due().sent == 3
    send_external_requests(ids)
    assert len(scripted.calls) == 3
    assert set(ExternalRequest.objects.values_list("status", flat=True)) == {Status.SENT}
    assert ExternalRequest.objects.filter(attempts=1).count() == 3


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_each_commit_publishes_its_id_on_redis_at_once(celery_conf, redis_queue):
    import redis

    broker, queue = REDIS_URL, redis_queue  # no worker reads it
    celery_conf(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    client = redis.Redis.from_url(broker)
    ids = []
    for n in range(3):
        with transaction.atomic():
            ids.append(enqueue(channel="sms", payload={"n": n}, priority=5).pk)
            assert client.llen(queue) == n  # nothing before the commit
        assert client.llen(queue) == n + 1  # published by the commit, on this thread
    published = []
    for _ in ids:
        message = json.loads(client.rpop(queue))
        assert message["headers"]["task"] == "planocore.outbox.tasks.send_external_request"
        args, kwargs, _ = json.loads(b64decode(message["body"]))
        assert kwargs == {}
        published.append(args[0])
    assert published == ids
    assert set(ExternalRequest.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.QUEUED}
