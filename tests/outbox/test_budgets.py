"""Provider budgets against the RingCentral fake enforcing its own rolling limit (over real HTTP).

The window is shortened to a few seconds (PROVIDER_BUDGET_WINDOW_SECONDS here,
the fake's window, which its X-Rate-Limit-Window header reports): the code
path is the one a 60-second window takes.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from planocore.outbox.models import ExternalRequest
from planocore.outbox.services import enqueue, process_due
from planocore.providers import ratelimit

Status = ExternalRequest.Status
ROOT = Path(django_settings.BASE_DIR)
WINDOW = 2.0
SMS = {"from": "+16505550100", "to": ["+16505550111"], "extension_id": None}


def _most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times)), default=0)


def _sms_calls(fake) -> list:
    return fake.requests_to("POST", r"/sms$")


def _drain(fake, *, want: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(fake.sms) < want and time.monotonic() < deadline:
        process_due()
        time.sleep(0.05)


@pytest.fixture
def budget_of_3(ringcentral_fake, settings):
    settings.PROVIDER_BUDGET_WINDOW_SECONDS = WINDOW
    settings.RINGCENTRAL_BUDGETS = {**settings.RINGCENTRAL_BUDGETS, "Medium": 3}
    ringcentral_fake.set_rate_limit("Medium", 3, window=WINDOW, enforce=True)
    return ringcentral_fake


def _assert_budget_kept(fake, *, limit: int = 3) -> None:
    calls = _sms_calls(fake)
    assert len(fake.sms) == 10, "every SMS arrives"
    assert [c.status for c in calls] == [200] * 10, "no 429, nothing refused"
    assert _most_in_any_window([c.at for c in calls], WINDOW) <= limit


@pytest.mark.django_db
def test_ten_sms_at_once_with_a_budget_of_3(budget_of_3):
    for i in range(10):
        enqueue(channel="sms", payload={**SMS, "text": f"m{i}"}, priority=5, dispatch=False)
    _drain(budget_of_3, want=10)
    _assert_budget_kept(budget_of_3)
    # They waited without being counted as attempts, and none was abandoned.
    assert set(ExternalRequest.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}
    # Spread as the budget allows: the 10th no sooner than three windows after the first.
    times = sorted(c.at for c in _sms_calls(budget_of_3))
    assert times[-1] - times[0] >= 3 * WINDOW * 0.95


@pytest.mark.django_db
def test_the_fake_lowering_the_limit_through_its_headers(ringcentral_fake, settings):
    settings.PROVIDER_BUDGET_WINDOW_SECONDS = WINDOW
    settings.RINGCENTRAL_BUDGETS = {**settings.RINGCENTRAL_BUDGETS, "Medium": 40}  # configured: 40
    ringcentral_fake.set_rate_limit("Medium", 3, window=WINDOW, enforce=True)  # RingCentral says 3
    for i in range(10):
        enqueue(channel="sms", payload={**SMS, "text": f"m{i}"}, priority=5, dispatch=False)
    _drain(ringcentral_fake, want=10)
    _assert_budget_kept(ringcentral_fake)
    assert set(ExternalRequest.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}
    medium = next(b for b in ratelimit.budgets() if b["group"] == "Medium")
    assert medium["limit"] == 3 and medium["remaining_reported"] is not None
    # The one token request counted in its own group, Auth.
    auth = next(b for b in ratelimit.budgets() if b["group"] == "Auth")
    assert auth["limit"] == 5 and auth["remaining_reported"] == 4
    assert len(ringcentral_fake.requests_to("POST", "/restapi/oauth/token")) == 1


@pytest.mark.django_db
def test_a_429_stops_every_call_until_retry_after(budget_of_3):
    budget_of_3.penalty_seconds = 1.5
    budget_of_3.fail_next(
        429, {"errorCode": "CMN-301", "message": "Request rate exceeded"}, headers={"Retry-After": "1.5"}
    )  # the token request
    for i in range(3):
        enqueue(channel="sms", payload={**SMS, "text": f"m{i}"}, priority=5, dispatch=False)
    counts = process_due()
    assert (counts.retrying, counts.skipped) == (1, 2)  # the others wait, not counted
    assert 1.0 < ratelimit.penalty_remaining("ringcentral:default", "Auth") <= 1.5
    assert len(budget_of_3.received) == 1  # no call inside the penalty
    assert ExternalRequest.objects.filter(attempts=0).count() == 2


@pytest.fixture
def clock(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit, "clock", lambda: now[0])
    return now


@pytest.mark.django_db
def test_a_call_counts_from_when_its_answer_came(clock, settings):
    settings.PROVIDER_BUDGET_WINDOW_SECONDS = 60
    wait, reserved = ratelimit.take("ext", "Medium", limit=1, hold=15)
    assert wait == 0 and reserved == clock[0] + 15  # on its way: held ahead, never behind
    clock[0] += 2
    ratelimit.settle("ext", "Medium", reserved=reserved, finished=clock[0])  # answered 2 s later
    clock[0] += 59
    assert ratelimit.acquire("ext", "Medium", limit=1) == pytest.approx(1.0)  # 60 s after the answer
    clock[0] += 1.01
    assert ratelimit.acquire("ext", "Medium", limit=1) == 0


@pytest.mark.django_db
def test_reported_limits_only_tighten(clock, settings):
    settings.PROVIDER_BUDGET_WINDOW_SECONDS = 60
    report = {"reserved": None, "finished": clock[0], "reported_remaining": 1}
    ratelimit.settle("ext", "Medium", **report, reported_limit=2, reported_window=60)
    assert [ratelimit.acquire("ext", "Medium", limit=3) == 0 for _ in range(3)] == [True, True, False]
    ratelimit.settle("ext", "Light", **report, reported_limit=100, reported_window=90)
    assert [ratelimit.acquire("ext", "Light", limit=1) == 0 for _ in range(2)] == [True, False]
    clock[0] += 61
    assert ratelimit.acquire("ext", "Light", limit=1) > 0  # RingCentral's longer window holds
    clock[0] += 30
    assert ratelimit.acquire("ext", "Light", limit=1) == 0
    light = next(b for b in ratelimit.budgets() if b["group"] == "Light")
    assert (light["limit"], light["remaining_reported"], light["penalty_until"]) == (1, 1, None)


@pytest.mark.django_db
def test_a_penalty_refuses_every_call_of_its_group_only(clock):
    ratelimit.penalize("ext", 30, "Medium")
    assert ratelimit.acquire("ext", "Medium", limit=40) == pytest.approx(30)
    assert ratelimit.acquire("ext", "Auth", limit=5) == 0
    clock[0] += 30.5
    assert ratelimit.acquire("ext", "Medium", limit=40) == 0


def _env(db: Path, fake, **extra) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "planocore.settings",
        "DATABASE_URL": f"sqlite:///{db}",
        "CACHE_URL": "locmemcache://embedded",
        "CELERY_BROKER_URL": "",
        "RINGCENTRAL_SERVER_URL": fake.url,
        "RINGCENTRAL_CLIENT_ID": fake.client_id,
        "RINGCENTRAL_CLIENT_SECRET": fake.client_secret,
        "RINGCENTRAL_JWT": fake.default_jwt,
        "PROVIDER_BACKEND_SMS": "planocore.providers.ringcentral.backends.SmsBackend",
        "RINGCENTRAL_BUDGET_MEDIUM": "3",
        "PROVIDER_BUDGET_WINDOW_SECONDS": str(WINDOW),
        "LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


def _has_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (Linux's /proc)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fds / fd) == str(path) for fd in os.listdir(fds))
    except OSError:  # not started yet, or gone
        return False


ENQUEUE_10 = """
from planocore.outbox.services import enqueue
for i in range(10):
    enqueue(channel="sms", payload={"from": "+16505550100", "to": ["+16505550111"], "text": f"m{i}",
            "extension_id": None}, priority=5, dispatch=False)
