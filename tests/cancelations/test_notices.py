"""Cancel and reinstate each send exactly one Glip notice (to the local RingCentral) and one email."""

import pytest
from django.db import transaction

from cancelations.models import Cancelation
from cancelations.services import Actor, cancelation_create, cancelation_update
from glip.models import GlipTeam
from notifications.models import Notification
from planocore.outbox.models import ExternalRequest

pytestmark = pytest.mark.django_db

TEAM = "Cancelations Test Team"
CHAT_ID = "chat-cancelations-1"


@pytest.fixture
def notice_settings(ringcentral_fake, settings):
    settings.CANCELATION_NOTICE_GLIP_TEAM = TEAM
    settings.CANCELATION_NOTICE_EMAILS = {"Order": "orders@example.com;ops@example.com"}
    ringcentral_fake.add_team(CHAT_ID, TEAM)
    GlipTeam.objects.create(name=TEAM, chat_id=CHAT_ID)
    return ringcentral_fake


def notices(cancelation_id: int):
    return Notification.objects.filter(notifyable_type="Cancelation", notifyable_id=cancelation_id).order_by(
        "id"
    )


def test_cancel_and_reinstate_each_send_one_notice(
    api, reason, notice_settings, django_capture_on_commit_callbacks
):
    fake = notice_settings
    with django_capture_on_commit_callbacks(execute=True):
        code, body = api.post(
            "/api/v1/cancelations",
            {
                "cancelable_type": "Order",
                "cancelable_id": 321,
                "reason_slug": reason.slug,
                "reason_note": "rain",
            },
        )
    assert code == 200, body
    pk = body["data"]["id"]
    posts = fake.posts_to(CHAT_ID)
    assert len(posts) == 1
    assert "Order 321 was canceled: The client asked." in posts[0]["text"]
    assert "Note: rain" in posts[0]["text"]
    made = list(notices(pk))
    assert [(n.notification_type, n.key) for n in made] == [
        ("glip", "cancelation-canceled"),
        ("email", "cancelation-canceled"),
    ]
    assert [a.strip() for a in made[1].email_to.split(",")] == ["orders@example.com", "ops@example.com"]
    assert made[1].olio_id == "321"

    # An edit that is no transition announces nothing.
    with django_capture_on_commit_callbacks(execute=True):
        code, _ = api.patch(f"/api/v1/cancelations/{pk}", {"reason_note": "heavy rain"})
    assert code == 200
    assert len(fake.posts_to(CHAT_ID)) == 1
    assert notices(pk).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        code, _ = api.patch(f"/api/v1/cancelations/{pk}", {"active": False, "reinstated_note": "sun is out"})
    assert code == 200
    posts = fake.posts_to(CHAT_ID)
    assert len(posts) == 2
    assert "Order 321 was reinstated" in posts[1]["text"] and "Note: sun is out" in posts[1]["text"]
    assert [n.key for n in notices(pk)][2:] == ["cancelation-reinstated", "cancelation-reinstated"]

    # The refused second reinstatement sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        code, _ = api.patch(f"/api/v1/cancelations/{pk}", {"active": False})
    assert code == 400
    assert len(fake.posts_to(CHAT_ID)) == 2

    # Every notice went through the outbox and was delivered.
    requests = ExternalRequest.objects.filter(
        content_type__app_label="notifications", object_id__in=[str(n.pk) for n in notices(pk)]
    )
    assert sorted(requests.values_list("channel", flat=True)) == ["email", "email", "glip", "glip"]
    assert set(requests.values_list("status", flat=True)) == {"sent"}
    assert set(notices(pk).values_list("processed", flat=True)) == {1}


def test_a_type_without_email_recipients_gets_only_the_glip_notice(
    reason, notice_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cancelation = cancelation_create(
            data={"cancelable_type": "Tour", "cancelable_id": 8, "reason_id": reason.pk},
            actor=Actor(by="planoorder", via="planoorder"),
        )
    assert [n.notification_type for n in notices(cancelation.pk)] == ["glip"]
    assert notices(cancelation.pk).get().tour_id == "8"
    assert len(notice_settings.posts_to(CHAT_ID)) == 1


def test_a_rolled_back_cancel_sends_nothing(reason, notice_settings, django_capture_on_commit_callbacks):
    class Abort(Exception):
        pass

    # The atomic block rolls back first, then pytest.raises catches, then the callbacks are run.
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abort),
        transaction.atomic(),
    ):
        cancelation_create(
            data={"cancelable_type": "Order", "cancelable_id": 9, "reason_id": reason.pk},
            actor=Actor(by="planox2", via="planox2"),
        )
        raise Abort
    assert callbacks == []
    assert not Cancelation.objects.exists()
    assert not Notification.objects.exists()
    assert notice_settings.posts_to(CHAT_ID) == []


def test_a_missing_glip_team_does_not_block_the_cancelation(reason, settings, caplog):
    settings.CANCELATION_NOTICE_GLIP_TEAM = "No Such Team"
    settings.CANCELATION_NOTICE_EMAILS = {}
    cancelation = cancelation_create(
        data={"cancelable_type": "Order", "cancelable_id": 10, "reason_id": reason.pk},
        actor=Actor(by="planox2", via="planox2"),
    )
    assert Cancelation.objects.filter(pk=cancelation.pk, active=True).exists()
    assert not notices(cancelation.pk).exists()
    assert "glip notice was not made" in caplog.text and "team_name" in caplog.text


def test_recancel_sends_a_canceled_notice_again(reason, notice_settings, django_capture_on_commit_callbacks):
    actor = Actor(by="planox2", via="planox2")
    with django_capture_on_commit_callbacks(execute=True):
        cancelation = cancelation_create(
            data={"cancelable_type": "Tour", "cancelable_id": 11, "reason_id": reason.pk}, actor=actor
        )
    with django_capture_on_commit_callbacks(execute=True):
        cancelation_update(cancelation=cancelation, data={"active": False}, actor=actor)
    with django_capture_on_commit_callbacks(execute=True):
        cancelation_update(cancelation=cancelation, data={"active": True}, actor=actor)
    assert [n.key for n in notices(cancelation.pk)] == [
        "cancelation-canceled",
        "cancelation-reinstated",
        "cancelation-canceled",
    ]
    assert len(notice_settings.posts_to(CHAT_ID)) == 3
