"""Browser tests: headless Chromium (Debian's) driven by Playwright against pytest-django's live server.

Every test in this folder is skipped, with the reason, when the Playwright
package or a Chromium binary is missing (CHROMIUM_PATH, default
/usr/bin/chromium): `.ci/browser-setup` installs Debian's chromium on CI.
Playwright's own browser download (`playwright install`) is never used.

Each test gets a fresh page in one Chromium profile made for this folder in a
new temporary --user-data-dir (cookies cleared between tests). `shot("step")`
saves artifacts/screenshots/<test>-<step>.png (the whole page; only the
1280x800 viewport when SCREENSHOTS_FULL_PAGE=0, as .ci/update-screenshots
asks for docs/screenshots/); the page as it is at the end of each test is saved
as artifacts/screenshots/<test>.png, pass or fail.
"""

import importlib
import importlib.util
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000


def chromium_path() -> str | None:
    """CHROMIUM_PATH when set (and only it), else /usr/bin/chromium or a chromium on PATH."""
    configured = os.environ.get("CHROMIUM_PATH")
    for candidate in [configured] if configured else ["/usr/bin/chromium"]:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    if configured:
        return None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def skip_reason() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return (
            "browser tests skipped: the playwright package is not installed "
            "(pip install -r requirements-dev.txt)"
        )
    if chromium_path() is None:
        return (
            f"browser tests skipped: no Chromium at {os.environ.get('CHROMIUM_PATH', '/usr/bin/chromium')} "
            "(install Debian's: apt-get install -y chromium; .ci/browser-setup does it on CI)"
        )
    return None


SKIP_REASON = skip_reason()


def pytest_collection_modifyitems(config, items):
    """Mark every test of this folder `browser`, and skip them all when the browser cannot run."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if SKIP_REASON:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.fixture(scope="package")
def browser_context(tmp_path_factory):
    """One Chromium for the tests of this folder (they run one after the other)."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    # While Playwright's sync API runs, Django sees an event loop in this thread
    # and refuses ORM calls; the calls the tests make between browser steps are
    # plain synchronous ones. Allowed only until the browser closes.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_path(),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


def _test_name(request) -> str:
    return request.node.name.replace("/", "_").replace("[", "-").replace("]", "")


@pytest.fixture
def page(browser_context, request):
    browser_context.clear_cookies()
    page = browser_context.new_page()
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{_test_name(request)}.png"), full_page=True)
    finally:
        page.close()


@pytest.fixture
def shot(page, request):
    """shot("step"): save the page now as artifacts/screenshots/<test>-<step>.png."""

    full_page = os.environ.get("SCREENSHOTS_FULL_PAGE", "1") != "0"

    def take(step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_test_name(request)}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def seeded(transactional_db):
    """The reference rows migrations create (the three applications).

    Live-server tests run in a transactional database that is flushed after
    each test, which removes rows that data migrations made; put them back.
    """
    seed_module = importlib.import_module("planocore.migrations.0002_seed_applications")
    from planocore.accounts.models import Application

    for slug, name, role in seed_module.APPLICATIONS:
        Application.objects.get_or_create(slug=slug, defaults={"name": name, "role": role})


@pytest.fixture
def admin_login(page, live_server, staff_user):
    """Sign in to the admin as the staff user; returns the page on the admin index."""

    def login(user=staff_user, password="staff-password-1"):
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("#login-form [type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        return page

    return login
