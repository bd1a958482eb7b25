"""Issue 26, item 5: nothing to create is no-params-decoded; a token that is not a string, invalid-token."""

import json

import pytest

from cancelations.models import Cancelation
from glip.models import GlipMessage
from notifications.models import Notification

pytestmark = pytest.mark.django_db

CREATE_ROUTES = ["/api/v1/notifications", "/api/v1/glip/messages", "/api/v1/cancelations"]


@pytest.mark.parametrize("url", CREATE_ROUTES)
@pytest.mark.parametrize("body", ["{}", "", '{"application": "planox2"}'])
def test_a_create_route_given_no_params_answers_no_params_decoded(api, url, body):
    code, payload = api.call("POST", url, raw=body, content_type="application/json")
    assert (code, payload["status"]) == (400, "no-params-decoded"), payload
    assert not Notification.objects.exists()
    assert not GlipMessage.objects.exists()
    assert not Cancelation.objects.exists()


def test_a_messaging_client_create_with_an_empty_body_answers_no_params_decoded(api, staff_user):
    code, payload = api.call(
        "POST", f"/api/v1/users/{staff_user.pk}/clients", raw="{}", content_type="application/json"
    )
    assert (code, payload["status"]) == (400, "no-params-decoded"), payload


def test_a_token_alone_in_the_body_is_no_params(app_token, anon_api):
    code, payload = anon_api.call(
        "POST", "/api/v1/notifications", raw=json.dumps({"token": app_token}), content_type="application/json"
    )
    assert (code, payload["status"]) == (400, "no-params-decoded"), payload


def test_a_create_with_params_in_the_query_string_is_served(api):
    code, payload = api.call("POST", "/api/v1/notifications?key=from-query&processed=1")
    assert (code, payload["status"]) == (200, "action-successful"), payload
    assert Notification.objects.get().key == "from-query"


@pytest.mark.parametrize("token", [123, ["pca_x"], {"a": 1}, True, 0])
def test_a_token_that_is_not_a_string_is_an_invalid_token(anon_api, token):
    code, payload = anon_api.call(
        "POST",
        "/api/v1/notifications",
        raw=json.dumps({"token": token, "key": "k"}),
        content_type="application/json",
    )
    assert (code, payload["status"]) == (401, "invalid-token"), payload
    assert "must be a string" in payload["message"]
    assert not Notification.objects.exists()


def test_a_missing_token_is_still_missing_param(anon_api):
    code, payload = anon_api.call(
        "POST", "/api/v1/notifications", raw=json.dumps({"key": "k"}), content_type="application/json"
    )
    assert (code, payload["status"]) == (400, "missing-param"), payload
