"""The clients routes against the Sunshine Conversations fake over real HTTP."""

import base64
from urllib.parse import urlsplit

import pytest

from messaging.models import MessagingClient
from tests.fakes.sunshine import KEY_ID, SECRET

pytestmark = pytest.mark.django_db

CONVERSATION = "029c31f25a21b47effd7be90"
INTEGRATION = "582dedf230e788746891281a"


def whatsapp(**criteria):
    return {
        "matchCriteria": {"type": "whatsapp", "integrationId": INTEGRATION, "phoneNumber": "+1 212-555-2368"}
        | criteria,
        "confirmation": {"type": "immediate"},
        "target": {"conversationId": CONVERSATION},
    }


def clients_path(user_id, client_id=None):
    path = f"/api/v1/users/{user_id}/clients"
    return f"{path}/{client_id}" if client_id else path


# --- create ----------------------------------------------------------------------
def test_create_calls_sunshine_and_stores_a_pending_client(
    api, person, sc_user, sunshine_fake, django_assert_max_num_queries
):
    # Cold caches: route state, token, permissions; then the user and one upsert (with savepoints).
    with django_assert_max_num_queries(14):
        code, body = api.post(clients_path(person.pk), whatsapp())
    assert (code, body["status"]) == (200, "action-successful"), body
    (sent,) = sunshine_fake.requests_to("POST", r"/clients$")
    assert sent.path == f"/v2/apps/{sunshine_fake.app_id}/users/{person.pk}/clients"
    assert (
        sent.headers["authorization"] == "Basic " + base64.b64encode(f"{KEY_ID}:{SECRET}".encode()).decode()
    )
    assert sent.json()["matchCriteria"] == {
        "type": "whatsapp",
        "integrationId": INTEGRATION,
        "primary": True,
        "phoneNumber": "+12125552368",  # normalized to E.164
    }
    assert sent.json()["target"] == {"conversationId": CONVERSATION}
    (sc_client,) = sunshine_fake.clients_of(str(person.pk))
    client = MessagingClient.objects.get()
    assert body["data"]["client_id"] == client.client_id == sc_client["id"]
    assert (client.user, client.status, client.type) == (person, "pending", "whatsapp")
    assert (client.phone_number, client.conversation_id, client.external_user_id) == (
        "+12125552368",
        CONVERSATION,
        str(person.pk),
    )
    assert client.last_synced_at is not None


def test_create_mailgun_with_a_prompt_message(api, person, sc_user, sunshine_fake):
    params = {
        "matchCriteria": {"type": "mailgun", "integrationId": INTEGRATION, "address": "ana@example.com"},
        "confirmation": {"type": "prompt", "message": "Reply to link your email"},
        "target": {"conversationId": CONVERSATION},
    }
    code, body = api.post(clients_path(person.pk), params)
    assert code == 200, body
    sent = sunshine_fake.requests_to("POST", r"/clients$")[0].json()
    assert sent["confirmation"]["message"]["content"] == {"type": "text", "text": "Reply to link your email"}
    assert sent["confirmation"]["message"]["author"] == {"type": "business"}
    assert MessagingClient.objects.get().address == "ana@example.com"


@pytest.mark.parametrize(
    ("criteria", "status", "param"),
    [
        ({"phoneNumber": "212 555 2368"}, "invalid-param", "matchCriteria.phoneNumber"),
        ({"phoneNumber": "1 212 555 2368"}, "invalid-param", "matchCriteria.phoneNumber"),
        ({"type": "telegram"}, "invalid-param", "matchCriteria.type"),
        ({"address": "ana@example.com"}, "invalid-param", "matchCriteria.address"),
        ({"type": "mailgun", "phoneNumber": None}, "missing-param", "matchCriteria.address"),
        ({"integrationId": ""}, "invalid-param", "matchCriteria.integrationId"),
    ],
)
def test_bad_criteria_are_refused_before_any_call(
    api, person, sc_user, sunshine_fake, criteria, status, param
):
    params = whatsapp(**criteria)
    params["matchCriteria"] = {k: v for k, v in params["matchCriteria"].items() if v is not None}
    code, body = api.post(clients_path(person.pk), params)
    assert (code, body["status"]) == (400, status), body
    assert param in body["errors"]
    assert param in body["message"]
    assert sunshine_fake.received == []
    assert not MessagingClient.objects.exists()


