"""Helpers of the notifications tests."""

import pytest

URL = "/api/v1/notifications"

EMAIL = {
    "notification_type": "email",
    "key": "tour-ready",
    "email_from": "ops@planomatic.example",
    "email_to": "ann@example.com, Bob <bob@example.com>",
    "email_cc": "cc@example.com",
    "email_subject": "Your tour is ready",
    "email_body": "See it at https://tours.example/1",
    "user_id": "42",
    "olio_id": "OL-1",
}
SMS = {
    "notification_type": "sms",
    "phone_from": "+15550001111",
    "phone_to": "+15550002222",
    "email_body": "Hi",
}


@pytest.fixture
def glip_team(db):
    from glip.models import GlipTeam

    return GlipTeam.objects.create(name="Photographers", chat_id="chat-100", active=True)


@pytest.fixture
def notify(api, django_capture_on_commit_callbacks):
    """POST /api/v1/notifications with on-commit work (the queued sends) run; returns (code, body)."""

    def post(params: dict, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(URL, params, **kw)

    return post
