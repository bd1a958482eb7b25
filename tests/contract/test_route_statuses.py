"""Issue 18, item 7: each route's page lists exactly the statuses it can answer.

The lists are derived from the Endpoint declarations; these tests pin a few pages and
check the derived auth statuses against what every route answers over HTTP.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from conftest import Api
from planocore.accounts.services import api_session_create
from planocore.routes.docs import route_doc
from planocore.routes.registry import iter_api_routes

pytestmark = pytest.mark.django_db

PATH_VALUES = {"id": "1", "user_id": "1", "client_id": "abc"}


def page_statuses(slug: str) -> list[str]:
    html = Client().get(f"/documentation/{slug}").content.decode()
    return re.findall(r'<dt id="status-([a-z-]+)">', html)


def listed(route) -> set[str]:
    doc = route_doc(route)
    return {s.slug for s in [*doc.responses, *doc.uncommon_responses]}


def concrete(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: PATH_VALUES[m.group(1)], path)


def test_route_pages_list_their_own_statuses_only():
    glip = page_statuses("glip-messages-create")
    assert "provider-failed" in glip and "mandrill-email-failed" not in glip
    assert "provider-unavailable" not in glip
    notifications = page_statuses("notifications-create")
    assert "mandrill-email-failed" in notifications and "provider-failed" not in notifications
    for slug in ("messaging-clients-create", "messaging-clients-list", "messaging-clients-remove"):
        assert "provider-unavailable" in page_statuses(slug)
    read = page_statuses("cancelations-read")
    assert "no-params-decoded" not in read  # a GET reads no body params
    assert {"permission-denied", "client-required", "too-many-requests"} <= set(read)
    assert "route-non-existent" not in read  # answered to paths that are no route: on the index
    current = page_statuses("sessions-current")
    assert "client-required" not in current and "permission-denied" not in current
    assert "permission-denied" in page_statuses("sessions-current-delete")
    register = page_statuses("users-client-register")
    assert "permission-denied" in register and "client-required" not in register
    assert "invalid-content-type" not in register  # base64 whatever the content type
    assert "/api/v1/users/client_register" in Client().get("/documentation/").content.decode()


def test_the_schema_lists_the_same_statuses_per_route(client):
    schema = client.get("/api/schema?format=json").json()
    for route in iter_api_routes():
        operation = schema["paths"][route.path][route.method.lower()]
        described = {
            slug
            for response in operation["responses"].values()
            for slug in response["description"].removeprefix("Status: ").split(", ")
        }
        assert described == listed(route), route.endpoint.slug


def test_a_wrong_token_is_invalid_token_exactly_where_the_page_says():
    for route in iter_api_routes():
        code, body = Api("pca_wrong-token").call(route.method, concrete(route.path), raw="")
        assert (body["status"] == "invalid-token") == ("invalid-token" in listed(route)), (
            route.endpoint.slug,
            body,
        )


def test_a_user_without_a_role_is_client_required_exactly_where_the_page_says():
    user = get_user_model().objects.create_user("norole", "norole@example.com", "pw-x-123456")
    for route in iter_api_routes():
        if not route.endpoint.auth:
            continue
        _, token = api_session_create(user=user)
        code, body = Api(token).call(route.method, concrete(route.path), raw="")
        assert (body["status"] == "client-required") == ("client-required" in listed(route)), (
            route.endpoint.slug,
            body,
        )


def test_every_route_path_answers_method_not_allowed_to_another_method(api):
    for route in iter_api_routes():
        assert "method-not-allowed" in listed(route)
        code, body = api.call("PUT", concrete(route.path), raw="")
        assert (code, body["status"]) == (405, "method-not-allowed"), route.endpoint.slug
