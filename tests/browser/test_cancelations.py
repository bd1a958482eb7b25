"""Staff reinstate a cancelation and cancel it again, each with a note, in a real browser."""

import pytest

from cancelations.models import Cancelation, CancelationReason
from cancelations.services import Actor, cancelation_create
from glip.models import GlipTeam
from notifications.models import Notification
from planocore.providers.registry import reset_backends
from tests.browser.admin_pages import field, inline_rows, messages, row, rows, run_action, search, text

LIST = "/admin/cancelations/cancelation/"


@pytest.fixture
def notices_to_glip(settings):
    """Cancelation notices go to a Glip team, posted by the sandbox backend."""
    settings.CANCELATION_NOTICE_GLIP_TEAM = "Browser Cancelations"
    settings.CANCELATION_NOTICE_EMAILS = {}
    settings.PROVIDER_BACKENDS = {
        **settings.PROVIDER_BACKENDS,
        "glip": "planocore.providers.sandbox.SandboxBackend",
    }
    reset_backends()
    GlipTeam.objects.create(name="Browser Cancelations", chat_id="chat-browser-cancel")
    yield
    reset_backends()


def _note_step(page, *, title: str, listed: str, note: str) -> None:
    """The page the action opens: it lists what will change and asks for the note."""
    assert page.title().startswith(f"{title}: are you sure? |")
    assert listed in page.locator("#note-targets").inner_text()
    page.fill("#id_note", note)


@pytest.mark.usefixtures("notices_to_glip")
def test_staff_reinstate_and_cancel_again_with_notes(page, live_server, admin_login, staff_user, shot):
    reason = CancelationReason.objects.create(slug="browser-client-asked", text="The client asked", order=1)
    planox2 = Actor(by="planox2", via="planox2")
    target = cancelation_create(
        data={
            "cancelable_type": "Order",
            "cancelable_id": 4242,
            "key": "order-4242",
            "reason_slug": reason.slug,
        },
        actor=planox2,
    )
    other = cancelation_create(
        data={
            "cancelable_type": "Order",
            "cancelable_id": 4243,
            "key": "order-4243",
            "reason_slug": reason.slug,
        },
        actor=planox2,
    )

    admin_login()
    page.goto(f"{live_server.url}{LIST}")
    assert rows(page).count() == 2
    search(page, "order-4242")
    assert rows(page).count() == 1
    shot("found")

    # Reinstate: the action asks for a note first, and changes nothing until it is given.
    run_action(page, "reinstate_selected", row(page, str(target.pk)))
    _note_step(page, title="Reinstate", listed="Order #4242 (active)", note="Client paid the invoice")
    assert Cancelation.objects.get(pk=target.pk).active is True
    shot("reinstate-note")
    with page.expect_navigation():
        page.click("input[type=submit][value=Reinstate]")
    assert "1 cancelation(s) reinstated." in messages(page)
    assert text(row(page, str(target.pk)).locator("td.field-state")) == "Reinstated"
    shot("reinstated")
    target.refresh_from_db()
    assert (target.active, target.reinstated_note, target.reinstated_by) == (
        False,
        "Client paid the invoice",
        str(staff_user.pk),
    )

    # Cancel it again: the note becomes the reason note.
    run_action(page, "cancel_selected", row(page, str(target.pk)))
    _note_step(
        page,
        title="Cancel again",
        listed="Order #4242 (reinstated)",
        note="Client changed their mind",
    )
    with page.expect_navigation():
        page.click("input[type=submit][value='Cancel again']")
    assert "1 cancelation(s) canceled again." in messages(page)
    assert text(row(page, str(target.pk)).locator("td.field-state")) == "Canceled"

    # The change page: the notes, and the history of who did what, through what.
    with page.expect_navigation():
        row(page, str(target.pk)).locator("th a").click()
    assert page.locator("#id_reason_note").input_value() == "Client changed their mind"
    assert page.locator("#id_reinstated_note").input_value() == ""  # canceling again clears it...
    history = inline_rows(page, "changes")
    assert history.count() == 3
    actions = [history.nth(n).locator("td.field-action").inner_text() for n in range(3)]
    assert actions == ["Created", "Reinstated", "Canceled again"]
    changed_in = [history.nth(n).locator("td.field-changed_in").inner_text() for n in range(3)]
    assert changed_in == ["planox2", "admin", "admin"]
    changed_by = [history.nth(n).locator("td.field-changed_by").inner_text() for n in range(3)]
    assert changed_by == ["planox2", str(staff_user.pk), str(staff_user.pk)]
    reinstated = history.nth(1).locator("td.field-what_changed").inner_text()
    assert "reinstated_note: — → Client paid the invoice" in reinstated
    canceled = history.nth(2).locator("td.field-what_changed").inner_text()
    # ...and the history keeps it.
    assert "reinstated_note: Client paid the invoice → —" in canceled
    assert "reason_note: — → Client changed their mind" in canceled
    # Each transition announced itself to the Glip team.
    notices = field(page, "Notices sent").locator("li")
    assert notices.count() == 3
    assert "cancelation-reinstated" in notices.nth(1).inner_text()
    page.locator("#changes-group").scroll_into_view_if_needed()
    shot("history")

    target.refresh_from_db()
    assert (target.active, target.reason_note, target.reinstated_at) == (
        True,
        "Client changed their mind",
        None,
    )
    assert list(target.changes.order_by("id").values_list("action", flat=True)) == [
        "create",
        "reinstate",
        "cancel",
    ]
    assert list(
        Notification.objects.filter(notifyable_type="Cancelation", notifyable_id=target.pk)
        .order_by("id")
        .values_list("key", "status")
    ) == [
        ("cancelation-canceled", "sent"),
        ("cancelation-reinstated", "sent"),
        ("cancelation-canceled", "sent"),
    ]
    # The one not selected was left alone.
    other.refresh_from_db()
    assert other.active is True and other.changes.count() == 1


