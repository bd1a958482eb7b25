"""The admin's dashboard and lists with 10,000 rows and with 1,000,000 rows, on PostgreSQL.

    .venv/bin/python bench/admin_scale.py
    .venv/bin/python bench/admin_scale.py --small 10000 --large 1000000 --rounds 3 --repeat 5

Creates two PostgreSQL databases of its own (dropped at the end), migrates them,
and fills notifications, outgoing requests (one attempt each) and cancelations with
`--small` rows each in one and `--large` rows each in the other, by INSERT … SELECT over
generate_series with the indexes built after the load (created_at spread over
two years, mixed types, channels and statuses; the same 40 emails in the
production notifications screen and the same 40 abandoned, 40 failed and 40
waiting requests in both; olio ids, subjects, team names, recipients, provider
message ids and notes unique, so that each search finds one row in both).
Then it times the admin pages staff open every day (median of `--repeat`
requests through Django's test client, signed in as a superuser, after a
warm-up), alternating between the two databases for `--rounds` rounds so that a
busy machine weighs on both alike, and prints each page's median time on each
size and their ratio. Target: under 2x (no full COUNT, indexed filters and
searches, a cheap date drill-down); `/metrics` also under 50 ms at the large size.

Options for working on one page: `--only "search subject,outbox recipient"` times only
those pages (names as printed); `--keep` leaves the two databases in place at the end
and, when they are already there, migrates them instead of filling them again (a
migration that adds an index then builds it on the full tables), which saves the fill
time between runs. Drop them with a last run without `--keep`, or DROP DATABASE.

Environment: BENCH_DATABASE_URL (a PostgreSQL server URL; default
postgres://postgres@127.0.0.1:5432/postgres).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pgserver import admin_sql, db_url

ROOT = Path(__file__).resolve().parent.parent
DB_PREFIX = "planocore_bench_admin"

PAGES = [
    ("dashboard (index)", "admin:index", {}),
    ("list", "admin:notifications_notification_changelist", {}),
    ("type=email", "admin:notifications_notification_changelist", {"notification_type__exact": "email"}),
    ("status=failed", "admin:notifications_notification_changelist", {"status": "failed"}),
    ("processed=0", "admin:notifications_notification_changelist", {"processed__exact": "0"}),
    ("last 7 days", "admin:notifications_notification_changelist", {"created_at__gte": "{week_ago}"}),
    ("year drill-down", "admin:notifications_notification_changelist", {"created_at__year": "{year}"}),
    ("search olio id", "admin:notifications_notification_changelist", {"q": "OL-777"}),
    ("search subject", "admin:notifications_notification_changelist", {"q": "tour 777 is"}),
    ("search common word", "admin:notifications_notification_changelist", {"q": "ready"}),
    ("search team", "admin:notifications_notification_changelist", {"q": "team 778 photo"}),
    ("production screen", "admin:notifications_productionnotification_changelist", {}),
    ("outbox list", "admin:outbox_externalrequest_changelist", {}),
    ("outbox abandoned", "admin:outbox_externalrequest_changelist", {"status__exact": "abandoned"}),
    ("outbox recipient", "admin:outbox_externalrequest_changelist", {"q": "client779@"}),
    ("outbox provider id", "admin:outbox_externalrequest_changelist", {"q": "msg-781-"}),
    ("cancelations list", "admin:cancelations_cancelation_changelist", {}),
    ("cancel. type Tour", "admin:cancelations_cancelation_changelist", {"q": "tour"}),
    ("cancel. note", "admin:cancelations_cancelation_changelist", {"q": "shoot 783 to"}),
    # Not an admin page, but read as often (a scrape every 15 s): open work and bounded windows only.
    ("/metrics", "/metrics", {}),
]

# Column expressions for row i (the generate_series value) of each table; NULL for the
# other nullable columns.
NOTIFICATIONS = {
    "key": "'key-' || (i %% 1000)",
    "status": "(ARRAY['sent','queued','failed','sent','sent'])[1 + i %% 5]",
    "provider_status": "(ARRAY['','','','delivered','opened'])[1 + i %% 5]",
    "resolution": "''",
    "email_from": "'ops@planomatic.example'",
    "email_subject": "'Your tour ' || i || ' is ready'",
    "email_technician": "''",
    "user_id": "(i %% 5000)::text",
    "olio_id": "'OL-' || i",
    "tour_id": "'T-' || (i %% 20000)",
    "client_id": "'C-' || (i %% 3000)",
    "email_to": "'client' || (i %% 7000) || '@example.com'",
    "email_cc": "''",
    "email_bcc": "''",
    "email_body": "'See your tour at https://tours.example/' || i",
    "notifyable_type": "'Order'",
    "notifyable_id": "i",
    "updated_in": "'planox2'",
    "processed": "CASE WHEN i %% 10 = 0 THEN 0 ELSE 1 END",
    "processed_at": "created",
    "notification_type": "(ARRAY['email','sms','mms','glip','conversation'])[1 + i %% 5]",
    "phone_from": "''",
    "phone_to": "''",
    "media_url": "''",
    "extension": "''",
    "team_name": "CASE WHEN i %% 5 = 3 THEN 'Team ' || i || ' photographers' ELSE '' END",
    # Failures are rare, whatever the table's size: the same 40 emails in both databases.
    "provider_failed_at": "CASE WHEN i <= 1000 AND i %% 25 = 0 THEN created END",
    "created_at": "created",
    "updated_at": "created",
}

# Rare failures, whatever the table's size: 40 abandoned, 40 failed, 40 waiting (the first 1,000 rows).
_RARE = "i <= 1000 AND i %% 25"
OUTGOING_REQUESTS = {
    "channel": "(ARRAY['email','sms','mms','glip','conversation'])[1 + i %% 5]",
    "action": "'send'",
    "payload": "'{}'::jsonb",
    "secret_payload": "''",
    "priority": "0",
    "status": (
        f"CASE WHEN {_RARE} = 0 THEN 'abandoned' WHEN {_RARE} = 5 THEN 'failed' "
        f"WHEN {_RARE} = 10 THEN 'retrying' ELSE 'sent' END"
    ),
    "attempts": "1",
    "next_attempt_at": f"CASE WHEN {_RARE} = 10 THEN now() - interval '5 minutes' END",
    "lease_token": "''",
    "attempts_before_staff_retry": "0",
    "last_error": f"CASE WHEN {_RARE} IN (0, 5) THEN 'Provider said no to request ' || i ELSE '' END",
    "provider_message_id": "'msg-' || i || '-rc'",  # fixed-form ids: a prefix names one
    "recipient": "'client' || i || '@example.com'",
    "response": "'{}'::jsonb",
    "delivery_status": "''",
    "object_id": "''",
    "resolution": "''",
    "supersedes": "false",
    "created_at": "created",
    "updated_at": "created",
    "sent_at": "created",
}

CANCELATIONS = {
    "cancelable_type": "(ARRAY['Order','Tour'])[1 + i %% 2]",
    "cancelable_id": "i",
    "key": "'order-' || i",
    "reason_text": "'The client asked'",
    "reason_note": "'Client moved the shoot ' || i || ' to next month'",
    "canceled_at": "created",
    "canceled_by": "'planox2'",
    "canceled_in": "'planox2'",
    "reinstated_by": "''",
    "reinstated_note": "''",
    "active": "true",
    "created_at": "created",
    "updated_at": "created",
}

# One attempt per outgoing request (request i: filled just before), by when it was made.
ATTEMPTS = {
    "request_id": "i",
    "channel": "(ARRAY['email','sms','mms','glip','conversation'])[1 + i %% 5]",
    "number": "1",
    "started_at": "created",
    "duration_ms": "120",
    "outcome": (
        f"CASE WHEN {_RARE} IN (0, 5) THEN 'permanent' WHEN {_RARE} = 10 THEN 'retryable' ELSE 'sent' END"
    ),
    "error": "''",
}

TABLES = {
    "notifications.Notification": NOTIFICATIONS,
    "outbox.ExternalRequest": OUTGOING_REQUESTS,
    "outbox.ExternalRequestAttempt": ATTEMPTS,
    "cancelations.Cancelation": CANCELATIONS,
}


def fill(model_label: str, first: int, last: int) -> float:
    """INSERT rows first..last of one table in one statement; return seconds taken."""
    from django.apps import apps
    from django.db import connection

    model = apps.get_model(model_label)
    table = model._meta.db_table
    expressions = TABLES[model_label]
    columns = [f.column for f in model._meta.concrete_fields if f.column != "id"]
    values = [expressions.get(c, "NULL") for c in columns]
    # Uniform over two years, the same for every size (setseed keeps it repeatable).
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM ("
        f"  SELECT i, now() - random() * interval '730 days' AS created FROM generate_series(%s, %s) AS i"
        f") AS rows"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Building the indexes once after the load is much faster than updating them row by row.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = %s AND indexname NOT LIKE '%%_pkey'",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SELECT setseed(%s)", [first / (last + 1)])
        cursor.execute(sql, [first, last])
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def time_pages(client, repeat: int, only: set[str] | None = None) -> dict[str, float]:
    """Median milliseconds of each page (after one warm-up request)."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    now = timezone.now()
    fields = {"week_ago": (now - timedelta(days=7)).isoformat(), "year": str(now.year)}
    results = {}
    for name, url_name, params in PAGES:
        if only and name not in only:
            continue
        query = {k: v.format(**fields) for k, v in params.items()}
        url = url_name if url_name.startswith("/") else reverse(url_name)
        response = client.get(url, query)
        assert response.status_code == 200, (name, response.status_code)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url, query)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        results[name] = statistics.median(samples)
    return results


