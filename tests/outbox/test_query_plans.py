"""The outbox's hot reads use its partial indexes, with the status a bound parameter like any other.

SQLite plans a statement knowing its bound values, so `status = ? OR status = ?`
picks the index whose condition is `status = 'failed' OR status = 'abandoned'`
(it cannot match `IN (?, ?)`), and `next_attempt_at <= ?` the indexes of rows
with a next attempt time (the waiting ones); PostgreSQL's client-side binding
sends the value in the SQL. Checked on SQLite, where a wrong plan would sort
every waiting row on each claim.
"""

import pytest
from django.db import connection
from django.utils import timezone

from planocore.outbox import claim, selectors

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's EXPLAIN QUERY PLAN")


def _plans(read) -> list[str]:
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        read()
    plans = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plans.append(" ".join(row[3] for row in cursor.fetchall()))
    return plans


@pytest.mark.django_db
def test_claiming_reads_the_partial_indexes_of_pending_and_sending_rows():
    plans = _plans(lambda: claim.select_due(limit=10, now=timezone.now()))
    assert len(plans) == 3
    assert "outbox_lease_idx" in plans[0]  # sending past its lease
    assert "outbox_due_age_idx" in plans[1]  # waiting longest
    assert "outbox_due_idx" in plans[2]  # by priority
    assert not any("TEMP B-TREE" in plan for plan in plans)  # nothing sorted


@pytest.mark.django_db
def test_the_open_counts_read_only_unfinished_rows_and_open_problems():
    in_flight, problems = _plans(selectors.open_request_counts)
    assert "outbox_open_status_idx" in in_flight
    assert "outbox_problem_idx" in problems
