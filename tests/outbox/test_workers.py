"""Real worker processes against a real database (and a real broker).

They share the test database with other processes, so they need PostgreSQL
(the SQLite test database lives in this process's memory): `.ci/run`'s
PostgreSQL pass runs them. Sends are counted by RecordingBackend, which
appends one line per send to a file whatever process makes it.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from planocore.outbox.models import ExternalRequest, ExternalRequestAttempt
from planocore.outbox.services import enqueue
from tests.markers import REDIS_URL, needs_redis

Status = ExternalRequest.Status
ROOT = Path(settings.BASE_DIR)
RECORDING = "tests.outbox.backends.RecordingBackend"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="worker processes share a PostgreSQL database"
    ),
]


def _env(record_file: Path, **extra) -> dict[str, str]:
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "planocore.settings",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": "",
        "PROVIDER_BACKEND_SMS": RECORDING,
        "OUTBOX_TEST_RECORD_FILE": str(record_file),
        "LOG_LEVEL": "WARNING",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _manage(env, *args, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "process_external_requests", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _recorded(record_file: Path) -> list[tuple[int, int]]:
    if not record_file.exists():
        return []
    return [tuple(map(int, line.split())) for line in record_file.read_text().splitlines() if line]


def _queue(n: int) -> list[int]:
    now = timezone.now()
    rows = ExternalRequest.objects.bulk_create(
        [
            ExternalRequest(
                channel="sms", payload={"n": i, "text": f"m{i}"}, priority=i % 10, next_attempt_at=now
            )
            for i in range(n)
        ]
    )
    return [row.pk for row in rows]


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_send_each_of_1000_requests_exactly_once(tmp_path):
    _queue(1000)
    record = tmp_path / "sent.log"
    env = _env(record, OUTBOX_TEST_SEND_DELAY=0.003)
    workers = [_manage(env, "--batch-size", "25", log=tmp_path / f"w{i}.log") for i in range(2)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0, (tmp_path / "w0.log").read_text() + (
            tmp_path / "w1.log"
        ).read_text()

    sent = _recorded(record)
    per_request = Counter(n for n, _ in sent)
    assert len(per_request) == 1000 and set(per_request.values()) == {1}, "a request was sent twice or never"
    assert len({pid for _, pid in sent}) == 2, "both workers should have sent some"
    assert ExternalRequest.objects.filter(status=Status.SENT, attempts=1).count() == 1000
    assert ExternalRequestAttempt.objects.count() == 1000
    totals = [int((tmp_path / f"w{i}.log").read_text().split("sent=")[1].split()[0]) for i in range(2)]
    assert sum(totals) == 1000


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_nothing_and_a_restarted_one_finishes(tmp_path):
    ids = _queue(300)
    record = tmp_path / "sent.log"
    # A short lease so the restarted worker reclaims the dead one's batch soon. The kill
    # lands mid-batch: at the 90th send the fifth batch of 20 has 10 sends (0.3 s) to go,
    # well past the 0.1 s between two looks (at the 80th it could fall between batches).
    env = _env(record, OUTBOX_TEST_SEND_DELAY=0.03, OUTBOX_LEASE_SECONDS=3)
    first = _manage(env, "--loop", "--sleep", "0.2", "--batch-size", "20", log=tmp_path / "first.log")
    try:
        _wait(lambda: len(_recorded(record)) >= 90, 60, "the first worker to send 90 requests")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    in_flight = set(
        ExternalRequest.objects.filter(status=Status.SENDING).values_list("payload__n", flat=True)
    )
    assert in_flight, "the kill should land mid-batch, with rows left in sending"
    assert ExternalRequest.objects.exclude(status=Status.SENT).exists()

    second = _manage(env, "--loop", "--sleep", "0.2", "--batch-size", "20", log=tmp_path / "second.log")
    try:
        _wait(
            lambda: ExternalRequest.objects.filter(status=Status.SENT).count() == len(ids),
            90,
            "the restarted worker to finish every request",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0  # a clean stop on SIGTERM
    assert "sent=" in (tmp_path / "second.log").read_text()

    per_request = Counter(n for n, _ in _recorded(record))
    assert set(per_request) == set(range(300)), "every request was sent"
    # Only a request the dead worker had in hand may have gone out twice.
    twice = {n for n, c in per_request.items() if c > 1}
    assert twice <= in_flight
    assert max(per_request.values()) <= 2


def _sessions_opened() -> int:
    """Connections ever opened to the test database (PostgreSQL's own count)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_sends_enqueued_requests_on_one_database_connection(
    tmp_path, celery_conf, redis_queue
):
    broker, queue = REDIS_URL, redis_queue
    record = tmp_path / "sent.log"
    env = _env(record, CELERY_BROKER_URL=broker)
    opened_before = _sessions_opened()
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "planocore",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    celery_conf(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    try:
        requests = []
        for n in range(7, 13):
            with transaction.atomic():
                request = enqueue(channel="sms", payload={"n": n, "text": "via celery"}, priority=5)
                assert ExternalRequest.objects.get(pk=request.pk).status == Status.QUEUED
            requests.append(request)
        # Each commit handed its id to the broker; the worker process sends them.
        _wait(
            lambda: (
                ExternalRequest.objects.filter(pk__in=[r.pk for r in requests], status=Status.SENT).count()
                == len(requests)
            ),
            60,
            "the Celery worker to send the requests",
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    request = requests[0]
    request.refresh_from_db()
    assert request.provider_message_id == "rec-7"
    assert sorted(n for n, _ in _recorded(record)) == list(range(7, 13))
    assert worker.pid in {pid for _, pid in _recorded(record)}
    # Six tasks, one connection: the worker keeps it between tasks as a web process
    # does between requests (CONN_MAX_AGE), where Celery alone reconnects for each task.
    assert _sessions_opened() - opened_before == 1