def _setup(db_name: str) -> None:
    os.environ.update(
        DATABASE_URL=db_url(db_name),
        DJANGO_SETTINGS_MODULE="planocore.settings",
        LOG_LEVEL="WARNING",
        CELERY_BROKER_URL="",
        DJANGO_DEBUG="0",
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "b" * 40)  # none built in
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(db_name: str, rows: int) -> None:
    """Create, migrate and fill one database (run in its own process)."""
    _setup(db_name)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-password-1")
    for model_label in TABLES:
        seconds = fill(model_label, 1, rows)
        print(f"{db_name}: {rows:,} {model_label} rows inserted and indexed in {seconds:.1f} s", flush=True)


def migrate(db_name: str) -> None:
    """Bring a kept database up to the current migrations (run in its own process)."""
    _setup(db_name)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{db_name}: kept, migrated", flush=True)


def measure(db_name: str, repeat: int, only: set[str] | None = None) -> None:
    """Print the pages' median times on one database as JSON (run in its own process)."""
    _setup(db_name)
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    print(json.dumps(time_pages(client, repeat, only)))


def _filled(db_name: str, rows: int) -> bool:
    """Whether a kept database exists and holds `rows` rows of each table (from an earlier --keep run)."""
    import psycopg

    tables = ("notifications_notification", "outbox_externalrequest", "cancelations_cancelation")
    try:
        with psycopg.connect(db_url(db_name)) as conn:
            counts = [conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0] for table in tables]
    except psycopg.Error:
        return False
    return counts == [rows] * 3


