"""Issue 18, item 2: a path id is a param like the others, on every route with one."""

import pytest

from cancelations.models import Cancelation

pytestmark = pytest.mark.django_db

URL = "/api/v1/cancelations"


def test_patch_cancelations_with_the_id_in_the_body_or_query_updates_it(api, make_cancelation):
    first, second = make_cancelation(cancelable_id=1), make_cancelation(cancelable_id=2)

    code, body = api.patch(URL, {"id": first.pk, "key": "from-body"})
    assert (code, body["status"], body["data"]["id"], body["data"]["key"]) == (
        200,
        "action-successful",
        first.pk,
        "from-body",
    )
    code, body = api.patch(f"{URL}?id={second.pk}", {"key": "from-query"})
    assert (code, body["status"], body["data"]["id"]) == (200, "action-successful", second.pk)
    code, body = api.patch(f"{URL}/{first.pk}", {"key": "from-path"})
    assert (code, body["data"]["key"]) == (200, "from-path")
    assert dict(Cancelation.objects.values_list("pk", "key")) == {
        first.pk: "from-path",
        second.pk: "from-query",
    }


def test_patch_cancelations_without_an_id_is_missing_param(api, make_cancelation):
    make_cancelation()
    code, body = api.patch(URL, {"key": "x"})
    assert (code, body["status"], list(body["errors"])) == (400, "missing-param", ["id"])


def test_patch_cancelations_abc_is_invalid_param_naming_id(api, make_cancelation):
    make_cancelation()
    code, body = api.patch(f"{URL}/abc", {"key": "x"})
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["id"])
    assert "`id`" in body["message"]
    assert not Cancelation.objects.filter(key="x").exists()


@pytest.mark.parametrize("where", ["body", "query"])
def test_a_path_id_and_a_params_id_that_disagree_are_invalid_param(api, make_cancelation, where):
    first, second = make_cancelation(cancelable_id=1), make_cancelation(cancelable_id=2)
    if where == "body":
        code, body = api.patch(f"{URL}/{first.pk}", {"id": second.pk, "key": "x"})
    else:
        code, body = api.patch(f"{URL}/{first.pk}?id={second.pk}", {"key": "x"})
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["id"])
    assert "path" in body["message"]
    assert not Cancelation.objects.filter(key="x").exists()


def test_a_params_id_equal_to_the_path_id_is_accepted(api, make_cancelation):
    cancelation = make_cancelation()
    code, body = api.patch(f"{URL}/{cancelation.pk}", {"id": cancelation.pk, "key": "same"})
    assert (code, body["status"], body["data"]["key"]) == (200, "action-successful", "same")


@pytest.mark.parametrize(
    ("method", "path", "param"),
    [
        ("GET", "/api/v1/cancelations/abc", "id"),
        ("GET", "/api/v1/glip/messages/abc", "id"),
        ("GET", "/api/v1/notifications/abc", "id"),
        ("GET", "/api/v1/users/abc/clients", "user_id"),
        ("DELETE", "/api/v1/users/abc/clients/abc", "user_id"),
    ],
)
def test_every_path_param_that_is_not_valid_is_invalid_param_naming_it(api, method, path, param):
    code, body = api.call(method, path, raw="")
    assert (code, body["status"]) == (400, "invalid-param")
    assert param in body["errors"]


@pytest.mark.parametrize(
    ("method", "path", "params", "param"),
    [
        ("GET", "/api/v1/cancelations/1", {"id": "2"}, "id"),
        ("GET", "/api/v1/glip/messages/1", {"id": "2"}, "id"),
        ("GET", "/api/v1/notifications/1", {"id": "2"}, "id"),
        ("GET", "/api/v1/users/1/clients", {"user_id": "2"}, "user_id"),
        ("DELETE", "/api/v1/users/1/clients/abc", {"client_id": "xyz"}, "client_id"),
    ],
)
def test_every_path_param_that_disagrees_with_the_params_is_invalid_param(api, method, path, params, param):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    code, body = api.call(method, f"{path}?{query}", raw="")
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", [param])
