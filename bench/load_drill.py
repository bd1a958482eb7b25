"""Load drill: a steady mix of API calls against gunicorn + PostgreSQL + Celery on Redis.

    .venv/bin/python bench/load_drill.py                  # 150 s, 8 clients, 30 calls/s in all
    .venv/bin/python bench/load_drill.py --seconds 60 --rate 0 --clients 8   # as fast as they go

Starts on 127.0.0.1 (bench/drillkit.py) its own PostgreSQL cluster and redis-server,
the RingCentral, Mandrill and Sunshine fakes, gunicorn (gunicorn.conf.py), Celery
workers and one `process_external_requests --loop` sender; seeds Glip teams and
users with a linked conversation; makes an application token; creates each client's
cancelations. Then `--clients` threads call, paced to `--rate` calls a second in all:
POST /api/v1/notifications (email, sms, glip, conversation), POST
/api/v1/glip/messages, PATCH /api/v1/cancelations/{id} (cancel / reinstate, each
sending a Glip and an email notice). It prints calls per second, p50/p99 latency and
answers by status; waits for the outbox to drain; then checks that every record the
API created was delivered exactly once: each notification and Glip message has one
succeeded request, the notices match the cancelation transitions, and every message
call a fake accepted matches one succeeded request by provider id (no duplicate,
none missing). PASS or FAIL, exit status 0 or 1. Stops everything it started.

RingCentral's Medium and Auth budgets are raised to 1,000,000 for the drill, and the
fake's limits with them (the real budget of 40 a minute would make it a rate-limit drill).
"""

import argparse
import re
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import drillkit  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=150, help="how long the clients call (150)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (8)")
    parser.add_argument(
        "--rate", type=float, default=30, help="calls per second in all; 0: as fast as they go"
    )
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn workers (3)")
    parser.add_argument("--celery-workers", type=int, default=2, help="Celery worker processes (2)")
    parser.add_argument("--concurrency", type=int, default=2, help="pool size of each Celery worker (2)")
    parser.add_argument("--cancelations", type=int, default=10, help="cancelations per client (10)")
    parser.add_argument("--drain-timeout", type=float, default=120, help="seconds to wait for the outbox")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    run_id = uuid.uuid4().hex[:6]
    with drillkit.Stack("load") as stack:
        seeded, token = stack.prepare_app(
            drill="load",
            PROVIDER_TIMEOUT_SECONDS=10,
        )
        base = stack.start_gunicorn(workers=args.web_workers)
        for number in range(args.celery_workers):
            stack.start_celery(f"celery{number}", concurrency=args.concurrency)
        stack.start_sender("sender0", sleep=0.5)
        traffic = drillkit.Traffic(
            base, token, seeded=seeded, clients=args.clients, rate=args.rate, run_id=run_id
        )
        traffic.make_cancelations(args.cancelations)
        time.sleep(2)  # the workers' start-up (they consume what the set-up queued)
        stack.say(
            f"calling for {args.seconds:g} s: {args.clients} clients, "
            + (f"{args.rate:g} calls/s" if args.rate else "as fast as they go")
        )
        elapsed = traffic.run(args.seconds)
        stack.say("waiting for the outbox to drain")
        drain_started = time.monotonic()
        drained, statuses = drillkit.wait_drained(timeout=args.drain_timeout, say=stack.say)
        drain_seconds = time.monotonic() - drain_started
        dead = stack.check_alive()
        logs = {fake: stack.fake_log(fake) for fake in ("ringcentral", "mandrill", "sunshine")}
        server = server_durations(stack.logs / "gunicorn.log")
        return report(args, traffic, elapsed, drained, drain_seconds, statuses, logs, dead, server)


def server_durations(log: Path) -> list[int]:
    """Milliseconds gunicorn took per API call (its access log: `"METHOD /api/..." status bytes Nms`)."""
    pattern = re.compile(r'"[A-Z]+ /api/\S* HTTP/[\d.]+" \d{3} \S+ (\d+)ms')
    return sorted(int(m.group(1)) for m in pattern.finditer(log.read_text(errors="replace")))


