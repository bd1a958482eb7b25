"""The sandbox in a real browser: the Glip import with no credentials, then a message; the failure switch."""

from glip.models import GlipMessage, GlipTeam
from planocore.outbox import services as outbox
from planocore.outbox.models import ExternalRequest, SandboxFailure
from tests.browser.admin_pages import messages, readonly, row, rows

Status = ExternalRequest.Status


def test_glip_import_in_the_sandbox_then_a_message_from_the_admin(
    page,
    live_server,
    admin_login,
    fresh_clone,
    shot,
):
    admin_login()
    page.goto(f"{live_server.url}/admin/glip/glipteam/")
    assert rows(page).count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Import from RingCentral").click()
    assert "Glip teams imported: 4 created, 0 updated, 0 unchanged, 0 deactivated" in messages(page)
    assert "(the sandbox's teams: no RingCentral credentials are set" in messages(page)
    assert row(page, "Cancelations").locator("td.field-chat_id").inner_text() == "sandbox-cancelations"
    shot("imported")

    page.goto(f"{live_server.url}/admin/glip/glipmessage/add/")
    page.select_option("#id_team", label="General")
    page.fill("#id_text", "Hello from the sandbox")
    with page.expect_navigation():
        page.click("input[name=_save]")
    assert "was added successfully" in messages(page)
    message = GlipMessage.objects.get()
    assert (message.team.name, message.status) == ("General", GlipMessage.Status.SENT)
    assert message.post_id.startswith("sandbox-")
    with page.expect_navigation():
        row(page, str(message.pk)).locator("th a").click()
    assert readonly(page, "status") == "Sent"
    assert readonly(page, "post_id") == message.post_id
    shot("sent")


def test_a_sandbox_failure_switched_on_in_the_admin(page, live_server, admin_login, fresh_clone, shot):
    team = GlipTeam.objects.create(name="General", chat_id="sandbox-general")
    admin_login()
    page.goto(f"{live_server.url}/admin/outbox/sandboxfailure/")
    assert rows(page).count() == 5  # one switch per channel, made by the list
    glip = rows(page).filter(has_text="Glip")
    assert "sandbox" in glip.locator("td.field-served_by").inner_text()
    glip.locator("select[name$=-mode]").select_option("retryable")
    with page.expect_navigation():
        page.click("input[name=_save]")
    assert SandboxFailure.objects.get(channel="glip").mode == "retryable"
    shot("switched-on")

    # A post of priority 5 is retried by the outbox; the first attempt failed on purpose.
    message = GlipMessage.objects.create(team=team, text="Will it go?", priority=5)
    request = ExternalRequest.objects.get(object_id=str(message.pk), channel="glip")
    assert (request.status, request.attempts) == (Status.PENDING, 1)
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/{request.pk}/change/")
    assert readonly(page, "status") == "Pending"
    assert (
        readonly(page, "last_error")
        == "Sandbox told to fail (retryable) by the channel's switch in the admin."
    )
    attempts = page.locator("#attempt_log-group tbody tr.has_original")
    assert attempts.count() == 1 and "503" in attempts.nth(0).inner_text()
    shot("retrying")

    # Switched to permanent: the retry fails for good.
    page.goto(f"{live_server.url}/admin/outbox/sandboxfailure/")
    rows(page).filter(has_text="Glip").locator("select[name$=-mode]").select_option("permanent")
    with page.expect_navigation():
        page.click("input[name=_save]")
    outbox.retry_now(ExternalRequest.objects.get(pk=request.pk))
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/{request.pk}/change/")
    assert readonly(page, "status") == "Failed"
    assert "(permanent)" in readonly(page, "last_error")
    assert page.locator("#attempt_log-group tbody tr.has_original").count() == 2
    shot("failed")
    message.refresh_from_db()
    assert message.status == GlipMessage.Status.FAILED
