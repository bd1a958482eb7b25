"""Staff retry a failed outgoing request from the outbox admin, in a real browser."""

from glip.models import GlipMessage, GlipTeam
from planocore.delivery import COLOURS, DeliveryState
from planocore.outbox.models import ExternalRequest
from tests.browser.admin_pages import (
    inline_rows,
    messages,
    readonly,
    record_action,
    row,
    rows,
    run_action,
    text,
)

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
    assert text(failed_row.locator("td.field-status_tries .state-badge")) == "Failed"
    shot("failed")

    run_action(page, "retry_now", failed_row)
    assert "1 request(s) put back in line to be sent now." in messages(page)
    assert "How the retry ended: 1 sent." in messages(page)
    # Sent again at once (tasks run in-process here): nothing is failing any more.
    assert page.locator("#outbox-dashboard .outbox-failed").inner_text() == "0"
    assert rows(page).count() == 0
    shot("retried")

    page.goto(f"{live_server.url}/admin/outbox/externalrequest/?q={request.pk}")
    retried_row = row(page, str(request.pk))
    assert text(retried_row.locator("td.field-status_tries")) == "Sent (2 tries)"
    with page.expect_navigation():
        retried_row.locator("th a").click()
    assert readonly(page, "Status") == "Sent"
    assert readonly(page, "Attempts") == "2"
    assert readonly(page, "Staff retried at") != "-"
    attempts = inline_rows(page, "attempt_log")
    assert attempts.count() == 2
    assert "503" in text(attempts.nth(0))
    assert "Sent" in text(attempts.nth(1))
    page.get_by_role("link", name="Attempts").click()  # the attempts' tab
    inline_rows(page, "attempt_log").first.scroll_into_view_if_needed()
    shot("attempts")

    request.refresh_from_db()
    assert (request.status, request.attempts) == (Status.SENT, 2)
    assert request.staff_retried_at is not None and request.provider_message_id
    assert readonly(page, "Provider message id") == request.provider_message_id
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


def test_change_page_retry_sends_a_failed_request_and_nothing_can_be_deleted(
    page, live_server, admin_login, ringcentral_fake, shot
):
    ringcentral_fake.add_team("chat-browser-8", "Editors")
    team = GlipTeam.objects.create(name="Editors", chat_id="chat-browser-8")
    ringcentral_fake.fail_next(503, None, path="/posts$")
    message = GlipMessage.objects.create(team=team, text="Retried from its page")
    request = ExternalRequest.objects.get(object_id=str(message.pk), channel="glip")
    assert request.status == Status.FAILED

    admin_login()
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/{request.pk}/change/")
    # A record of what was sent: nothing to save, nothing to delete; the failure first.
    assert page.locator("[name=_save], [name=_continue], [name=_addanother]").count() == 0
    assert page.get_by_role("link", name="Delete").count() == 0
    assert "503" in readonly(page, "Last error")
    shot("failed")
    record_action(page, "Retry now", "Retry now")
    assert "How the retry ended: 1 sent." in messages(page)
    request.refresh_from_db()
    assert request.status != Status.FAILED and request.attempts == 2 and request.provider_message_id
    assert [post["text"] for post in ringcentral_fake.posts_to("chat-browser-8")] == ["Retried from its page"]
    assert readonly(page, "Provider message id") == request.provider_message_id
    shot("retried")

    # Outgoing requests offer no delete: not on the page, not as a list action, not by URL.
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/")
    assert page.locator("select[name=action] option[value=delete_selected]").count() == 0
    response = page.goto(f"{live_server.url}/admin/outbox/externalrequest/{request.pk}/delete/")
    assert response.status == 403
    assert ExternalRequest.objects.filter(pk=request.pk).exists()


def test_each_delivery_state_shows_as_its_badge(page, live_server, admin_login, shot):
    """Every state of planocore.delivery, on the outbox list, as its badge in its colour."""
    made = {
        state: ExternalRequest.objects.create(channel="sms", payload={"text": state}, status=state).pk
        for state in DeliveryState.values
    }
    admin_login()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/")
    colour_class = {
        "success": "bg-green-100",
        "info": "bg-blue-100",
        "warning": "bg-orange-100",
        "danger": "bg-red-100",
    }
    for state, pk in made.items():
        badge = row(page, str(pk)).locator("td.field-status_tries .state-badge > span")
        assert text(badge) == DeliveryState(state).label
        assert badge.is_visible()
        expected = colour_class.get(COLOURS[state], "bg-base-500/8")
        assert expected in (badge.get_attribute("class") or ""), (state, badge.get_attribute("class"))
    shot("badges")