def test_page_action_mixed_selection_and_a_broken_rule_beside_its_field(page, live_server, admin_login, shot):
    reason = CancelationReason.objects.create(slug="browser-moved", text="The shoot moved", order=1)
    actor = Actor(by="planox2", via="planox2")
    active = cancelation_create(
        data={"cancelable_type": "Order", "cancelable_id": 5151, "key": "o-5151", "reason_slug": reason.slug},
        actor=actor,
    )
    admin_login()

    # The change page's Reinstate asks for a note in a dialog, then says how it ended.
    page.goto(f"{live_server.url}{LIST}{active.pk}/change/")
    page.locator("a", has_text="Reinstate").first.click()
    dialog = page.locator("#dialog")
    dialog.wait_for()
    dialog.locator("textarea[name=note]").fill("Rebooked by phone")
    shot("reinstate-dialog")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Reinstate").click()
    assert "1 cancelation(s) reinstated." in messages(page)
    active.refresh_from_db()
    assert (active.active, active.reinstated_note) == (False, "Rebooked by phone")

    # A mixed selection: the one that cannot be reinstated is named, with why.
    still_active = cancelation_create(
        data={"cancelable_type": "Order", "cancelable_id": 5152, "key": "o-5152", "reason_slug": reason.slug},
        actor=actor,
    )
    page.goto(f"{live_server.url}{LIST}")
    run_action(page, "reinstate_selected", row(page, str(active.pk)), row(page, str(still_active.pk)))
    page.fill("#id_note", "Both")
    with page.expect_navigation():
        page.click("input[type=submit][value=Reinstate]")
    said = messages(page)
    assert "1 cancelation(s) reinstated." in said
    assert f"Skipped, already reinstated: #{active.pk}." in said

    # Canceling a record that already has an active cancelation: the rule shows beside the
    # record's id, with a link to the cancelation it clashes with.
    clashing = cancelation_create(
        data={"cancelable_type": "Order", "cancelable_id": 5153, "key": "o-5153", "reason_slug": reason.slug},
        actor=actor,
    )
    page.goto(f"{live_server.url}{LIST}add/")
    page.select_option("#id_cancelable_type", "Order")
    page.fill("#id_cancelable_id", "5153")
    page.select_option("#id_reason", str(reason.pk))
    with page.expect_navigation():
        page.click("button[name=_save]")
    row_of_id = field(page, "Cancelable id")
    assert "already has an active cancelation" in text(row_of_id)
    link = row_of_id.get_by_role("link", name=f"Open cancelation #{clashing.pk}")
    shot("broken-rule")
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(f"{LIST}{clashing.pk}/change/")
