"""The long API fuzz run: schemathesis' CLI against a real server over HTTP.

    .venv/bin/python bench/fuzz.py --examples 500
    .venv/bin/python bench/fuzz.py --postgres          # on a throwaway PostgreSQL database
    .venv/bin/python bench/fuzz.py --checks all --phases examples,coverage,fuzzing,stateful \
        --postgres --database-name planocore_fuzz_mine  # every check and phase, a database of one's own

Starts, on free 127.0.0.1 ports, the Sunshine Conversations fake and gunicorn (one
worker) on a temporary SQLite database, or with --postgres on a database of its own
on the server BENCH_DATABASE_URL names (default postgres://postgres@127.0.0.1:5432/postgres;
created and dropped; PostgreSQL refuses values SQLite stores, such as UTC offsets past
±15:59), with the other providers on their sandbox backends, seeds one record of
each kind through the API, then runs `st run` against /api/schema with an application
token holding every permission: the examples, coverage and fuzzing phases, valid and
invalid data, `--examples` fuzzing examples per operation, and the checks of
tests/fuzz/harness.py (no 5xx but documented provider failures, the JSON envelope,
status code, content type and body conforming to the schema); `--checks all` adds
every check schemathesis has (negative data rejected, positive data accepted, ...). Prints per operation the
test cases run and the failures found, and exits 1 when there are failures. Everything
it started is stopped and its files removed (unless --keep).
"""

import argparse
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests
from pgserver import admin_sql, db_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
from tests.fakes.base import free_port  # noqa: E402

PG_DB_NAME = "planocore_bench_fuzz"
CHECKS = (
    "no_server_error,envelope,status_code_conformance,content_type_conformance,response_schema_conformance"
)


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}) before answering {url}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"no answer from {url} within {timeout:.0f} s")


def summarize(ndjson: Path) -> tuple[Counter, dict[str, set[str]]]:
    """Test cases and distinct failures (check: message) per operation from the run's NDJSON events."""
    cases: Counter = Counter()
    failures: dict[str, set[str]] = {}
    for line in ndjson.read_text().splitlines():
        payload = json.loads(line).get("ScenarioFinished")
        if not payload:
            continue
        recorder = payload.get("recorder") or {}
        label = recorder.get("label") or payload.get("label") or "?"
        cases[label] += len(recorder.get("cases") or {})
        for checks in (recorder.get("checks") or {}).values():
            for check in checks:
                if str(check.get("status")).lower() == "failure":
                    failure = (check.get("failure_info") or {}).get("failure") or {}
                    message = (failure.get("message") or failure.get("title") or "").strip().splitlines()
                    # One failure however many requests hit it: drop the request ids.
                    message = [re.sub(r"Request id: \w+", "Request id: …", m) for m in message]
                    failures.setdefault(label, set()).add(
                        f"{check.get('name')}: {message[0] if message else ''}"
                    )
    return cases, failures