def test_missing_target_and_bad_confirmation_are_named(api, person, sc_user, sunshine_fake):
    params = whatsapp()
    del params["target"]
    code, body = api.post(clients_path(person.pk), params)
    assert (code, body["status"]) == (400, "missing-param")
    assert "target" in body["errors"]
    params = whatsapp()
    params["confirmation"] = {"type": "later"}
    code, body = api.post(clients_path(person.pk), params)
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["confirmation.type"])
    assert sunshine_fake.received == []


def test_unknown_local_user_is_invalid_param(api, sunshine_fake):
    code, body = api.post(clients_path(999999), whatsapp())
    assert (code, body["status"]) == (400, "invalid-param")
    assert list(body["errors"]) == ["user_id"]
    assert sunshine_fake.received == []


def test_user_unknown_to_sunshine_is_invalid_param(api, person, sunshine_fake):
    code, body = api.post(clients_path(person.pk), whatsapp())
    assert (code, body["status"]) == (400, "invalid-param")
    assert list(body["errors"]) == ["user_id"]
    assert len(sunshine_fake.requests_to("POST", r"/clients$")) == 1
    assert not MessagingClient.objects.exists()


def test_429_is_provider_unavailable_with_retry_after_and_nothing_stored(api, person, sc_user, sunshine_fake):
    sunshine_fake.fail_next(
        429, {"errors": [{"code": "too_many_requests", "title": "Slow down"}]}, headers={"Retry-After": "30"}
    )
    response = api.client.post(
        clients_path(person.pk), whatsapp(), format="json", HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )
    body = response.json()
    assert (response.status_code, body["status"]) == (503, "provider-unavailable")
    assert response["Retry-After"] == "30"
    assert not MessagingClient.objects.exists()
    assert sunshine_fake.clients_of(str(person.pk)) == []
    # Inside the Retry-After window nobody calls Sunshine Conversations again.
    code, body = api.post(clients_path(person.pk), whatsapp())
    assert (code, body["status"]) == (503, "provider-unavailable")
    assert len(sunshine_fake.requests_to("POST", r"/clients$")) == 1


def test_5xx_and_timeouts_are_provider_unavailable(api, person, sc_user, sunshine_fake, settings):
    sunshine_fake.fail_next(502, {"errors": [{"code": "bad_gateway", "title": "Upstream"}]})
    code, body = api.post(clients_path(person.pk), whatsapp())
    assert (code, body["status"]) == (503, "provider-unavailable")
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    sunshine_fake.hang_next(1.5)
    code, body = api.post(clients_path(person.pk), whatsapp())
    assert (code, body["status"]) == (503, "provider-unavailable")
    assert "0.3 seconds" in body["message"]
    assert SECRET not in body["message"]
    assert not MessagingClient.objects.exists()


def test_create_needs_the_add_permission(make_app_token, person, sc_user, sunshine_fake):
    from conftest import Api

    limited = Api(make_app_token(permissions=["messaging.view_messagingclient"]))
    code, body = limited.post(clients_path(person.pk), whatsapp())
    assert (code, body["status"]) == (403, "permission-denied")
    assert "messaging.add_messagingclient" in body["message"]
    assert sunshine_fake.received == []


