"""Where POST /api/v1/notifications spends its time: cProfile over N requests, in-process.

    .venv/bin/python bench/api_profile.py                    # 300 requests, top 25 by own time
    .venv/bin/python bench/api_profile.py --requests 500 --sort cumulative --top 40
    .venv/bin/python bench/api_profile.py --save /tmp/api.prof   # for pstats' callers/callees

The same request, database and settings as bench/api_instructions.py (an sms
notification on PostgreSQL, each committed id published to Redis on a queue no
worker reads), through Django's WSGI handler with no server; after a warm-up,
cProfile records N requests and prints the top entries. The profiler's own
overhead weighs on many small calls, so read it for where the time goes and
count instructions (bench/api_instructions.py) to compare versions.

Environment: BENCH_PROFILE_DATABASE (default planocore_bench_profile),
BENCH_DATABASE_URL, BENCH_BROKER_URL (default redis://127.0.0.1:6379/15).
"""

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
from pathlib import Path

from api import PAYLOADS, QUEUE, app_env, prepare_database, wsgi_post
from pgserver import admin_sql

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_PROFILE_DATABASE", "planocore_bench_profile")
WARM_UP = 30


def child(requests: int, token: str, sort: str, top: int, save: str | None) -> None:
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()
    body = json.dumps(PAYLOADS["sms"]).encode()

    def call() -> None:
        wsgi_post(app, "/api/v1/notifications", body, token)

    for _ in range(WARM_UP):
        call()
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        call()
    profile.disable()
    if save:
        profile.dump_stats(save)
    stats = pstats.Stats(profile)
    each = stats.total_tt / requests * 1000
    print(f"{requests} requests, {stats.total_tt:.3f} s profiled ({each:.2f} ms each)")
    stats.sort_stats(sort).print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", metavar="FILE", help="also write the raw profile to FILE (pstats)")
    parser.add_argument("--child", nargs=2, metavar=("N", "TOKEN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1], args.sort, args.top, args.save)
        return
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15")
    env = app_env(DB_NAME, broker)
    try:
        token = prepare_database(DB_NAME, env)
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(args.requests),
                token,
                "--sort",
                args.sort,
                "--top",
                str(args.top),
                *(["--save", str(Path(args.save).resolve())] if args.save else []),
            ],
            env=env,
            cwd=ROOT,
            check=True,
        )
    finally:
        admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        import redis

        redis.Redis.from_url(broker).delete(QUEUE)


if __name__ == "__main__":
    main()
