"""Fixture `fresh_clone`: the settings a fresh clone has (no provider credentials); a root plugin."""

import pytest

from planocore.providers.registry import reset_backends

FRESH_CLONE_BACKENDS = {
    "glip": "planocore.providers.sandbox.SandboxBackend",
    "sms": "planocore.providers.sandbox.SandboxBackend",
    "mms": "planocore.providers.sandbox.SandboxBackend",
    "email": "planocore.providers.sandbox.SandboxBackend",
    "conversation": "planocore.providers.sandbox.SandboxBackend",
    "glip_teams": "planocore.providers.sandbox.SandboxTeamsBackend",
    "messaging_clients": "planocore.providers.sandbox.SandboxClientsBackend",
}


@pytest.fixture
def fresh_clone(settings):
    """No RingCentral, Mandrill or Sunshine credentials: every provider is the sandbox's."""
    for name in ("RINGCENTRAL_CLIENT_ID", "RINGCENTRAL_CLIENT_SECRET", "RINGCENTRAL_JWT", "MANDRILL_API_KEY"):
        setattr(settings, name, "")
    for name in ("APP_ID", "KEY_ID", "SECRET"):
        setattr(settings, f"SUNSHINE_CONVERSATIONS_{name}", "")
    settings.PROVIDER_BACKENDS = dict(FRESH_CLONE_BACKENDS)
    reset_backends()  # also a new, empty SandboxClientsBackend
    yield settings
    reset_backends()
