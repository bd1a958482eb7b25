"""The glip admin: write-only credentials, messages saved from the admin are sent, retry, import."""

import pytest
from django.db import connection
from django.test import Client

from glip.models import GlipMessage, GlipTeam
from planocore.outbox.models import ExternalRequest
from planocore.providers.ringcentral.models import RingCentralExtension

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def test_extension_credentials_are_write_only(admin_client):
    response = admin_client.post(
        "/admin/ringcentral/ringcentralextension/add/",
        {
            "extension_number": "101",
            "login_phone_number": "+16505550100",
            "display_name": "Main",
            "is_default": "on",
            "active": "on",
            "new_jwt": "eyJ-secret-jwt",
            "new_password": "pw-secret",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    ext = RingCentralExtension.objects.get()
    assert (ext.jwt, ext.password) == ("eyJ-secret-jwt", "pw-secret")
    with connection.cursor() as cursor:
        cursor.execute("SELECT jwt, password FROM ringcentral_ringcentralextension")
        raw_jwt, raw_password = cursor.fetchone()
    assert "eyJ-secret-jwt" not in raw_jwt and "pw-secret" not in raw_password
    page = admin_client.get(f"/admin/ringcentral/ringcentralextension/{ext.pk}/change/").content.decode()
    assert "eyJ-secret-jwt" not in page and "pw-secret" not in page
    assert "a JWT and a password" in page
    # Saving without new values keeps them; the clear box removes one.
    response = admin_client.post(
        f"/admin/ringcentral/ringcentralextension/{ext.pk}/change/",
        {
            "extension_number": "101",
            "login_phone_number": "+16505550100",
            "display_name": "Main",
            "is_default": "on",
            "active": "on",
            "clear_password": "on",
        },
    )
    assert response.status_code == 302
    ext.refresh_from_db()
    assert (ext.jwt, ext.password) == ("eyJ-secret-jwt", "")


def test_message_added_in_the_admin_is_posted(
    admin_client, ringcentral_fake, django_capture_on_commit_callbacks
):
    ringcentral_fake.add_team("chat-5", "Editors")
    team = GlipTeam.objects.create(name="Editors", chat_id="chat-5")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/glip/glipmessage/add/", {"team": team.pk, "text": "From the admin", "priority": 0}
        )
    assert response.status_code == 302
    message = GlipMessage.objects.get()
    assert message.status == "sent" and message.sent_by.username == "staff"
    assert ringcentral_fake.posts_to("chat-5")[0]["text"] == "From the admin"
    page = admin_client.get(f"/admin/glip/glipmessage/{message.pk}/change/").content.decode()
    assert message.post_id in page and "sent" in page and "groupId" in page  # the proof inline


def test_message_saved_in_the_shell_is_queued(ringcentral_fake, django_capture_on_commit_callbacks):
    ringcentral_fake.add_team("chat-5", "Editors")
    team = GlipTeam.objects.create(name="Editors", chat_id="chat-5")
    with django_capture_on_commit_callbacks(execute=True):
        GlipMessage.objects.create(team=team, text="From the shell")
    assert ringcentral_fake.posts_to("chat-5")[0]["text"] == "From the shell"
    assert GlipMessage.objects.get().status == "sent"


def test_retry_action_sends_a_failed_message_again(
    admin_client, ringcentral_fake, django_capture_on_commit_callbacks
):
    ringcentral_fake.add_team("chat-5", "Editors")
    team = GlipTeam.objects.create(name="Editors", chat_id="chat-5")
    ringcentral_fake.fail_next(503, None, path="/posts$")
    with django_capture_on_commit_callbacks(execute=True):
        message = GlipMessage.objects.create(team=team, text="Second chance")
    message.refresh_from_db()
    assert message.status == "failed" and "503" in message.last_error
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/glip/glipmessage/", {"action": "retry", "_selected_action": [message.pk]}
        )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == "sent" and message.post_id
    assert ExternalRequest.objects.get().attempts == 2


def test_import_button_and_action(admin_client, ringcentral_fake):
    ringcentral_fake.add_team("chat-1", "Alpha")
    page = admin_client.get("/admin/glip/glipteam/").content.decode()
    assert "Import from RingCentral" in page
    response = admin_client.post("/admin/glip/glipteam/import/", follow=True)
    assert "1 created" in response.content.decode()
    assert GlipTeam.objects.filter(chat_id="chat-1", name="Alpha").exists()
    ringcentral_fake.team("chat-1").name = "Alpha Team"
    response = admin_client.post(
        "/admin/glip/glipteam/",
        {"action": "import_teams", "_selected_action": [GlipTeam.objects.get().pk]},
        follow=True,
    )
    assert "1 updated" in response.content.decode()
    assert GlipTeam.objects.get().name == "Alpha Team"


def test_team_list_item_lists_active_names(ringcentral_fake):
    from planocore.routes.list_items import LIST_ITEMS

    GlipTeam.objects.create(name="Alpha", chat_id="a", description="first")
    GlipTeam.objects.create(name="Gone", chat_id="g", active=False)
    assert list(LIST_ITEMS["glip_team"].values()) == [("Alpha", "first")]


def test_changelists_render(admin_client, django_assert_max_num_queries):
    team = GlipTeam.objects.create(name="Alpha", chat_id="a")
    ext = RingCentralExtension.objects.create(extension_number="101", jwt="secret-jwt-value")
    for n in range(20):
        GlipMessage.objects.create(team=team, extension=ext, text=f"message {n}")
    for url in [
        "/admin/glip/glipmessage/",
        "/admin/glip/glipteam/",
        "/admin/ringcentral/ringcentralextension/",
        "/admin/glip/glipmessage/?status__exact=queued",
        "/admin/glip/glipmessage/add/",
    ]:
        with django_assert_max_num_queries(15):
            response = admin_client.get(url)
        assert response.status_code == 200, url
        assert "secret-jwt-value" not in response.content.decode()
