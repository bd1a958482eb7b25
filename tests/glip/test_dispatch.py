"""Dispatch from the saved record alone: the one-time password beside it, execute as a named call."""

import pytest
from django.db import transaction
from django.test import Client

from glip.models import GlipMessage, GlipTeam, RingCentralExtension
from glip.services import glip_message_create
from planocore.crypto import decrypt_json
from planocore.outbox import services as outbox
from planocore.outbox.models import ExternalRequest

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:username-password login:UserWarning"),
]


@pytest.fixture
def photographers(ringcentral_fake):
    ringcentral_fake.add_team("chat-77", "Photographers")
    return GlipTeam.objects.create(name="Photographers", chat_id="chat-77")


@pytest.fixture
def ext_102(ringcentral_fake, photographers):
    ringcentral_fake.add_user(
        username="+16505550100", extension="102", password="p@ss-102", owner_id="200002"
    )
    ringcentral_fake.team("chat-77").members.add("200002")
    return RingCentralExtension.objects.create(extension_number="102", login_phone_number="+16505550100")


def test_the_password_is_kept_encrypted_on_the_request_not_on_the_message(photographers, ext_102):
    message = glip_message_create(team=photographers, text="x", extension=ext_102, rc_password="p@ss-102")
    request = message.external_requests.get()
    assert request.status == "queued" and "p@ss-102" not in request.secret_payload
    assert decrypt_json(request.secret_payload) == {"password": "p@ss-102"}
    assert "p@ss-102" not in str(GlipMessage.objects.filter(pk=message.pk).values().get())
    assert not hasattr(message, "rc_password")


def test_a_password_from_the_admin_is_used_once_and_wiped(
    staff_user, ringcentral_fake, photographers, ext_102, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/glip/glipmessage/add/",
            {
                "team": photographers.pk,
                "text": "From the admin",
                "extension": ext_102.pk,
                "priority": 0,
                "rc_password": "p@ss-102",
            },
        )
    assert response.status_code == 302
    message = GlipMessage.objects.get()
    assert (message.status, message.sent_by, message.extension) == ("sent", staff_user, ext_102)
    assert ringcentral_fake.logins == [{"grant": "password", "owner_id": "200002", "extension": "102"}]
    assert message.external_requests.get().secret_payload == ""


def test_a_request_claimed_for_the_caller_is_left_alone_by_the_hand_off_and_the_sweep(
    ringcentral_fake, photographers
):
    with transaction.atomic():
        message = glip_message_create(team=photographers, text="mine")
        request = outbox.claim_for_caller(source=message)
    assert request is not None and request.status == "sending"
    assert outbox.send(request.pk).skipped  # what the hand-off runs after the commit
    assert outbox.process_due().total == 0  # the sweep
    assert ringcentral_fake.posts_to("chat-77") == []
    outcome = outbox.send_claimed(request)
    assert outcome.succeeded and len(ringcentral_fake.posts_to("chat-77")) == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.post_id == outcome.provider_message_id


def test_send_now_posts_once_even_with_the_hand_off_run_after_the_commit(
    ringcentral_fake, photographers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message, outcome = outbox.send_now(lambda: glip_message_create(team=photographers, text="now"))
    assert callbacks  # the hand-off ran, and found the post already sent
    assert outcome.succeeded and message.status == "sent" and message.post_id
    assert [post["text"] for post in ringcentral_fake.posts_to("chat-77")] == ["now"]
    assert ExternalRequest.objects.get().attempts == 1


def test_send_now_refuses_to_run_inside_a_callers_transaction(photographers):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.send_now(lambda: glip_message_create(team=photographers, text="too early"))
    assert not GlipMessage.objects.exists()


def test_send_now_answers_none_when_the_record_enqueued_nothing(photographers):
    team, outcome = outbox.send_now(lambda: GlipTeam.objects.create(name="Editors", chat_id="chat-5"))
    assert outcome is None and team.pk
