"""The hand-off of committed ids to the broker: batched, off the caller's thread, nothing lost."""

import json
import os
import threading
import time
from base64 import b64decode

import pytest
from django.db import transaction

from planocore.outbox.handoff import Handoff, handoff
from planocore.outbox.models import ExternalRequest
from planocore.outbox.services import enqueue
from tests.markers import REDIS_URL, needs_redis

Status = ExternalRequest.Status


class Recorder:
    """A publish function that records each batch (and can be told to fail)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.times: list[float] = []
        self.threads: set[str] = set()
        self.fail = False
        self.published = threading.Event()

    def __call__(self, ids: list[int]) -> None:
        self.threads.add(threading.current_thread().name)
        self.times.append(time.monotonic())
        if self.fail:
            raise ConnectionError("broker down")
        self.batches.append(list(ids))
        self.published.set()


@pytest.fixture
def broker_mode(celery_conf):
    """Tasks not eager (as with a broker URL); nothing is published for real by the Recorder."""
    celery_conf(task_always_eager=False)


def _wait(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_lone_id_goes_at_once_and_ids_under_load_share_a_message(broker_mode, settings):
    settings.OUTBOX_HANDOFF_INTERVAL = 0.3
    publish = Recorder()
    unit = Handoff(publish)
    started = time.monotonic()
    unit.add(1)
    _wait(lambda: publish.batches)
    assert publish.batches == [[1]]
    assert publish.times[0] - started < 0.25  # no interval to wait out for the first
    for request_id in range(2, 6):
        unit.add(request_id)
    assert publish.batches == [[1]]  # the callers did not wait on the broker
    _wait(lambda: len(publish.batches) == 2)
    assert publish.batches == [[1], [2, 3, 4, 5]]  # one message for the four
    assert publish.times[1] - publish.times[0] >= 0.3
    assert publish.threads == {"outbox-handoff"}
    assert unit.pending == 0


def test_a_message_carries_at_most_the_batch_size(broker_mode, settings):
    settings.OUTBOX_HANDOFF_INTERVAL = 60
    settings.OUTBOX_HANDOFF_BATCH = 2
    publish = Recorder()
    unit = Handoff(publish)
    unit.add(0)
    _wait(lambda: publish.batches)  # the first goes at once; the next wait out the interval
    for request_id in range(1, 6):
        unit.add(request_id)
    unit.flush()  # publishes now, whatever the interval
    assert publish.batches == [[0], [1, 2], [3, 4], [5]]
    assert unit.pending == 0


def test_a_broker_failure_is_logged_and_the_thread_goes_on(broker_mode, settings, caplog):
    settings.OUTBOX_HANDOFF_INTERVAL = 0.01
    publish = Recorder()
    publish.fail = True
    unit = Handoff(publish)
    unit.add(7)
    _wait(lambda: "the sweep will send them" in caplog.text)
    assert "(7)" in caplog.text
    _wait(lambda: unit.pending == 0)
    publish.fail = False
    unit.add(8)
    assert publish.published.wait(5)
    assert publish.batches == [[8]]  # 7 is the sweep's now; 8 went out


def test_flush_waits_for_a_publish_under_way(broker_mode, settings):
    settings.OUTBOX_HANDOFF_INTERVAL = 0
    entered, release = threading.Event(), threading.Event()
    done = []

    def slow_publish(ids):
        entered.set()
        release.wait(5)
        done.append(ids)

    unit = Handoff(slow_publish)
    unit.add(1)
    assert entered.wait(5)
    threading.Timer(0.2, release.set).start()
    unit.flush(timeout=5)
    assert done == [[1]]
    assert unit.pending == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_with_nothing_pending(broker_mode, settings):
    settings.OUTBOX_HANDOFF_INTERVAL = 60
    publish = Recorder()
    unit = Handoff(publish)
    unit.add(0)
    _wait(lambda: publish.batches)
    unit.add(1)  # held for the interval
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's, a lock it can take, and a thread of its own
        ok = unit.pending == 0
        unit.add(2)
        unit.flush(timeout=1)
        os._exit(0 if ok and publish.batches == [[0], [2]] else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    unit.flush()
    assert publish.batches == [[0], [1]]  # the parent's id, published once, by the parent


@pytest.mark.django_db
def test_eager_tasks_send_in_process_at_once(sandbox, django_capture_on_commit_callbacks):
    # No broker (the embedded default): the commit sends, no thread, no waiting.
    with django_capture_on_commit_callbacks(execute=True):
        request = enqueue(channel="sms", payload={"text": "now"}, priority=5)
    assert ExternalRequest.objects.get(pk=request.pk).status == Status.SUCCEEDED


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
    assert statuses == {ids[0]: Status.SUCCEEDED, ids[1]: Status.PENDING, ids[2]: Status.SUCCEEDED}
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
    assert set(ExternalRequest.objects.values_list("status", flat=True)) == {Status.SUCCEEDED}
    assert ExternalRequest.objects.filter(attempts=1).count() == 3


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_commits_under_load_share_a_celery_message_on_redis(celery_conf, settings, redis_queue):
    import redis

    broker, queue = REDIS_URL, redis_queue  # no worker reads it
    celery_conf(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    client = redis.Redis.from_url(broker)
    ids = []
    for n in range(10):
        with transaction.atomic():
            ids.append(enqueue(channel="sms", payload={"n": n}, priority=5).pk)
        if n == 0:  # the first goes out by itself; the nine after it gather
            _wait(lambda: client.llen(queue) == 1)
            settings.OUTBOX_HANDOFF_INTERVAL = 60
    assert client.llen(queue) == 1  # the nine wait in this process, not on the committing thread
    handoff.flush()
    assert client.llen(queue) == 2
    batches = []
    for _ in range(2):
        message = json.loads(client.rpop(queue))
        assert message["headers"]["task"] == "planocore.outbox.tasks.send_external_requests"
        args, kwargs, _ = json.loads(b64decode(message["body"]))
        assert kwargs == {}
        batches.append(args[0])
    assert batches == [ids[:1], ids[1:]]
    assert set(ExternalRequest.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.PENDING
    }
