"""Send due outgoing requests: `manage.py process_external_requests [--loop] [--limit N] ...`."""

import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connections
from django.utils import timezone

from planocore.outbox.models import Channel
from planocore.outbox.selectors import count_due
from planocore.outbox.services import ProcessCounts, process_due, select_due

logger = logging.getLogger("planocore.outbox")


class Command(BaseCommand):
    help = (
        "Claim due outgoing requests (highest priority first, oldest first within a priority, "
        "a share of each batch for long-waiting ones), send them and print what came of it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="Keep running; sleep when idle; stop on SIGTERM/SIGINT."
        )
        parser.add_argument("--limit", type=int, default=None, help="Take at most N requests, then stop.")
        parser.add_argument(
            "--channel",
            action="append",
            choices=Channel.values,
            help="Only this channel (repeat for several).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count every request due and list the first ones (--limit, default 100) in order; "
            "change nothing.",
        )
        parser.add_argument("--batch-size", type=int, default=None, help="Rows claimed at once.")
        parser.add_argument("--sleep", type=float, default=2.0, help="Seconds to sleep when idle (--loop).")
        parser.add_argument(
            "--quiet",
            action="store_true",
            help="No progress display; with --loop, one line per round that did something "
            "(make run starts the sweep so, beside the server).",
        )

    def handle(self, *args, loop, limit, channel, dry_run, batch_size, sleep, quiet, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number of requests.")
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be a positive number of rows.")
        if dry_run:
            return self._dry_run(limit=limit or 100, channels=channel)

        self._stop = False
        self._quiet = quiet
        previous = {}
        if loop:
            # Finish the request in hand, give the rest of the batch back, exit.
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, self._request_stop)
        try:
            total = self._run(loop=loop, limit=limit, channel=channel, batch_size=batch_size, sleep=sleep)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if self._tty:
            self.stdout.write("\r\033[K", ending="")
        self.stdout.write(str(total))

    def _run(self, *, loop, limit, channel, batch_size, sleep) -> ProcessCounts:
        self._tty = self.stdout.isatty() and not self._quiet
        self._last_progress = 0.0
        self._started = time.monotonic()
        self._expected = 0
        total = ProcessCounts()
        while True:
            left = None if limit is None else limit - total.total
            if self._tty:
                # What this round will take (a --loop round recounts what has come in).
                due = count_due(channels=channel)
                self._expected = total.total + (due if left is None else min(due, left))
            try:
                counts = process_due(
                    limit=left,
                    channels=channel,
                    batch_size=batch_size,
                    should_stop=lambda: self._stop,
                    on_outcome=(lambda c, base=total: self._progress(base, c)) if self._tty else None,
                )
            except (OperationalError, InterfaceError) as exc:
                if not loop:
                    raise
                # The database went away (a restart, a failover): reconnect and go on. Rows
                # this batch had claimed go back to any worker when their lease runs out.
                logger.warning("Database error in process_external_requests --loop; retrying: %s", exc)
                connections.close_all()
                self._idle(max(sleep, 1.0))
                continue
            total += counts
            if loop and self._quiet and counts.total:
                self.stdout.write(f"[outbox sweep {timezone.localtime():%H:%M:%S}] {counts}")
            if not loop or self._stop or (limit is not None and total.total >= limit):
                break
            if counts.total == 0:
                self._idle(sleep)
        return total

    def _request_stop(self, signum, frame):
        self._stop = True

    def _idle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stop and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

    def _progress(self, base: ProcessCounts, counts: ProcessCounts) -> None:
        now = time.monotonic()
        if now - self._last_progress < 0.2:
            return
        self._last_progress = now
        self.stdout.write(
            "\r\033[K" + progress_line(base + counts, self._expected, now - self._started), ending=""
        )
        self.stdout.flush()

    def _dry_run(self, *, limit: int, channels) -> None:
        now = timezone.now()
        due = count_due(channels=channels, now=now)
        rows = select_due(limit=limit, channels=channels, now=now)
        for row in rows:
            waited = int((now - row.next_attempt_at).total_seconds()) if row.next_attempt_at else 0
            self.stdout.write(
                f"#{row.pk} {row.channel}/{row.action} priority={row.priority} "
                f"status={row.status} attempts={row.attempts} due_for={waited}s"
            )
        line = f"{due} request(s) would be sent (dry run: nothing changed)."
        if due > len(rows):
            line += f" The first {len(rows)} are listed; --limit N lists more."
        self.stdout.write(line)


def progress_line(counts: ProcessCounts, expected: int, elapsed: float) -> str:
    """`done/total processed: sent=… failed=… · rate/s · time left` for a terminal."""
    done = counts.total
    total = max(expected, done)
    rate = done / elapsed if elapsed > 0 else 0.0
    if done >= total:
        left = "done"
    elif rate > 0:
        seconds = int((total - done) / rate)
        left = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d} left"
    else:
        left = "time left unknown"
    percent = f" ({100 * done // total}%)" if total else ""
    return f"{done}/{total}{percent} processed: {counts} · {rate:.1f}/s · {left}"
