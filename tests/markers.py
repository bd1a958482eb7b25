"""Marks shared by test modules."""

import os

import pytest

# A real Redis for the broker tests (.ci/run sets it when Redis answers).
REDIS_URL = os.environ.get("PLANOCORE_TEST_REDIS_URL", "")


def needs_redis(test):
    """Mark `test` a broker test, skipped (saying why) when there is no real Redis."""
    test = pytest.mark.skipif(not REDIS_URL, reason="needs PLANOCORE_TEST_REDIS_URL (a real Redis)")(test)
    return pytest.mark.broker(test)
