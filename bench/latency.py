"""Latency of the hand-off: from the API's answer to the provider fake receiving the call.

    .venv/bin/python bench/latency.py                    # 100 req/s for 60 s
    .venv/bin/python bench/latency.py --rate 50 --seconds 30

Starts on 127.0.0.1 (bench/drillkit.py) its own PostgreSQL cluster and redis-server,
the provider fakes, gunicorn (gunicorn.conf.py, the production worker count unless
--web-workers says otherwise) and one Celery worker on that Redis; no beat and no
`process_external_requests` sender, so the minute sweep cannot be the path. Then
it POSTs SMS notifications (/api/v1/notifications) at a steady `--rate` a second
(each call at its own scheduled time, from a pool of client threads) for
`--seconds`, notes when each answer came, and reads from the RingCentral fake when
it received each SMS (the same machine's clock). It prints p50/p95/p99/max of
the difference (target p99 <= 250 ms), how many answers were late on schedule,
then runs the sweep once (`process_external_requests`) and prints how many it
sent: the requests the hand-off did not deliver (should be 0).

The SMS are sent from `--extensions` RingCentral extensions in turn (50 by
default, each its own user with its own budget row and login). RingCentral lets
one user send about 40 SMS a minute (the Medium group), so 100 SMS a second
come from at least 150 users in production; and each budget row keeps the times
of its user's calls of the last minute (planocore/providers/ratelimit.py). With
`--extensions 1` and the budgets lifted (as here), one row holds 6,000 times
at 100 calls/s, read and rewritten twice per send: about 14 ms of the worker's
CPU per send, for a setup RingCentral would never allow.
"""

import argparse
import json
import re
import runpy
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import drillkit  # noqa: E402

SMS_PATH = re.compile(r"/extension/[^/]+/sms$")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60, help="how long to call (60)")
    parser.add_argument("--rate", type=float, default=100, help="calls per second, steady (100)")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=runpy.run_path(str(drillkit.ROOT / "gunicorn.conf.py"))["workers"],
        help="gunicorn workers (default: what gunicorn.conf.py gives, %(default)s here)",
    )
    parser.add_argument("--concurrency", type=int, default=2, help="the Celery worker's pool size (2)")
    parser.add_argument("--clients", type=int, default=32, help="client threads (32)")
    parser.add_argument(
        "--extensions", type=int, default=50, help="RingCentral extensions sending the SMS, in turn (50)"
    )
    return parser.parse_args()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def add_extensions(count: int) -> list[str]:
    """`count` active extensions logging in with the fake's JWT; their numbers."""
    from planocore.providers.ringcentral.models import RingCentralExtension

    numbers = [str(9000 + n) for n in range(count)]
    for n, number in enumerate(numbers):
        RingCentralExtension.objects.update_or_create(
            extension_number=number,
            defaults={"login_phone_number": f"+1555100{n:04d}", "jwt": drillkit.RC_JWT, "active": True},
        )
    return numbers


def call(
    base: str, token: str, rate: float, seconds: float, clients: int, extensions: list[str]
) -> tuple[dict, int, int]:
    """Call at a steady rate; return ({tag: when its answer came}, errors, late starts)."""
    answered: dict[str, float] = {}
    errors = late = 0
    lock = threading.Lock()
    run_id = uuid.uuid4().hex[:6]
    local = threading.local()
    start = time.time() + 1
    total = int(rate * seconds)

    def one(n: int) -> None:
        nonlocal errors, late
        scheduled = start + n / rate
        wait = scheduled - time.time()
        if wait > 0:
            time.sleep(wait)
        if not hasattr(local, "client"):
            local.client = drillkit.ApiClient(base, token)
        tag = f"latency-{run_id}-{n}"
        body = {
            "notification_type": "sms",
            "key": "latency",
            "extension": extensions[n % len(extensions)],
            "phone_to": "+15550002222",
            "email_body": tag,
        }
        status, _ = local.client.call("POST", "/api/v1/notifications", body)
        now = time.time()
        with lock:
            if now - scheduled > 1 / rate * clients:
                late += 1
            if status == 200:
                answered[tag] = now
            else:
                errors += 1

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(total)))
    return answered, errors, late


class Received:
    """When the RingCentral fake received each tagged SMS, read from its log as it grows."""

    def __init__(self, stack: drillkit.Stack, tags: dict) -> None:
        self.url = f"{stack.fake_urls['ringcentral']}/_fake/log"
        self.tags, self.seen, self.at = tags, 0, {}

    def read(self) -> dict[str, float]:
        while True:
            page = drillkit.http_json("GET", f"{self.url}?since={self.seen}", timeout=120)["received"]
            if not page:
                return self.at
            self.seen += len(page)
            for entry in page:
                if SMS_PATH.search(entry["path"]) and entry["status"] == 200:
                    match = re.search(r"latency-[0-9a-f]+-\d+", json.dumps(entry["body"]))
                    if match and match.group(0) in self.tags:
                        self.at.setdefault(match.group(0), entry["at"])


def main() -> int:
    args = parse_args()
    with drillkit.Stack("latency") as stack:
        _, token = stack.prepare_app(drill="latency", PROVIDER_TIMEOUT_SECONDS=10)
        extensions = add_extensions(args.extensions)
        base = stack.start_gunicorn(workers=args.web_workers)
        stack.start_celery("celery0", concurrency=args.concurrency)
        time.sleep(3)  # the worker's start-up
        stack.say(
            f"{args.rate:g} calls/s for {args.seconds:g} s from {len(extensions)} extensions; "
            f"{args.web_workers} gunicorn workers, a Celery worker of {args.concurrency} processes"
        )
        print(drillkit.machine_line(), flush=True)
        began = time.monotonic()
        answered, errors, late = call(base, token, args.rate, args.seconds, args.clients, extensions)
        took = time.monotonic() - began - 1
        print(drillkit.machine_line(), flush=True)
        deadline = time.monotonic() + 30
        log = Received(stack, answered)
        received = log.read()
        while len(received) < len(answered) and time.monotonic() < deadline:
            time.sleep(1)
            received = log.read()
        delays = [(received[tag] - answered[tag]) * 1000 for tag in received]
        swept = stack.manage("process_external_requests").strip()
        print(
            f"answered: {len(answered)} in {took:.0f} s = {len(answered) / took:.0f}/s "
            f"(errors {errors}; answers later than the schedule allows: {late})"
        )
        print(f"received by the fake through the hand-off: {len(received)} of {len(answered)}")
        if delays:
            print(
                "answer -> provider (ms): "
                f"p50 {statistics.median(delays):.0f}, p95 {percentile(delays, 0.95):.0f}, "
                f"p99 {percentile(delays, 0.99):.0f}, max {max(delays):.0f} (target p99 <= 250)"
            )
        print(f"the sweep afterwards: {swept or 'nothing printed'}")
        return 0 if delays and percentile(delays, 0.99) <= 250 and len(received) == len(answered) else 1


if __name__ == "__main__":
    drillkit.run(main)
