"""What the browser tests do on admin pages (django-unfold's markup): search, pick rows, run actions, read.

Badges are shown upper-case by CSS, so texts are read as the page holds them
(`text_content`), with runs of white space made one space.
"""

import re


def text(locator) -> str:
    """The text of `locator` as the page holds it (not as CSS shows it), white space collapsed."""
    return " ".join((locator.text_content() or "").split())


def search(page, term: str) -> None:
    """Type `term` in the changelist's search box and submit it, as staff do."""
    page.fill("#searchbar", term)
    with page.expect_navigation():
        page.press("#searchbar", "Enter")


def rows(page):
    return page.locator("#result_list tr.data-row")


def row(page, text: str):
    """The one changelist row whose linked first column reads exactly `text`."""
    exact = page.locator("th a", has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))
    found = rows(page).filter(has=exact)
    assert found.count() == 1, f"{found.count()} rows linked {text!r}"
    return found


def run_action(page, action: str, *selected) -> None:
    """Tick the given rows, choose `action` in the actions menu and press Run."""
    for selected_row in selected:
        selected_row.locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    with page.expect_navigation():
        page.click("button[name=index]")


def record_action(page, name: str, confirm: str) -> None:
    """On a change page, press the action `name` at the top, then `confirm` in its dialog."""
    page.locator("a[hx-get]", has_text=name).first.click()  # (its icon's name is text too)
    dialog = page.locator("#dialog")
    dialog.wait_for()
    with page.expect_navigation():
        dialog.get_by_role("button", name=confirm).click()


def messages(page) -> str:
    """The text of the messages the admin shows at the top of the page."""
    return text(page.locator("ul.messagelist"))


def field(page, label: str):
    """A change page's field row, by its label."""
    exact = page.locator("label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*:?\s*$"))
    return page.locator(".field-line").filter(has=exact)


def readonly(page, label: str) -> str:
    """The shown value of a read-only field on a change page, by its label ("Provider message id")."""
    return text(field(page, label).locator(".readonly"))


def inline_rows(page, group: str):
    """The saved rows of a tabular inline (`group`: its prefix, e.g. "attempt_log")."""
    return page.locator(f"#{group}-group tr.form-row:not(.empty-form)")
