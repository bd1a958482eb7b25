"""`make run`, as a newcomer starts it: the embedded defaults retry by themselves (issue 23).

The test starts the app the way the README says (`make run`, with a PORT and a
database of its own), makes an SMS fail in a way that may heal, heals it, and
waits: the sweep that `make run` starts beside the server sends it, with no
command run by hand.
"""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _post(url: str, token: str, data: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(data).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _manage(env: dict, code: str) -> None:
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


def _switch(env: dict, mode: str) -> None:
    _manage(
        env,
        "from planocore.outbox.models import SandboxFailure as S; S.ensure_all(); "
        f"s = S.objects.get(channel='sms'); s.mode = '{mode}'; s.retry_after_seconds = 1; s.save()",
    )


def test_make_run_retries_a_failed_sms_by_itself(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "OUTBOX_RETRY_BASE_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the app's own settings, as `make run` has them
    log = open(tmp_path / "make-run.log", "w+")  # noqa: SIM115 (read while it runs)
    process = subprocess.Popen(
        ["make", "-s", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        token = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            log.seek(0)
            text = log.read()
            found = re.search(r"API token \(application planox2, shown once\): (\S+)", text)
            if found and token is None:
                token = found.group(1)
                assert f"Start at {base}/" in text  # the printed links use the PORT
            if token:
                try:
                    if _get(f"{base}/healthz")[0] == 200:
                        break
                except OSError:
                    pass
            assert process.poll() is None, text
            time.sleep(0.5)
        else:
            pytest.fail("make run did not start in 180 s")

        _switch(env, "retryable")
        code, body = _post(
            f"{base}/api/v1/notifications",
            token,
            {
                "notification_type": "sms",
                "phone_from": "+12125550199",
                "phone_to": "+12125550100",
                "email_body": "Your shoot is at 9",
            },
        )
        assert code == 200, body
        notification_id = body["data"]["id"]
        code, body = _get(f"{base}/api/v1/notifications/{notification_id}", token)
        assert body["data"]["status"] == "retrying", body
        _switch(env, "off")

        # No command run by hand: the sweep beside the server sends it.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            code, body = _get(f"{base}/api/v1/notifications/{notification_id}", token)
            if body["data"]["status"] == "sent":
                break
            time.sleep(0.5)
        assert body["data"]["status"] == "sent", body
        assert _get(f"{base}/healthz")[1]["sweep"] == "ok"
        log.seek(0)
        assert re.search(r"\[outbox sweep [\d:]+\] sent=1 ", log.read())
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    # Both processes stopped with it: no sweep is left running on that database.
    leftover = subprocess.run(["pgrep", "-f", f"{tmp_path}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
