"""The sandbox in a real browser: the Glip import with no credentials, then a message; the failure switch."""

from io import StringIO

from django.core.management import call_command

from glip.models import GlipMessage, GlipTeam
from planocore.outbox import services as outbox
from planocore.outbox.models import ExternalRequest, SandboxFailure
from tests.browser.admin_pages import inline_rows, messages, readonly, row, rows, text

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
    assert text(row(page, "Cancelations").locator("td.field-chat_id")) == "sandbox-cancelations"
    shot("imported")

    page.goto(f"{live_server.url}/admin/glip/glipmessage/add/")
    page.select_option("#id_team", label="General")
    page.fill("#id_text", "Hello from the sandbox")
    with page.expect_navigation():
        page.click("button[name=_save]")
    assert "was added successfully" in messages(page)
    message = GlipMessage.objects.get()
    assert (message.team.name, message.status) == ("General", GlipMessage.Status.SENT)
    assert message.post_id.startswith("sandbox-")
    with page.expect_navigation():
        row(page, str(message.pk)).locator("th a").click()
    assert readonly(page, "Status") == "Sent"
    assert readonly(page, "Post id") == message.post_id
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
        page.click("button[name=_save]")
    assert SandboxFailure.objects.get(channel="glip").mode == "retryable"
    shot("switched-on")

    # A post of priority 5 is retried by the outbox; the first attempt failed on purpose.
    message = GlipMessage.objects.create(team=team, text="Will it go?", priority=5)
    request = ExternalRequest.objects.get(object_id=str(message.pk), channel="glip")
    assert (request.status, request.attempts) == (Status.RETRYING, 1)
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/{request.pk}/change/")
    assert readonly(page, "Status") == "Retrying"
    assert (
        readonly(page, "Last error")
        == "Sandbox told to fail (retryable) by the channel's switch in the admin."
    )
    attempts = inline_rows(page, "attempt_log")
    assert attempts.count() == 1 and "503" in text(attempts.nth(0))
    shot("retrying")

    # Switched to permanent: the retry fails for good.
    page.goto(f"{live_server.url}/admin/outbox/sandboxfailure/")
    rows(page).filter(has_text="Glip").locator("select[name$=-mode]").select_option("permanent")
    with page.expect_navigation():
        page.click("button[name=_save]")
    outbox.retry_now(ExternalRequest.objects.get(pk=request.pk))
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/{request.pk}/change/")
    assert readonly(page, "Status") == "Failed"
    assert "(permanent)" in readonly(page, "Last error")
    assert inline_rows(page, "attempt_log").count() == 2
    shot("failed")
    message.refresh_from_db()
    assert message.status == GlipMessage.Status.FAILED


def test_a_sandbox_failure_seen_retried_then_in_the_failures_block(
    page, live_server, admin_login, fresh_clone, shot
):
    """Issue 17's "Must show": switched on in the admin, retried, abandoned, then on the dashboard."""
    # Three tries in all, each due at once (no backoff), so the worker's runs are quick.
    fresh_clone.OUTBOX_MAX_ATTEMPTS = 3
    fresh_clone.OUTBOX_RETRY_BASE_SECONDS = 0
    GlipTeam.objects.create(name="General", chat_id="sandbox-general")
    admin_login()
    assert page.locator("#dash-outbox .outbox-abandoned").inner_text() == "0"
    page.goto(f"{live_server.url}/admin/outbox/sandboxfailure/")
    rows(page).filter(has_text="Glip").locator("select[name$=-mode]").select_option("retryable")
    with page.expect_navigation():
        page.click("button[name=_save]")
    assert SandboxFailure.objects.get(channel="glip").mode == "retryable"

    # A message of priority 5 (retried automatically) sent from the admin: its first try fails.
    page.goto(f"{live_server.url}/admin/glip/glipmessage/add/")
    page.select_option("#id_team", label="General")
    page.fill("#id_text", "Will it go?")
    page.fill("#id_priority", "5")
    with page.expect_navigation():
        page.click("button[name=_save]")
    assert "was added successfully" in messages(page)
    message = GlipMessage.objects.get()
    request = ExternalRequest.objects.get(object_id=str(message.pk), channel="glip")

    # The worker retries it once: the outbox list says so.
    out = StringIO()
    call_command("process_external_requests", limit=1, stdout=out)
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/?channel__exact=glip")
    listed = row(page, str(request.pk))
    assert text(listed.locator("td.field-status_tries")) == "Retrying (2 tries)"
    # The error cut to fit the row, whole on hover.
    error = listed.locator("td.field-error [title]").get_attribute("title")
    assert "Sandbox told to fail (retryable)" in error
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/{request.pk}/change/")
    assert readonly(page, "Status") == "Retrying"
    attempts = inline_rows(page, "attempt_log")
    assert attempts.count() == 2 and all("503" in text(attempts.nth(n)) for n in range(2))
    shot("retried")

    # Its third try fails too: OUTBOX_MAX_ATTEMPTS reached, the outbox gives up.
    call_command("process_external_requests", stdout=out)
    request.refresh_from_db()
    assert (request.status, request.attempts) == (Status.ABANDONED, 3)

    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#dash-outbox .outbox-abandoned").inner_text() == "1"
    assert page.locator("#dash-channel-glip .today-failed").inner_text() == "1"
    block = page.locator("#dash-failures")
    entry = block.locator("li", has_text=f"#{request.pk} Glip")
    assert entry.count() == 1
    assert "Sandbox told to fail (retryable) by the channel's switch in the admin." in entry.inner_text()
    block.scroll_into_view_if_needed()
    shot("in-failures")

    # The entry opens the request: abandoned after three tries, all on the sandbox's switch.
    with page.expect_navigation():
        entry.locator("a").first.click()
    assert page.url.endswith(f"/admin/outbox/externalrequest/{request.pk}/change/")
    assert readonly(page, "Status") == "Abandoned"
    assert inline_rows(page, "attempt_log").count() == 3
    message.refresh_from_db()
    assert message.status == GlipMessage.Status.ABANDONED
