"""No built-in secret key (issue 25.11).

Without SECRET_KEY every start stops with a message saying what to set, whatever
DJANGO_DEBUG says; `make run` writes a random one to the git-ignored .env on its
first run and keeps it after. The tests use their own (tests/settings.py).
"""

import os
import subprocess
import sys

import pytest

from tests.ops.helpers import ROOT


def _start(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env={**base, "DJANGO_SETTINGS_MODULE": "planocore.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("debug", ["false", "true"])
def test_a_start_without_a_secret_key_stops_saying_what_to_set(debug):
    # SECRET_KEY set but empty: a checkout's own .env (make run's) is not read over it.
    started = _start(SECRET_KEY="", DJANGO_DEBUG=debug)
    assert started.returncode != 0 and "started" not in started.stdout
    assert "ImproperlyConfigured" in started.stderr
    assert "SECRET_KEY is not set" in started.stderr and "make run" in started.stderr


def test_a_start_with_a_secret_key_runs():
    started = _start(SECRET_KEY="k" * 50)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "started"


def test_the_built_in_insecure_key_is_gone():
    settings_text = (ROOT / "planocore" / "settings.py").read_text()
    assert "django-insecure" not in settings_text


def _make_secret(env_file) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "secret", f"ENV_FILE={env_file}"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_make_run_writes_a_random_secret_key_once(tmp_path):
    env_file = tmp_path / ".env"
    assert _make_secret(env_file).returncode == 0
    first = env_file.read_text()
    [line] = first.splitlines()
    assert line.startswith("SECRET_KEY=") and len(line) >= len("SECRET_KEY=") + 50
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    assert _make_secret(env_file).returncode == 0
    assert env_file.read_text() == first  # kept: sessions and encrypted fields stay readable

    other = tmp_path / "other.env"
    other.write_text("DJANGO_DEBUG=true\n")
    assert _make_secret(other).returncode == 0
    lines = other.read_text().splitlines()
    assert lines[0] == "DJANGO_DEBUG=true" and lines[1].startswith("SECRET_KEY=")
    assert lines[1] != line  # random each time


def test_make_run_writes_the_key_before_anything_starts_and_env_is_git_ignored():
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "secret" in run.splitlines()[0]  # a prerequisite of run
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert ignored.returncode == 0
