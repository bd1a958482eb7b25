"""Clients (customers) see only their own records, whatever permissions their groups hold.

A session acting through the Client role is scoped on every route; employees,
liaisons, application tokens and staff keep their permissions' full reach. A
client reading another user's record by id gets the answer of an id that does
not exist; a route closed to clients answers permission-denied.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from cancelations.models import Cancelation, CancelationReason
from cancelations.services import Actor, cancelation_create
from conftest import Api
from glip.models import GlipMessage, GlipTeam
from messaging.models import MessagingClient
from notifications.models import Notification
from planocore.accounts.models import Application, Client, Employee
from planocore.accounts.services import api_permissions, api_session_create, client_group_permissions
from planocore.outbox.models import ExternalRequest
from planocore.providers.ringcentral.models import RingCentralExtension
from tests.security.test_head_requests import head_and_get

pytestmark = pytest.mark.django_db

NOTIFICATIONS = "/api/v1/notifications"
CANCELATIONS = "/api/v1/cancelations"
GLIP = "/api/v1/glip/messages"


def make_user(name: str):
    return get_user_model().objects.create_user(name, f"{name}@example.com", "pw-123456-x")


@pytest.fixture
def everything(db):
    """A group holding every permission of the API's models: a client's scope must not depend on it."""
    group = Group.objects.create(name="everything")
    group.permissions.set(api_permissions())
    return group


@pytest.fixture
def alice(everything):
    user = make_user("alice")
    Client.objects.create(user=user, phone="+15550002222").groups.add(everything)
    return user


@pytest.fixture
def bob(everything):
    user = make_user("bob")
    Client.objects.create(user=user).groups.add(everything)
    return user


def session(user, application: str | None = "planoauth") -> Api:
    app = Application.objects.get(slug=application) if application else None
    return Api(api_session_create(user=user, application=app)[1])


@pytest.fixture
def client_api(alice) -> Api:
    """Alice, signed in to planoauth (an application that selects the Client role)."""
    return session(alice)


@pytest.fixture
def employee_api(everything) -> Api:
    user = make_user("erin")
    Employee.objects.create(user=user).groups.add(everything)
    return session(user, "planox2")


@pytest.fixture(params=["employee", "application token"])
def trusted_api(request, api) -> Api:
    return request.getfixturevalue("employee_api") if request.param == "employee" else api


@pytest.fixture
def notes(alice, bob):
    return {
        "alice": Notification.objects.create(key="a", user_id=str(alice.pk), email_to="alice@example.com"),
        "bob": Notification.objects.create(key="b", user_id=str(bob.pk), email_to="bob@example.com"),
        "nobody": Notification.objects.create(key="n", phone_to="+15550001111"),
    }


SMS = {
    "notification_type": "sms",
    "phone_from": "+15550001111",
    "phone_to": "+15550002222",
    "email_body": "Hi",
}


def ids(body) -> set[int]:
    return {row["id"] for row in body["data"]}


def same_answer(one: tuple, other: tuple, *, other_id, missing_id) -> None:
    """Two answers are the same but for the id they name."""
    (code_a, body_a), (code_b, body_b) = one, other
    assert code_a == code_b
    assert body_a["status"] == body_b["status"]
    assert body_a["message"].replace(str(other_id), "N") == body_b["message"].replace(str(missing_id), "N")


# --- notifications ---------------------------------------------------------------------------------
def test_a_client_lists_only_its_own_notifications(client_api, notes, bob):
    code, body = client_api.get(NOTIFICATIONS)
    assert code == 200, body
    assert ids(body) == {notes["alice"].pk}
    assert "bob@example.com" not in str(body)
    code, body = client_api.get(NOTIFICATIONS, {"user_id": str(bob.pk)})
    assert (code, body["data"]) == (200, [])


def test_a_client_without_an_application_is_scoped_too(alice, notes):
    code, body = session(alice, None).get(NOTIFICATIONS)
    assert code == 200 and ids(body) == {notes["alice"].pk}


def test_trusted_callers_list_every_notification(trusted_api, notes):
    code, body = trusted_api.get(NOTIFICATIONS)
    assert code == 200 and ids(body) == {n.pk for n in notes.values()}


def test_a_client_reading_another_users_notification_gets_the_not_found_answer(client_api, notes):
    other = client_api.get(f"{NOTIFICATIONS}/{notes['bob'].pk}")
    missing = client_api.get(f"{NOTIFICATIONS}/999999")
    assert other[0] == 400 and other[1]["status"] == "invalid-param" and "id" in other[1]["errors"]
    same_answer(other, missing, other_id=notes["bob"].pk, missing_id=999999)
    assert "bob" not in str(other[1])
    code, body = client_api.get(f"{NOTIFICATIONS}/{notes['alice'].pk}")
    assert code == 200 and body["data"]["id"] == notes["alice"].pk


def test_a_client_cannot_read_the_outbox_through_the_proof_view(client_api, notes):
    code, body = client_api.get(f"{NOTIFICATIONS}/{notes['alice'].pk}", {"view": "default-with-proof"})
    assert (code, body["status"]) == (400, "invalid-param") and "view" in body["errors"]
    code, body = client_api.get(NOTIFICATIONS, {"view": "default-with-proof"})
    assert (code, body["status"]) == (400, "invalid-param") and "view" in body["errors"]


def test_trusted_callers_read_any_notification(trusted_api, notes):
    code, body = trusted_api.get(f"{NOTIFICATIONS}/{notes['bob'].pk}", {"view": "default-with-proof"})
    assert code == 200 and body["data"]["id"] == notes["bob"].pk


# Issue 25.3: a client sends as PlanoCore (no phone_from) and to itself (its own phone).
CLIENT_SMS = {"notification_type": "sms", "phone_to": "+15550002222", "email_body": "Hi"}


@pytest.fixture
def default_extension(db):
    return RingCentralExtension.objects.create(
        extension_number="101", is_default=True, login_phone_number="+15550009999"
    )


def test_a_client_creates_notifications_for_itself_only(client_api, alice, bob, default_extension):
    code, body = client_api.post(NOTIFICATIONS, {**CLIENT_SMS, "user_id": str(bob.pk)})
    assert (code, body["status"]) == (400, "invalid-param") and "user_id" in body["errors"]
    assert not Notification.objects.exists()
    code, body = client_api.post(NOTIFICATIONS, CLIENT_SMS)
    assert code == 200, body
    assert Notification.objects.get().user_id == str(alice.pk)


@pytest.mark.parametrize(
    ("param", "value", "kind"),
    [
        ("email_from", "ceo@planocore.local", "email"),
        ("phone_from", "+15550001111", "sms"),
        ("extension", "101", "sms"),
    ],
)
def test_a_client_cannot_choose_the_sender(client_api, default_extension, param, value, kind):
    params = (
        {"notification_type": "email", "email_to": "alice@example.com", "email_subject": "Hi"}
        if kind == "email"
        else CLIENT_SMS
    )
    code, body = client_api.post(NOTIFICATIONS, {**params, param: value})
    assert (code, body["status"]) == (403, "permission-denied")
    assert list(body["errors"]) == [param] and f"`{param}`" in body["message"]
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("email_to", "someone@example.com"),
        ("email_to", "alice@example.com, someone@example.com"),
        ("email_cc", "someone@example.com"),
        ("email_bcc", "Someone <someone@example.com>"),
    ],
)
def test_a_client_emails_only_its_own_address(client_api, mailoutbox, param, value):
    params = {
        "notification_type": "email",
        "email_to": "alice@example.com",
        "email_subject": "Hi",
        param: value,
    }
    code, body = client_api.post(NOTIFICATIONS, params)
    assert (code, body["status"]) == (403, "permission-denied") and list(body["errors"]) == [param]
    assert not Notification.objects.exists() and not mailoutbox


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("email_to", "alice@example.com <bob@example.com>"),
        ("email_to", "<alice@example.com> bob@example.com"),
        ("email_cc", "alice@example.com:bob@example.com"),
        ("email_bcc", "group: alice@example.com, bob@example.com;"),
    ],
)
def test_one_part_naming_two_addresses_is_refused_before_anything_is_sent(
    client_api, trusted_api, mailoutbox, param, value
):
    """parseaddr reads each of these as alice@ alone; the sender reads bob@ too and mails him."""
    for api in (client_api, trusted_api):
        params = {"notification_type": "email", "email_to": "alice@example.com", "email_subject": "Hi"}
        code, body = api.post(NOTIFICATIONS, {**params, param: value})
        assert (code, body["status"]) == (400, "invalid-param"), body
        assert list(body["errors"]) == [param] and "one valid email address" in body["errors"][param][0]
    assert not Notification.objects.exists() and not mailoutbox


def test_a_client_texts_only_its_own_phone(client_api, default_extension):
    code, body = client_api.post(NOTIFICATIONS, {**CLIENT_SMS, "phone_to": "+15550003333"})
    assert (code, body["status"]) == (403, "permission-denied") and list(body["errors"]) == ["phone_to"]
    assert not Notification.objects.exists()


def test_a_clients_email_goes_from_planocore_to_itself(client_api, settings):
    params = {"notification_type": "email", "email_to": "Alice@Example.com", "email_subject": "Hi"}
    code, body = client_api.post(NOTIFICATIONS, params)
    assert code == 200, body
    request = ExternalRequest.objects.get()
    assert request.payload["from_email"] == settings.DEFAULT_FROM_EMAIL
    assert (request.payload["to"], request.payload["cc"], request.payload["bcc"]) == (
        ["Alice@Example.com"],
        [],
        [],
    )


def test_a_clients_sms_goes_from_the_default_extension(client_api, default_extension):
    code, body = client_api.post(NOTIFICATIONS, CLIENT_SMS)
    assert code == 200, body
    payload = ExternalRequest.objects.get().payload
    assert (payload["from"], payload["to"]) == ("+15550009999", ["+15550002222"])


def test_trusted_callers_keep_choosing_sender_and_recipients(trusted_api, default_extension):
    code, body = trusted_api.post(
        NOTIFICATIONS,
        {
            "notification_type": "email",
            "email_from": "ceo@planocore.local",
            "email_to": "x@example.com",
            "email_bcc": "y@example.com",
            "email_subject": "Hi",
        },
    )
    assert code == 200, body
    code, body = trusted_api.post(NOTIFICATIONS, {**SMS, "extension": "101"})
    assert code == 200, body


def test_a_client_past_its_send_budget_is_told_when_to_come_back(client_api, settings, monkeypatch):
    import planocore.budgets

    settings.API_CLIENT_SEND_RATE = "2/hour"
    window_start = 3600 * 500_000
    monkeypatch.setattr(planocore.budgets.time, "time", lambda: window_start + 3000.2)
    params = {"notification_type": "email", "email_to": "alice@example.com", "email_subject": "Hi"}
    for _ in range(2):
        assert client_api.post(NOTIFICATIONS, params)[0] == 200
    response = client_api.client.post(NOTIFICATIONS, data=params, format="json", **client_api._headers(None))
    assert response.status_code == 429 and response.json()["status"] == "too-many-requests"
    assert response["Retry-After"] == "600"
    assert Notification.objects.count() == 2


def test_the_send_budget_is_per_client_and_spares_trusted_callers(client_api, bob, trusted_api, settings):
    settings.API_CLIENT_SEND_RATE = "1/hour"
    params = {"notification_type": "email", "email_to": "alice@example.com", "email_subject": "Hi"}
    assert client_api.post(NOTIFICATIONS, params)[0] == 200
    assert client_api.post(NOTIFICATIONS, params)[0] == 429
    bobs = {"notification_type": "email", "email_to": "bob@example.com", "email_subject": "Hi"}
    assert session(bob).post(NOTIFICATIONS, bobs)[0] == 200
    for _ in range(3):
        assert trusted_api.post(NOTIFICATIONS, params)[0] == 200


def test_a_client_cannot_post_to_glip_through_a_notification(client_api, alice):
    GlipTeam.objects.create(name="Photographers", chat_id="chat-1")
    params = {"notification_type": "glip", "team_name": "Photographers", "email_body": "hi"}
    code, body = client_api.post(NOTIFICATIONS, {**params, "user_id": str(alice.pk)})
    assert (code, body["status"]) == (400, "invalid-param") and "notification_type" in body["errors"]
    assert not Notification.objects.exists()


def test_trusted_callers_create_notifications_for_anyone(trusted_api, bob):
    code, body = trusted_api.post(NOTIFICATIONS, {**SMS, "user_id": str(bob.pk)})
    assert code == 200, body
    assert Notification.objects.get().user_id == str(bob.pk)


# --- glip: closed to clients -----------------------------------------------------------------------
@pytest.fixture
def glip_message(bob):
    team = GlipTeam.objects.create(name="Photographers", chat_id="chat-1")
    # bulk_create: no post_save, so nothing is queued for RingCentral.
    [message] = GlipMessage.objects.bulk_create([GlipMessage(team=team, text="secret", sent_by=bob)])
    return message


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", GLIP),
        ("get", GLIP),
        ("get", f"{GLIP}/{{id}}"),
        ("get", "/api/v1/glip/teams"),
    ],
)
def test_glip_routes_are_closed_to_clients(client_api, glip_message, method, path):
    params = {"team_name": "Photographers", "message": "hello"} if method == "post" else None
    code, body = getattr(client_api, method)(path.format(id=glip_message.pk), params)
    assert (code, body["status"]) == (403, "permission-denied"), body
    assert "secret" not in str(body) and "Photographers" not in str(body)
    assert GlipMessage.objects.count() == 1


def test_trusted_callers_read_glip(trusted_api, glip_message):
    code, body = trusted_api.get(GLIP)
    assert code == 200 and ids(body) == {glip_message.pk}
    code, body = trusted_api.get(f"{GLIP}/{glip_message.pk}")
    assert code == 200 and body["data"]["message"] == "secret"
    code, body = trusted_api.get("/api/v1/glip/teams")
    assert code == 200 and [t["name"] for t in body["data"]] == ["Photographers"]


# --- cancelations ----------------------------------------------------------------------------------
@pytest.fixture
def cancelations(alice, bob):
    reason = CancelationReason.objects.create(slug="test-asked", text="Asked", order=1)

    def cancel(user, cancelable_id):
        data = {"cancelable_type": "Order", "cancelable_id": cancelable_id, "reason_slug": reason.slug}
        return cancelation_create(data=data, actor=Actor(by=str(user.pk), via="planoorder", user=user))

    return {"alice": cancel(alice, 1), "bob": cancel(bob, 2)}


def test_a_client_lists_only_the_cancelations_it_made(client_api, cancelations):
    code, body = client_api.get(CANCELATIONS)
    assert code == 200 and ids(body) == {cancelations["alice"].pk}


def test_a_clients_head_on_cancelations_has_its_scoped_lists_size(client_api, cancelations, api):
    scoped_head, scoped_get = head_and_get(client_api, "/api/v1/cancelations")
    assert scoped_head.status_code == 200
    assert scoped_head["Content-Length"] == scoped_get["Content-Length"]
    full = api.client.get("/api/v1/cancelations", **api._headers(None))
    assert int(full["Content-Length"]) > int(scoped_head["Content-Length"])


def test_trusted_callers_list_every_cancelation(trusted_api, cancelations):
    code, body = trusted_api.get(CANCELATIONS)
    assert code == 200 and ids(body) == {c.pk for c in cancelations.values()}


def test_a_client_reading_or_changing_another_users_cancelation_gets_the_not_found_answer(
    client_api, cancelations
):
    theirs = cancelations["bob"]
    other = client_api.get(f"{CANCELATIONS}/{theirs.pk}")
    missing = client_api.get(f"{CANCELATIONS}/999999")
    assert other[0] == 400 and other[1]["status"] == "invalid-param"
    same_answer(other, missing, other_id=theirs.pk, missing_id=999999)
    changed = client_api.patch(f"{CANCELATIONS}/{theirs.pk}", {"active": False, "reason_note": "mine now"})
    missing = client_api.patch(f"{CANCELATIONS}/999999", {"active": False, "reason_note": "mine now"})
    same_answer(changed, missing, other_id=theirs.pk, missing_id=999999)
    theirs.refresh_from_db()
    assert theirs.active and theirs.reason_note == ""
    code, body = client_api.patch(f"{CANCELATIONS}/{cancelations['alice'].pk}", {"reason_note": "typo"})
    assert code == 200 and body["data"]["reason_note"] == "typo"


def test_a_client_creates_a_cancelation_in_its_own_name(client_api, alice, cancelations):
    code, body = client_api.post(
        CANCELATIONS, {"cancelable_type": "Order", "cancelable_id": 3, "reason_slug": "test-asked"}
    )
    assert code == 200, body
    made = body["data"]["id"]
    assert Cancelation.objects.get(pk=made).canceled_by == str(alice.pk)
    code, body = client_api.get(CANCELATIONS)
    assert ids(body) == {cancelations["alice"].pk, made}


def test_trusted_callers_change_any_cancelation(trusted_api, cancelations):
    code, body = trusted_api.patch(f"{CANCELATIONS}/{cancelations['bob'].pk}", {"reason_note": "checked"})
    assert code == 200 and body["data"]["reason_note"] == "checked"


# --- messaging clients ---------------------------------------------------------------------------------
@pytest.fixture
def sunshine_users(sunshine_fake, alice, bob):
    sunshine_fake.add_user(str(alice.pk))
    sunshine_fake.add_user(str(bob.pk))
    listed = sunshine_fake.add_client(str(bob.pk), type="whatsapp")
    MessagingClient.objects.create(user=bob, client_id=listed["id"], type="whatsapp", status="active")
    return listed["id"]


def _clients(user_id, client_id=None):
    return f"/api/v1/users/{user_id}/clients" + (f"/{client_id}" if client_id else "")


CREATE = {
    "matchCriteria": {
        "type": "mailgun",
        "integrationId": "582dedf230e788746891281a",
        "address": "x@example.com",
    },
    "confirmation": {"type": "immediate"},
    "target": {"conversationId": "029c31f25a21b47effd7be90"},
}


def test_a_client_reaches_only_its_own_messaging_clients(
    client_api, alice, bob, sunshine_users, sunshine_fake
):
    missing_id = bob.pk + 1000
    sunshine_fake.received.clear()
    for method, path, kwargs in [
        ("get", _clients(bob.pk), {}),
        ("post", _clients(bob.pk), {"data": CREATE}),
        ("delete", _clients(bob.pk, sunshine_users), {"raw": ""}),
    ]:
        other = getattr(client_api, method)(path, **kwargs)
        missing = getattr(client_api, method)(path.replace(f"/{bob.pk}/", f"/{missing_id}/"), **kwargs)
        assert other[0] == 400 and other[1]["status"] == "invalid-param" and "user_id" in other[1]["errors"]
        same_answer(other, missing, other_id=bob.pk, missing_id=missing_id)
    assert not sunshine_fake.received  # Sunshine Conversations was never asked
    assert MessagingClient.objects.get(client_id=sunshine_users).removed_at is None
    code, body = client_api.get(_clients(alice.pk))
    assert (code, body["data"]) == (200, [])


def test_trusted_callers_reach_anyones_messaging_clients(trusted_api, bob, sunshine_users):
    code, body = trusted_api.get(_clients(bob.pk))
    assert code == 200, body
    assert [c["client_id"] for c in body["data"]] == [sunshine_users]


# --- sessions, roles, the demo client -------------------------------------------------------------
def test_a_client_reads_and_ends_only_its_own_session(client_api, alice, bob):
    bobs = session(bob)
    code, body = client_api.get("/api/v1/sessions/current")
    assert code == 200 and body["data"]["session"]["user_id"] == alice.pk
    code, body = client_api.delete("/api/v1/sessions/current")
    assert code == 200
    code, body = bobs.get("/api/v1/sessions/current")
    assert code == 200 and body["data"]["session"]["user_id"] == bob.pk


def test_a_user_with_an_employee_role_too_keeps_its_reach_unless_it_picks_the_client_role(
    alice, everything, notes
):
    Employee.objects.create(user=alice).groups.add(everything)
    code, body = session(alice, None).get(NOTIFICATIONS)
    assert code == 200 and ids(body) == {n.pk for n in notes.values()}
    code, body = session(alice, "planox2").get(NOTIFICATIONS)
    assert code == 200 and ids(body) == {n.pk for n in notes.values()}
    code, body = session(alice, None).get(NOTIFICATIONS, {"application": "planoorder"})
    assert code == 200 and ids(body) == {notes["alice"].pk}


def test_the_demo_client_holds_only_the_client_groups_permissions(db):
    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    role = Client.objects.get(user__username="demo-client")
    granted = {
        f"{p.content_type.app_label}.{p.codename}" for g in role.groups.all() for p in g.permissions.all()
    }
    assert granted == set(client_group_permissions())
    assert not any(p.startswith(("outbox.", "glip.")) for p in granted)
    assert "planocore.add_applicationtoken" not in granted


@pytest.mark.parametrize(
    ("slug", "says"),
    [
        ("glip-messages-create", "not open to them"),
        ("notifications-list", "their own records only"),
        ("cancelations-reasons-list", "open, the same for every caller"),
    ],
)
def test_each_routes_documentation_says_what_a_client_may_do(client, db, slug, says):
    response = client.get(f"/documentation/{slug}")
    assert response.status_code == 200
    assert f"Clients (the Client role): {says}" in response.content.decode()
