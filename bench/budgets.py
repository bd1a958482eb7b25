"""What one budgeted provider call costs: `ratelimit.take` + `ratelimit.settle`.

    .venv/bin/python bench/budgets.py                  # 2,000 calls, one process, then 2 processes
    .venv/bin/python bench/budgets.py -n 5000 --processes 4
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<empty db> .venv/bin/python bench/budgets.py

Each call is what the RingCentral transport does around one HTTP request: take
the call from the (account, API group) budget, then settle it with the time its
answer came and the provider's X-Rate-Limit-* figures. The budget is 40 per 60 s
and the budget module's clock is moved on 1.5 s per call, so the log holds its
real-life 40 entries and nothing waits: the figures are the bookkeeping alone. Then the same with
several processes taking from ONE budget at once (the contended case: they
queue on the row's lock), and a check that a budget of 40 hands out exactly 40
calls across them. The database is a fresh SQLite file in a temporary folder,
or BENCH_DATABASE_URL (migrated here).
"""

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dispatch import QueryCounter

ROOT = Path(__file__).resolve().parent.parent


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "planocore.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "b" * 40)  # none built in
    import django

    django.setup()


def _calls(n: int, account: str, limit: int, sharers: int = 1) -> tuple[float, int, int]:
    """Take and settle n calls; return (seconds, queries, calls taken)."""
    from django.db import connection

    from planocore.providers import ratelimit

    counter, taken = QueryCounter(), 0
    if limit == 40:  # 40 per 60 s at full speed: time moves on 1.5 s per call (of all sharers)
        simulated = [time.time()]

        def clock() -> float:
            simulated[0] += 0.75 * sharers  # read twice per call
            return simulated[0]

        ratelimit.clock = clock
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        for _ in range(n):
            wait, reserved = ratelimit.take(account, "Medium", limit=limit, hold=15.0)
            if wait:
                continue
            taken += 1
            ratelimit.settle(
                account,
                "Medium",
                reserved=reserved,
                finished=ratelimit.clock(),
                reported_limit=limit,
                reported_remaining=limit - taken,
                reported_window=60,
            )
        seconds = time.perf_counter() - start
    return seconds, counter.count, taken


def _worker(args) -> tuple[float, int, int]:
    n, account, limit, sharers = args
    _setup()
    return _calls(n, account, limit, sharers)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=2000, help="calls per process (2000)")
    parser.add_argument("--processes", type=int, default=2, help="processes sharing one budget (2)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-budgets-")
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/budgets.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "planocore.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "b" * 40)  # none built in
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=os.environ, check=True)
    _setup()
    from django.db import connection

    print(f"database: {connection.vendor}")
    seconds, queries, _ = _calls(args.n, "bench:one", limit=40)
    print(
        f"one process: {args.n} calls in {seconds:.2f} s = {seconds / args.n * 1e3:.2f} ms per call "
        f"(take + settle), {queries / args.n:.1f} queries per call"
    )
    connection.close()
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        start = time.perf_counter()
        results = pool.map(_worker, [(args.n, "bench:shared", 40, args.processes)] * args.processes)
        wall = time.perf_counter() - start
    total = args.n * args.processes
    taken = sum(r[2] for r in results)
    print(
        f"{args.processes} processes, one budget: {total} calls asked ({taken} taken) in {wall:.2f} s wall = "
        f"{wall / total * 1e3:.2f} ms per call ({total / wall:,.0f} calls per second in all)"
    )
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        results = pool.map(_worker, [(100, "bench:forty", 41, 1)] * args.processes)
    taken = sum(r[2] for r in results)
    print(
        f"budget of 41 per window (real clock), {args.processes} processes asking 100 times each: "
        f"{taken} calls taken ({'exact' if taken == 41 else 'WRONG'})"
    )


if __name__ == "__main__":
    main()