# --- list --------------------------------------------------------------------------
def test_list_across_two_pages(api, person, sc_user, sunshine_fake, django_assert_max_num_queries):
    external = str(person.pk)
    made = [
        sunshine_fake.add_client(external, type="twilio", status="active", integrationId=INTEGRATION),
        sunshine_fake.add_client(external, type="sdk", status="active"),
        sunshine_fake.add_client(external, type="whatsapp", status="pending", integrationId=INTEGRATION),
    ]
    # Constant: auth and route checks (cold caches), the user, the app's 429 penalty read
    # from its budget rows before the Sunshine call, one select + one bulk write.
    with django_assert_max_num_queries(11):
        code, body = api.get(clients_path(person.pk), {"page[size]": 2})
    assert (code, body["status"]) == (200, "action-successful"), body
    assert [c["client_id"] for c in body["data"]] == [made[0]["id"], made[1]["id"]]
    assert body["meta"]["has_more"] is True and body["meta"]["page_size"] == 2
    assert body["links"]["prev"] is None
    sent = sunshine_fake.requests_to("GET", r"/clients$")[0]
    assert sent.query == {"page[size]": ["2"]}  # the deepObject names, not page={"size": 2}

    next_link = urlsplit(body["links"]["next"])
    assert next_link.path == clients_path(person.pk)
    code, body = api.get(f"{next_link.path}?{next_link.query}")
    assert code == 200, body
    assert [c["client_id"] for c in body["data"]] == [made[2]["id"]]
    assert body["meta"]["has_more"] is False and body["links"]["next"] is None
    assert sunshine_fake.requests_to("GET", r"/clients$")[1].query == {
        "page[after]": [made[1]["id"]],
        "page[size]": ["2"],
    }
    prev_link = urlsplit(body["links"]["prev"])
    code, body = api.get(f"{prev_link.path}?{prev_link.query}")
    assert [c["client_id"] for c in body["data"]] == [made[0]["id"], made[1]["id"]]

    # The listed clients are mirrored locally with their SC status.
    mirrored = {c.client_id: c for c in MessagingClient.objects.all()}
    assert set(mirrored) == {c["id"] for c in made}
    assert mirrored[made[0]["id"]].status == "active" and mirrored[made[0]["id"]].type == "twilio"
    assert all(c.last_synced_at for c in mirrored.values())


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"page[size]": 0}, "page[size]"),
        ({"page[size]": 101}, "page[size]"),
        ({"page[after]": "short"}, "page[after]"),
        ({"page[after]": "a" * 24, "page[before]": "b" * 24}, "page[before]"),
    ],
)
def test_bad_page_params_are_refused_before_any_call(api, person, sc_user, sunshine_fake, query, param):
    code, body = api.get(clients_path(person.pk), query)
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert list(body["errors"]) == [param]
    assert sunshine_fake.received == []


def test_list_of_a_user_unknown_to_sunshine(api, person, sunshine_fake):
    code, body = api.get(clients_path(person.pk))
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["user_id"])


# --- remove ------------------------------------------------------------------------
def test_remove_removes_in_sunshine_and_marks_the_row(api, person, sc_user, sunshine_fake):
    code, body = api.post(clients_path(person.pk), whatsapp())
    client_id = body["data"]["client_id"]
    code, body = api.delete(clients_path(person.pk, client_id), raw="")
    assert (code, body["status"]) == (200, "action-successful"), body
    assert sunshine_fake.clients_of(str(person.pk)) == []
    assert sunshine_fake.requests_to("DELETE", rf"/clients/{client_id}$")
    client = MessagingClient.objects.get(client_id=client_id)
    assert client.status == "inactive" and client.removed_at is not None
    assert body["data"]["removed_at"] is not None


def test_remove_unknown_client_is_invalid_param(api, person, sc_user, sunshine_fake):
    code, body = api.delete(clients_path(person.pk, "5e0000000000000000000999"), raw="")
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["client_id"])


def test_remove_failure_leaves_the_row_alone(api, person, sc_user, sunshine_fake):
    code, body = api.post(clients_path(person.pk), whatsapp())
    client_id = body["data"]["client_id"]
    sunshine_fake.fail_next(503)
    code, body = api.delete(clients_path(person.pk, client_id), raw="")
    assert (code, body["status"]) == (503, "provider-unavailable")
    client = MessagingClient.objects.get(client_id=client_id)
    assert client.removed_at is None and client.status == "pending"


