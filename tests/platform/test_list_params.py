"""Issue 26: one list path, one not-found, one answer to an unsupported `format`.

Every list route checks its query params in its params serializer (it mixes in
PageParams): an unknown param and an invalid value answer invalid-param naming them;
its FilterSet filters by the validated values (planocore.api.filters.filter_list),
with one name per filter on every list.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from cancelations.filters import CancelationFilter
from cancelations.serializers import CancelationListParams
from glip.filters import GlipMessageFilter, GlipTeamFilter
from glip.models import GlipMessage, GlipTeam
from glip.serializers import GlipMessageListParams, GlipTeamListParams
from notifications.filters import NotificationFilter
from notifications.models import Notification
from notifications.serializers import NotificationListParams
from planocore.api.pagination import PAGE_PARAMS, PageParams
from planocore.delivery import DeliveryState
from planocore.routes.registry import iter_api_routes

pytestmark = pytest.mark.django_db

LISTS = [
    route
    for route in iter_api_routes()
    if route.endpoint.params and issubclass(route.endpoint.params, PageParams)
]


def _path(route, user_id) -> str:
    """The route's path for `user_id`; a record's id ({id}: a notification's replies) names one made here."""
    if "{id}" in route.path:
        route_id = Notification.objects.create(key="replied", user_id=str(user_id)).pk
        return route.path.replace("{id}", str(route_id)).replace("{user_id}", str(user_id))
    return route.path.replace("{user_id}", str(user_id))


def test_every_list_route_is_found():
    assert {route.endpoint.slug for route in LISTS} >= {
        "notifications-list",
        "glip-messages-list",
        "glip-teams-list",
        "cancelations-list",
        "cancelations-reasons-list",
        "applications-list",
        "messaging-clients-list",
    }


@pytest.mark.parametrize("route", LISTS, ids=lambda r: r.endpoint.slug)
def test_an_unknown_param_on_any_list_is_invalid_param_naming_it(api, staff_user, route):
    code, body = api.get(_path(route, staff_user.pk), {"bogus": "1", "created_at_after": "2030-01-01"})
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert set(body["errors"]) == {"bogus", "created_at_after"}
    assert "not a param of this list" in body["errors"]["bogus"][0]


@pytest.mark.parametrize("route", LISTS, ids=lambda r: r.endpoint.slug)
def test_the_convention_params_are_accepted_on_every_list(api, staff_user, sunshine_fake, route):
    sunshine_fake.add_user(str(staff_user.pk))
    code, body = api.get(_path(route, staff_user.pk), {"format": "json", "application": "planox2"})
    assert (code, body["status"]) == (200, "action-successful"), body


def test_created_after_filters_notifications(api):
    Notification.objects.create(key="now")
    code, body = api.get("/api/v1/notifications", {"created_after": "2030-01-01T00:00:00Z"})
    assert (code, body["data"]) == (200, [])
    code, body = api.get("/api/v1/notifications", {"created_before": "2030-01-01T00:00:00Z"})
    assert [row["key"] for row in body["data"]] == ["now"]


def test_notification_status_filter_takes_the_delivery_states(api):
    Notification.objects.create(key="a", status=DeliveryState.SENT)
    Notification.objects.create(key="b", status=DeliveryState.FAILED)
    Notification.objects.create(key="c", status="caller's own")
    for bogus in ("bogus", "caller's own", "delivered"):
        code, body = api.get("/api/v1/notifications", {"status": bogus})
        assert (code, body["status"]) == (400, "invalid-param") and "status" in body["errors"]
    for state in DeliveryState.values:
        code, body = api.get("/api/v1/notifications", {"status": state})
        assert code == 200, body
    assert [row["key"] for row in api.get("/api/v1/notifications", {"status": "sent"})[1]["data"]] == ["a"]
    assert [row["key"] for row in api.get("/api/v1/notifications", {"status": "failed"})[1]["data"]] == ["b"]


@pytest.mark.parametrize(
    ("url", "params", "name"),
    [
        ("/api/v1/notifications", {"notification_type": "bogus"}, "notification_type"),
        ("/api/v1/notifications", {"processed": "2"}, "processed"),
        ("/api/v1/glip/messages", {"status": "bogus"}, "status"),
        ("/api/v1/glip/messages", {"created_after": "yesterday"}, "created_after"),
        ("/api/v1/glip/teams", {"active": "perhaps"}, "active"),
        ("/api/v1/cancelations", {"canceled_before": "soon"}, "canceled_before"),
        ("/api/v1/cancelations/reasons", {"include_inactive": "perhaps"}, "include_inactive"),
    ],
)
def test_an_invalid_filter_value_is_invalid_param_naming_it(api, url, params, name):
    code, body = api.get(url, params)
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert name in body["errors"]


def test_glip_lists_filter_by_the_validated_params(api):
    team = GlipTeam.objects.create(name="Ops", chat_id="c1", active=False)
    old = GlipMessage.objects.create(team=team, text="old")
    GlipMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    new = GlipMessage.objects.create(team=team, text="new")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert [m["id"] for m in api.get("/api/v1/glip/messages", {"created_after": since})[1]["data"]] == [
        new.pk
    ]
    assert [m["id"] for m in api.get("/api/v1/glip/messages", {"created_before": since})[1]["data"]] == [
        old.pk
    ]
    assert [t["name"] for t in api.get("/api/v1/glip/teams", {"active": "false"})[1]["data"]] == ["Ops"]
    assert api.get("/api/v1/glip/teams", {"active": "true"})[1]["data"] == []


@pytest.mark.parametrize(
    ("params", "filterset"),
    [
        (NotificationListParams, NotificationFilter),
        (GlipMessageListParams, GlipMessageFilter),
        (GlipTeamListParams, GlipTeamFilter),
        (CancelationListParams, CancelationFilter),
    ],
)
def test_each_filter_has_the_name_of_its_param(params, filterset):
    """One name per filter: the FilterSet filters by exactly the params the list documents."""
    fields = set(params().fields) - set(PAGE_PARAMS) - {"view", "application", "session_view"}
    assert set(filterset.base_filters) == fields
    ranges = {name for name in fields if name.endswith(("_after", "_before"))}
    assert all(not name.endswith(("_at_after", "_at_before")) for name in ranges), ranges


@pytest.mark.parametrize(
    "url", ["/api/v1/notifications/999999", "/api/v1/glip/messages/999999", "/api/v1/cancelations/999999"]
)
def test_a_missing_record_is_answered_one_way(api, url):
    code, body = api.get(url)
    assert (code, body["status"]) == (400, "invalid-param")
    assert body["errors"] == {"id": ["`id`: no record has this id."]}


@pytest.mark.parametrize("url", ["/api/v1/notifications", "/api/v1/glip/teams", "/api/v1/sessions/current"])
def test_an_unsupported_format_is_invalid_param_naming_format(api, url):
    code, body = api.get(url, {"format": "xml"})
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert list(body["errors"]) == ["format"]
    assert "'xml' is not a format" in body["message"]
    code, body = api.get(url, {"format": "json"})
    assert code == 200, body
