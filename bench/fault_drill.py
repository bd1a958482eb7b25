"""Fault drill: provider errors, 429s, hangs, a killed worker and a database restart, mid-load.

    .venv/bin/python bench/fault_drill.py                 # 120 s of calls, then the drain
    .venv/bin/python bench/fault_drill.py --seconds 60 --error-share 0.2

Starts what bench/load_drill.py starts (its own PostgreSQL cluster and Redis, the
fakes, gunicorn, Celery workers, a `process_external_requests --loop` sender; see
bench/drillkit.py) with short timers: PROVIDER_TIMEOUT_SECONDS 1.5,
OUTBOX_LEASE_SECONDS 10, retries from 1 s up to 8 s. While the same API mix runs:

- every fake answers a share of its message calls with 500, 429 with Retry-After,
  or a hang longer than the timeout (then 504, the message not handled);
- at 30 % of the run a Celery worker is SIGKILLed with its pool, and at 45 % the
  sender is SIGKILLed while it holds a claimed batch of several rows (each is
  started again 3 s later, as a supervisor would); the rows in `sending` at each
  kill are what was "in flight";
- at 65 % the database is restarted (`pg_ctl restart -m fast`);
- at 12 % the cache (its own redis-server, CACHE_URL) is stopped for 8 s and started
  again empty on the same port; at 85 % it is paused (SIGSTOP) for 5 s. During each,
  /healthz must answer 200 with "cache": "degraded", and every call must answer as
  without the fault (action-successful, or a documented provider failure); the
  calls' p50/p99 during each cache fault, and outside them, are printed. The
  providers' Retry-After penalties are kept in the cache and fail open with it: calls
  during a Retry-After that overlapped a cache fault (or the CACHE_RETRY_SECONDS
  after it) are counted apart, not as failures.

Then the faults stop, the outbox drains, and it checks: nothing lost (every record
the API answered exists, has its request, and no request is left pending or sending),
nothing sent twice beyond the requests in flight at a kill (reported; a database
restart may send nothing twice: workers keep their outcomes until they can write them),
every priority >= 5 request delivered, and no provider called while a Retry-After it
gave was running (calls within 0.5 s of the 429 were already on their way and are
counted apart). Errors answered by the API are sorted into documented provider
failures, those during the database restart, and others (which fail the drill).
Prints figures and PASS or FAIL (exit status 0 or 1).

    .venv/bin/python bench/fault_drill.py --budget-burst 200          # ~5 minutes
    .venv/bin/python bench/fault_drill.py --budget-burst 200 --budget-window 15

`--budget-burst N` runs the budget drill instead: the RingCentral fake enforces its own
rolling limit (`--budget`, 40 calls per `--budget-window`, 60 s; beyond it 429 and a
penalty), the app has the same budget (RINGCENTRAL_BUDGET_MEDIUM,
PROVIDER_BUDGET_WINDOW_SECONDS), and N SMS notifications are created at once through the
API while gunicorn, two Celery workers and a sender drain. It checks that every SMS
arrives, that the fake answered zero 429s and never saw more than the budget in any
window, and that the drain rate after the first window is within 10 % of the budget per
window for the extension. A shorter window keeps the code path and shortens the wait
(the rate is then checked against budget per that window).
"""

import argparse
import http.client
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import drillkit  # noqa: E402

