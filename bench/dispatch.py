"""Drain benchmark of the outbox, optionally side by side with django-post-office.

    .venv/bin/python bench/dispatch.py                 # 10,000 sandbox requests
    .venv/bin/python bench/dispatch.py -n 2000 --compare

Queues N requests to the sandbox backend (with `enqueue`, dispatch off, so they
wait in the outbox), drains them with `manage.py process_external_requests`, and
prints requests per second and database queries per request. The database is a
fresh SQLite file in a temporary folder (never the checkout's db.sqlite3);
set BENCH_DATABASE_URL to an empty PostgreSQL database to measure on PostgreSQL.

--compare also drains N emails queued with django-post-office to Django's locmem
email backend with its `send_queued_mail` command, on the same machine and the
same kind of database (a fresh SQLite file). django-post-office is not a
requirement of the project: it is installed only in bench/.venv-postoffice
(gitignored), which this script creates on first use:

    python3 -m venv bench/.venv-postoffice
    bench/.venv-postoffice/bin/pip install Django==5.2.19 django-post-office==3.12.0
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO_VENV = ROOT / "bench" / ".venv-postoffice"
PO_REQUIREMENTS = ["Django==5.2.19", "django-post-office==3.12.0"]


class QueryCounter:
    """Count queries on a connection with next to no overhead (no SQL kept)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _report(name: str, n: int, seconds: float, queries: int) -> None:
    print(
        f"{name}: drained {n} in {seconds:.2f} s = {n / seconds:,.0f} per second, "
        f"{queries} queries = {queries / n:.3f} per request"
    )


# --- The outbox ---------------------------------------------------------------------------


def bench_outbox(n: int, batch_size: int | None) -> float:
    tmp = tempfile.mkdtemp(prefix="bench-outbox-")
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/outbox.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "planocore.settings"
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ["LOG_LEVEL"] = "WARNING"
    for channel in ("GLIP", "SMS", "MMS", "EMAIL", "CONVERSATION"):
        os.environ[f"PROVIDER_BACKEND_{channel}"] = "planocore.providers.sandbox.SandboxBackend"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from planocore.outbox.models import ExternalRequest
    from planocore.outbox.services import enqueue

    call_command("migrate", verbosity=0)
    if ExternalRequest.objects.exists():
        sys.exit("The benchmark database already holds outgoing requests: give it an empty one.")
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(n):
            enqueue(
                channel="sms",
                payload={
                    "from": "+15550000001",
                    "to": ["+15550000002"],
                    "text": f"Message {i}",
                    "extension_id": None,
                },
                priority=i % 10,
                dispatch=False,
            )
    print(f"outbox: queued {n} with enqueue() in {time.perf_counter() - started:.2f} s ({connection.vendor})")

    counter = QueryCounter()
    out = io.StringIO()
    args = ["--batch-size", str(batch_size)] if batch_size else []
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        call_command("process_external_requests", *args, stdout=out)
        seconds = time.perf_counter() - started
    print(f"outbox: process_external_requests printed: {out.getvalue().strip()}")
    done = ExternalRequest.objects.filter(status="sent").count()
    assert done == n, f"only {done} of {n} succeeded"
    _report("outbox (process_external_requests, sandbox backend)", n, seconds, counter.count)
    return n / seconds


# --- django-post-office (run inside bench/.venv-postoffice) -------------------------------


def bench_postoffice(n: int) -> float:
    import django
    from django.conf import settings

    tmp = tempfile.mkdtemp(prefix="bench-postoffice-")
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "post_office"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": f"{tmp}/postoffice.sqlite3",
                "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
            }
        },
        EMAIL_BACKEND="post_office.EmailBackend",
        POST_OFFICE={"BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend"}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
        LOGGING={"version": 1, "disable_existing_loggers": True},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()
    from django.core import mail as django_mail
    from django.core.management import call_command
    from django.db import connection, transaction
    from post_office import mail
    from post_office.models import STATUS, Email

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(n):
            mail.send(
                "to@example.com",
                "from@example.com",
                subject=f"Message {i}",
                message=f"Message {i}",
                priority="medium",  # queued, not sent now
            )
    print(f"post-office: queued {n} with mail.send() in {time.perf_counter() - started:.2f} s")

    counter = QueryCounter()
    lockfile = f"{tmp}/post_office"
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        call_command("send_queued_mail", lockfile=lockfile)
        seconds = time.perf_counter() - started
    # send_queued_mail closes the connection between batches; the wrapper is
    # per connection object, so it still counted every query.
    sent = Email.objects.filter(status=STATUS.sent).count()
    assert sent == n, f"only {sent} of {n} sent"
    assert len(django_mail.outbox) == n
    _report("post-office (send_queued_mail, locmem backend)", n, seconds, counter.count)
    return n / seconds


def _postoffice_python() -> Path:
    python = PO_VENV / "bin" / "python"
    if not python.exists():
        print(f"Creating {PO_VENV} with {' '.join(PO_REQUIREMENTS)} (benchmark only) ...")
        subprocess.run([sys.executable, "-m", "venv", str(PO_VENV)], check=True)
        subprocess.run([str(PO_VENV / "bin" / "pip"), "install", "-q", *PO_REQUIREMENTS], check=True)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="requests to queue and drain (default 10,000)")
    parser.add_argument("--batch-size", type=int, default=None, help="process_external_requests --batch-size")
    parser.add_argument("--compare", action="store_true", help="also drain N emails with django-post-office")
    parser.add_argument("--postoffice-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.postoffice_only:
        bench_postoffice(args.n)
        return
    if args.compare:
        # Separate interpreter: post-office lives only in its own venv.
        result = subprocess.run(
            [str(_postoffice_python()), __file__, "-n", str(args.n), "--postoffice-only"],
            capture_output=True,
            text=True,
        )
        print(result.stdout.strip())
        if result.returncode:
            sys.exit(f"The post-office run failed:\n{result.stderr}")
        po_rate = float(result.stdout.split("= ")[1].split(" per second")[0].replace(",", ""))
    rate = bench_outbox(args.n, args.batch_size)
    if args.compare:
        print(f"outbox / post-office throughput: {rate / po_rate:.2f}x")


if __name__ == "__main__":
    main()
