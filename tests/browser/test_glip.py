"""Staff import the Glip teams from RingCentral (the local fake) in the admin, in a real browser."""

from glip.models import GlipTeam
from tests.browser.admin_pages import messages, row, rows, run_action, text

LIST = "/admin/glip/glipteam/"


def _boolean(found_row, name: str) -> bool:
    """A yes/no column as unfold draws it: a check or a cross, "True" or "False" on hover."""
    shown = found_row.locator(f"td.field-{name} [title]").first.get_attribute("title")
    assert shown in ("True", "False"), shown
    return shown == "True"


def _names(page) -> list[str]:
    return [name.strip() for name in rows(page).locator("th a").all_inner_texts()]


def test_staff_import_glip_teams(page, live_server, admin_login, ringcentral_fake, shot):
    ringcentral_fake.add_team("chat-b1", "Photographers", description="Shoots")
    ringcentral_fake.add_team("chat-b2", "Editors")
    ringcentral_fake.add_team("chat-b3", "Everyone", public=True, members={"999"})
    # Someone else's private team: RingCentral does not list it, so it is not imported.
    ringcentral_fake.add_team("chat-b4", "Secret", members={"999"})

    admin_login()
    page.goto(f"{live_server.url}{LIST}")
    assert rows(page).count() == 0
    shot("empty")

    # The button works with no team yet (an action needs a selected row).
    with page.expect_navigation():
        page.get_by_role("button", name="Import from RingCentral").click()
    assert "Glip teams imported: 3 created, 0 updated, 0 unchanged, 0 deactivated" in messages(page)
    assert sorted(_names(page)) == ["Editors", "Everyone", "Photographers"]
    assert text(row(page, "Photographers").locator("td.field-chat_id")) == "chat-b1"
    assert _boolean(row(page, "Everyone"), "public") is True
    shot("imported")
    assert sorted(GlipTeam.objects.values_list("chat_id", "name", "active")) == [
        ("chat-b1", "Photographers", True),
        ("chat-b2", "Editors", True),
        ("chat-b3", "Everyone", True),
    ]

    # RingCentral renames one and archives another; the admin action brings them over.
    ringcentral_fake.team("chat-b2").name = "Editors Team"
    ringcentral_fake.team("chat-b1").status = "Archived"
    run_action(page, "import_teams", row(page, "Editors"))
    assert "Glip teams imported: 0 created, 1 updated, 1 unchanged, 1 deactivated" in messages(page)
    assert sorted(_names(page)) == ["Editors Team", "Everyone", "Photographers"]
    assert _boolean(row(page, "Photographers"), "active") is False
    shot("updated")
    assert GlipTeam.objects.get(chat_id="chat-b2").name == "Editors Team"
    assert GlipTeam.objects.get(chat_id="chat-b1").active is False
    # The imports read RingCentral's team list over HTTP, logged in with the JWT.
    assert len(ringcentral_fake.requests_to("GET", "/team-messaging/v1/teams")) == 2