PROVIDER_TIMEOUT = 1.5
CACHE_STOPPED_SECONDS = 8.0
CACHE_PAUSED_SECONDS = 5.0
CACHE_RETRY_SECONDS = 5.0  # a process skips the cache this long after a failed call
LEASE_SECONDS = 10
PROVIDER_FAILURES = ("mandrill-email-failed", "provider-failed")
_MESSAGE_ENDS = ("/posts", "/sms", "/mms", "/send.json", "/messages")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=120, help="how long the clients call (120)")
    parser.add_argument("--clients", type=int, default=6, help="client threads (6)")
    parser.add_argument("--rate", type=float, default=20, help="calls per second in all (20)")
    parser.add_argument("--error-share", type=float, default=0.10, help="share of message calls answered 500")
    parser.add_argument("--rate-limit-share", type=float, default=0.01, help="share answered 429 (0.01)")
    parser.add_argument("--retry-after", type=float, default=2.0, help="the 429s' Retry-After, seconds (2)")
    parser.add_argument("--hang-share", type=float, default=0.05, help="share of calls that hang")
    parser.add_argument("--hang-seconds", type=float, default=3.0, help="how long a hang lasts (3)")
    parser.add_argument("--drain-timeout", type=float, default=150, help="seconds to wait for the outbox")
    parser.add_argument("--seed", type=int, default=8, help="seed of the fakes' random faults")
    parser.add_argument(
        "--budget-burst", type=int, default=0, help="run the budget drill with this many SMS at once"
    )
    parser.add_argument("--budget", type=int, default=40, help="the budget drill's calls per window (40)")
    parser.add_argument("--budget-window", type=float, default=60, help="the budget drill's window, s (60)")
    return parser.parse_args()


def sending_rows() -> dict[int, str]:
    """Rows in `sending` now: id -> lease token."""
    from django.db import connection

    from planocore.outbox.models import ExternalRequest

    try:
        return dict(ExternalRequest.objects.filter(status="sending").values_list("id", "lease_token"))
    finally:
        connection.close()


def _single_claims(rows: dict[int, str]) -> set[int]:
    """Rows claimed alone (by a Celery task or an API call), not as part of a batch."""
    counts: dict[str, int] = {}
    for token in rows.values():
        counts[token] = counts.get(token, 0) + 1
    return {pk for pk, token in rows.items() if counts[token] == 1}


def start_cache(stack: drillkit.Stack, port: int) -> None:
    """The cache's own redis-server (apart from the broker's, so a cache fault leaves the broker up)."""
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = stack.spawn("redis-cache", argv + ["--dir", str(stack.tmp)])
    drillkit.wait_port(port, proc=proc)


def healthz(base: str) -> tuple[int, dict]:
    host, _, port = base.removeprefix("http://").partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    except (OSError, ValueError, http.client.HTTPException) as exc:
        return 0, {"error": type(exc).__name__}
    finally:
        conn.close()


