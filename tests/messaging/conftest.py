"""Fixtures of the messaging tests: a PlanoCore user known to the Sunshine Conversations fake."""

import pytest
from django.contrib.auth import get_user_model

WEBHOOK_SECRET = "whsec-test-only"


@pytest.fixture
def person(db):
    return get_user_model().objects.create_user(
        username="ana", email="ana@example.com", password="x-Pass-123"
    )


@pytest.fixture
def sc_user(sunshine_fake, person):
    """The SC user whose externalId is the PlanoCore user id."""
    return sunshine_fake.add_user(str(person.pk))


@pytest.fixture
def webhook_secret(settings):
    settings.SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET
