"""Issue 18, item 5: `Authorization: Token` works like `Bearer`; one precedence between places.

The token is merged like every param (query string, then body; a later source wins) and the
Authorization header comes last: header > body > query.
"""

import json

import pytest

from conftest import Api

pytestmark = pytest.mark.django_db

ROUTE = "/api/v1/sessions/current"
WRONG = "pca_not-a-real-token"


@pytest.fixture
def other_token(make_app_token) -> str:
    return make_app_token("planoorder")


def whoami(code_body) -> str:
    code, body = code_body
    assert code == 200, body
    return body["data"]["application"]


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "token", "BEARER"])
def test_each_authorization_scheme_authenticates(app_token, scheme):
    response = Api().client.get(ROUTE, HTTP_AUTHORIZATION=f"{scheme} {app_token}")
    assert response.status_code == 200
    assert json.loads(response.content)["data"]["application"] == "planox2"


def test_token_scheme_with_a_wrong_token_is_invalid_token():
    response = Api().client.get(ROUTE, HTTP_AUTHORIZATION=f"Token {WRONG}")
    assert (response.status_code, json.loads(response.content)["status"]) == (401, "invalid-token")


def test_an_unknown_scheme_is_not_read_as_a_token(app_token):
    response = Api().client.get(ROUTE, HTTP_AUTHORIZATION=f"Basic {app_token}")
    assert (response.status_code, json.loads(response.content)["status"]) == (400, "missing-param")


def _call(header=None, query=None, body=None):
    """DELETE takes a body and a query; the route answers which token it was."""
    client = Api().client
    path = f"{ROUTE}?token={query}" if query else ROUTE
    extra = {"HTTP_AUTHORIZATION": f"Token {header}"} if header else {}
    data = json.dumps({"token": body}) if body else ""
    response = client.generic("GET", path, data, content_type="application/json", **extra)
    return response.status_code, json.loads(response.content)


def test_query_alone_and_body_alone_authenticate(app_token):
    assert whoami(_call(query=app_token)) == "planox2"
    assert whoami(_call(body=app_token)) == "planox2"


def test_header_wins_over_query(app_token, other_token):
    assert whoami(_call(header=app_token, query=other_token)) == "planox2"
    assert _call(header=WRONG, query=app_token)[1]["status"] == "invalid-token"


def test_header_wins_over_body(app_token, other_token):
    assert whoami(_call(header=other_token, body=app_token)) == "planoorder"
    assert _call(header=WRONG, body=app_token)[1]["status"] == "invalid-token"


def test_body_wins_over_query(app_token, other_token):
    assert whoami(_call(query=app_token, body=other_token)) == "planoorder"
    assert _call(query=app_token, body=WRONG)[1]["status"] == "invalid-token"


def test_header_wins_over_body_and_query(app_token, other_token):
    assert whoami(_call(header=app_token, query=other_token, body=other_token)) == "planox2"


def test_application_param_follows_the_same_precedence(app_token, make_app_token):
    """`application` is merged like the token: the body's value wins over the query's."""
    client = Api().client
    response = client.generic(
        "GET",
        "/api/v1/applications?application=not-an-app",
        json.dumps({"application": "planox2"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {app_token}",
    )
    assert response.status_code == 200, response.content
