"""On SQLite, two connections whose transactions read then write (as the services do)
should both commit. bench/fuzz.py found the default (deferred) transactions failing such a
request with "database is locked" (a 500: POST /cancelations, POST /users/{id}/clients)
under two gunicorn workers; `runserver` and a worker sharing the file can hit it too.

The fix is `"transaction_mode": "IMMEDIATE"` in the SQLite OPTIONS (planocore/settings.py):
transactions take the write lock at BEGIN and wait for each other (up to the busy timeout).
"""

import threading

import pytest
from django.conf import settings
from django.db import transaction
from django.db.utils import ConnectionHandler

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
        reason="SQLite's file locking (the suite runs on PostgreSQL)",
    ),
]


@pytest.fixture
def writers(tmp_path, monkeypatch):
    """Connections (one per thread) to a file database with the project's SQLite options;
    `transaction.atomic()` runs on them."""
    options = dict(settings.DATABASES["default"].get("OPTIONS", {}))
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(tmp_path / "w.db"),
                "OPTIONS": options,
            }
        }
    )
    monkeypatch.setattr(transaction, "get_connection", lambda using=None: handler["default"])
    with handler["default"].cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    yield handler
    handler.close_all()


def test_a_read_then_write_transaction_waits_for_another_writer(writers):
    a_read, b_done = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def a():
        try:
            with transaction.atomic(), writers["default"].cursor() as cursor:
                cursor.execute("SELECT count(*) FROM t")
                a_read.set()
                b_done.wait(timeout=1)  # B commits its write here (deferred) or waits for A (immediate)
                cursor.execute("INSERT INTO t VALUES (1)")
        except Exception as exc:
            errors.append(exc)
        finally:
            writers["default"].close()

    def b():
        try:
            a_read.wait(timeout=5)
            with transaction.atomic(), writers["default"].cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (2)")
            b_done.set()
        except Exception as exc:
            errors.append(exc)
        finally:
            writers["default"].close()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with writers["default"].cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        assert cursor.fetchall() == [(1,), (2,)]
