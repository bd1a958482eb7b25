"""Instructions per request of POST /api/v1/notifications and of the plain view, counted by callgrind.

    .venv/bin/python bench/api_instructions.py                 # 60 requests per configuration
    .venv/bin/python bench/api_instructions.py --requests 100

Seconds on a shared VM move by tens of percent from one run to the next
(bench/api.py prints that spread); instructions executed do not, so this is the
way to compare two versions of the hot path. Needs valgrind, gcc and valgrind's
callgrind.h (Debian: the valgrind package); it says so and stops without them.

Each configuration runs in a process of its own under `valgrind --tool=callgrind`:
Django in-process through its WSGI handler (no HTTP server, so only the
application's own work is counted: Django, DRF, the ORM, psycopg, Celery/kombu,
our code), on a PostgreSQL database of the bench's own (dropped at the end), the
same sms request and the same bench settings as bench/api.py, Redis as the broker
(a queue no worker reads, deleted at the end). After a warm-up it dumps
callgrind's counters (which resets them in every thread; a zero would reset only
the calling thread's), makes N requests, and dumps again: that second dump is the
count (callgrind.h's client requests, through a helper compiled with gcc). The
configurations:

- plain: the plain view, one INSERT (bench/api_urls.py);
- API: POST /api/v1/notifications, each committed id published to the broker on
  commit (planocore/outbox/enqueue.py `hand_off`).

Environment: BENCH_INSTRUCTIONS_DATABASE (the database it creates and drops; default
planocore_bench_instructions), BENCH_DATABASE_URL (a PostgreSQL server URL; default
postgres://postgres@127.0.0.1:5432/postgres), BENCH_BROKER_URL (default
redis://127.0.0.1:6379/15).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from api import PAYLOADS, QUEUE, app_env, prepare_database, wsgi_post
from pgserver import admin_sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB_NAME = os.environ.get("BENCH_INSTRUCTIONS_DATABASE", "planocore_bench_instructions")  # one per engineer
WARM_UP = 30

HELPER_C = """
#include <valgrind/callgrind.h>
void bench_warmed_up(void) { CALLGRIND_DUMP_STATS_AT("warm-up"); }
void bench_measured(void) { CALLGRIND_DUMP_STATS_AT("measured"); }
"""


def child(path: str, requests: int, token: str, helper: str) -> None:
    """Under valgrind: warm up, zero the counters, make the requests, dump."""
    import ctypes

    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    counters = ctypes.CDLL(helper)
    app = WSGIHandler()
    body = json.dumps(PAYLOADS["sms"]).encode()

    def call() -> None:
        wsgi_post(app, path, body, token)

    for _ in range(WARM_UP):
        call()
    counters.bench_warmed_up()  # a dump: what came before is out of the count
    for _ in range(requests):
        call()
    counters.bench_measured()


def _measured(out_file: Path) -> int:
    """The instruction total of the dump the child asked for ("measured")."""
    for part in sorted(out_file.parent.glob(out_file.name + "*")):
        text = part.read_text()
        if "Trigger: Client Request: measured" in text:
            for line in text.splitlines():
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    raise SystemExit(f"no 'measured' dump next to {out_file}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=60, help="measured requests per configuration")
    parser.add_argument("--child", nargs=4, metavar=("PATH", "N", "TOKEN", "HELPER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, n, token, helper = args.child
        child(path, int(n), token, helper)
        return

    missing = [tool for tool in ("valgrind", "gcc") if shutil.which(tool) is None]
    if missing or not Path("/usr/include/valgrind/callgrind.h").exists():
        raise SystemExit(
            f"needs valgrind, gcc and valgrind/callgrind.h (missing: {', '.join(missing) or 'callgrind.h'})"
        )
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15")
    work = Path(tempfile.mkdtemp(prefix="planocore-instructions-"))
    helper = work / "counters.so"
    (work / "counters.c").write_text(HELPER_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", helper, work / "counters.c"], check=True)

    try:
        token = prepare_database(DB_NAME, app_env(DB_NAME, broker))
        configs = {
            "plain view (1 INSERT)": ("/bench/plain-insert", {}),
            "API (sms notification)": ("/api/v1/notifications", {}),
        }

        def run(item) -> tuple[str, float]:
            index, (label, (path, extra)) = item
            out_file = work / f"callgrind.{index}.out"
            subprocess.run(
                [
                    "valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                    PYTHON, __file__, "--child", path, str(args.requests), token, str(helper),
                ],
                env=app_env(DB_NAME, broker, **extra),
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=(work / f"valgrind.{index}.log").open("w"),
            )  # fmt: skip
            return label, _measured(out_file) / args.requests

        print(
            f"callgrind: {args.requests} requests per configuration after {WARM_UP} of warm-up; "
            f"PostgreSQL database {DB_NAME}; broker {broker}",
            flush=True,
        )
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            results = dict(pool.map(run, enumerate(configs.items())))
        plain = results["plain view (1 INSERT)"]
        for label, per_request in results.items():
            ratio = per_request / plain
            print(f"{label:24s} {per_request / 1e6:6.2f} M instructions a request ({ratio:.2f}x plain)")
    finally:
        admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        import redis

        redis.Redis.from_url(broker).delete(QUEUE)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
