"""Every validation rule of POST /api/v1/notifications, through the API."""

import pytest

from notifications.models import Notification
from planocore.outbox.models import ExternalRequest
from tests.notifications.conftest import EMAIL, SMS, URL

pytestmark = pytest.mark.django_db


def _refused(api, params, status, field):
    code, body = api.post(URL, params)
    assert (code, body["status"]) == (400, status), body
    assert field in body["errors"], body["errors"]
    assert f"`{field}`" in body["message"] or field in body["message"]
    assert not Notification.objects.exists() and not ExternalRequest.objects.exists()
    return body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email_to", "not-an-email"),
        ("email_to", "ann@example.com, broken@"),
        ("email_cc", "cc@@example.com"),
        ("email_bcc", "nobody"),
        ("email_from", "ops"),
        ("email_from", "a@example.com, b@example.com"),
    ],
)
def test_email_addresses_are_checked(api, field, value):
    _refused(api, {**EMAIL, field: value}, "invalid-param", field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone_from", "5550001111"),
        ("phone_from", "+0123"),
        ("phone_to", "+1555 000"),
        ("phone_to", "+15550002222,x"),
    ],
)
def test_phone_numbers_must_be_e164(api, field, value):
    _refused(api, {**SMS, field: value}, "invalid-param", field)


@pytest.mark.parametrize("value", ["not a url", "ftp://files.example/a.png", "javascript:alert(1)"])
def test_media_url_must_be_http(api, value):
    _refused(api, {**SMS, "notification_type": "mms", "media_url": value}, "invalid-param", "media_url")


@pytest.mark.parametrize("field", ["updated_at_fm", "created_at_fm", "processed_at", "processed_at_fm"])
def test_datetimes_must_be_iso_8601(api, field):
    _refused(api, {**EMAIL, field: "23/11/2026 10:00"}, "invalid-param", field)


def test_iso_datetimes_are_stored_aware(api):
    code, body = api.post(
        URL, {**EMAIL, "notification_type": "", "created_at_fm": "2026-11-23T10:00:00-05:00"}
    )
    assert code == 200, body
    stored = Notification.objects.get().created_at_fm
    assert stored.tzinfo is not None and stored.isoformat() == "2026-11-23T15:00:00+00:00"


def test_unknown_notification_type(api):
    body = _refused(api, {**EMAIL, "notification_type": "fax"}, "invalid-param", "notification_type")
    assert "fax" in body["errors"]["notification_type"][0]


@pytest.mark.parametrize(
    ("field", "value"), [("processed", 2), ("notifyable_id", "abc"), ("extension", "ext-1")]
)
def test_other_formats(api, field, value):
    _refused(api, {**SMS, field: value}, "invalid-param", field)


def test_unknown_view(api):
    _refused(api, {**EMAIL, "view": "everything"}, "invalid-param", "view")


# --- what each type needs ----------------------------------------------------------------
def test_email_needs_to(api):
    _refused(api, {**EMAIL, "email_to": ""}, "missing-param", "email_to")


def test_email_needs_subject_or_body(api):
    _refused(api, {**EMAIL, "email_subject": "", "email_body": ""}, "missing-param", "email_subject")


def test_email_with_only_a_body_is_fine(api):
    code, body = api.post(URL, {**EMAIL, "email_subject": ""})
    assert (code, body["status"]) == (200, "action-successful"), body


def test_sms_needs_phone_to(api):
    _refused(api, {**SMS, "phone_to": ""}, "missing-param", "phone_to")


def test_sms_needs_phone_from_or_extension(api):
    _refused(api, {**SMS, "phone_from": ""}, "missing-param", "phone_from")


def test_sms_extension_must_exist(api):
    _refused(api, {**SMS, "phone_from": "", "extension": "999"}, "invalid-param", "extension")


def test_sms_needs_text(api):
    _refused(api, {**SMS, "email_body": ""}, "missing-param", "email_body")


def test_mms_needs_media_url(api):
    _refused(api, {**SMS, "notification_type": "mms"}, "missing-param", "media_url")


def test_glip_needs_team_name(api):
    _refused(api, {"notification_type": "glip", "email_body": "Hello"}, "missing-param", "team_name")


def test_glip_team_must_be_active(api, glip_team):
    glip_team.active = False
    glip_team.save()
    _refused(
        api,
        {"notification_type": "glip", "team_name": "Photographers", "email_body": "x"},
        "invalid-param",
        "team_name",
    )
    _refused(
        api,
        {"notification_type": "glip", "team_name": "Nobody", "email_body": "x"},
        "invalid-param",
        "team_name",
    )


def test_conversation_needs_user_id(api):
    _refused(api, {"notification_type": "conversation", "email_body": "Hi"}, "missing-param", "user_id")


def test_conversation_user_needs_an_active_linked_client(api):
    _refused(
        api,
        {"notification_type": "conversation", "user_id": "12345", "email_body": "Hi"},
        "invalid-param",
        "user_id",
    )


def test_without_a_type_nothing_is_required_or_sent(api):
    code, body = api.post(URL, {"key": "fm-sync", "email_to": "ann@example.com"})
    assert code == 200, body
    assert body["data"]["status"] == "" and not ExternalRequest.objects.exists()


def test_processed_notifications_are_stored_not_sent(api):
    code, body = api.post(
        URL, {**EMAIL, "processed": 1, "processed_at": "2026-11-20T08:00:00Z", "email_to": ""}
    )
    assert code == 200, body
    assert body["data"]["processed"] == 1 and not ExternalRequest.objects.exists()


def test_needs_a_token(anon_api):
    code, body = anon_api.post(URL, EMAIL)
    assert (code, body["status"]) == (400, "missing-param") and "token" in body["errors"]


def test_needs_the_add_permission(api, make_app_token):
    token = make_app_token(permissions=["notifications.view_notification"])
    code, body = api.post(URL, EMAIL, token=token)
    assert (code, body["status"]) == (403, "permission-denied")
    assert not Notification.objects.exists()


def test_lists_and_route_page_are_documented(client):
    page = client.get("/documentation/list_items/notification_type")
    assert page.status_code == 200
    for value in ("email", "sms", "mms", "glip", "conversation"):
        assert value.encode() in page.content
    views = client.get("/documentation/list_items/view")
    assert b"default-with-proof" in views.content and b"internal-applications-view" in views.content
    route = client.get("/documentation/notifications-create")
    assert route.status_code == 200
    content = route.content.decode()
    assert "Notifications Create API" in content and "team_name" in content and "2600" in content
    assert content.index("email_subject") < content.index("email_technician") < content.index("team_name")