"""


@pytest.mark.slow
def test_two_processes_on_the_embedded_default_share_the_budget(budget_of_3, tmp_path):
    # The embedded default: a SQLite file and the local-memory cache, which no two
    # processes share. Two real `process_external_requests` drain at the same time.
    env = _env(tmp_path / "db.sqlite3", budget_of_3)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=180)
    logs = [tmp_path / f"w{i}.log" for i in range(2)]
    workers = [
        subprocess.Popen(
            [*manage, "process_external_requests", "--loop", "--sleep", "0.1", "--batch-size", "1"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        # Work arrives once both are polling (each has the database file open), so that on a
        # loaded machine a slow start cannot leave all ten to the other one.
        deadline = time.monotonic() + 90
        while not all(_has_open(w.pid, tmp_path / "db.sqlite3") for w in workers):
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        subprocess.run([*manage, "shell", "-c", ENQUEUE_10], cwd=ROOT, env=env, check=True, timeout=60)
        deadline = time.monotonic() + 90
        while len(budget_of_3.sms) < 10 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    output = [log.read_text() for log in logs]
    _assert_budget_kept(budget_of_3)
    sent = [int(text.split("sent=")[1].split()[0]) for text in output]
    assert sum(sent) == 10 and min(sent) >= 1, output  # both processes sent some
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        rows = db.execute(f"SELECT status, attempts FROM {ExternalRequest._meta.db_table}").fetchall()  # noqa: S608
    assert sorted(rows) == [("sent", 1)] * 10