class Faults:
    """The timed faults: kill a Celery worker, kill the sender mid-batch, restart the database,
    stop and pause the cache."""

    def __init__(self, stack: drillkit.Stack, seconds: float) -> None:
        self.stack, self.seconds = stack, seconds
        self.done: set[str] = set()
        self.in_flight: dict[str, set[int]] = {}
        self.restart_window: tuple[float, float] | None = None
        self.events: list[str] = []
        self.restart_later: list[tuple[float, str]] = []
        self.sender_batch = 0
        self.backlog_at_end = 0
        self.off_at = 0.0
        self.base = ""
        self.cache_port = 0
        self.cache_windows: dict[str, list[float]] = {}  # "stopped"/"paused" -> [start, end] (monotonic)
        self.cache_wall: dict[str, list[float]] = {}  # the same in time.time()
        self.cache_health: dict[str, tuple[int, dict]] = {}

    def cache_faults(self, elapsed: float) -> None:
        stack = self.stack
        now = time.monotonic()
        if "cache stop" not in self.done and elapsed >= 0.12 * self.seconds:
            self.done.add("cache stop")
            stack.stop("redis-cache")
            self.cache_windows["stopped"] = [time.monotonic(), 0.0]
            self.cache_wall["stopped"] = [time.time(), 0.0]
            self.cache_health["stopped"] = healthz(self.base)
            self.events.append(f"+{elapsed:.0f}s cache stopped (redis-server SIGTERM)")
        window = self.cache_windows.get("stopped")
        if window and not window[1] and now - window[0] >= CACHE_STOPPED_SECONDS:
            start_cache(stack, self.cache_port)
            window[1] = time.monotonic()
            self.cache_wall["stopped"][1] = time.time()
            down = window[1] - window[0]
            self.events.append(f"+{elapsed:.0f}s cache started again, empty ({down:.1f} s down)")
        if "cache pause" not in self.done and elapsed >= 0.85 * self.seconds:
            self.done.add("cache pause")
            os.kill(stack.procs["redis-cache"].pid, signal.SIGSTOP)
            self.cache_windows["paused"] = [time.monotonic(), 0.0]
            self.cache_wall["paused"] = [time.time(), 0.0]
            self.cache_health["paused"] = healthz(self.base)
            self.events.append(f"+{elapsed:.0f}s cache paused (SIGSTOP)")
        self.resume_cache(force=False)

    def resume_cache(self, *, force: bool = True) -> None:
        window = self.cache_windows.get("paused")
        if window and not window[1] and (force or time.monotonic() - window[0] >= CACHE_PAUSED_SECONDS):
            os.kill(self.stack.procs["redis-cache"].pid, signal.SIGCONT)
            window[1] = time.monotonic()
            self.cache_wall["paused"][1] = time.time()
            self.events.append(f"cache resumed (SIGCONT) after {window[1] - window[0]:.1f} s")
        window = self.cache_windows.get("stopped")
        if force and window and not window[1]:
            start_cache(self.stack, self.cache_port)
            window[1] = time.monotonic()
            self.cache_wall["stopped"][1] = time.time()

    def __call__(self, elapsed: float) -> None:
        stack = self.stack
        self.cache_faults(elapsed)
        for when, name in list(self.restart_later):
            if elapsed >= when:
                self.restart_later.remove((when, name))
                if name.startswith("celery"):
                    stack.start_celery(name, concurrency=2)
                else:
                    stack.start_sender(name, sleep=0.5)
                self.events.append(f"+{elapsed:.0f}s {name} started again")
        if "celery" not in self.done and elapsed >= 0.30 * self.seconds:
            self.done.add("celery")
            rows = sending_rows()
            stack.kill("celery0")
            # A Celery task claims one row (its own lease token); a sender's batch shares one.
            self.in_flight["celery kill"] = _single_claims(rows)
            self.events.append(
                f"+{elapsed:.0f}s SIGKILL celery0 (and its pool); {len(rows)} row(s) in sending, "
                f"{len(self.in_flight['celery kill'])} of them claimed alone"
            )
            self.restart_later.append((elapsed + 3, "celery0b"))
        if "sender" not in self.done and elapsed >= 0.45 * self.seconds:
            # Wait (up to 20 s) until the sender holds a claimed batch of several rows.
            deadline = time.monotonic() + 20
            while True:
                rows = sending_rows()
                tokens = {}
                for token in rows.values():
                    tokens[token] = tokens.get(token, 0) + 1
                biggest = max(tokens.values(), default=0)
                if biggest >= 3 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            stack.kill("sender0")
            self.done.add("sender")
            self.sender_batch = biggest
            batch_token = max(tokens, key=tokens.get) if tokens else None
            self.in_flight["sender kill"] = {pk for pk, token in rows.items() if token == batch_token}
            self.events.append(
                f"+{elapsed:.0f}s SIGKILL sender0 holding a batch of {biggest} row(s); "
                f"{len(rows)} row(s) in sending"
            )
            self.restart_later.append((elapsed + 3, "sender1"))
        if "database" not in self.done and elapsed >= 0.65 * self.seconds:
            self.done.add("database")
            rows = sending_rows()
            started = time.monotonic()
            took = stack.restart_postgres()
            self.restart_window = (started, time.monotonic())
            self.in_flight["database restart"] = set(rows)
            self.events.append(
                f"+{elapsed:.0f}s database restarted (pg_ctl restart -m fast, {took:.1f} s); "
                f"{len(rows)} row(s) in sending"
            )


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def budget_drill(args) -> int:
    """A burst of SMS against the fake's own rolling limit: zero 429s, the drain rate at the budget."""
    budget, window, n = args.budget, args.budget_window, args.budget_burst
    with drillkit.Stack("budget") as stack:
        _, token = stack.prepare_app(
            drill="budget",
            ringcentral=[
                *("--rate-limit", f"Medium={budget}", "--rate-window", f"{window:g}"),
                *("--penalty", f"{window:g}", "--enforce"),
            ],
            RINGCENTRAL_BUDGET_MEDIUM=budget,
            PROVIDER_BUDGET_WINDOW_SECONDS=window,
        )
        base = stack.start_gunicorn(workers=2)
        stack.start_celery("celery0", concurrency=2)
        stack.start_celery("celery1", concurrency=2)
        stack.start_sender("sender0", sleep=0.5)
        time.sleep(2)
        stack.say(f"creating {n} SMS at once (budget {budget} per {window:g} s)")
        api = drillkit.ApiClient(base, token)
        answers: dict[str, int] = {}
        started = time.time()
        for i in range(n):
            code, body = api.call(
                "POST",
                "/api/v1/notifications",
                {
                    "notification_type": "sms",
                    "key": "budget-drill",
                    "phone_from": "+15550001111",
                    "phone_to": "+15550002222",
                    "email_body": f"Budget drill sms {i}",
                },
            )
            answers[f"{code} {body.get('status')}"] = answers.get(f"{code} {body.get('status')}", 0) + 1
        api.close()
        created_in = time.time() - started
        expected = window * (n / budget) + 120
        drained, statuses = drillkit.wait_drained(timeout=expected, say=stack.say)
        log = stack.fake_log("ringcentral")
    sms = [e for e in log if e["path"].endswith("/sms")]
    accepted = sorted(e["at"] for e in sms if e["status"] == 200)
    refused = [e for e in log if e["status"] == 429]
    most = most_in_any_window([e["at"] for e in sms], window)
    # After the first window's burst of `budget`, a perfect limiter sends `budget` per window.
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    steady = (len(accepted) - budget) / span * window if span else 0.0
    overall = len(accepted) / span * window if span else 0.0
    print()
    print("== budget drill ==")
    print(drillkit.machine_line())
    print(
        f"settings: {n} SMS created at once in {created_in:.1f} s ({answers}); budget {budget} per "
        f"{window:g} s for the one extension (the default), the fake enforcing the same"
    )
    print(f"outbox: drained={drained} {dict(statuses)}")
    print(
        f"provider: {len(sms)} SMS calls, {len(accepted)} accepted, {len(refused)} answered 429; "
        f"at most {most} SMS calls in any {window:g} s"
    )
    print(
        f"drain rate: {steady:.2f} per {window:g} s after the first window "
        f"({steady / budget:.1%} of the budget); {overall:.2f} per {window:g} s counting the first burst; "
        f"first to last accepted call {span:.1f} s"
    )
    failures = []
    if not drained or statuses.get("sent", 0) != n:
        failures.append(f"not every SMS was sent: {dict(statuses)}")
    if len(accepted) != n:
        failures.append(f"the fake accepted {len(accepted)} SMS of {n}")
    if refused:
        failures.append(f"{len(refused)} call(s) answered 429")
    if most > budget:
        failures.append(f"{most} calls in one {window:g} s span, over the budget of {budget}")
    if n > budget and abs(steady / budget - 1) > 0.10:
        failures.append(f"drain rate {steady:.2f} per window is not within 10 % of {budget}")
    return drillkit.verdict(failures, "zero 429s, never over the budget, drain rate within 10 % of it")


