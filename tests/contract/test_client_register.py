"""Issue 18, item 1: POST /api/v1/users/client_register, the route `client-required` sends users to."""

import logging

import pytest
from django.contrib.auth.models import Group

from planocore.accounts.models import Client, Employee
from tests.platform.helpers import b64, sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Passw0rd!"
ROUTE = "/api/v1/users/client_register"
DETAILS = {"name": "Jane Doe", "phone": "+1 212-555-2368", "company": "Doe Realty"}


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("jane", "jane@example.com", PASSWORD)


def register(api, token, **params):
    return api.post(ROUTE, raw=b64({"token": token, **params}), content_type="text/plain")


def session_token(anon_api, **extra) -> str:
    code, body = sign_in(anon_api, "jane@example.com", PASSWORD, **extra)
    assert code == 200, body
    return body["data"]["token"]


def test_sign_in_client_required_register_then_a_client_route_with_the_same_token(anon_api, user):
    token = session_token(anon_api, application="planoauth")

    # A client route first: the user has no role.
    code, body = anon_api.get("/api/v1/applications", token=token)
    assert (code, body["status"]) == (401, "client-required")
    assert body["session"]["user_id"] == user.pk
    assert "/api/v1/users/client_register" in body["message"]

    code, body = register(anon_api, token, **DETAILS)
    assert (code, body["status"]) == (200, "action-successful"), body
    client = Client.objects.get(user=user)
    assert (client.name, client.phone, client.company, client.active) == (
        "Jane Doe",
        "+12125552368",
        "Doe Realty",
        True,
    )
    assert list(client.groups.values_list("name", flat=True)) == ["API clients"]
    assert body["data"]["client"] == {
        "id": client.pk,
        "user_id": user.pk,
        "name": "Jane Doe",
        "phone": "+12125552368",
        "company": "Doe Realty",
        "active": True,
        "groups": ["API clients"],
        "created_at": body["data"]["client"]["created_at"],
    }
    assert body["data"]["session"]["user_id"] == user.pk
    assert body["session"] == body["data"]["session"]

    # The same session token, at once (the cached "no role" answer is gone).
    code, body = anon_api.get("/api/v1/applications", token=token)
    assert (code, body["status"]) == (200, "action-successful"), body
    code, body = anon_api.get("/api/v1/cancelations/reasons", token=token)
    assert (code, body["status"]) == (200, "action-successful"), body


def test_registering_twice_is_invalid_param(anon_api, user):
    token = session_token(anon_api)
    assert register(anon_api, token, **DETAILS)[0] == 200
    code, body = register(anon_api, token, **{**DETAILS, "name": "Someone Else"})
    assert (code, body["status"]) == (400, "invalid-param")
    assert "already" in body["message"]
    assert Client.objects.get(user=user).name == "Jane Doe"


def test_a_disabled_client_record_is_already_a_client(anon_api, user):
    Client.objects.create(user=user, active=False)
    token = session_token(anon_api)
    code, body = register(anon_api, token, **DETAILS)
    assert (code, body["status"]) == (400, "invalid-param")
    assert Client.objects.get(user=user).active is False


def test_an_employee_without_a_client_record_may_register(anon_api, user):
    Employee.objects.create(user=user).groups.add(Group.objects.create(name="staff"))
    token = session_token(anon_api, application="planox2")
    code, body = register(anon_api, token, **DETAILS)
    assert (code, body["status"]) == (200, "action-successful"), body
    assert Client.objects.filter(user=user).exists()


def test_an_application_token_is_permission_denied(anon_api, app_token):
    code, body = register(anon_api, app_token, **DETAILS)
    assert (code, body["status"]) == (403, "permission-denied")
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"phone": "+12125552368"}, "missing-param", "name"),
        ({"name": "Jane"}, "missing-param", "phone"),
        ({"name": "Jane", "phone": "212 555 2368"}, "invalid-param", "phone"),
        ({"name": "Jane", "phone": ["+12125552368"]}, "invalid-param", "phone"),
        ({**DETAILS, "application": "planox2"}, "invalid-param", "application"),
        ({**DETAILS, "application": "nope"}, "invalid-param", "application"),
        ({**DETAILS, "name": "x" * 201}, "invalid-param", "name"),
    ],
)
def test_bad_details_name_the_param_and_write_nothing(anon_api, user, params, status, field):
    token = session_token(anon_api)
    code, body = register(anon_api, token, **params)
    assert (code, body["status"]) == (400, status), body
    assert field in body["errors"]
    assert not Client.objects.exists()


def test_without_a_token_is_missing_param_and_a_plain_json_body_is_refused(anon_api, user):
    code, body = anon_api.post(ROUTE, raw=b64(DETAILS), content_type="text/plain")
    assert (code, body["status"], list(body["errors"])) == (400, "missing-param", ["token"])
    token = session_token(anon_api)
    code, body = anon_api.post(ROUTE, {"token": token, **DETAILS})
    assert (code, body["status"]) == (400, "invalid-encoded-params")
    assert not Client.objects.exists()


def test_the_params_are_never_logged(anon_api, user, caplog):
    token = session_token(anon_api)
    caplog.set_level(logging.DEBUG)
    register(anon_api, token, **DETAILS)
    assert token not in caplog.text and "555" not in caplog.text


def test_the_route_has_its_documentation_page(client):
    response = client.get("/documentation/users-client-register")
    assert response.status_code == 200
    content = response.content.decode()
    for text in ("Users Client Register API", "/api/v1/users/client_register", "name", "phone", "company"):
        assert text in content
    page = client.get("/documentation/notifications-create").content.decode()
    assert "/api/v1/users/client_register" in page


def test_the_token_may_come_in_the_authorization_header(anon_api, user):
    token = session_token(anon_api)
    code, body = anon_api.post(
        ROUTE, raw=b64(DETAILS), content_type="text/plain", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert (code, body["status"]) == (200, "action-successful"), body
    assert Client.objects.filter(user=user).exists()