def failures_section(log: str) -> str:
    """The CLI's own account of the failures (with a curl command to reproduce each)."""
    start = log.find("FAILURES")
    end = log.find("SUMMARY", start)
    return log[start:end].rstrip(" =\n") if start != -1 else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100, help="fuzzing examples per operation (100)")
    parser.add_argument("--phases", default="examples,coverage,fuzzing", help="st run --phases")
    parser.add_argument("--seed", type=int, help="schemathesis' random seed (to replay a run)")
    parser.add_argument("--workers", type=int, default=2, help="concurrent requests (st run --workers; 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (DB, logs, report)")
    parser.add_argument("--postgres", action="store_true", help="run on a throwaway PostgreSQL database")
    parser.add_argument(
        "--database-name", default=PG_DB_NAME, help=f"the throwaway PostgreSQL database's name ({PG_DB_NAME})"
    )
    parser.add_argument(
        "--continue-on-failure",
        action="store_true",
        help="run every test case of an operation after a failure (st run --continue-on-failure)",
    )
    parser.add_argument(
        "--checks", default=CHECKS, help="st run --checks: `all` for every check, ours included (ours alone)"
    )
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database_name):
        parser.error("--database-name: lower-case letters, digits and underscores")
    db_name = args.database_name

    tmp = Path(tempfile.mkdtemp(prefix="planocore-fuzz-"))
    database_url = f"sqlite:///{tmp / 'db.sqlite3'}"
    if args.postgres:
        database_url = db_url(db_name)
        admin_sql(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        admin_sql(f"CREATE DATABASE {db_name}")
    from tests.fakes.sunshine import SunshineFake

    fake = SunshineFake().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "b" * 40)  # none built in
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "planocore.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": "",  # tasks run in the web process, after each commit
        "SUNSHINE_CONVERSATIONS_HOST": fake.url,
        "SUNSHINE_CONVERSATIONS_APP_ID": fake.app_id,
        "SUNSHINE_CONVERSATIONS_KEY_ID": fake.key_id,
        "SUNSHINE_CONVERSATIONS_SECRET": fake.secret,
        # One client address sends everything: lift the sign-in and bad-token budgets
        # (429 stays a documented answer; tests/platform/test_sessions.py tests both).
        "SIGN_IN_RATE": "1000000/min",
        "API_TOKEN_FAILURES_PER_MINUTE": "1000000",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    server = None
    started = time.monotonic()
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        import django

        django.setup()
        from planocore.accounts.models import Application
        from planocore.accounts.services import application_token_create
        from tests.fuzz import harness

        _, token = application_token_create(application=Application.objects.get(slug="planox2"))
        # One sync worker: SQLite takes one writer at a time anyway; st's concurrent
        # requests queue at the server. No request-line limit:
        # gunicorn answers a URL over 4094 bytes itself (an HTML 414, before the app), and the
        # run checks the app's answers.
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "planocore.wsgi",
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--limit-request-line",
                "0",
                "--access-logfile",
                str(tmp / "access.log"),
                "--error-logfile",
                str(tmp / "server.log"),
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        wait_for(f"{base}{harness.SCHEMA_PATH}", server)
        auth = {"Authorization": f"Bearer {token}"}

        def call(method, path, data=None):
            response = requests.request(method, base + path, json=data, headers=auth, timeout=30)
            return response.status_code, response.json()

        seeds = harness.seed(call, sunshine_fake=fake)
        ndjson = tmp / "events.ndjson"
        command = [
            str(BIN / "st"),
            "run",
            f"{base}{harness.SCHEMA_PATH}",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            args.checks,
            "--phases",
            args.phases,
            "--mode",
            "all",
            "--max-examples",
            str(args.examples),
            "--workers",
            str(args.workers),
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(ndjson),
            "--request-timeout",
            "30",
            "--suppress-health-check",
            "all",
            "--no-color",
        ]
        if args.seed is not None:
            command += ["--seed", str(args.seed)]
        if args.continue_on_failure:
            command.append("--continue-on-failure")
        st_env = {
            **env,
            "SCHEMATHESIS_HOOKS": "tests.fuzz.cli_hooks",
            "PLANOCORE_FUZZ_SEEDS": json.dumps(dataclasses.asdict(seeds)),
        }
        where = f"PostgreSQL {db_name}" if args.postgres else f"SQLite in {tmp}"
        print(
            f"st run against {base} (gunicorn, 1 worker, {where}); "
            f"{args.examples} fuzzing examples per operation, phases {args.phases}",
            flush=True,
        )
        with open(tmp / "st.log", "w") as log:
            run = subprocess.run(command, cwd=ROOT, env=st_env, stdout=log, stderr=subprocess.STDOUT)
        cases, failures = summarize(ndjson) if ndjson.exists() else (Counter(), {})
        elapsed = time.monotonic() - started
        print(f"\n{'operation':58} {'test cases':>10} {'failures':>9}")
        for label in sorted(cases):
            print(f"{label:58} {cases[label]:>10} {len(failures.get(label, ())):>9}")
        found = sum(len(v) for v in failures.values())
        print(
            f"\noperations: {len(cases)}  test cases: {sum(cases.values())}  distinct failures: {found}  "
            f"time: {elapsed:.0f} s  (st exit code {run.returncode})"
        )
        for label, messages in sorted(failures.items()):
            for message in sorted(messages):
                print(f"  {label}  {message[:300]}")
        log = (tmp / "st.log").read_text()
        if run.returncode:
            print(failures_section(log) or log[-4000:])
        return 1 if run.returncode or found else 0
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        fake.stop()
        if args.postgres:
            from django.db import connections

            connections.close_all()
            admin_sql(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
