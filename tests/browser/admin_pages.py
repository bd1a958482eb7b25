"""What the browser tests do on Django admin pages: search, pick rows, run actions, read messages."""

import re


def search(page, term: str) -> None:
    """Type `term` in the changelist's search box and submit it, as staff do."""
    page.fill("#searchbar", term)
    with page.expect_navigation():
        page.press("#searchbar", "Enter")


def rows(page):
    return page.locator("#result_list tbody tr")


def row(page, text: str):
    """The one changelist row whose linked first column reads exactly `text`."""
    exact = page.locator("th a", has_text=re.compile(rf"^{re.escape(text)}$"))
    found = rows(page).filter(has=exact)
    assert found.count() == 1, f"{found.count()} rows linked {text!r}"
    return found


def run_action(page, action: str, *selected) -> None:
    """Tick the given rows, choose `action` in the actions menu and press Go."""
    for selected_row in selected:
        selected_row.locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    with page.expect_navigation():
        page.click("button[name=index]")


def messages(page) -> str:
    """The text of the messages the admin shows at the top of the page."""
    return page.locator("ul.messagelist").inner_text()


def readonly(page, field: str) -> str:
    """The shown value of a read-only field on a change page."""
    return page.locator(f".form-row.field-{field} .readonly").inner_text()
