"""`manage.py process_external_requests`: order, anti-starvation, options, output."""

import io
import os
import signal
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from planocore.outbox.models import ExternalRequest
from planocore.outbox.services import select_due

pytestmark = pytest.mark.django_db

Status = ExternalRequest.Status


def _due(priority=0, channel="sms", waited=0, **payload):
    return ExternalRequest.objects.create(
        channel=channel,
        payload={"text": "x", **payload},
        priority=priority,
        next_attempt_at=timezone.now() - timedelta(seconds=waited),
    )


def _run(*args) -> str:
    out = io.StringIO()
    call_command("process_external_requests", *args, stdout=out)
    return out.getvalue()


def test_highest_priority_first_then_oldest(scripted):
    low_old = _due(priority=1, waited=60)
    high_new = _due(priority=9, waited=1)
    high_old = _due(priority=9, waited=30)
    mid = _due(priority=5, waited=50)
    rows = select_due(limit=10)
    assert [r.pk for r in rows] == [high_old.pk, high_new.pk, mid.pk, low_old.pk]
    out = _run()
    assert out.strip() == "sent=4 failed=0 retrying=0 abandoned=0 skipped=0"
    assert [c["payload"]["text"] for c in scripted.calls] == ["x"] * 4


def test_long_waiting_low_priority_gets_a_share_of_each_batch(scripted, settings):
    settings.OUTBOX_STARVATION_SECONDS = 600
    settings.OUTBOX_AGED_SHARE = 0.25
    starved = [_due(priority=0, waited=3600 + i, n=f"starved-{i}") for i in range(4)]
    for i in range(20):
        _due(priority=9, waited=5, n=f"urgent-{i}")
    rows = select_due(limit=8)
    # A quarter of the batch (2 of 8) goes to the longest-waiting rows, the rest by priority.
    assert [r.pk for r in rows[:2]] == [starved[3].pk, starved[2].pk]
    assert all(r.priority == 9 for r in rows[2:])


def test_limit_and_channel(scripted, settings):
    settings.PROVIDER_BACKENDS = {
        **settings.PROVIDER_BACKENDS,
        "email": "tests.outbox.backends.ScriptedBackend",
    }
    for _ in range(3):
        _due(channel="sms")
    email = [_due(channel="email") for _ in range(2)]
    assert _run("--channel", "email").strip().startswith("sent=2 ")
    assert all(ExternalRequest.objects.get(pk=r.pk).status == Status.SENT for r in email)
    assert ExternalRequest.objects.filter(channel="sms", status=Status.QUEUED).count() == 3
    assert _run("--limit", "2", "--batch-size", "1").strip().startswith("sent=2 ")
    assert ExternalRequest.objects.filter(channel="sms", status=Status.QUEUED).count() == 1


def test_counts_every_kind(scripted, settings):
    from planocore.providers.base import ProviderError

    scripted.reset(
        script=[
            None,
            ProviderError("bad number", retryable=False, http_status=400),
            ProviderError("down", retryable=True, http_status=503),
            ProviderError("down", retryable=True, http_status=503),
        ],
        requests_per_minute=4,
    )
    settings.OUTBOX_MAX_ATTEMPTS = 1
    _due(priority=9, waited=50, account="a")  # sent
    _due(priority=8, waited=40, account="a")  # failed (permanent)
    _due(priority=7, waited=30, account="a")  # retryable, but 1 attempt max: abandoned
    _due(priority=1, waited=20, account="a")  # retryable, low priority: failed
    _due(priority=0, waited=10, account="a")  # over the budget of 4: skipped
    assert _run().strip() == "sent=1 failed=2 retrying=0 abandoned=1 skipped=1"


def test_the_summary_and_the_limit_count_suppressed_sends(scripted):
    from inbound.services import suppression_add

    suppression_add(kind="phone", address="+14155550123", reason="stop")
    _due(priority=9, waited=30, to=["+14155550123"])  # said STOP: suppressed, no provider call
    _due(priority=5, waited=20, to=["+14155550199"])
    _due(priority=1, waited=10, to=["+14155550188"])
    # --limit counts the suppressed one too: two requests, one round each.
    assert _run("--limit", "2", "--batch-size", "1").strip() == (
        "sent=1 failed=0 retrying=0 abandoned=0 suppressed=1 skipped=0"
    )
    assert [c["payload"]["to"] for c in scripted.calls] == [["+14155550199"]]
    assert ExternalRequest.objects.filter(status=Status.QUEUED).count() == 1


