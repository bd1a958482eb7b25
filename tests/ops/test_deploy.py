"""Production set-up: check --deploy, gunicorn with its config, Procfile and compose file."""

import json
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import yaml
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.fakes.base import free_port
from tests.ops.helpers import BIN, PYTHON, ROOT, child_database_url, production_env


def manage(*args, env, timeout=120):
    return subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_check_deploy_passes_with_production_environment(tmp_path):
    env = production_env(DATABASE_URL=child_database_url(tmp_path))
    # --fail-level WARNING: any warning (security.*, drf_spectacular.*) fails the command.
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_the_local_defaults():
    """With the local defaults (no production variables) the security checks complain,
    so the test above can fail."""
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", deploy=True, tags=["security"], fail_level="WARNING")
    for check in ("W004", "W008", "W009", "W012", "W016"):
        assert f"security.{check}" in str(raised.value)


def _wait_for(url: str, process, timeout: float = 30.0, **kwargs) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            # The first request waits for the worker to import the project (seconds on a busy machine).
            return requests.get(url, timeout=60, **kwargs)
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def _gunicorn(env: dict, tmp_path):
    """gunicorn on gunicorn.conf.py with `env`; yields (process, output): its log, once it stopped."""
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "planocore.wsgi", "--config", "gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    output: list[str] = []
    try:
        yield process, output
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.seek(0)
        output.append(log.read())
        log.close()


@pytest.mark.slow
@pytest.mark.django_db
def test_gunicorn_serves_health_static_and_json_logs(tmp_path):
    """gunicorn.conf.py as in production: PORT, WEB_CONCURRENCY, collected static files, JSON logs."""
    port = free_port()
    env = production_env(
        DATABASE_URL=child_database_url(tmp_path),
        STATIC_ROOT=str(tmp_path / "static"),
        STATIC_MANIFEST="true",
        PORT=str(port),
        HOST="127.0.0.1",
        WEB_CONCURRENCY="1",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        ALLOWED_HOSTS="127.0.0.1",
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",  # nothing listens: /healthz says broker=error
    )
    collected = manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()

    with _gunicorn(env, tmp_path) as (process, log):
        base = f"http://127.0.0.1:{port}"
        health = _wait_for(f"{base}/healthz", process, headers={"X-Request-ID": "ops-test-health"})
        assert health.status_code == 503
        assert health.json() == {"database": "ok", "broker": "error", "cache": "ok", "sweep": "ok"}
        assert health.headers["X-Request-ID"] == "ops-test-health"

        # Plain HTTP is sent to HTTPS (the health probe above was exempt)...
        plain = requests.get(f"{base}/admin/login/", timeout=10, allow_redirects=False)
        assert plain.status_code == 301
        assert plain.headers["Location"] == f"https://127.0.0.1:{port}/admin/login/"
        # ...and behind the TLS proxy (X-Forwarded-Proto) the page is served with HSTS.
        https = {"X-Forwarded-Proto": "https"}
        login = requests.get(f"{base}/admin/login/", headers=https, timeout=10)
        assert login.status_code == 200
        assert login.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert "Secure" in login.headers["Set-Cookie"]  # the CSRF cookie
        # The hashed stylesheet the page links to is served by WhiteNoise, cached for ever.
        # The admin's theme (django-unfold's stylesheet), collected under a hashed name.
        css = login.text.split('href="/static/unfold/css/styles.', 1)[1].split('"', 1)[0]
        assert css.endswith(".css") and css.count(".") == 1, css  # styles.<hash>.css
        static = requests.get(f"{base}/static/unfold/css/styles.{css}", headers=https, timeout=10)
        assert static.status_code == 200
        assert "immutable" in static.headers["Cache-Control"]
    output = log[0]

    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines, output
    access = [
        line
        for line in lines
        if line["logger"] == "gunicorn.access" and line["request_id"] == "ops-test-health"
    ]
    assert len(access) == 1, output
    assert access[0]["http"]["status"] == 503
    assert access[0]["http"]["path"] == "/healthz"
    app = [line for line in lines if line["logger"] == "planocore.ops"]
    assert app and app[0]["request_id"] == "ops-test-health", output
    assert "broker does not answer" in app[0]["message"]


def test_procfile_processes():
    processes = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
    )
    assert set(processes) == {"web", "worker", "beat", "release"}
    assert processes["web"].split()[:2] == ["gunicorn", "planocore.wsgi"]
    assert processes["worker"].split()[:4] == ["celery", "-A", "planocore", "worker"]
    assert processes["beat"].split()[:4] == ["celery", "-A", "planocore", "beat"]
    assert "migrate" in processes["release"]


def test_compose_file_runs_the_five_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("web", "worker", "beat", "migrate"):
        service = services[name]
        assert service["build"] == "."
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert env["DJANGO_DEBUG"] == "false"
    # Migrations run once the databases answer; the processes start once they are applied.
    for name in ("postgres", "redis"):
        assert services["migrate"]["depends_on"][name]["condition"] == "service_healthy"
    assert services["web"]["command"][:2] == ["gunicorn", "planocore.wsgi"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "planocore", "worker"]
    assert "${WORKER_CONCURRENCY:-4}" in services["worker"]["command"]  # as the Procfile (README)
    assert services["beat"]["command"][:4] == ["celery", "-A", "planocore", "beat"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.slow
@pytest.mark.django_db
def test_recycled_gunicorn_workers_serve_from_the_preloaded_app(tmp_path):
    """gunicorn.conf.py preloads the app and recycles workers (GUNICORN_MAX_REQUESTS): each
    new worker is forked from the master and answers with a database connection of its own."""
    port = free_port()
    env = production_env(
        DATABASE_URL=child_database_url(tmp_path),
        PORT=str(port),
        HOST="127.0.0.1",
        WEB_CONCURRENCY="2",
        GUNICORN_MAX_REQUESTS="2",  # a new worker every other request (no jitter below 10)
        LOG_LEVEL="INFO",
        ALLOWED_HOSTS="127.0.0.1",
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
    )
    with _gunicorn(env, tmp_path) as (process, log):
        url = f"http://127.0.0.1:{port}/healthz"
        answers = [_wait_for(url, process).json()["database"] for _ in range(12)]
        # The master itself holds the app: it loaded the project's compiled dependencies
        # (cryptography's, for the encrypted fields), which gunicorn alone never imports.
        master_maps = Path(f"/proc/{process.pid}/maps").read_text()
    output = log[0]

    assert answers == ["ok"] * 12, output
    assert "/cryptography/" in master_maps
    assert "/pydantic_core/" in master_maps  # the Sunshine Conversations package's (planocore/wsgi.py)
    assert output.count("Booting worker") >= 6, output  # the two first, then one every other request
    assert output.count("Autorestarting worker") >= 4, output
    assert "Exception" not in output and "Traceback" not in output, output


def test_a_command_starts_without_the_sunshine_conversations_package():
    """Importing that package is 2.7 s; only a Sunshine call needs it, so `manage.py` (its
    --help, every operator's command) starts without it. Forking parents preload it."""
    probe = (
        "import sys, django; django.setup(); "
        "from django.core.management import get_commands; get_commands(); "
        "print('sunshine_conversations_client' in sys.modules)"
    )
    env = production_env(DJANGO_SETTINGS_MODULE="planocore.settings")
    result = subprocess.run(  # noqa: S603
        [PYTHON, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