def _run(*args: str) -> str:
    return subprocess.run(
        [sys.executable, __file__, *args], check=True, cwd=ROOT, capture_output=True, text=True
    ).stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page and round")
    parser.add_argument("--only", default="", help="comma-separated page names to time (default all)")
    parser.add_argument("--keep", action="store_true", help="keep the databases; reuse kept ones")
    parser.add_argument("--build", nargs=2, metavar=("DB", "ROWS"), help=argparse.SUPPRESS)
    parser.add_argument("--measure", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--migrate", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        return build(args.build[0], int(args.build[1]))
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - {name for name, _, _ in PAGES}
    if unknown:
        parser.error(f"no such page: {', '.join(sorted(unknown))}")
    if args.migrate:
        return migrate(args.migrate)
    if args.measure:
        return measure(args.measure, args.repeat, only)

    sizes = {f"{DB_PREFIX}_small": args.small, f"{DB_PREFIX}_large": args.large}
    try:
        for db_name, rows in sizes.items():
            if args.keep and _filled(db_name, rows):
                print(_run("--migrate", db_name).strip(), flush=True)
                continue
            admin_sql(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
            admin_sql(f"CREATE DATABASE {db_name}")
            print(_run("--build", db_name, str(rows)).strip(), flush=True)
        samples: dict[str, dict[str, list[float]]] = {db: {} for db in sizes}
        for round_number in range(args.rounds):
            for db_name in sizes:
                timed = _run("--measure", db_name, "--repeat", str(args.repeat), "--only", args.only)
                for page, ms in json.loads(timed).items():
                    samples[db_name].setdefault(page, []).append(ms)
            print(f"round {round_number + 1}/{args.rounds} done", flush=True)
        small, large = ({p: statistics.median(v) for p, v in samples[db].items()} for db in sizes)
        print(f"\n{'page':20} {args.small:>10,} rows {args.large:>12,} rows   ratio")
        pages = [name for name, _, _ in PAGES if not only or name in only]
        for name in pages:
            ratio = large[name] / small[name]
            flag = "" if ratio < 2 else "   <-- 2x or more"
            print(f"{name:20} {small[name]:10.1f} ms {large[name]:12.1f} ms   {ratio:4.2f}x{flag}")
        worst = max(large[name] / small[name] for name in pages)
        print(f"\nworst ratio {worst:.2f}x (target < 2x); load average now {os.getloadavg()[0]:.1f}")
    finally:
        for db_name in sizes if not args.keep else ():
            admin_sql(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")


if __name__ == "__main__":
    main()
