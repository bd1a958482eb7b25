"""One pagination: every list takes page[after]/page[before]/page[size] and answers the same links, meta."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from cancelations.models import CancelationReason
from glip.models import GlipMessage, GlipTeam
from planocore.api.pagination import AFTER, BEFORE, SIZE, PageParams
from planocore.routes.registry import iter_api_routes

pytestmark = pytest.mark.django_db

LISTS = ("/api/v1/glip/messages", "/api/v1/glip/teams", "/api/v1/cancelations", "/api/v1/notifications")


def test_every_list_route_takes_the_page_params():
    lists = [r for r in iter_api_routes() if r.method == "GET" and r.endpoint.slug.endswith("-list")]
    assert len(lists) >= 7
    for route in lists:
        params = route.endpoint.params
        assert params is not None and issubclass(params, PageParams), route.endpoint.slug
        fields = params().fields
        assert {AFTER, BEFORE, SIZE} <= set(fields), route.endpoint.slug
        assert (fields[SIZE].min_value, fields[SIZE].max_value, fields[SIZE].default) == (1, 100, 25)


@pytest.mark.parametrize("path", [*LISTS, "/api/v1/applications", "/api/v1/cancelations/reasons"])
@pytest.mark.parametrize(
    ("query", "param"), [({SIZE: 0}, SIZE), ({SIZE: 101}, SIZE), ({AFTER: "a", BEFORE: "b"}, BEFORE)]
)
def test_bad_page_params_name_the_param(api, path, query, param):
    code, body = api.get(path, query)
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert param in body["errors"]


@pytest.mark.parametrize("path", [*LISTS, "/api/v1/applications", "/api/v1/cancelations/reasons"])
def test_every_list_answers_the_same_links_and_meta(api, path):
    code, body = api.get(path)
    assert code == 200, body
    assert body["links"] == {"next": None, "prev": None} or set(body["links"]) == {"next", "prev"}
    assert set(body["meta"]) == {"page_size", "has_more"} and body["meta"]["page_size"] == 25


def _messages(n: int) -> list[int]:
    team = GlipTeam.objects.create(name="Photographers", chat_id="chat-77")
    return [GlipMessage.objects.create(team=team, text=f"m{i}").pk for i in range(n)]


def test_a_cursor_of_another_list_or_tampered_is_refused(api):
    _messages(3)
    _, body = api.get("/api/v1/glip/messages", {SIZE: 1})
    cursor = parse_qs(urlsplit(body["links"]["next"]).query)[AFTER][0]
    assert api.get("/api/v1/glip/messages", {AFTER: cursor})[0] == 200
    code, body = api.get("/api/v1/notifications", {AFTER: cursor})  # same "-id" ordering, another model
    assert (code, body["status"]) == (400, "invalid-param") and AFTER in body["errors"]
    code, body = api.get("/api/v1/glip/teams", {BEFORE: cursor})  # same model family, another ordering
    assert (code, body["status"]) == (400, "invalid-param") and BEFORE in body["errors"]
    tampered = cursor[:1] + ("A" if cursor[1] != "A" else "B") + cursor[2:]
    code, body = api.get("/api/v1/glip/messages", {AFTER: tampered})
    assert (code, body["status"]) == (400, "invalid-param") and AFTER in body["errors"]


def test_links_keep_the_filters_and_drop_the_token(api, app_token):
    team = GlipTeam.objects.create(name="Editors", chat_id="chat-1")
    for n in range(3):
        GlipMessage.objects.create(team=team, text=f"e{n}", priority=5)
    response = Client().get("/api/v1/glip/messages", {"priority": 5, SIZE: 2, "token": app_token})
    link = urlsplit(response.json()["links"]["next"])
    assert link.scheme == "http" and link.path == "/api/v1/glip/messages"
    query = parse_qs(link.query)
    assert set(query) == {"priority", AFTER, SIZE} and query[SIZE] == ["2"]


def test_pages_forward_and_back_by_a_two_field_ordering(api):
    for n, slug in enumerate(["e", "d", "c", "b", "a"]):
        CancelationReason.objects.create(slug=f"r-{slug}", text=slug, order=n // 2)  # ties on order
    expected = list(CancelationReason.objects.values_list("slug", flat=True))  # the model's order
    seen, pages = [], []
    code, body = api.get("/api/v1/cancelations/reasons", {SIZE: 2})
    while True:
        assert code == 200, body
        pages.append([r["slug"] for r in body["data"]])
        seen += pages[-1]
        if not body["links"]["next"]:
            break
        code, body = api.get(body["links"]["next"])
    assert seen == expected and body["meta"]["has_more"] is False
    back = []
    while body["links"]["prev"]:
        code, body = api.get(body["links"]["prev"])
        back.insert(0, [r["slug"] for r in body["data"]])
    assert back == pages[:-1]
