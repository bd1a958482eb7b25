"""The sandbox's stand-ins: the Glip team list, messaging clients, and staff's failure switches."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from glip.models import GlipTeam
from glip.services import glip_teams_import
from messaging.models import MessagingClient
from planocore.outbox import services as outbox
from planocore.outbox.models import ExternalRequest, SandboxFailure
from planocore.providers.registry import get_backend

pytestmark = pytest.mark.django_db


def _import(*args) -> str:
    out = io.StringIO()
    call_command("import_default_extensions_glip_teams", *args, stdout=out)
    return out.getvalue()


# --- Glip teams ---------------------------------------------------------------------
def test_the_import_dry_run_and_run_with_no_credentials(fresh_clone):
    printed = _import("--dry-run")
    assert "Dry run, nothing written. Would have: created 4," in printed
    assert not GlipTeam.objects.exists()
    assert "created 4, updated 0, unchanged 0" in _import()
    assert "created 0, updated 0, unchanged 4" in _import()
    team = GlipTeam.objects.get(name="Cancelations")
    assert (team.chat_id, team.active) == ("sandbox-cancelations", True)


def test_the_notice_team_follows_the_setting_and_pages_come_one_by_one(fresh_clone, monkeypatch):
    from glip import services

    fresh_clone.CANCELATION_NOTICE_GLIP_TEAM = "Order desk"
    monkeypatch.setattr(services, "IMPORT_PAGE_SIZE", 3)
    seen = []
    report = glip_teams_import(progress=lambda report, records: seen.append((report.pages, records)))
    assert seen == [(1, 3), (2, 1)]
    assert report.created == 4
    assert GlipTeam.objects.get(chat_id="sandbox-cancelations").name == "Order desk"


# --- messaging clients ----------------------------------------------------------------
def _mailgun(address: str, confirmation: str = "prompt") -> dict:
    return {
        "matchCriteria": {"type": "mailgun", "integrationId": "5e4af71a81966cfff3ef6550", "address": address},
        "confirmation": {"type": confirmation},
        "target": {"conversationId": "sandbox-conversation"},
    }


def test_clients_are_kept_per_user_and_paged_like_sunshine(fresh_clone, api, staff_user, person):
    path = f"/api/v1/users/{person.pk}/clients"
    ids = []
    for n in range(3):
        code, body = api.post(path, _mailgun(f"p{n}@example.com"))
        assert (code, body["status"]) == (200, "action-successful"), body
        assert body["data"]["status"] == "pending"
        ids.append(body["data"]["client_id"])
    code, body = api.get(f"/api/v1/users/{staff_user.pk}/clients")
    assert (code, body["data"]) == (200, [])  # another user's clients are their own

    code, body = api.get(path, {"page[size]": 2})
    assert [c["client_id"] for c in body["data"]] == ids[:2], body
    code, body = api.get(path, {"page[size]": 2, "page[after]": ids[1]})
    assert [c["client_id"] for c in body["data"]] == ids[2:]
    code, body = api.get(path, {"page[size]": 2, "page[after]": "nope"})
    assert (code, body["status"]) == (400, "invalid-param")

    code, body = api.delete(f"{path}/{ids[0]}", raw="")
    assert (code, body["status"]) == (200, "action-successful"), body
    assert MessagingClient.objects.get(client_id=ids[0]).status == "inactive"
    code, body = api.get(path)
    assert [c["client_id"] for c in body["data"]] == ids[1:]
    code, body = api.delete(f"{path}/{ids[0]}", raw="")
    assert (code, body["status"]) == (400, "invalid-param")


@pytest.fixture
def person(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username="ana", email="ana@example.com", password="x-Pass-123"
    )


# --- failure switches ---------------------------------------------------------------
def _send_sms() -> ExternalRequest:
    request = outbox.enqueue(
        priority=settings.OUTBOX_RETRY_PRIORITY,
        channel="sms",
        action="send",
        payload={"from": "+15550001111", "to": ["+15550002222"], "text": "Hi"},
        dispatch=False,
    )
    outbox.send(request.pk)
    request.refresh_from_db()
    return request


def test_a_switch_per_channel_makes_the_sandbox_fail_on_purpose(fresh_clone):
    SandboxFailure.ensure_all()
    SandboxFailure.ensure_all()  # twice: no duplicates
    assert set(SandboxFailure.objects.values_list("channel", "mode")) == {
        (c, "off") for c in ("glip", "email", "sms", "mms", "conversation")
    }
    assert _send_sms().status == "sent"

    switch = SandboxFailure.objects.get(channel="sms")
    switch.mode, switch.retry_after_seconds = SandboxFailure.Mode.RETRYABLE, 30
    switch.save()
    request = _send_sms()
    assert (request.status, request.attempts) == ("retrying", 1)
    assert request.last_error == "Sandbox told to fail (retryable) by the channel's switch in the admin."
    assert get_backend("email").send(channel="email", action="send", payload={}, secrets={}).message_id

    switch.mode = SandboxFailure.Mode.PERMANENT
    switch.save()
    request = _send_sms()
    assert request.status == "failed" and "(permanent)" in request.last_error

    switch.mode = SandboxFailure.Mode.OFF
    switch.save()
    assert _send_sms().status == "sent"


def test_an_email_failed_on_purpose_shows_among_the_production_notifications(
    fresh_clone, admin_client, django_capture_on_commit_callbacks
):
    from notifications.models import Notification, ProductionNotification
    from notifications.services import notification_create

    SandboxFailure.ensure_all()
    switch = SandboxFailure.objects.get(channel="email")
    switch.mode = SandboxFailure.Mode.PERMANENT
    switch.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_create(
            data={"notification_type": "email", "email_to": "ann@example.com", "email_subject": "Tour ready"}
        )
    notification = Notification.objects.get(pk=notification.pk)
    assert notification.status == "failed" and notification.provider_failed_at is not None
    assert ProductionNotification.objects.filter(pk=notification.pk).exists()
    html = admin_client.get("/admin/notifications/productionnotification/").content.decode()
    assert "Tour ready" in html


def test_importing_the_backends_before_forking_logs_a_broken_one_and_goes_on(settings, caplog, monkeypatch):
    """registry.import_backends (gunicorn's master, the Celery worker's main process) loads
    every configured backend's module; one that does not import is logged, not raised."""
    import sys

    import planocore.providers
    from planocore.providers import callback
    from planocore.providers.registry import import_backends

    # Imported afresh below; the original module is put back afterwards.
    monkeypatch.setattr(planocore.providers, "callback", callback)
    monkeypatch.delitem(sys.modules, "planocore.providers.callback")

    settings.PROVIDER_BACKENDS = {
        **settings.PROVIDER_BACKENDS,
        "sms": "planocore.providers.no_such_module.SmsBackend",
        "callback": "planocore.providers.callback.CallbackBackend",
    }
    with caplog.at_level("WARNING", logger="planocore.providers"):
        import_backends()
    assert "planocore.providers.callback" in sys.modules
    assert [r.getMessage() for r in caplog.records if "does not import" in r.getMessage()] == [
        "The sms backend planocore.providers.no_such_module.SmsBackend does not import: "
        "No module named 'planocore.providers.no_such_module'"
    ]