def report(args, traffic, elapsed, drained, drain_seconds, statuses, logs, dead, server) -> int:
    from glip.models import GlipMessage
    from notifications.models import Notification
    from planocore.outbox.models import ExternalRequest

    results = traffic.results
    calls = len(results.samples)
    ok = sum(n for status, n in results.statuses.items() if status.startswith("200 "))
    print()
    print("== load drill ==")
    print(drillkit.machine_line())
    print(
        f"settings: {args.seconds:g} s, {args.clients} clients, rate "
        f"{args.rate:g}/s, gunicorn {args.web_workers} workers, "
        f"Celery {args.celery_workers}x{args.concurrency}"
    )
    print(f"calls: {calls} in {elapsed:.1f} s = {calls / elapsed:.1f} calls/s ({ok} answered 200)")
    print(
        f"latency: p50 {results.percentile(0.50) * 1000:.0f} ms, "
        f"p90 {results.percentile(0.90) * 1000:.0f} ms, "
        f"p99 {results.percentile(0.99) * 1000:.0f} ms, max {max(results.samples or [0]) * 1000:.0f} ms"
    )
    if server:
        print(
            f"inside gunicorn (access log): p50 {server[len(server) // 2]} ms, "
            f"p99 {server[min(len(server) - 1, int(0.99 * len(server)))]} ms, max {server[-1]} ms"
        )
    print("by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(results.by_kind.items())))
    print("answers: " + ", ".join(f"{s} x{n}" for s, n in sorted(results.statuses.items())))
    print(f"errors by status: {dict(traffic.errors) or 'none'}")

    failures = []
    if traffic.errors:
        failures.append(f"{sum(traffic.errors.values())} call(s) not answered 200: {dict(traffic.errors)}")
    if dead:
        failures.append(f"processes exited during the drill: {dead}")
    if not drained:
        failures.append(f"outbox not drained after {args.drain_timeout:g} s: {dict(statuses)}")
    print(f"outbox drained in {drain_seconds:.1f} s: {dict(statuses)}")

    # Records the API created exist, and each has exactly one succeeded request.
    created = traffic.created
    missing_n = len(set(created.notifications) - set(Notification.objects.values_list("id", flat=True)))
    missing_g = len(set(created.glip_messages) - set(GlipMessage.objects.values_list("id", flat=True)))
    if missing_n or missing_g:
        failures.append(
            f"records answered but not in the database: {missing_n} notifications, {missing_g} messages"
        )
    not_once = []
    for model, label, sent in ((Notification, "notification", "sent"), (GlipMessage, "glip message", "sent")):
        for record in model.objects.all():
            requests = list(
                (record.outgoing_requests if model is Notification else record.external_requests).values_list(
                    "status", flat=True
                )
            )
            if (
                requests.count(ExternalRequest.Status.SENT) != 1
                or len(requests) != 1
                or record.status != sent
            ):
                not_once.append(f"{label} {record.pk}: requests {requests}, status {record.status!r}")
    if not_once:
        failures.append(f"{len(not_once)} record(s) not delivered exactly once, e.g. {not_once[:3]}")
    notices = Notification.objects.filter(key__startswith="cancelation-").count()
    print(
        f"records: {Notification.objects.count()} notifications ({notices} cancelation notices for "
        f"{created.transitions} transitions), {GlipMessage.objects.count()} Glip messages"
    )
    if notices != 2 * created.transitions:
        failures.append(
            f"{notices} cancelation notices for {created.transitions} transitions (expected 2 each)"
        )

    delivery = drillkit.delivery_report(logs)
    print(
        f"providers: {delivery.accepted_calls} message calls accepted by the fakes; "
        f"{delivery.requests} outbox requests, {delivery.succeeded} succeeded "
        f"({', '.join(f'{c} {n}' for c, n in sorted(delivery.by_channel.items()))})"
    )
    print(
        f"exactly once: {delivery.matched} matched by provider id, {delivery.extra_sends} sent twice, "
        f"{len(delivery.phantom)} without a provider call, {len(delivery.multi_matched)} ids answered twice"
    )
    if delivery.extra_sends or delivery.phantom or delivery.multi_matched:
        failures.append(
            f"delivery: {delivery.extra_sends} extra sends (requests {delivery.extra_candidates[:3]}), "
            f"phantom {delivery.phantom[:5]}, multi {delivery.multi_matched[:5]}"
        )
    if delivery.succeeded != delivery.requests:
        failures.append(f"requests not succeeded: {dict(delivery.by_status)}")
    faults = sum(1 for entries in logs.values() for e in entries if (e["status"] or 0) >= 400)
    if faults:
        failures.append(f"the fakes answered {faults} error(s) (none were injected)")

    return drillkit.verdict(failures, "every created record delivered exactly once")


if __name__ == "__main__":
    drillkit.run(main)
