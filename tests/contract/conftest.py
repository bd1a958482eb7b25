"""Fixtures of the seeds' contract tests (issue 18): the cancelations ones are reused."""

from tests.cancelations.conftest import make_cancelation, reason  # noqa: F401 - fixtures