def test_nested_params_as_json_strings_in_a_form_body(api, person, sc_user, sunshine_fake):
    import json

    params = {key: json.dumps(value) for key, value in whatsapp().items()}
    response = api.client.post(clients_path(person.pk), params, HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert response.status_code == 200, response.content
    assert MessagingClient.objects.get().phone_number == "+12125552368"


def test_documentation_lists_the_seed_params_in_order(client):
    html = client.get("/documentation/messaging-clients-create").content.decode()
    names = ("user_id", "matchCriteria", "confirmation", "target")
    positions = [html.index(f'id="param-{name}"') for name in names]
    assert positions == sorted(positions)
    html = client.get("/documentation/messaging-clients-list").content.decode()
    positions = [html.index(f'id="param-{name}"') for name in ("page[after]", "page[before]", "page[size]")]
    assert positions == sorted(positions)


def test_refused_credentials_and_missing_configuration(api, person, sc_user, sunshine_fake, settings):
    from planocore.providers import sunshine

    settings.SUNSHINE_CONVERSATIONS_SECRET = "not-the-secret"
    sunshine.reset_clients()
    code, body = api.get(clients_path(person.pk))
    assert (code, body["status"]) == (503, "provider-unavailable")
    assert "401" in body["message"] and "not-the-secret" not in body["message"]
    settings.SUNSHINE_CONVERSATIONS_APP_ID = ""
    calls = len(sunshine_fake.received)
    code, body = api.get(clients_path(person.pk))
    assert (code, body["status"]) == (503, "provider-unavailable")
    assert "not configured" in body["message"]
    assert len(sunshine_fake.received) == calls


def test_the_id_a_client_is_answered_with_is_the_one_remove_takes(api, person, sc_user, sunshine_fake):
    """Issue 26, item 7: `data.id` is the Sunshine Conversations client id, passed back as it is."""
    code, body = api.post(clients_path(person.pk), whatsapp())
    assert code == 200, body
    client = MessagingClient.objects.get()
    assert body["data"]["id"] == body["data"]["client_id"] == client.client_id
    code, listed = api.get(clients_path(person.pk))
    assert [c["id"] for c in listed["data"]] == [client.client_id]
    code, removed = api.delete(clients_path(person.pk, body["data"]["id"]), raw="")
    assert (code, removed["status"]) == (200, "action-successful"), removed
    assert removed["data"]["id"] == client.client_id
    assert MessagingClient.objects.get().removed_at is not None


# --- a conversation belongs to one user (issue 25.4) -------------------------------------------
def _linked(user, client_id: str, **extra) -> MessagingClient:
    """A client of `user` already linked to CONVERSATION."""
    return MessagingClient.objects.create(
        user=user,
        external_user_id=str(user.pk),
        client_id=client_id,
        type="whatsapp",
        conversation_id=CONVERSATION,
        **extra,
    )


@pytest.fixture
def otto(django_user_model):
    return django_user_model.objects.create_user("otto", "otto@example.com", "x-Pass-123")


def test_a_conversation_linked_to_another_user_is_invalid_param(api, person, sc_user, sunshine_fake, otto):
    _linked(otto, "c-otto")
    code, body = api.post(clients_path(person.pk), whatsapp())
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert list(body["errors"]) == ["target.conversationId"]
    assert not sunshine_fake.requests_to("POST", r"/clients$")  # refused before Sunshine is asked
    assert MessagingClient.objects.filter(user=person).count() == 0


def test_the_same_user_may_link_another_client_to_its_conversation(api, person, sc_user, sunshine_fake):
    _linked(person, "c-ana")
    code, body = api.post(clients_path(person.pk), whatsapp())
    assert (code, body["status"]) == (200, "action-successful"), body


def test_a_removed_client_no_longer_holds_its_conversation(api, person, sc_user, sunshine_fake, otto):
    from django.utils import timezone

    _linked(otto, "c-otto", removed_at=timezone.now())
    code, body = api.post(clients_path(person.pk), whatsapp())
    assert (code, body["status"]) == (200, "action-successful"), body
