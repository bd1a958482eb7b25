"""Helpers of the inbound tests: a live PlanoCore the fakes call over real HTTP."""

import importlib

import pytest
from django.apps import apps

from planocore.providers.registry import reset_backends

OUR_NUMBER = "+16505550100"
CUSTOMER = "+14155550123"
TOKEN = "verification-token-for-tests"
# An SMS notification from our number to the customer (POST /api/v1/notifications params).
SMS = {"notification_type": "sms", "phone_from": OUR_NUMBER, "phone_to": CUSTOMER, "email_body": "Hi"}


@pytest.fixture
def inbound_live(live_server, ringcentral_fake, settings):
    """PlanoCore served for real (live_server), RingCentral's fake subscribed to its webhook."""
    settings.RINGCENTRAL_WEBHOOK_ADDRESS = f"{live_server.url}/webhooks/ringcentral"
    settings.RINGCENTRAL_WEBHOOK_VERIFICATION_TOKEN = TOKEN
    reset_backends()
    return live_server


@pytest.fixture
def subscribed(inbound_live, ringcentral_fake):
    from django.core.management import call_command

    call_command("subscribe_ringcentral_webhooks")
    assert len(ringcentral_fake.subscriptions) == 1
    return ringcentral_fake


@pytest.fixture
def applications(transactional_db):
    """The seeded applications (planox2...), which a transactional test's flush removed."""
    importlib.import_module("planocore.migrations.0002_seed_applications").seed(apps, None)
