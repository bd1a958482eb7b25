"""Fuzz every API route with schemathesis against the served OpenAPI schema (/api/schema).

The app runs in-process through its WSGI handler (schemathesis' `from_wsgi`), inside the
test's database transaction, so the run behaves the same on SQLite and PostgreSQL and
leaves nothing behind. Every response must pass `tests.fuzz.harness.CHECKS`: no 5xx other
than a documented provider failure, the JSON envelope, and status code, content type and
body conforming to the schema. bench/fuzz.py is the longer run, over real HTTP.
"""

import pytest
import schemathesis

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def fuzz_schema(fuzz_world):
    return fuzz_world.schema


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.parametrize()
def test_api(case, fuzz_world):
    fuzz_world.call_and_validate(case)
