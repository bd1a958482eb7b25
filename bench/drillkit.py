"""Shared machinery of the load and fault drills (bench/load_drill.py, bench/fault_drill.py).

`Stack` starts, on 127.0.0.1 and free ports, everything a drill needs, each in its
own process group, and stops all of it on exit (also on Ctrl-C, SIGTERM or an
error): a PostgreSQL cluster of its own (initdb into a temporary directory, run as
the `postgres` user when the drill runs as root; fsync off), a redis-server of its
own (no persistence), the provider fakes (`python -m tests.fakes.<name> --control`),
gunicorn with the project's gunicorn.conf.py, Celery workers and
`manage.py process_external_requests --loop` senders. Logs go to
/tmp/planocore-drill-<name>/ (kept after the run; replaced by the next run).

`delivery_report` compares what the fakes accepted with the outbox rows, per
provider message id and per message content; `rate_limit_report` checks that no
provider was called while a Retry-After it gave was running.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes.base import free_port  # the bench scripts put the checkout on sys.path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
BIN = Path(PYTHON).parent

# The fakes' credentials (tests/fakes/*.py); nothing real.
RC_CLIENT_ID, RC_CLIENT_SECRET, RC_JWT = (
    "fake-rc-client-id",
    "fake-rc-client-secret",
    "fake-rc-jwt-default-extension",
)
MANDRILL_KEY = "fake-mandrill-key-0123456789"
SC_APP_ID, SC_KEY_ID, SC_SECRET = (
    "5d8cff3cd55b040010928b5b",
    "app_5d8cff3cd55b040010928b5c",
    "fake-sunshine-secret-not-real",
)

# Paths of the calls that deliver a message, per fake.
MESSAGE_PATHS = {
    "ringcentral": r"(/team-messaging/v1/chats/[^/]+/posts|/extension/[^/]+/(sms|mms))$",
    "mandrill": r"/messages/send\.json$",
    "sunshine": r"/conversations/[^/]+/messages$",
}


# The RingCentral fake's options when the drill lifts RingCentral's budgets.
LIFTED_RC_LIMITS = ["--rate-limit", "Medium=1000000", "--rate-limit", "Auth=1000000"]


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args[:3]} exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout:g} s")


def http_json(method: str, url: str, body: Any = None, timeout: float = 30.0) -> Any:
    """One JSON call (the fakes' control routes, health checks)."""
    host, _, rest = url.removeprefix("http://").partition("/")
    name, _, port = host.partition(":")
    conn = http.client.HTTPConnection(name, int(port or 80), timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, "/" + rest, body=payload, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return json.loads(data or b"null")
    finally:
        conn.close()


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@dataclass
class Stack:
    """Everything one drill runs; use as a context manager (stops it all on exit)."""

    name: str
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.logs = Path(tempfile.gettempdir()) / f"planocore-drill-{self.name}"
        shutil.rmtree(self.logs, ignore_errors=True)
        self.logs.mkdir(parents=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f"planocore-drill-{self.name}-"))
        self.pgdata: Path | None = None
        self._pg_user: str | None = None
        self._stopped = False

    # --- life cycle ---------------------------------------------------------------
    def __enter__(self) -> Stack:
        # Even when started in the background (where a shell ignores SIGINT for it).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGHUP, _interrupt)
        return self

    def __exit__(self, *exc) -> None:
        # Ctrl-C during the clean-up must not leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            self.stop_all()
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def say(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    def spawn(self, name: str, argv: list[str], *, env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start a process in its own group, output to <logs>/<name>.log."""
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def stop(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        """Signal a process's group, wait for it (SIGKILL after `timeout`); return its exit code."""
        proc = self.procs.pop(name, None)
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        # Children that outlived their leader (a killed Celery master's pool).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return proc.returncode

    def kill(self, name: str) -> int | None:
        """SIGKILL a process and everything in its group at once (a crash)."""
        return self.stop(name, sig=signal.SIGKILL, timeout=10)

    def stop_all(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        order = [n for n in self.procs if n.startswith(("sender", "celery"))]
        order += [n for n in self.procs if n.startswith("gunicorn")]
        order += [n for n in self.procs if n not in order]
        for name in order:
            with contextlib.suppress(Exception):
                # gunicorn's SIGTERM waits up to graceful_timeout; SIGQUIT stops at once.
                self.stop(
                    name, sig=signal.SIGQUIT if name.startswith("gunicorn") else signal.SIGTERM, timeout=10
                )
        if self.pgdata is not None:
            with contextlib.suppress(Exception):
                self._pg_ctl("stop", "-m", "immediate", "-w", "-t", "30")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_alive(self) -> list[str]:
        """Names of started processes that have exited."""
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    # --- PostgreSQL -----------------------------------------------------------------
    def _as_pg(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", self._pg_user, "--", *argv] if self._pg_user else argv

    def _pg_bin(self, tool: str) -> str:
        found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"))
        if found:
            return str(found[-1])
        path = shutil.which(tool)
        if path is None:
            raise RuntimeError(f"no {tool}: install PostgreSQL's server package")
        return path

    def _pg_ctl(self, *args: str) -> None:
        argv = [
            self._pg_bin("pg_ctl"),
            "-D",
            str(self.pgdata),
            "-l",
            str(self.tmp / "pg" / "server.log"),
            *args,
        ]
        subprocess.run(self._as_pg(argv), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start_postgres(self) -> str:
        """initdb + start a cluster on a free port; create database `planocore`; return its URL."""
        port = free_port()
        base = self.tmp / "pg"
        base.mkdir()
        if os.geteuid() == 0:
            self._pg_user = "postgres"
            record = pwd.getpwnam(self._pg_user)
            os.chown(self.tmp, record.pw_uid, record.pw_gid)
            os.chown(base, record.pw_uid, record.pw_gid)
        self.pgdata = base / "data"
        subprocess.run(
            self._as_pg(
                [
                    self._pg_bin("initdb"),
                    "-D",
                    str(self.pgdata),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off -c max_connections=200 -c shared_buffers=64MB"
        )
        self._pg_ctl("start", "-w", "-t", "60", "-o", options)
        self.ports["postgres"] = port
        psql = self._pg_bin("psql")
        subprocess.run(
            [
                psql,
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-q",
                "-c",
                "CREATE DATABASE planocore",
            ],
            check=True,
        )
        url = f"postgres://postgres@127.0.0.1:{port}/planocore"
        self.env["DATABASE_URL"] = url
        return url

    def restart_postgres(self) -> float:
        """`pg_ctl restart -m fast`; return the seconds it took."""
        started = time.monotonic()
        self._pg_ctl("restart", "-m", "fast", "-w", "-t", "60")
        return time.monotonic() - started

    # --- Redis ------------------------------------------------------------------------
    def start_redis(self) -> str:
        port = free_port()
        proc = self.spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
        )
        wait_port(port, proc=proc)
        self.ports["redis"] = port
        self.env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{port}/0"
        self.env["CACHE_URL"] = f"redis://127.0.0.1:{port}/1"
        return f"redis://127.0.0.1:{port}"

    # --- the fakes ------------------------------------------------------------------------
    def start_fakes(self, *, teams: int = 5, ringcentral: list[str] | None = None) -> dict[str, str]:
        """Start the RingCentral, Mandrill and Sunshine fakes and point the app's settings at them.

        `ringcentral`: the RingCentral fake's rate-limit options (`--rate-limit Medium=40
        --rate-window 60 --enforce`); by default its limits are lifted like the app's
        budgets, or its X-Rate-Limit-* headers would tighten them to RingCentral's defaults.
        """
        urls = {}
        rc_options = ["--teams", str(teams), *(LIFTED_RC_LIMITS if ringcentral is None else ringcentral)]
        for fake, extra in (("ringcentral", rc_options), ("mandrill", []), ("sunshine", [])):
            port = free_port()
            proc = self.spawn(
                fake, [PYTHON, "-m", f"tests.fakes.{fake}", "--port", str(port), "--control", *extra]
            )
            wait_port(port, proc=proc)
            self.ports[fake] = port
            urls[fake] = f"http://127.0.0.1:{port}"
        self.fake_urls = urls
        self.env.update(
            {
                "RINGCENTRAL_SERVER_URL": urls["ringcentral"],
                "RINGCENTRAL_CLIENT_ID": RC_CLIENT_ID,
                "RINGCENTRAL_CLIENT_SECRET": RC_CLIENT_SECRET,
                "RINGCENTRAL_JWT": RC_JWT,
                "MANDRILL_API_KEY": MANDRILL_KEY,
                "MANDRILL_API_URL": urls["mandrill"] + "/api/1.0",
                "SUNSHINE_CONVERSATIONS_HOST": urls["sunshine"],
                "SUNSHINE_CONVERSATIONS_APP_ID": SC_APP_ID,
                "SUNSHINE_CONVERSATIONS_KEY_ID": SC_KEY_ID,
                "SUNSHINE_CONVERSATIONS_SECRET": SC_SECRET,
            }
        )
        return urls

    def set_chaos(self, fake: str, **options: Any) -> None:
        http_json("POST", f"{self.fake_urls[fake]}/_fake/chaos", options)

    def fake_log(self, fake: str) -> list[dict]:
        """Everything the fake received, in order of arrival."""
        entries: list[dict] = []
        while True:
            page = http_json("GET", f"{self.fake_urls[fake]}/_fake/log?since={len(entries)}", timeout=120)
            entries += page["received"]
            if not page["received"]:
                return entries

    # --- the application ----------------------------------------------------------------------
    def app_env(self, **extra: Any) -> None:
        """The app's environment (on top of the servers' URLs)."""
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "planocore.settings",
                "SECRET_KEY": "drill-only-" + "x" * 50,
                "DJANGO_DEBUG": "false",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.env.update({k: str(v) for k, v in extra.items()})

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def setup_django(self) -> None:
        """Configure Django in this process (for seeding and for the final checks)."""
        os.environ.update(self.env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    def prepare_app(
        self, *, drill: str, ringcentral: list[str] | None = None, **env: Any
    ) -> tuple[dict[str, Any], str]:
        """PostgreSQL, Redis, the fakes and a migrated, seeded app; returns (seeded, an API token).

        Cancelation notices go to the "Cancelations" team and to an address per type;
        RingCentral's budgets are lifted (the drills measure us, not the rate limit)
        unless `env` sets them; `ringcentral` are the RingCentral fake's rate-limit options.
        """
        self.say(f"starting PostgreSQL, Redis and the fakes (logs in {self.logs})")
        self.start_postgres()
        self.start_redis()
        self.start_fakes(teams=5, ringcentral=ringcentral)
        self.app_env(
            **{
                "RINGCENTRAL_BUDGET_MEDIUM": 1_000_000,
                "RINGCENTRAL_BUDGET_AUTH": 1_000_000,
                "CANCELATION_NOTICE_GLIP_TEAM": "Cancelations",
                "CANCELATION_NOTICE_EMAILS": "Order=orders@example.com,Tour=tours@example.com",
                **env,
            }
        )
        self.say("migrating")
        self.manage("migrate", "--noinput")
        self.setup_django()
        seeded = seed(teams=5, conversation_users=5)
        token = self.manage("create_application_token", "planox2", "--name", f"{drill} drill").strip()
        return seeded, token

    def start_gunicorn(self, *, workers: int = 3, threads: int = 1) -> str:
        port = free_port()
        proc = self.spawn(
            "gunicorn",
            [str(BIN / "gunicorn"), "planocore.wsgi", "--config", "gunicorn.conf.py"],
            env={
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "WEB_CONCURRENCY": str(workers),
                "GUNICORN_THREADS": str(threads),
                "LOG_LEVEL": "WARNING",
            },
        )
        wait_port(port, timeout=60, proc=proc)
        deadline = time.monotonic() + 60
        while True:  # the master listens before its workers can answer
            with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
                if http_json("GET", f"http://127.0.0.1:{port}/healthz", timeout=5).get("database") == "ok":
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz (see {self.logs / 'gunicorn.log'})")
            time.sleep(0.2)
        self.ports["gunicorn"] = port
        return f"http://127.0.0.1:{port}"

    def start_celery(self, name: str, *, concurrency: int = 2) -> subprocess.Popen:
        return self.spawn(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "planocore",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"{name}@drill",
            ],
            env={"C_FORCE_ROOT": "1"},
        )

    def start_sender(
        self, name: str, *, sleep: float = 0.5, batch_size: int | None = None
    ) -> subprocess.Popen:
        argv = [PYTHON, "manage.py", "process_external_requests", "--loop", "--sleep", str(sleep)]
        if batch_size:
            argv += ["--batch-size", str(batch_size)]
        return self.spawn(name, argv)


# --- seeding -------------------------------------------------------------------------------------


def seed(*, teams: int, conversation_users: int) -> dict[str, Any]:
    """Glip teams matching the RingCentral fake's chats, users with a linked conversation; in-process ORM."""
    from django.contrib.auth import get_user_model

    from glip.models import GlipTeam
    from messaging.models import MessagingClient

    names = ["Cancelations"] + [f"Team {n}" for n in range(2, teams + 1)]
    for number, name in enumerate(names, start=1):
        GlipTeam.objects.update_or_create(chat_id=f"chat-{number}", defaults={"name": name, "active": True})
    user_ids = []
    for number in range(conversation_users):
        user, _ = get_user_model().objects.get_or_create(username=f"drill-user-{number}")
        MessagingClient.objects.update_or_create(
            client_id=f"drill-client-{number}",
            defaults={
                "user": user,
                "external_user_id": str(user.pk),
                "sc_user_id": f"sc-user-{number}",
                "type": MessagingClient.Type.SDK,
                "status": MessagingClient.Status.ACTIVE,
                "conversation_id": f"conv-{number}",
                "primary": True,
            },
        )
        user_ids.append(str(user.pk))
    return {"teams": names, "conversation_user_ids": user_ids}


# --- reporting ------------------------------------------------------------------------------------


def machine_line() -> str:
    loads = " ".join(f"{n:.1f}" for n in os.getloadavg())
    return f"machine: {os.cpu_count()} cores, load average {loads} (shared with whatever else runs)"


def verdict(failures: list[str], passed: str) -> int:
    """Print PASS or FAIL with the failures; the drill's exit code."""
    print()
    if failures:
        print("FAIL")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print(f"PASS: {passed}")
    return 0


def run(main: Callable[[], int]) -> None:
    """Run a drill's main and exit with its code; Ctrl-C stops everything it started."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped", file=sys.stderr)
        sys.exit(130)


# --- what was delivered ----------------------------------------------------------------------------


def _call_ids(fake: str, reply: Any) -> list[str]:
    if fake == "mandrill":
        return [str(r.get("_id")) for r in reply or [] if isinstance(r, dict) and r.get("_id")]
    if fake == "sunshine":
        return [str(m.get("id")) for m in (reply or {}).get("messages", [])]
    return [str(reply["id"])] if isinstance(reply, dict) and "id" in reply else []


def _call_content(fake: str, entry: dict) -> tuple[str, str]:
    body = entry.get("body") or {}
    if fake == "mandrill":
        return ("email", (body.get("message") or {}).get("subject", ""))
    if fake == "sunshine":
        return ("conversation", (body.get("content") or {}).get("text", ""))
    if entry["path"].endswith("/sms"):
        return ("sms", body.get("text", ""))
    return ("glip", body.get("text", ""))


def _request_content(channel: str, payload: dict) -> tuple[str, str]:
    if channel == "email":
        return ("email", payload.get("subject", ""))
    return (channel, payload.get("text", ""))


@dataclass
class Delivery:
    accepted_calls: int = 0  # message calls a fake accepted (2xx)
    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    succeeded: int = 0
    matched: int = 0  # succeeded requests whose provider id one accepted call answered
    extra_sends: int = 0  # accepted calls no succeeded request accounts for (sent twice)
    extra_candidates: list[list[int]] = field(
        default_factory=list
    )  # per extra call: requests with its content
    phantom: list[int] = field(default_factory=list)  # succeeded, but no accepted call has its id
    multi_matched: list[int] = field(default_factory=list)  # one id answered by several calls
    by_channel: Counter = field(default_factory=Counter)


def delivery_report(logs: dict[str, list[dict]]) -> Delivery:
    """Compare the fakes' accepted message calls with the outbox rows (in-process ORM)."""
    import re

    from planocore.outbox.models import ExternalRequest

    report = Delivery()
    calls = []  # (fake, ids, content)
    for fake, entries in logs.items():
        pattern = re.compile(MESSAGE_PATHS[fake])
        for entry in entries:
            if (
                entry["method"] == "POST"
                and pattern.search(entry["path"])
                and 200 <= (entry["status"] or 0) < 300
            ):
                calls.append((fake, _call_ids(fake, entry["reply"]), _call_content(fake, entry)))
    report.accepted_calls = len(calls)
    rows = list(ExternalRequest.objects.values("id", "channel", "status", "provider_message_id", "payload"))
    report.requests = len(rows)
    report.by_status = Counter(r["status"] for r in rows)
    succeeded = [r for r in rows if r["status"] == ExternalRequest.Status.SENT]
    report.succeeded = len(succeeded)
    report.by_channel = Counter(r["channel"] for r in succeeded)
    id_count = Counter(i for _, ids, _ in calls for i in ids)
    by_provider_id = {r["provider_message_id"]: r for r in succeeded}
    for row in succeeded:
        count = id_count.get(row["provider_message_id"], 0)
        if count == 0:
            report.phantom.append(row["id"])
        else:
            report.matched += 1
            if count > 1:
                report.multi_matched.append(row["id"])
    # Calls no succeeded request accounts for: the same message sent again.
    content_rows = defaultdict(list)
    for row in rows:
        content_rows[_request_content(row["channel"], row["payload"])].append(row["id"])
    for _fake, ids, content in calls:
        if not any(i in by_provider_id for i in ids):
            report.extra_sends += 1
            report.extra_candidates.append(content_rows.get(content, []))
    return report


@dataclass
class RateLimitCheck:
    windows: int = 0  # 429s given with Retry-After
    calls_in_window: int = 0  # message calls that arrived while a Retry-After ran (after the grace)
    calls_in_grace: int = 0  # arrived within `grace` of the 429 (already in flight)
    worst: list[str] = field(default_factory=list)
    by_fake: Counter = field(default_factory=Counter)  # calls during a Retry-After, per fake
    latest_in_grace: float = 0.0  # seconds after its 429 of the latest call counted in the grace
    calls_in_exempt: int = 0  # calls during a Retry-After that overlapped an `exempt` interval


def rate_limit_report(
    logs: dict[str, list[dict]], *, grace: float = 0.5, exempt: list[tuple[float, float]] = ()
) -> RateLimitCheck:
    """Calls a fake received while a Retry-After it had answered was still running.

    Each fake is one rate-limit account here (one RingCentral extension, one Mandrill
    key, one Sunshine app). A call arriving within `grace` seconds of the 429 was
    already on its way when the 429 was answered; it is counted apart. So is a call
    during a Retry-After that overlapped an `exempt` interval (time.time() pairs: the
    cache, which holds the penalties, was down then).
    """
    import re

    check = RateLimitCheck()
    for fake, entries in logs.items():
        pattern = re.compile(MESSAGE_PATHS[fake])
        messages = sorted((e for e in entries if pattern.search(e["path"])), key=lambda e: e["at"])
        windows = [
            (e["at"], e["at"] + e["retry_after"]) for e in messages if e["status"] == 429 and e["retry_after"]
        ]
        check.windows += len(windows)
        for entry in messages:
            inside = [(start, end) for start, end in windows if start < entry["at"] < end]
            if not inside:
                continue
            if any(s <= fe and e >= fs for s, e in inside for fs, fe in exempt):
                check.calls_in_exempt += 1
            elif all(entry["at"] - start <= grace for start, _ in inside):
                check.calls_in_grace += 1
                check.latest_in_grace = max(check.latest_in_grace, entry["at"] - max(s for s, _ in inside))
            else:
                check.calls_in_window += 1
                check.by_fake[fake] += 1
                if len(check.worst) < 5:
                    start, end = inside[0]
                    check.worst.append(
                        f"{fake} {entry['path']} at +{entry['at'] - start:.2f}s "
                        f"of a {end - start:g}s Retry-After"
                    )
    return check


class Latencies:
    """Thread-safe record of client-side results."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: list[float] = []
        self.statuses: Counter = Counter()
        self.by_kind: Counter = Counter()
        self.timeline: list[tuple[float, float, str]] = []  # (started, seconds, status), monotonic

    def add(self, kind: str, seconds: float, status: str, started: float | None = None) -> None:
        with self.lock:
            self.samples.append(seconds)
            self.statuses[status] += 1
            self.by_kind[kind] += 1
            if started is not None:
                self.timeline.append((started, seconds, status))

    def between(self, start: float, end: float) -> list[tuple[float, str]]:
        """(seconds, status) of the calls that were running at some time in [start, end]."""
        with self.lock:
            return [(s, st) for t, s, st in self.timeline if t <= end and t + s >= start]

    def outside(self, windows: list[tuple[float, float]]) -> list[tuple[float, str]]:
        """(seconds, status) of the calls that overlapped none of the windows."""
        with self.lock:
            return [
                (s, st)
                for t, s, st in self.timeline
                if not any(t <= end and t + s >= start for start, end in windows)
            ]

    def percentile(self, q: float) -> float:
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- API traffic ---------------------------------------------------------------------------------


class ApiClient:
    """One keep-alive connection to gunicorn speaking the envelope."""

    def __init__(self, base: str, token: str, timeout: float = 30.0) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port, self.token, self.timeout = host, int(port), token, timeout
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """Return (HTTP status, envelope); (0, {"status": "<error name>"}) when no answer came."""
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # A kept-alive connection gunicorn closed (max_requests): once more on a new one.
                self.close()
                if attempt:
                    return 0, {"status": f"no-answer ({type(exc).__name__})"}
                continue
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                return 0, {"status": f"no-answer ({type(exc).__name__})"}
            try:
                return response.status, json.loads(data or b"{}")
            except ValueError:
                return response.status, {"status": "not-json"}
        return 0, {"status": "no-answer"}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Created:
    """What the API said it created or changed (the drills check the database against it)."""

    notifications: list[int] = field(default_factory=list)
    glip_messages: list[int] = field(default_factory=list)
    glip_priorities: dict[int, int] = field(default_factory=dict)
    transitions: int = 0  # cancelations that became active or were reinstated (each sends notices)
    provider_failed: int = 0  # documented provider failures answered (mandrill-email-failed, provider-failed)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Traffic:
    """The drills' steady mix of API calls, from `clients` threads, paced to `rate` calls a second.

    Mix (weights): notifications email 12, sms 16, glip 12, conversation 10; Glip
    messages 30 (priority 0-9); cancelations cancel/reinstate 20 (each thread
    toggles its own cancelations, so no two threads race for one).
    """

    MIX = (
        ("email", 12),
        ("sms", 16),
        ("glip", 12),
        ("conversation", 10),
        ("glip-message", 30),
        ("cancelation", 20),
    )

    def __init__(
        self, base: str, token: str, *, seeded: dict, clients: int, rate: float, run_id: str
    ) -> None:
        self.base, self.token, self.seeded = base, token, seeded
        self.clients, self.rate, self.run_id = clients, rate, run_id
        self.results = Latencies()
        self.created = Created()
        self.cancelations: dict[int, list[list]] = {}  # client -> [[id, active], ...]
        self.stop = threading.Event()
        self.errors: Counter = Counter()  # "HTTP status-slug" of every answer that is not success
        self.error_log: list[tuple[float, float, str, str]] = []  # (started, seconds, kind, "HTTP slug")

    def make_cancelations(self, per_client: int) -> None:
        """Create each client's cancelations (active: each sends its notices)."""
        api = ApiClient(self.base, self.token)
        number = 0
        for client in range(self.clients):
            own = self.cancelations.setdefault(client, [])
            for _ in range(per_client):
                number += 1
                status, envelope = api.call(
                    "POST",
                    "/api/v1/cancelations",
                    {
                        "cancelable_type": "Order",
                        "cancelable_id": 100000 + number,
                        "reason_slug": "weather",
                        "key": f"drill-{self.run_id}",
                    },
                )
                if status != 200:
                    raise RuntimeError(f"could not create a cancelation: {status} {envelope.get('status')}")
                own.append([envelope["data"]["id"], True])
                self.created.transitions += 1
        api.close()

    def _body(self, kind: str, client: int, n: int, rng) -> tuple[str, str, dict]:
        tag = f"{self.run_id}-{client}-{n}"
        teams = self.seeded["teams"]
        if kind == "email":
            return (
                "POST",
                "/api/v1/notifications",
                {
                    "notification_type": "email",
                    "key": "drill",
                    "email_to": f"client{client}@example.com",
                    "email_subject": f"Drill email {tag}",
                    "email_body": "Your tour is ready.",
                    "user_id": "42",
                },
            )
        if kind == "sms":
            return (
                "POST",
                "/api/v1/notifications",
                {
                    "notification_type": "sms",
                    "key": "drill",
                    "phone_from": "+15550001111",
                    "phone_to": "+15550002222",
                    "email_body": f"Drill sms {tag}",
                },
            )
        if kind == "glip":
            return (
                "POST",
                "/api/v1/notifications",
                {
                    "notification_type": "glip",
                    "key": "drill",
                    "team_name": rng.choice(teams[1:] or teams),
                    "email_body": f"Drill glip notification {tag}",
                },
            )
        if kind == "conversation":
            return (
                "POST",
                "/api/v1/notifications",
                {
                    "notification_type": "conversation",
                    "key": "drill",
                    "user_id": rng.choice(self.seeded["conversation_user_ids"]),
                    "email_body": f"Drill conversation {tag}",
                },
            )
        if kind == "glip-message":
            return (
                "POST",
                "/api/v1/glip/messages",
                {
                    "team_name": rng.choice(teams[1:] or teams),
                    "message": f"Drill glip message {tag}",
                    "priority": rng.randint(0, 9),
                },
            )
        entry = rng.choice(self.cancelations[client])
        if entry[1]:
            return (
                "PATCH",
                f"/api/v1/cancelations/{entry[0]}",
                {"active": False, "reinstated_note": f"drill {tag}"},
            )
        return (
            "PATCH",
            f"/api/v1/cancelations/{entry[0]}",
            {"active": True, "reason_slug": "weather", "reason_note": f"drill {tag}"},
        )

    def _client(self, client: int) -> None:
        import random

        rng = random.Random(client)  # noqa: S311 - a load mix
        kinds = [k for k, w in self.MIX for _ in range(w)]
        api = ApiClient(self.base, self.token)
        interval = self.clients / self.rate if self.rate else 0.0
        next_at = time.monotonic() + rng.random() * interval
        n = 0
        while not self.stop.is_set():
            if interval:
                delay = next_at - time.monotonic()
                if delay > 0 and self.stop.wait(delay):
                    break
                next_at = max(next_at + interval, time.monotonic() - 1.0)
            n += 1
            kind = rng.choice(kinds)
            if kind == "cancelation" and not self.cancelations.get(client):
                kind = "glip-message"
            method, path, body = self._body(kind, client, n, rng)
            started = time.monotonic()
            status, envelope = api.call(method, path, body)
            elapsed = time.monotonic() - started
            slug = envelope.get("status", "")
            self.results.add(kind, elapsed, f"{status} {slug}", started)
            data = envelope.get("data") or {}
            with self.created.lock:
                if status == 200 and kind == "glip-message":
                    self.created.glip_messages.append(data["id"])
                    self.created.glip_priorities[data["id"]] = body["priority"]
                elif status == 200 and kind == "cancelation":
                    entry = next(e for e in self.cancelations[client] if path.endswith(f"/{e[0]}"))
                    entry[1] = body["active"]
                    self.created.transitions += 1
                elif status == 200:
                    self.created.notifications.append(data["id"])
                elif slug == "mandrill-email-failed" and data.get("id"):
                    self.created.notifications.append(data["id"])
                    self.created.provider_failed += 1
                elif slug == "provider-failed":
                    self.created.provider_failed += 1
                    message = data.get("glip_message") or {}
                    if message.get("id"):
                        self.created.glip_messages.append(message["id"])
                        self.created.glip_priorities[message["id"]] = body["priority"]
                if status != 200:
                    self.errors[f"{status} {slug}"] += 1
                    self.error_log.append((started, elapsed, kind, f"{status} {slug}"))
        api.close()

    def run(self, seconds: float, *, during=None) -> float:
        """Run the clients for `seconds`; call `during(elapsed)` about every 0.5 s; return the time taken."""
        threads = [threading.Thread(target=self._client, args=(c,), daemon=True) for c in range(self.clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            while time.monotonic() - started < seconds:
                time.sleep(0.5)
                if during is not None:
                    during(time.monotonic() - started)
        finally:
            self.stop.set()
            for thread in threads:
                thread.join(60)
        return time.monotonic() - started


def wait_drained(*, timeout: float, say=print) -> tuple[bool, Counter]:
    """Wait until no outbox row is pending or sending (in-process ORM); return (drained, counts by status)."""
    from django.db import connection
    from django.db.models import Count

    from planocore.outbox.models import ExternalRequest

    deadline = time.monotonic() + timeout
    last_said = 0.0
    counts: Counter = Counter()
    while True:
        counts = Counter(
            {r["status"]: r["n"] for r in ExternalRequest.objects.values("status").annotate(n=Count("id"))}
        )
        open_rows = counts.get("queued", 0) + counts.get("retrying", 0) + counts.get("sending", 0)
        if not open_rows:
            return True, counts
        if time.monotonic() > deadline:
            return False, counts
        if time.monotonic() - last_said > 10:
            say(f"draining: {open_rows} request(s) pending or sending")
            last_said = time.monotonic()
        connection.close()
        time.sleep(1.0)
