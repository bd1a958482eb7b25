"""The admin's sidebar (django-unfold): screens by what staff do, open problems as badges, the providers."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.utils import timezone

from cancelations.models import Cancelation, CancelationNoticeProblem
from glip.models import GlipMessage, GlipTeam
from notifications.models import Notification
from planocore import admin_navigation
from planocore.outbox.models import ExternalRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_badges():
    cache.delete(admin_navigation.BADGE_CACHE_KEY)
    yield
    cache.delete(admin_navigation.BADGE_CACHE_KEY)


def _sidebar(html: str) -> str:
    return html[html.index('id="nav-sidebar"') :]


def _badge(sidebar: str, title: str) -> str | None:
    """The badge beside the sidebar link `title`, or None."""
    match = re.search(rf">\s*{re.escape(title)}\s*</span>\s*(?:<span[^>]*>\s*(\w+)\s*</span>)?", sidebar)
    assert match, title
    return match.group(1)


def test_sidebar_groups_screens_and_counts_open_problems(client, staff_user):
    [notification] = Notification.objects.bulk_create([Notification(notification_type="email")])
    message = GlipMessage.objects.create(team=GlipTeam.objects.create(name="T", chat_id="c"), text="x")
    notification_type = ContentType.objects.get_for_model(Notification)
    for status in ("failed", "abandoned", "sent", "queued"):
        ExternalRequest.objects.create(
            channel="email", status=status, content_type=notification_type, object_id=str(notification.pk)
        )
    ExternalRequest.objects.create(  # a problem someone resolved: no longer counted
        channel="email",
        status="failed",
        content_type=notification_type,
        object_id=str(notification.pk),
        resolved_at=timezone.now(),
        resolution="handled",
    )
    ExternalRequest.objects.filter(object_id=str(message.pk), channel="glip").update(status="failed")
    cancelation = Cancelation.objects.create(cancelable_type="Order", cancelable_id=1)
    CancelationNoticeProblem.objects.create(cancelation=cancelation, transition="canceled", problem="x")
    CancelationNoticeProblem.objects.create(
        cancelation=cancelation, transition="reinstated", problem="y", resolved_at=timezone.now()
    )

    client.force_login(staff_user)
    sidebar = _sidebar(client.get("/admin/").content.decode())
    for group in ("Sending", "Cancelations", "Messaging", "API and access", "Sandbox"):
        assert re.search(rf">\s*{group}\s*<", sidebar), group
    assert _badge(sidebar, "Notifications") == "2"  # its failed and abandoned requests
    assert _badge(sidebar, "Glip messages") == "1"
    assert _badge(sidebar, "Outbox: outgoing requests") == "3"
    assert _badge(sidebar, "Notice problems") == "1"
    assert _badge(sidebar, "Cancelations") is None  # nothing open: no badge
    assert "Sandbox failure switches" in sidebar and "Users" in sidebar


def test_badges_are_cached_so_moving_between_screens_costs_no_query(
    client, staff_user, django_assert_num_queries
):
    client.force_login(staff_user)
    client.get("/admin/")
    with django_assert_num_queries(0):
        admin_navigation.open_problems()


def test_sidebar_leaves_out_screens_the_user_may_not_view(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("ops", password="ops-password-1", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(user)
    sidebar = _sidebar(client.get("/admin/").content.decode())
    assert "Notifications" in sidebar
    assert "Routes" not in sidebar and "Outbox: outgoing requests" not in sidebar


def test_environment_label_says_sandbox_or_live_providers(settings, rf):
    sandbox = "planocore.providers.sandbox.SandboxBackend"
    settings.PROVIDER_BACKENDS = {"email": sandbox, "sms": sandbox}
    assert admin_navigation.environment(rf.get("/")) == ["Sandbox providers", "info"]
    settings.PROVIDER_BACKENDS = {"email": "planocore.providers.email.EmailBackend", "sms": sandbox}
    assert admin_navigation.environment(rf.get("/")) == ["Live providers: email; the rest sandbox", "warning"]
    settings.PROVIDER_BACKENDS = {"email": "planocore.providers.email.EmailBackend"}
    assert admin_navigation.environment(rf.get("/")) == ["Live providers", "danger"]


def test_every_admin_page_has_the_favicon_and_the_environment_label(client, staff_user):
    client.force_login(staff_user)
    html = client.get("/admin/outbox/externalrequest/").content.decode()
    assert re.search(r'<link[^>]*href="/static/planocore/favicon.svg"', html)
    assert "Sandbox providers" in html
    assert client.get("/static/planocore/favicon.svg").status_code == 200
