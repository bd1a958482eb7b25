"""Staff retry a failed outgoing request from the outbox admin, in a real browser."""

from glip.models import GlipMessage, GlipTeam
from planocore.outbox.models import ExternalRequest
from tests.browser.admin_pages import messages, readonly, row, rows, run_action

Status = ExternalRequest.Status


def test_staff_retry_a_failed_outgoing_request(page, live_server, admin_login, ringcentral_fake, shot):
    # A Glip post (priority 0: not retried by itself) that RingCentral refused once with a 503.
    ringcentral_fake.add_team("chat-browser-7", "Editors")
    team = GlipTeam.objects.create(name="Editors", chat_id="chat-browser-7")
    ringcentral_fake.fail_next(503, None, path="/posts$")
    message = GlipMessage.objects.create(team=team, text="Second chance from the outbox")
    request = ExternalRequest.objects.get(object_id=str(message.pk), channel="glip")
    assert (request.status, request.attempts) == (Status.FAILED, 1)
    assert "503" in request.last_error
    sent = ExternalRequest.objects.create(channel="sms", payload={"text": "done"}, status=Status.SENT)

    admin_login()
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/?status__exact=failed")
    assert page.locator("#outbox-dashboard .outbox-failed").inner_text() == "1"
    assert rows(page).count() == 1
    failed_row = row(page, str(request.pk))
    assert "Failed" in failed_row.inner_text()
    shot("failed")

    run_action(page, "retry_now", failed_row)
    assert "1 request(s) put back in line to be sent now." in messages(page)
    assert "How the retry ended: 1 sent." in messages(page)
    # Sent again at once (tasks run in-process here): nothing is failing any more.
    assert page.locator("#outbox-dashboard .outbox-failed").inner_text() == "0"
    assert "0 external requests" in page.locator("#changelist-form").inner_text()
    shot("retried")

    page.goto(f"{live_server.url}/admin/outbox/externalrequest/?q={request.pk}")
    retried_row = row(page, str(request.pk))
    assert "Sent (2 tries)" in retried_row.inner_text()
    with page.expect_navigation():
        retried_row.locator("th a").click()
    assert readonly(page, "status") == "Sent"
    assert readonly(page, "attempts") == "2"
    assert readonly(page, "staff_retried_at") != "-"
    attempts = page.locator("#attempt_log-group tbody tr.has_original")
    assert attempts.count() == 2
    assert "503" in attempts.nth(0).inner_text()
    assert "Sent" in attempts.nth(1).inner_text()
    page.locator("#attempt_log-group").scroll_into_view_if_needed()
    shot("attempts")

    request.refresh_from_db()
    assert (request.status, request.attempts) == (Status.SENT, 2)
    assert request.staff_retried_at is not None and request.provider_message_id
    assert readonly(page, "provider_message_id") == request.provider_message_id
    assert [post["text"] for post in ringcentral_fake.posts_to("chat-browser-7")] == [
        "Second chance from the outbox"
    ]
    message.refresh_from_db()
    assert message.status == GlipMessage.Status.SENT and message.post_id == request.provider_message_id
    # A request already sent is left alone.
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/?q={sent.pk}")
    run_action(page, "retry_now", row(page, str(sent.pk)))
    assert f"Left alone: #{sent.pk}: already sent, suppressed or being sent." in messages(page)
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == (Status.SENT, 0)