def main() -> int:
    args = parse_args()
    if args.budget_burst:
        return budget_drill(args)
    run_id = uuid.uuid4().hex[:6]
    with drillkit.Stack("fault") as stack:
        cache_port = drillkit.free_port()
        start_cache(stack, cache_port)
        seeded, token = stack.prepare_app(
            drill="fault",
            CACHE_URL=f"redis://127.0.0.1:{cache_port}/0",
            CACHE_RETRY_SECONDS=CACHE_RETRY_SECONDS,
            PROVIDER_TIMEOUT_SECONDS=PROVIDER_TIMEOUT,
            OUTBOX_LEASE_SECONDS=LEASE_SECONDS,
            OUTBOX_RETRY_BASE_SECONDS=1,
            OUTBOX_RETRY_MAX_SECONDS=8,
        )
        base = stack.start_gunicorn(workers=3)
        stack.start_celery("celery0", concurrency=2)
        stack.start_celery("celery1", concurrency=2)
        stack.start_sender("sender0", sleep=0.5)
        traffic = drillkit.Traffic(
            base, token, seeded=seeded, clients=args.clients, rate=args.rate, run_id=run_id
        )
        traffic.make_cancelations(5)
        time.sleep(2)
        for fake in drillkit.MESSAGE_PATHS:
            stack.set_chaos(
                fake,
                error_share=args.error_share,
                rate_limit_share=args.rate_limit_share,
                retry_after=args.retry_after,
                hang_share=args.hang_share,
                hang_seconds=args.hang_seconds,
                path=drillkit.MESSAGE_PATHS[fake],
                seed=args.seed,
            )
        stack.say(
            f"calling for {args.seconds:g} s with faults: {args.error_share:.0%} 500, "
            f"{args.rate_limit_share:.0%} 429 (Retry-After {args.retry_after:g} s), "
            f"{args.hang_share:.0%} hangs of {args.hang_seconds:g} s"
        )
        faults = Faults(stack, args.seconds)
        faults.base, faults.cache_port = base, cache_port
        try:
            elapsed = traffic.run(args.seconds, during=faults)
        finally:
            faults.resume_cache()
        for _, name in faults.restart_later:  # started again even if the run ended first
            if name.startswith("celery"):
                stack.start_celery(name, concurrency=2)
            else:
                stack.start_sender(name, sleep=0.5)
        from planocore.outbox.models import ExternalRequest

        faults.backlog_at_end = ExternalRequest.objects.filter(
            status__in=["queued", "retrying", "sending"]
        ).count()
        for fake in drillkit.MESSAGE_PATHS:
            stack.set_chaos(fake)
        faults.off_at = time.time()
        stack.say(f"faults off; waiting for the outbox to drain ({faults.backlog_at_end} pending or sending)")
        drain_started = time.monotonic()
        drained, statuses = drillkit.wait_drained(timeout=args.drain_timeout, say=stack.say)
        drain_seconds = time.monotonic() - drain_started
        dead = stack.check_alive()
        logs = {fake: stack.fake_log(fake) for fake in drillkit.MESSAGE_PATHS}
        return report(args, traffic, faults, elapsed, drained, drain_seconds, statuses, logs, dead)


