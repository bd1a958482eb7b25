"""Crafted input answers 4xx in the envelope, never a 500 and never a logged traceback.

Deep JSON on every body-taking route (and the sensitive-params base64 routes),
hand-made list cursors on every list route, and crafted webhook bodies.
"""

import base64
import logging
from urllib.parse import urlencode

import pytest

from planocore.api import statuses
from planocore.routes.registry import iter_api_routes

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000  # 2 KB: deeper than Python's own recursion limit
DEEP_OBJECT = '{"a":' * 200 + "1" + "}" * 200


def _path(route) -> str:
    return route.path.replace("{id}", "1").replace("{user_id}", "1").replace("{client_id}", "c1")


BODY_ROUTES = [r for r in iter_api_routes() if r.method in ("POST", "PATCH", "PUT", "DELETE")]


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.endpoint.slug)
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_deep_json_is_refused_with_a_400_on_every_body_route(route, body, anon_api, api, caplog):
    client = anon_api if route.endpoint.sensitive or route.path.endswith("/sessions") else api
    raw = base64.b64encode(body.encode()).decode() if route.endpoint.sensitive else body
    with caplog.at_level(logging.WARNING):
        code, answer = client.call(route.method, _path(route), raw=raw)
    assert code == 400, answer
    assert answer["status"] == statuses.INVALID_ENCODED_PARAMS.slug
    assert "nested" in answer["message"] and "32" in answer["message"]
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


# A lone surrogate: not text (a valid pair is one character). Every string of a route's
# params, and the keys, would otherwise reach the database or an error message that repeats it.
LONE_SURROGATE = '{"application": "\\ud800", "notification_type": "sms", "cancelable_type": "Order\\udfff"}'


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.endpoint.slug)
def test_a_lone_surrogate_is_refused_with_a_400_on_every_body_route(route, anon_api, api, caplog):
    client = anon_api if route.endpoint.sensitive or route.path.endswith("/sessions") else api
    body = LONE_SURROGATE
    raw = base64.b64encode(body.encode()).decode() if route.endpoint.sensitive else body
    with caplog.at_level(logging.WARNING):
        code, answer = client.call(route.method, _path(route), raw=raw)
    assert code == 400, answer
    assert answer["status"] == statuses.INVALID_ENCODED_PARAMS.slug, answer
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_a_surrogate_pair_is_one_character_and_reads(api):
    code, body = api.post("/api/v1/notifications", raw='{"key": "smile-\\ud83d\\ude00"}')
    assert code == 200, body
    assert body["data"]["key"] == "smile-\U0001f600"


def test_json_within_the_depth_limit_still_reads(api):
    nested = {"key": "deep", "status": "ok"}
    code, body = api.post("/api/v1/notifications", nested)
    assert code == 200, body


# --- hand-made cursors ----------------------------------------------------------------------
def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


CRAFTED_CURSORS = [
    _b64("p=1\x00"),  # a NUL in the position
    _b64("p=Photographers\x00"),
    "!!!not-base64!!!",
    _b64("\xff\xfe"),
    "%00",
]
# Positions that are not ids: refused by the lists ordered by id.
ID_CURSORS = [
    "cD1hYmM=",  # p=abc
    _b64("p=99999999999999999999999999"),  # out of the column's range
    _b64("p=-99999999999999999999999999"),
]
LISTS = [
    ("/api/v1/glip/messages", "page[after]"),
    ("/api/v1/glip/messages", "page[before]"),
    ("/api/v1/glip/teams", "page[after]"),
    ("/api/v1/glip/teams", "page[before]"),
    ("/api/v1/cancelations", "page[after]"),
    ("/api/v1/cancelations", "page[before]"),
    ("/api/v1/notifications", "page[after]"),
    ("/api/v1/notifications", "page[before]"),
]
CASES = [(path, param, c) for path, param in LISTS for c in CRAFTED_CURSORS] + [
    (path, param, c) for path, param in LISTS if not path.endswith("teams") for c in ID_CURSORS
]


@pytest.mark.parametrize(("path", "param", "cursor"), CASES)
def test_crafted_cursors_are_invalid_params_naming_the_cursor(api, path, param, cursor, caplog):
    with caplog.at_level(logging.WARNING):
        code, body = api.get(path, {param: cursor})
    assert code == 400, body
    assert body["status"] == statuses.INVALID_PARAM.slug
    assert param in body["errors"], body
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize("cursor", ["5e00000000000000000\x00aaaa", "%00", "5e0000000000000000000aa\u0430"])
@pytest.mark.parametrize("param", ["page[after]", "page[before]"])
def test_crafted_cursors_on_the_messaging_clients_list(api, staff_user, param, cursor):
    code, body = api.get(f"/api/v1/users/{staff_user.pk}/clients", {param: cursor})
    assert code == 400, body
    assert body["status"] == statuses.INVALID_PARAM.slug
    assert param in body["errors"]


@pytest.mark.parametrize("value", [DEEP, DEEP_OBJECT, '{"type": NaN}'])
def test_a_json_string_in_a_form_param_is_bounded_too(api, staff_user, value, caplog):
    with caplog.at_level(logging.WARNING):
        code, body = api.post(
            f"/api/v1/users/{staff_user.pk}/clients",
            raw=urlencode(
                {
                    "matchCriteria": value,
                    "confirmation": '{"type": "immediate"}',
                    "target": '{"conversationId": "029c31f25a21b47effd7be90"}',
                }
            ),
            content_type="application/x-www-form-urlencoded",
        )
    assert code == 400, body
    assert body["status"] == statuses.INVALID_PARAM.slug
    assert "matchCriteria" in body["errors"]
    assert not [r for r in caplog.records if r.exc_info]
