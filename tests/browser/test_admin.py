"""Staff's daily work in the admin, in a real browser."""

import re

import pytest
import requests

from planocore.routes.models import Route
from tests.browser.admin_pages import messages, rows, text


def test_staff_signs_in_to_the_admin(page, live_server, staff_user, shot):
    page.goto(f"{live_server.url}/admin/")
    # Not signed in: the admin sends the browser to its login page.
    assert "/admin/login/" in page.url
    shot("login")

    page.fill("#id_username", staff_user.username)
    page.fill("#id_password", "wrong-password")
    page.click("#login-form [type=submit]")
    assert page.locator(".errornote").first.is_visible()
    assert "/admin/login/" in page.url

    page.fill("#id_username", staff_user.username)
    page.fill("#id_password", "staff-password-1")
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    # Signed in: the sidebar names the user and leads to every screen, grouped by what staff do.
    sidebar = page.locator("#nav-sidebar")
    assert staff_user.username in text(sidebar)
    assert sidebar.get_by_role("link", name="Routes").is_visible()
    for group in ("Sending", "Cancelations", "Messaging", "API and access", "Sandbox"):
        assert sidebar.get_by_role("heading", name=group, exact=True).first.is_visible(), group
    # The providers in use (the sandbox here) are always said, beside the site's name.
    assert page.get_by_text("Sandbox providers").is_visible()
    # A favicon of our own (no 404 on every page).
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert requests.get(f"{live_server.url}{icon}", timeout=10).status_code == 200
    # The admin's stylesheet is served (WhiteNoise), so staff see a styled page.
    assert page.evaluate("getComputedStyle(document.querySelector('#header-inner')).display") == "flex"
    shot("index")


def _route_row(page, slug: str):
    """The changelist row whose slug (the linked first column) is exactly `slug`."""
    exact = page.locator("th a", has_text=re.compile(rf"^{re.escape(slug)}$"))
    row = rows(page).filter(has=exact)
    assert row.count() == 1
    return row


def _route_action(page, live_server, slug: str, action: str) -> str:
    page.goto(f"{live_server.url}/admin/planocore/route/?q={slug}")
    _route_row(page, slug).locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    with page.expect_navigation():
        page.click("button[name=index]")
    return messages(page)


@pytest.mark.usefixtures("seeded")
def test_route_taken_out_of_service_answers_route_not_found(
    page, live_server, admin_login, make_app_token, shot
):
    token = make_app_token()
    url = f"{live_server.url}/api/v1/sessions/current"
    headers = {"Authorization": f"Bearer {token}"}

    before = requests.get(url, headers=headers, timeout=10)
    assert (before.status_code, before.json()["status"]) == (200, "action-successful")

    admin_login()
    message = _route_action(page, live_server, "sessions-current", "take_out_of_service")
    assert "1 route(s) taken out of service" in message
    # The list shows it undeployed (the list-editable "deployed" box is now unticked).
    assert not _route_row(page, "sessions-current").locator("input[name$='-deployed']").is_checked()
    shot("out-of-service")
    assert Route.objects.get(slug="sessions-current").deployed is False

    down = requests.get(url, headers=headers, timeout=10)
    assert down.status_code == 404
    assert down.json()["status"] == "route-not-found"

    message = _route_action(page, live_server, "sessions-current", "put_back_in_service")
    assert "1 route(s) put back in service" in message
    assert _route_row(page, "sessions-current").locator("input[name$='-deployed']").is_checked()
    shot("back-in-service")

    back = requests.get(url, headers=headers, timeout=10)
    assert (back.status_code, back.json()["status"]) == (200, "action-successful")
