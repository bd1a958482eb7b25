"""The fuzz run's world: the WSGI app, a token with every permission, seeded records, the schema."""

import json
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from werkzeug.test import Client

from tests.fuzz import harness

# Examples per operation (the fuzzing phase, valid and invalid data). The coverage phase
# (hundreds of boundary cases per operation) is left to bench/fuzz.py to keep this quick.
MAX_EXAMPLES = 30

# Operations no fuzzed request can make succeed, and why.
NEVER_SUCCEED = {
    # Signing out needs a session token; the run authenticates with an application token.
    "DELETE /api/v1/sessions/current",
    # Registering as a client needs a session token too (an application token is permission-denied).
    "POST /api/v1/users/client_register",
}


class FuzzWorld:
    """Calls the app through WSGI with the token; tallies what each operation answered."""

    def __init__(self, *, app, token, capture):
        self.app, self.capture = app, capture
        self.headers = {"Authorization": f"Bearer {token}"}
        self.succeeded: Counter = Counter()
        self.failed = False

    def call(self, method, path, data=None):
        response = Client(self.app).open(path, method=method, json=data, headers=self.headers)
        return response.status_code, json.loads(response.get_data() or b"null")

    def call_and_validate(self, case):
        # Run the on-commit work (the queued sends) as a server does after its commit.
        with self.capture(execute=True):
            response = case.call(headers=self.headers)
        if response.status_code == 200 and case.method.upper() == case.operation.method.upper():
            self.succeeded[case.operation.label] += 1
        try:
            case.validate_response(response, checks=harness.CHECKS, headers=self.headers)
        except Exception:
            self.failed = True
            raise


@pytest.fixture
def fuzz_world(db, settings, monkeypatch, sunshine_fake, make_app_token, django_capture_on_commit_callbacks):
    # Thousands of requests from one address: lift the sign-in and bad-token budgets
    # (tests/platform/test_sessions.py tests both); 429 stays a documented answer.
    settings.API_TOKEN_FAILURES_PER_MINUTE = 1_000_000
    settings.SIGN_IN_RATE = "1000000/min"
    settings.API_CLIENT_SEND_RATE = "1000000/min"
    # Requests run inside the test's transaction: keep Django from closing the
    # connection at each request's start and end (as django.test.Client does).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        world = FuzzWorld(
            app=WSGIHandler(), token=make_app_token(), capture=django_capture_on_commit_callbacks
        )
        with django_capture_on_commit_callbacks(execute=True):
            seeds = harness.seed(world.call, sunshine_fake=sunshine_fake)
        world.schema = schemathesis.openapi.from_wsgi(harness.SCHEMA_PATH, world.app)
        world.schema.config.generation.update(max_examples=MAX_EXAMPLES)
        world.schema.config.phases.coverage.enabled = False
        harness.install_hooks(world.schema, seeds)
        yield world
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    if not world.failed:
        labels = {op.ok().label for op in world.schema.get_all_operations()}
        never = labels - set(world.succeeded) - NEVER_SUCCEED
        assert not never, f"No fuzzed request to {sorted(never)} succeeded: the seeding or the hooks broke"