def report(args, traffic, faults, elapsed, drained, drain_seconds, statuses, logs, dead) -> int:
    from glip.models import GlipMessage
    from notifications.models import Notification
    from planocore.outbox.models import ExternalRequest

    results = traffic.results
    calls = len(results.samples)
    print()
    print("== fault drill ==")
    print(drillkit.machine_line())
    print(
        f"settings: {args.seconds:g} s, {args.clients} clients at {args.rate:g} calls/s; faults "
        f"{args.error_share:.0%} 500, {args.rate_limit_share:.0%} 429 (Retry-After {args.retry_after:g} s), "
        f"{args.hang_share:.0%} hangs of {args.hang_seconds:g} s; "
        f"PROVIDER_TIMEOUT_SECONDS {PROVIDER_TIMEOUT:g}, "
        f"OUTBOX_LEASE_SECONDS {LEASE_SECONDS}"
    )
    for event in faults.events:
        print(f"event: {event}")
    print(
        f"calls: {calls} in {elapsed:.1f} s = {calls / elapsed:.1f} calls/s; latency p50 "
        f"{results.percentile(0.5) * 1000:.0f} ms, p99 {results.percentile(0.99) * 1000:.0f} ms"
    )
    print("answers: " + ", ".join(f"{s} x{n}" for s, n in sorted(results.statuses.items())))

    failures = []

    # The cache faults: every call answers as without them, and not much slower.
    def latency(calls: list[tuple[float, str]]) -> str:
        ordered = sorted(seconds for seconds, _ in calls) or [0.0]
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        return (
            f"p50 {ordered[len(ordered) // 2] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {ordered[-1] * 1000:.0f} ms"
        )

    for name, (start, end) in faults.cache_windows.items():
        calls = results.between(start, end)
        answers = Counter(status for _, status in calls)
        ok = answers.pop("200 action-successful", 0)
        documented = sum(n for status, n in answers.items() if status.split(" ", 1)[1] in PROVIDER_FAILURES)
        others = {st: n for st, n in answers.items() if st.split(" ", 1)[1] not in PROVIDER_FAILURES}
        health = faults.cache_health.get(name)
        print(
            f"cache {name} ({end - start:.1f} s): {len(calls)} calls running, {ok} action-successful, "
            f"{documented} documented provider failures, other {others or 'none'}; latency {latency(calls)} "
            f"(action-successful only: {latency([c for c in calls if c[1] == '200 action-successful'])}); "
            f"/healthz {health}"
        )
        if not calls:
            failures.append(f"no call ran while the cache was {name} (not exercised)")
        if others:
            failures.append(f"calls answered otherwise while the cache was {name}: {others}")
        if not health or health[0] != 200 or health[1].get("cache") != "degraded":
            failures.append(f"/healthz while the cache was {name}: {health} (wanted 200, cache degraded)")
    if faults.cache_windows:
        calm = results.outside([tuple(w) for w in faults.cache_windows.values()])
        print(
            f"outside the cache faults: {len(calm)} calls, latency {latency(calm)} (action-successful only: "
            f"{latency([c for c in calm if c[1] == '200 action-successful'])})"
        )

    # API errors: documented provider failures, those around the restart, the rest.
    window = faults.restart_window
    during_restart, other = [], []
    for started, seconds, kind, status in traffic.error_log:
        if status.split(" ", 1)[1] in PROVIDER_FAILURES:
            continue
        if window and started <= window[1] + 2 and started + seconds >= window[0]:
            during_restart.append(f"{status} at {started - window[0]:+.2f}s")
        else:
            other.append(f"{kind}: {status}")
    print(
        f"API errors: {traffic.created.provider_failed} documented provider failures, "
        f"{len(during_restart)} during the database restart, {len(other)} other"
    )
    if during_restart:
        print(f"  during the restart (time from its start): {during_restart[:10]}")
    if other:
        failures.append(f"{len(other)} API error(s) outside the restart window, e.g. {other[:5]}")

    fault_counts = {}
    for entries in logs.values():
        for entry in entries:
            if entry["fault"]:
                fault_counts[entry["fault"]] = fault_counts.get(entry["fault"], 0) + 1
    message_calls = [
        e for fake, entries in logs.items() for e in entries if e["path"].endswith(_MESSAGE_ENDS)
    ]
    under_faults = sum(1 for e in message_calls if e["at"] < faults.off_at)
    print(
        f"faults injected: {fault_counts}; {under_faults} of {len(message_calls)} message calls "
        f"made while faults were on, the rest after ({faults.backlog_at_end} requests were "
        "pending or sending when the calls stopped)"
    )

    if dead:
        failures.append(f"processes exited on their own: {dead}")
    print(f"outbox drained in {drain_seconds:.1f} s: {dict(statuses)}")
    if not drained:
        failures.append(f"outbox not drained after {args.drain_timeout:g} s: {dict(statuses)}")

    # Nothing lost.
    created = traffic.created
    missing_n = len(set(created.notifications) - set(Notification.objects.values_list("id", flat=True)))
    missing_g = len(set(created.glip_messages) - set(GlipMessage.objects.values_list("id", flat=True)))
    if missing_n or missing_g:
        failures.append(
            f"answered but not in the database: {missing_n} notifications, {missing_g} Glip messages"
        )
    without_request = (
        Notification.objects.exclude(notification_type="").filter(outgoing_requests=None).count()
    )
    without_request += GlipMessage.objects.filter(external_requests=None).count()
    # Each record follows its request (the receivers run in the outcome's transaction).
    mismatched = []
    for message in GlipMessage.objects.prefetch_related("external_requests"):
        final = {r.status for r in message.external_requests.all()}
        expected = "sent" if "sent" in final else "failed" if final == {"failed"} else None
        if expected != message.status:
            mismatched.append(f"glip message {message.pk}: {message.status} with requests {final}")
    for notification in Notification.objects.exclude(notification_type="").prefetch_related(
        "outgoing_requests"
    ):
        final = {r.status for r in notification.outgoing_requests.all()}
        if "sent" in final and notification.status != "sent":
            mismatched.append(f"notification {notification.pk}: {notification.status} with requests {final}")
    if mismatched:
        failures.append(
            f"{len(mismatched)} record(s) whose status does not follow delivery: {mismatched[:3]}"
        )
    if without_request:
        failures.append(f"{without_request} record(s) without an outgoing request")
    rows = list(ExternalRequest.objects.values("id", "priority", "status", "attempts"))
    high = [r for r in rows if r["priority"] >= 5]
    high_undelivered = [r["id"] for r in high if r["status"] != "sent"]
    low_failed = [r for r in rows if r["priority"] < 5 and r["status"] != "sent"]
    print(
        f"requests: {len(rows)}; priority >= 5: {len(high)}, {len(high) - len(high_undelivered)} delivered; "
        f"priority < 5: {len(rows) - len(high)}, {len(low_failed)} failed (kept for staff to retry); "
        f"attempts: {sum(r['attempts'] for r in rows)}"
    )
    if high_undelivered:
        failures.append(
            f"{len(high_undelivered)} priority >= 5 request(s) not delivered: {high_undelivered[:10]}"
        )
    bad_low = [r["id"] for r in low_failed if r["status"] != "failed"]
    if bad_low:
        failures.append(f"priority < 5 requests neither succeeded nor failed: {bad_low[:10]}")

    # Nothing sent twice beyond what was in flight.
    delivery = drillkit.delivery_report(logs)
    # Only a kill may send something twice (an outcome lost with its worker); a database
    # restart may not (the worker keeps its outcomes and writes them once it reconnects).
    kills = [rows for event, rows in faults.in_flight.items() if "kill" in event]
    in_flight = set().union(*kills) if kills else set()
    explained = [c for c in delivery.extra_candidates if set(c) & in_flight]
    per_event = {
        event: sum(1 for c in delivery.extra_candidates if set(c) & rows)
        for event, rows in faults.in_flight.items()
    }
    print(
        f"providers: {delivery.accepted_calls} message calls accepted; {delivery.matched} of "
        f"{delivery.succeeded} succeeded requests matched by provider id"
    )
    print(
        f"sent twice: {delivery.extra_sends} (rows in sending at each event: "
        + ", ".join(f"{k} {len(v)}" for k, v in faults.in_flight.items())
        + f"; sent twice among them: {per_event})"
    )
    for event, ids in faults.in_flight.items():
        final = ExternalRequest.objects.filter(pk__in=ids).values_list("status", flat=True)
        counts = {status: list(final).count(status) for status in set(final)}
        print(f"  in flight at the {event}, now: {counts or 'none'}")
    if faults.sender_batch < 2:
        failures.append("the sender held no batch of several rows when it was killed (not exercised)")
    if len(explained) != delivery.extra_sends:
        failures.append(
            f"{delivery.extra_sends - len(explained)} message(s) sent twice "
            "that were not in flight at a kill (candidates): "
            f"{[c[:3] for c in delivery.extra_candidates if not set(c) & in_flight][:5]}"
        )
    if delivery.phantom or delivery.multi_matched:
        failures.append(
            f"succeeded without a provider call: {delivery.phantom[:5]}; {delivery.multi_matched[:5]}"
        )

    # The provider penalties live in the cache: a Retry-After that overlapped a cache
    # fault (or the CACHE_RETRY_SECONDS after it, while processes still skip the cache)
    # may be missed (the budgets fail open), counted apart.
    exempt = [(start, end + CACHE_RETRY_SECONDS) for start, end in faults.cache_wall.values()]
    limits = drillkit.rate_limit_report(logs, exempt=exempt)
    print(
        f"Retry-After: {limits.windows} 429s given; calls during a Retry-After: {limits.calls_in_window} "
        f"(+{limits.calls_in_grace} already on their way, within 0.5 s of the 429; "
        f"latest +{limits.latest_in_grace:.2f} s; +{limits.calls_in_exempt} during a Retry-After that "
        "overlapped a cache fault, when the penalties kept in the cache fail open)"
    )
    if limits.calls_in_window:
        failures.append(
            f"providers called during their Retry-After: {dict(limits.by_fake)}, e.g. {limits.worst}"
        )

    return drillkit.verdict(
        failures, "nothing lost, nothing sent twice beyond the in-flight requests, Retry-After honoured"
    )


if __name__ == "__main__":
    drillkit.run(main)
