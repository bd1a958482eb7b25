"""HEAD takes exactly GET's path: token, permission, client scoping and params (issue 25.1).

A HEAD answer has GET's status and headers and no body; before, HEAD ran the GET
handler with no token, no permission and no scoping (the size of an authorised
list leaked through Content-Length) and crashed on routes with path params.
"""

import pytest

from planocore.routes.registry import iter_api_routes

pytestmark = pytest.mark.django_db

GET_PATHS = sorted(
    {
        route.path.replace("{id}", "1").replace("{user_id}", "1").replace("{client_id}", "abc")
        for route in iter_api_routes()
        if route.method == "GET"
    }
)


def head_and_get(api, path):
    """The HEAD and the GET answers of `path` for this caller."""
    headers = api._headers(None)
    return api.client.head(path, **headers), api.client.get(path, **headers)


@pytest.mark.parametrize("path", GET_PATHS)
def test_head_without_a_token_answers_like_get_without_one(anon_api, path):
    head, get = head_and_get(anon_api, path)
    assert head.status_code == get.status_code
    assert head["Content-Length"] == get["Content-Length"]
    assert head.content == b""


@pytest.mark.parametrize("path", GET_PATHS)
def test_head_with_a_token_answers_like_get_and_never_crashes(api, path):
    head, get = head_and_get(api, path)
    assert head.status_code == get.status_code < 500
    assert head["Content-Length"] == get["Content-Length"]


def test_head_on_glip_messages_without_a_token_is_missing_param_not_the_list_size(anon_api, api):
    head = anon_api.client.head("/api/v1/glip/messages")
    assert head.status_code == 400
    authorised = api.client.head("/api/v1/glip/messages", **api._headers(None))
    assert authorised.status_code == 200


def test_head_on_a_route_without_get_is_method_not_allowed(api):
    response = api.client.head("/api/v1/sessions", **api._headers(None))
    assert response.status_code == 405