def test_dry_run_lists_in_order_and_changes_nothing(scripted):
    high = _due(priority=9)
    low = _due(priority=1)
    before = list(ExternalRequest.objects.order_by("pk").values())
    out = _run("--dry-run")
    lines = out.strip().splitlines()
    assert lines[0].startswith(f"#{high.pk} sms/send priority=9")
    assert lines[1].startswith(f"#{low.pk} sms/send priority=1")
    assert lines[-1] == "2 request(s) would be sent (dry run: nothing changed)."
    assert list(ExternalRequest.objects.order_by("pk").values()) == before
    assert scripted.calls == []


def test_bad_options_are_command_errors():
    with pytest.raises(CommandError, match="--limit"):
        _run("--limit", "0")
    with pytest.raises(CommandError):
        _run("--channel", "pigeon")


def test_loop_sleeps_when_idle_and_stops_on_sigterm(scripted):
    _due()
    previous = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        out = _run("--loop", "--sleep", "0.1")
    finally:
        timer.cancel()
    assert out.strip().startswith("sent=1 ")
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers restored


@pytest.mark.django_db(transaction=True)
def test_loop_survives_a_database_restart(scripted, monkeypatch):
    # Found by bench/fault_drill.py: `pg_ctl restart` killed the --loop sender for good.
    from django.db import OperationalError

    from planocore.outbox.management.commands import process_external_requests as command

    real = command.process_due
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(**kwargs)

    monkeypatch.setattr(command, "process_due", flaky)
    _due()
    timer = threading.Timer(1.6, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        out = _run("--loop", "--sleep", "0.1")
    finally:
        timer.cancel()
    assert len(calls) >= 2
    assert out.strip().startswith("sent=1 ")


def test_once_a_database_error_is_raised(scripted, monkeypatch):
    from django.db import OperationalError

    from planocore.outbox.management.commands import process_external_requests as command

    def down(**kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(command, "process_due", down)
    with pytest.raises(OperationalError):
        _run()


def test_stop_gives_the_rest_of_the_batch_back_untouched(scripted):
    from planocore.outbox.services import process_due

    rows = [_due(waited=10 - i) for i in range(5)]

    def stop_after_two():
        return len(scripted.calls) >= 2

    counts = process_due(should_stop=stop_after_two)
    assert counts.sent == 2 and counts.skipped == 3
    for row in rows[2:]:
        row.refresh_from_db()
        assert row.status == Status.QUEUED and row.attempts == 0 and row.lease_token == ""
        assert row.next_attempt_at <= timezone.now()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_shown_only_on_a_terminal(scripted, settings):
    settings.OUTBOX_RECORD_EVERY = 1
    for _ in range(3):
        _due()
    terminal = _Terminal()
    call_command("process_external_requests", stdout=terminal)
    assert "processed: sent=" in terminal.getvalue() and "\r" in terminal.getvalue()
    for _ in range(3):
        _due()
    assert "processed" not in _run()  # not a terminal: the summary line only


def test_progress_shows_done_of_total_rate_and_time_left(scripted, settings):
    settings.OUTBOX_RECORD_EVERY = 1
    for _ in range(5):
        _due()
    _due(channel="email")  # not taken with --channel sms: not counted either
    terminal = _Terminal()
    call_command("process_external_requests", "--channel", "sms", stdout=terminal)
    updates = [part for part in terminal.getvalue().split("\r\033[K") if part]
    assert updates[0].startswith("1/5 (20%) processed: sent=1 "), updates
    assert " left" in updates[0] and "/s · " in updates[0]
    assert updates[-1].splitlines()[-1] == "sent=5 failed=0 retrying=0 abandoned=0 skipped=0"


def test_progress_line_figures():
    from planocore.outbox.management.commands.process_external_requests import progress_line
    from planocore.outbox.services import ProcessCounts

    line = progress_line(ProcessCounts(sent=30, failed=10), expected=1000, elapsed=8.0)
    assert line == (
        "40/1000 (4%) processed: sent=30 failed=10 retrying=0 abandoned=0 skipped=0 · 5.0/s · 0:03:12 left"
    )
    # More came in than were counted: the total follows, and it says done.
    assert progress_line(ProcessCounts(sent=3), expected=2, elapsed=1.0).startswith("3/3 (100%)")
    assert progress_line(ProcessCounts(sent=3), expected=2, elapsed=1.0).endswith("3.0/s · done")
    assert progress_line(ProcessCounts(), expected=7, elapsed=0.0).endswith("0.0/s · time left unknown")


def test_dry_run_counts_everything_due_not_one_batch(scripted):
    for n in range(7):
        _due(priority=n)
    _due(waited=-3600)  # due in an hour: not counted
    out = _run("--dry-run", "--limit", "3")
    lines = out.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("#") and "priority=6" in lines[0]
    assert lines[-1] == (
        "7 request(s) would be sent (dry run: nothing changed). The first 3 are listed; --limit N lists more."
    )
