"""Hand committed outbox ids to the broker: off the request's thread, several per message.

`enqueue` writes a row and, once its transaction commits, calls `handoff.add(id)`.

- Tasks eager (no `CELERY_BROKER_URL`, the embedded default): the send runs in this
  process at once, as `send_external_request(id)`.
- A broker: the id joins this process's pending list, and a daemon thread publishes
  the list as one `send_external_requests` message (at most `OUTBOX_HANDOFF_BATCH`
  ids a message). The thread publishes at once when it last published more than
  `OUTBOX_HANDOFF_INTERVAL` seconds ago, else when that interval is up: a lone
  request goes out without delay, and under load a process publishes what gathered
  once per interval however many requests it takes (a Celery publish costs about a
  millisecond of CPU). The request that wrote the row never waits on the
  broker, not even when the broker is slow or down.

Nothing is lost if the process dies with ids not yet published, or the broker is
down: the rows are committed and `pending`, and the sweep (`process_due_requests`,
every minute under beat) sends them. At interpreter exit and when a Celery pool
process shuts down, what is still pending is published first (`flush`).
"""

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

from celery.signals import worker_process_shutdown
from django.conf import settings

from planocore.celery import app
from planocore.outbox.tasks import send_external_request, send_external_requests

logger = logging.getLogger("planocore.outbox")


def _publish(request_ids: list[int]) -> None:
    send_external_requests.delay(request_ids)


class Handoff:
    """One process's ids waiting for the broker, and the thread that publishes them."""

    def __init__(self, publish: Callable[[list[int]], None] = _publish) -> None:
        self._publish = publish
        self._reset()
        atexit.register(self.flush)
        if hasattr(os, "register_at_fork"):
            # A forked child starts with no thread and must not inherit a held lock;
            # the ids pending at the fork are the parent's to publish.
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._pending: list[int] = []
        self._in_flight = 0
        self._thread: threading.Thread | None = None
        self._last_publish = -float("inf")

    def add(self, request_id: int) -> None:
        """Hand one committed request to the broker (or send it now when tasks are eager)."""
        if app.conf.task_always_eager:
            send_external_request.delay(request_id)
            return
        with self._lock:
            self._pending.append(request_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbox-handoff", daemon=True)
                self._thread.start()
            if len(self._pending) == 1:  # the thread waits for a first id, not for each one
                self._changed.notify_all()

    def flush(self, timeout: float = 10.0) -> None:
        """Publish what is pending now, and wait (up to `timeout`) for a publish under way."""
        self._publish_pending()
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight and time.monotonic() < deadline:
                self._changed.wait(timeout=max(deadline - time.monotonic(), 0))

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending) + self._in_flight

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending:
                    self._changed.wait()
                # At most one message per interval: the ids that commit meanwhile ride along.
                wait = self._last_publish + settings.OUTBOX_HANDOFF_INTERVAL - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)  # a flush may empty the list meanwhile: look again
                    continue
                self._last_publish = time.monotonic()
            try:
                self._publish_pending()
            except Exception:  # never let the thread die: the next ids would wait for the sweep
                logger.exception("The outbox hand-off failed; the sweep will send what it held.")

    def _publish_pending(self) -> None:
        size = max(settings.OUTBOX_HANDOFF_BATCH, 1)
        while True:
            with self._lock:
                if not self._pending:
                    return
                batch, self._pending = self._pending[:size], self._pending[size:]
                self._in_flight += len(batch)
            try:
                self._publish(batch)
            except Exception:
                # The broker is down: the rows stay pending and the sweep sends them.
                logger.warning(
                    "Could not hand %s outbox request(s) (%s) to the broker; the sweep will send them.",
                    len(batch),
                    ", ".join(map(str, batch[:10])) + (", ..." if len(batch) > 10 else ""),
                )
            finally:
                with self._lock:
                    self._in_flight -= len(batch)
                    self._changed.notify_all()


handoff = Handoff()


@worker_process_shutdown.connect
def _publish_handed_off_ids(**kwargs) -> None:
    """A pool process's exit skips atexit: publish the outbox ids it still holds first."""
    handoff.flush()
