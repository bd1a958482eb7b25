"""Staff find a notification in the admin and open its proof, in a real browser."""

import pytest
import requests

from notifications.models import Notification
from planocore.outbox.models import ExternalRequest
from tests.browser.admin_pages import field, inline_rows, readonly, row, rows, search, text

READY = {
    "notification_type": "email",
    "key": "browser-tour-ready",
    "email_from": "ops@planomatic.example",
    "email_to": "ann.browser@example.com",
    "email_subject": "Your tour is ready",
    "email_body": "See it at https://tours.example/1",
    "olio_id": "OL-77",
}
REMINDER = {
    **READY,
    "key": "browser-reminder",
    "email_to": "zed@example.com",
    "email_subject": "A reminder",
}


@pytest.mark.usefixtures("seeded")
def test_staff_find_a_notification_and_open_its_proof(
    page, live_server, admin_login, make_app_token, mandrill_fake, shot
):
    # Two emails sent the way callers send them: the API, then Mandrill (the local fake).
    headers = {"Authorization": f"Bearer {make_app_token()}"}
    for params in (READY, REMINDER):
        answer = requests.post(
            f"{live_server.url}/api/v1/notifications", json=params, headers=headers, timeout=15
        )
        assert (answer.status_code, answer.json()["status"]) == (200, "action-successful")
    notification = Notification.objects.get(key=READY["key"])
    request = ExternalRequest.objects.get(object_id=str(notification.pk), channel="email")
    assert request.status == ExternalRequest.Status.SENT and request.provider_message_id

    admin_login()
    with page.expect_navigation():
        page.locator("#nav-sidebar").get_by_role("link", name="Notifications").click()
    assert rows(page).count() == 2
    shot("list")

    # By key: exactly that notification.
    search(page, READY["key"])
    assert rows(page).count() == 1
    # The key cut to fit the row, whole on hover.
    key = READY["key"]
    assert rows(page).locator(f'td.field-key_short [title="{key}"]').count() == 1
    shot("search-key")

    # By part of an address.
    search(page, "zed@example")
    assert rows(page).count() == 1
    assert REMINDER["key"] in rows(page).inner_text()
    search(page, "ann.browser@")
    assert rows(page).count() == 1
    shot("search-address")

    with page.expect_navigation():
        row(page, str(notification.pk)).locator("th a").click()
    assert f"/admin/notifications/notification/{notification.pk}/change/" in page.url
    # The delivery first: the latest request's state and the provider's id, at the top of the page.
    delivery = readonly(page, "Delivery (latest outgoing request)")
    assert delivery.startswith("Sent")
    assert request.provider_message_id[:20] in delivery
    # An email's page shows the email's fields, none of an SMS's.
    assert page.locator("#id_email_to").is_visible()
    assert page.locator("#id_phone_to").count() == 0 and page.get_by_text("Phone to").count() == 0
    inline = page.locator("#outbox-externalrequest-content_type-object_id-group")
    inline.scroll_into_view_if_needed()
    proof = inline_rows(page, "outbox-externalrequest-content_type-object_id").first
    assert text(proof.locator("td.field-state")) == "Sent"
    assert text(proof.locator("td.field-provider_message_id")) == request.provider_message_id
    shown = proof.locator("td.field-proof").inner_text()
    # Mandrill's own answer, recipient by recipient.
    assert '"provider": "mandrill"' in shown
    assert '"email": "ann.browser@example.com"' in shown and '"status": "sent"' in shown
    assert mandrill_fake.api_key not in page.content()
    proof.locator("td.field-proof").scroll_into_view_if_needed()
    shot("proof")

    # The request's own page: what was asked, the attempt, and the proof again.
    with page.expect_navigation():
        proof.locator("td.field-link a").click()
    assert page.url.endswith(f"/admin/outbox/externalrequest/{request.pk}/change/")
    assert readonly(page, "Provider message id") == request.provider_message_id
    assert "ann.browser@example.com" in text(field(page, "Payload"))
    attempts = inline_rows(page, "attempt_log")
    assert attempts.count() == 1 and "Sent" in text(attempts)  # the attempt's outcome
    assert mandrill_fake.api_key not in page.content()
    field(page, "Provider response").scroll_into_view_if_needed()
    shot("request")


def test_a_new_notification_shows_the_fields_of_the_type_chosen(page, live_server, admin_login, shot):
    admin_login()
    page.goto(f"{live_server.url}/admin/notifications/notification/add/")
    # The fields follow the choice once the page's script has run: wait for each, then check the rest.
    page.select_option("#id_notification_type", "email")
    page.locator("#id_email_to").wait_for(state="visible")
    page.locator("#id_phone_to").wait_for(state="hidden")
    assert not page.locator("#id_phone_to").is_visible() and not page.locator("#id_team_name").is_visible()
    shot("email")
    page.select_option("#id_notification_type", "sms")
    page.locator("#id_phone_to").wait_for(state="visible")
    page.locator("#id_email_to").wait_for(state="hidden")
    assert not page.locator("#id_email_to").is_visible() and not page.locator("#id_media_url").is_visible()
    page.select_option("#id_notification_type", "mms")
    page.locator("#id_media_url").wait_for(state="visible")
    assert page.locator("#id_phone_to").is_visible()
