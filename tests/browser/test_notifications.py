"""Staff find a notification in the admin and open its proof, in a real browser."""

import pytest
import requests

from notifications.models import Notification
from planocore.outbox.models import ExternalRequest
from tests.browser.admin_pages import readonly, row, rows, search

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
        page.locator("#notifications-notification").get_by_role("link", name="Notifications").click()
    assert rows(page).count() == 2
    shot("list")

    # By key: exactly that notification.
    search(page, READY["key"])
    assert rows(page).count() == 1
    assert READY["key"] in rows(page).inner_text()
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
    inline = page.locator(".inline-group", has_text="outgoing requests (proof)")
    inline.scroll_into_view_if_needed()
    proof = inline.locator("tbody tr.has_original").first
    assert proof.locator("td.field-state").inner_text() == "Sent"
    assert proof.locator("td.field-provider_message_id").inner_text() == request.provider_message_id
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
    assert readonly(page, "provider_message_id") == request.provider_message_id
    assert "ann.browser@example.com" in page.locator(".form-row.field-payload_pretty").inner_text()
    attempts = page.locator("#attempt_log-group tbody tr.has_original")
    assert attempts.count() == 1 and "Sent" in attempts.inner_text()
    assert mandrill_fake.api_key not in page.content()
    page.locator("fieldset", has_text="Provider response").scroll_into_view_if_needed()
    shot("request")
