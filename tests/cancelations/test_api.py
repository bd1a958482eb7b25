"""The cancelations routes through the real HTTP stack: create, update, reinstate, re-cancel, errors."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cancelations.models import Cancelation, CancelationChange, CancelationReason
from planocore.accounts.models import ApiSession
from planocore.accounts.tokens import hash_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/cancelations"


def detail(pk) -> str:
    return f"{URL}/{pk}"


# --- create ------------------------------------------------------------------------------


def test_create_cancels_with_the_caller_as_canceler(api, reason):
    before = timezone.now()
    code, body = api.post(URL, {"cancelable_type": "Order", "cancelable_id": 55, "reason_slug": reason.slug})
    assert (code, body["status"]) == (200, "action-successful")
    data = body["data"]
    assert data["active"] is True
    assert (data["cancelable_type"], data["cancelable_id"]) == ("Order", 55)
    assert (data["reason_id"], data["reason_slug"], data["reason_text"]) == (
        reason.pk,
        reason.slug,
        reason.text,
    )
    assert (data["canceled_by"], data["canceled_in"]) == ("planox2", "planox2")
    assert parse_datetime(data["canceled_at"]) >= before
    assert data["reinstated_at"] is None
    change = CancelationChange.objects.get(cancelation_id=data["id"])
    assert change.action == "create"
    assert (change.changed_by, change.changed_in) == ("planox2", "planox2")
    assert change.changes["reason"] == [None, reason.slug]
    assert change.changes["cancelable_id"] == [None, 55]


def test_reason_id_and_reason_slug_name_the_same_reason(api, reason):
    code, body = api.post(
        URL,
        {
            "cancelable_type": "Tour",
            "cancelable_id": 7,
            "reason_id": reason.pk,
            "reason_slug": reason.slug,
            "reason_text": "Client moved house",
            "key": "tour-7-cancel",
            "reason_note": "called on Monday",
        },
    )
    assert code == 200
    assert body["data"]["reason_text"] == "Client moved house"  # given, so not copied
    assert body["data"]["key"] == "tour-7-cancel"
    stored = Cancelation.objects.get(pk=body["data"]["id"])
    assert stored.reason_id == reason.pk and stored.reason_note == "called on Monday"


# --- update, reinstate, re-cancel --------------------------------------------------------------


def test_update_changes_fields_and_keeps_history(api, make_cancelation, other_reason):
    cancelation = make_cancelation()
    code, body = api.patch(
        detail(cancelation.pk),
        {"reason_id": other_reason.pk, "reason_note": "storm warning", "key": "k-1"},
    )
    assert (code, body["status"]) == (200, "action-successful")
    assert body["data"]["reason_slug"] == other_reason.slug
    assert body["data"]["reason_text"] == other_reason.text  # follows the new reason
    assert body["data"]["active"] is True
    change = cancelation.changes.order_by("-id").first()
    assert change.action == "update"
    assert change.changes == {
        "key": ["", "k-1"],
        "reason": ["test-client-asked", other_reason.slug],
        "reason_text": ["The client asked", other_reason.text],
        "reason_note": ["", "storm warning"],
    }


def test_patch_without_changes_writes_no_history(api, make_cancelation):
    cancelation = make_cancelation(key="same")
    code, _ = api.patch(detail(cancelation.pk), {"key": "same"})
    assert code == 200
    assert cancelation.changes.count() == 1


def test_reinstate_then_recancel(api, make_cancelation, other_reason):
    cancelation = make_cancelation()
    code, body = api.patch(detail(cancelation.pk), {"active": False, "reinstated_note": "client paid"})
    assert (code, body["status"]) == (200, "action-successful")
    data = body["data"]
    assert data["active"] is False
    assert data["reinstated_at"] is not None
    assert (data["reinstated_by"], data["reinstated_note"]) == ("planox2", "client paid")
    assert cancelation.changes.order_by("-id").first().action == "reinstate"

    # Reinstating twice is refused and changes nothing.
    code, body = api.patch(detail(cancelation.pk), {"active": False})
    assert (code, body["status"]) == (400, "invalid-param")
    assert list(body["errors"]) == ["active"]
    assert "reinstated twice" in body["message"]

    # A reinstated cancelation's note may still be corrected.
    code, body = api.patch(detail(cancelation.pk), {"reinstated_note": "client paid in full"})
    assert code == 200 and body["data"]["reinstated_note"] == "client paid in full"

    # Canceling again: the same record, reinstated_* cleared, the history keeps them.
    code, body = api.patch(detail(cancelation.pk), {"active": True, "reason_slug": other_reason.slug})
    assert (code, body["status"]) == (200, "action-successful")
    data = body["data"]
    assert data["id"] == cancelation.pk
    assert data["active"] is True
    assert (data["reinstated_at"], data["reinstated_by"], data["reinstated_note"]) == (None, "", "")
    assert data["reason_slug"] == other_reason.slug
    recancel = cancelation.changes.order_by("-id").first()
    assert recancel.action == "cancel"
    assert recancel.changes["reinstated_note"] == ["client paid in full", ""]
    assert recancel.changes["active"] == [False, True]
    assert [c.action for c in cancelation.changes.order_by("id")] == [
        "create",
        "reinstate",
        "update",
        "cancel",
    ]


def test_reinstate_with_explicit_time_and_who(api, make_cancelation):
    cancelation = make_cancelation()
    when = (cancelation.canceled_at + timedelta(hours=2)).isoformat()
    code, body = api.patch(
        detail(cancelation.pk), {"active": "false", "reinstated_at": when, "reinstated_by": "4242"}
    )
    assert code == 200
    assert parse_datetime(body["data"]["reinstated_at"]) == parse_datetime(when)
    assert body["data"]["reinstated_by"] == "4242"


def test_create_a_past_cancelation_already_reinstated(api, reason):
    canceled = timezone.now() - timedelta(days=3)
    code, body = api.post(
        URL,
        {
            "cancelable_type": "Order",
            "cancelable_id": 9,
            "reason_slug": reason.slug,
            "active": False,
            "canceled_at": canceled.isoformat(),
            "reinstated_at": (canceled + timedelta(days=1)).isoformat(),
        },
    )
    assert code == 200
    assert body["data"]["active"] is False
    # It does not block a new active cancelation of the same order.
    code, body = api.post(URL, {"cancelable_type": "Order", "cancelable_id": 9, "reason_slug": reason.slug})
    assert code == 200 and body["data"]["active"] is True


# --- every bad input and broken rule: status, and the param it names ---------------------------


@pytest.mark.parametrize(
    ("params", "status", "param"),
    [
        ({"cancelable_id": 1}, "missing-param", "cancelable_type"),
        ({"cancelable_type": "Order"}, "missing-param", "cancelable_id"),
        ({"cancelable_type": "Invoice", "cancelable_id": 1}, "invalid-param", "cancelable_type"),
        ({"cancelable_type": "Order", "cancelable_id": "abc"}, "invalid-param", "cancelable_id"),
        ({"cancelable_type": "Order", "cancelable_id": 0}, "invalid-param", "cancelable_id"),
        ({"cancelable_type": "Order", "cancelable_id": 1}, "invalid-param", "reason_id"),
        ({"cancelable_type": "Order", "cancelable_id": 1, "reason_id": 999999}, "invalid-param", "reason_id"),
        (
            {"cancelable_type": "Order", "cancelable_id": 1, "reason_slug": "nope"},
            "invalid-param",
            "reason_slug",
        ),
        (
            {"cancelable_type": "Order", "cancelable_id": 1, "reason_slug": "not a slug!"},
            "invalid-param",
            "reason_slug",
        ),
        (
            {"cancelable_type": "Order", "cancelable_id": 1, "REASON": 1, "canceled_at": "yesterday"},
            "invalid-param",
            "canceled_at",
        ),
        (
            {"cancelable_type": "Order", "cancelable_id": 1, "REASON": 1, "active": "maybe"},
            "invalid-param",
            "active",
        ),
        (
            {"cancelable_type": "Order", "cancelable_id": 1, "REASON": 1, "active": False},
            "invalid-param",
            "reinstated_at",
        ),
        (
            {
                "cancelable_type": "Order",
                "cancelable_id": 1,
                "REASON": 1,
                "reinstated_at": "2026-01-01T00:00:00Z",
            },
            "invalid-param",
            "reinstated_at",
        ),
        (
            {"cancelable_type": "Order", "cancelable_id": 1, "REASON": 1, "application": "nope"},
            "invalid-param",
            "application",
        ),
        (
            {"cancelable_type": "Order", "cancelable_id": 1, "REASON": 1, "key": "k" * 101},
            "invalid-param",
            "key",
        ),
    ],
)
def test_create_refuses_bad_input(api, reason, params, status, param):
    if params.pop("REASON", None):
        params["reason_slug"] = reason.slug
    code, body = api.post(URL, params)
    assert (code, body["status"]) == (400, status), body
    assert param in body["errors"], body
    assert param in body["message"]
    assert not Cancelation.objects.exists()
    assert not CancelationChange.objects.exists()


def test_create_refuses_an_inactive_reason(api):
    retired = CancelationReason.objects.create(slug="retired", text="Retired", active=False)
    code, body = api.post(URL, {"cancelable_type": "Order", "cancelable_id": 1, "reason_id": retired.pk})
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["reason_id"])


def test_reason_id_and_slug_that_disagree(api, reason, other_reason):
    code, body = api.post(
        URL,
        {
            "cancelable_type": "Order",
            "cancelable_id": 1,
            "reason_id": reason.pk,
            "reason_slug": other_reason.slug,
        },
    )
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["reason_slug"])


def test_second_active_cancelation_of_one_record_is_refused(api, make_cancelation, reason):
    first = make_cancelation(cancelable_id=77)
    code, body = api.post(URL, {"cancelable_type": "Order", "cancelable_id": 77, "reason_slug": reason.slug})
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["cancelable_id"])
    assert f"cancelation {first.pk}" in body["message"]
    # Same id, another type: a different record.
    code, _ = api.post(URL, {"cancelable_type": "Tour", "cancelable_id": 77, "reason_slug": reason.slug})
    assert code == 200
    assert Cancelation.objects.filter(active=True).count() == 2


@pytest.mark.parametrize(
    ("params", "status", "param"),
    [
        ({"reinstated_at": "2030-01-01T00:00:00Z"}, "invalid-param", "reinstated_at"),
        ({"reinstated_note": "too early"}, "invalid-param", "reinstated_note"),
        ({"reinstated_by": "me"}, "invalid-param", "reinstated_by"),
        ({"active": False, "reinstated_at": "2000-01-01T00:00:00Z"}, "invalid-param", "reinstated_at"),
        ({"reason_id": "x"}, "invalid-param", "reason_id"),
        ({"canceled_at": "31/12/2026"}, "invalid-param", "canceled_at"),
        ({"cancelable_type": "Invoice"}, "invalid-param", "cancelable_type"),
        ({"application": "nope"}, "invalid-param", "application"),
    ],
)
def test_update_refuses_bad_input_and_broken_rules(api, make_cancelation, params, status, param):
    cancelation = make_cancelation()
    code, body = api.patch(detail(cancelation.pk), params)
    assert (code, body["status"]) == (400, status), body
    assert param in body["errors"], body
    cancelation.refresh_from_db()
    assert cancelation.active is True and cancelation.reinstated_at is None
    assert cancelation.changes.count() == 1


def test_update_of_an_unknown_id_is_invalid_param(api, make_cancelation):
    make_cancelation()
    code, body = api.patch(detail(999999), {"key": "x"})
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["id"])
    code, body = api.get(detail(999999))
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["id"])


def test_moving_an_active_cancelation_onto_a_canceled_record_is_refused(api, make_cancelation):
    make_cancelation(cancelable_id=1)
    second = make_cancelation(cancelable_id=2)
    code, body = api.patch(detail(second.pk), {"cancelable_id": 1})
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["cancelable_id"])
    second.refresh_from_db()
    assert second.cancelable_id == 2


def test_recancel_while_another_cancelation_is_active_is_refused(api, make_cancelation):
    old = make_cancelation(cancelable_id=5)
    api.patch(detail(old.pk), {"active": False})
    make_cancelation(cancelable_id=5)
    code, body = api.patch(detail(old.pk), {"active": True})
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["cancelable_id"])
    assert Cancelation.objects.filter(cancelable_id=5, active=True).count() == 1


def test_without_token_is_missing_param(anon_api, make_cancelation):
    cancelation = make_cancelation()
    code, body = anon_api.patch(detail(cancelation.pk), {"key": "x"})
    assert (code, body["status"]) == (400, "missing-param")
    assert "token" in body["errors"]


def test_wrong_method_and_unknown_paths(api, make_cancelation):
    cancelation = make_cancelation()
    code, body = api.delete(detail(cancelation.pk))
    assert (code, body["status"]) == (405, "method-not-allowed")
    # Issue 18: the path's id is a param, so a non-integer one is invalid-param naming `id`.
    code, body = api.patch(f"{URL}/abc", {"key": "x"})
    assert (code, body["status"], list(body["errors"])) == (400, "invalid-param", ["id"])
    code, body = api.patch(f"{URL}/{cancelation.pk}/history", {"key": "x"})
    assert (code, body["status"]) == (500, "route-non-existent")


# --- permissions, application, session_view ------------------------------------------------------


def test_token_without_the_change_permission_is_refused(make_app_token, make_cancelation):
    from conftest import Api

    cancelation = make_cancelation()
    reader = Api(make_app_token("planoorder", ["cancelations.view_cancelation"]))
    code, body = reader.patch(detail(cancelation.pk), {"key": "x"})
    assert (code, body["status"]) == (403, "permission-denied")
    assert "cancelations.change_cancelation" in body["message"]
    code, body = reader.get(detail(cancelation.pk))
    assert code == 200 and body["data"]["id"] == cancelation.pk


def test_application_selects_the_role_whose_permissions_apply(session_token, make_cancelation):
    from conftest import Api

    # Canceled in the user's name: through the Client role a user reads only its own cancelations.
    user = ApiSession.objects.get(token_hash=hash_token(session_token)).user
    cancelation = make_cancelation(canceled_by=str(user.pk))
    user_api = Api(session_token)
    # planoorder selects the Client role: it may read, not change.
    code, body = user_api.patch(detail(cancelation.pk), {"application": "planoorder", "key": "x"})
    assert (code, body["status"]) == (403, "permission-denied")
    code, body = user_api.get(detail(cancelation.pk), {"application": "planoorder"})
    assert code == 200
    # planox2 selects the Employee role: it may change; the canceler is the user, in planox2.
    code, body = user_api.patch(detail(cancelation.pk), {"application": "planox2", "active": False})
    assert code == 200, body
    user_id = str(Cancelation.objects.get(pk=cancelation.pk).changes.last().changed_by_user_id)
    assert body["data"]["reinstated_by"] == user_id
    change = cancelation.changes.order_by("-id").first()
    assert (change.changed_by, change.changed_in) == (user_id, "planox2")


def test_session_view_adds_the_session_object(session_token, make_cancelation):
    from conftest import Api

    cancelation = make_cancelation()
    user_api = Api(session_token)
    code, body = user_api.patch(detail(cancelation.pk), {"application": "planox2", "session_view": "default"})
    assert code == 200
    assert body["session"]["email"] == "emp@example.com"
    assert body["session"]["application"] == "planox2"
    code, body = user_api.patch(detail(cancelation.pk), {"application": "planox2", "key": "k"})
    assert code == 200 and "session" not in body


def test_a_session_cancel_defaults_canceler_to_the_user_and_its_application(session_token, reason):
    from conftest import Api

    code, body = Api(session_token).post(
        URL,
        {"cancelable_type": "Order", "cancelable_id": 3, "reason_id": reason.pk, "application": "planox2"},
    )
    assert code == 200, body
    stored = Cancelation.objects.get(pk=body["data"]["id"])
    assert stored.canceled_by.isdigit() and stored.canceled_in == "planox2"


# --- reading: one, list with filters and cursor, reasons ------------------------------------------


def test_read_one(api, make_cancelation):
    cancelation = make_cancelation(key="read-me")
    code, body = api.get(detail(cancelation.pk))
    assert (code, body["data"]["key"], body["data"]["reason_slug"]) == (200, "read-me", "test-client-asked")


def test_list_filters(api, make_cancelation, other_reason):
    order_1 = make_cancelation(cancelable_id=1)
    order_2 = make_cancelation(cancelable_id=2, reason_slug=other_reason.slug)
    tour_1 = make_cancelation(cancelable_type="Tour", cancelable_id=1)
    api.patch(detail(order_2.pk), {"active": False})
    Cancelation.objects.filter(pk=tour_1.pk).update(canceled_at=timezone.now() - timedelta(days=10))

    def ids(**params):
        code, body = api.get(URL, params)
        assert code == 200, body
        return [row["id"] for row in body["data"]]

    assert ids() == [tour_1.pk, order_2.pk, order_1.pk]
    assert ids(cancelable_type="Order") == [order_2.pk, order_1.pk]
    assert ids(cancelable_type="Order", cancelable_id=1) == [order_1.pk]
    assert ids(active="true") == [tour_1.pk, order_1.pk]
    assert ids(active="false") == [order_2.pk]
    assert ids(reason=other_reason.slug) == [order_2.pk]
    assert ids(reason=str(other_reason.pk)) == [order_2.pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(canceled_after=since) == [order_2.pk, order_1.pk]
    assert ids(canceled_before=since) == [tour_1.pk]
    assert ids(reinstated_after=since) == [order_2.pk]
    assert ids(reinstated_before=since) == []


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"cancelable_type": "Invoice"}, "cancelable_type"),
        ({"canceled_after": "last week"}, "canceled_after"),
        ({"active": "perhaps"}, "active"),
        ({"page[size]": 1000}, "page[size]"),
        ({"page[after]": "not-a-cursor"}, "page[after]"),
    ],
)
def test_list_refuses_bad_filters(api, make_cancelation, params, param):
    make_cancelation()
    code, body = api.get(URL, params)
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert param in body["errors"]


def test_list_pages_with_a_cursor(api, make_cancelation, django_assert_max_num_queries):
    made = [make_cancelation(cancelable_id=n).pk for n in range(1, 6)]
    seen = []
    code, body = api.get(URL, {"page[size]": 2})
    pages = 1
    while True:
        assert code == 200 and body["meta"]["page_size"] == 2
        seen += [row["id"] for row in body["data"]]
        if not body["links"]["next"]:
            break
        with django_assert_max_num_queries(4):
            code, body = api.get(body["links"]["next"])
        pages += 1
    assert seen == sorted(made, reverse=True)
    assert pages == 3
    assert body["links"]["prev"]


def test_hot_routes_query_counts(api, make_cancelation, reason, django_assert_max_num_queries):
    cancelation = make_cancelation()
    api.get(detail(cancelation.pk))  # warm the token-permission cache and last-use write
    with django_assert_max_num_queries(2):  # token, cancelation with its reason
        code, _ = api.get(detail(cancelation.pk))
    assert code == 200
    for n in range(10):
        make_cancelation(cancelable_id=100 + n)
    with django_assert_max_num_queries(2):  # token, one page with the reasons joined
        code, body = api.get(URL)
    assert code == 200 and len(body["data"]) == 11
    # token, lookup, savepoint, locked read, savepoint, update, release, history, release
    with django_assert_max_num_queries(9):
        code, _ = api.patch(detail(cancelation.pk), {"reason_note": "n", "key": "k"})
    assert code == 200


def test_reasons_route_is_not_taken_for_an_id(api, reason, other_reason):
    retired = CancelationReason.objects.create(slug="zz-retired", text="Retired", active=False, order=99)
    code, body = api.get(f"{URL}/reasons")
    assert (code, body["status"]) == (200, "action-successful")
    slugs = [row["slug"] for row in body["data"]]
    assert slugs.index(reason.slug) < slugs.index(other_reason.slug)
    assert retired.slug not in slugs
    code, body = api.get(f"{URL}/reasons/", {"include_inactive": "true"})
    assert retired.slug in [row["slug"] for row in body["data"]]


def test_trailing_slash_is_optional(api, make_cancelation):
    cancelation = make_cancelation()
    assert api.get(f"{URL}/")[0] == 200
    assert api.patch(f"{detail(cancelation.pk)}/", {"key": "slash"})[1]["data"]["key"] == "slash"
