"""Two concurrent cancels of the same record leave exactly one active (PostgreSQL, separate connections)."""

import threading

import pytest
from django.db import connection, connections

from cancelations import services
from cancelations.models import Cancelation, CancelationChange
from conftest import Api
from planocore.accounts.models import Application

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent transactions"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _planox2(transactional_db):
    """Transactional tests run after others have flushed the tables, migrations' data included."""
    Application.objects.get_or_create(slug="planox2", defaults={"name": "PlanoX2", "role": "employee"})


def _race(token: str, payload: dict, workers: int = 2) -> list[tuple[int, dict]]:
    """POST the payload from `workers` threads at once, each with its own database connection."""
    barrier = threading.Barrier(workers)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def run():
        try:
            client = Api(token)
            barrier.wait(timeout=10)
            result = client.post("/api/v1/cancelations", payload)
            with lock:
                results.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _assert_one_winner(results, cancelable_id: int) -> None:
    codes = sorted(code for code, _ in results)
    assert codes == [200, 400], results
    loser = next(body for code, body in results if code == 400)
    assert loser["status"] == "invalid-param"
    assert list(loser["errors"]) == ["cancelable_id"]
    assert Cancelation.objects.filter(cancelable_type="Order", cancelable_id=cancelable_id).count() == 1
    assert Cancelation.objects.filter(cancelable_id=cancelable_id, active=True).count() == 1
    # The loser left nothing behind: one cancelation, one history row.
    assert CancelationChange.objects.filter(cancelation__cancelable_id=cancelable_id).count() == 1


def test_two_concurrent_cancels_leave_one_active(app_token, reason):
    results = _race(app_token, {"cancelable_type": "Order", "cancelable_id": 4242, "reason_id": reason.pk})
    _assert_one_winner(results, 4242)


def test_the_database_constraint_decides_when_both_pass_the_check(app_token, reason, monkeypatch):
    """Hold both requests after their "no active cancelation yet" check, so both reach the INSERT."""
    both_checked = threading.Barrier(2)
    real_check = services._other_active

    def check_then_wait(values, exclude_pk):
        found = real_check(values, exclude_pk)
        both_checked.wait(timeout=10)
        return found

    monkeypatch.setattr(services, "_other_active", check_then_wait)
    results = _race(app_token, {"cancelable_type": "Order", "cancelable_id": 4343, "reason_id": reason.pk})
    _assert_one_winner(results, 4343)
