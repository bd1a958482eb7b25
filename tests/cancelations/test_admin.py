"""The cancelations admin: list, filters, search, edits through the service, actions with a note, notices."""

from html.parser import HTMLParser

import pytest
from django.contrib.admin import helpers

from cancelations.models import Cancelation, CancelationChange
from cancelations.services import Actor, cancelation_update

pytestmark = pytest.mark.django_db

LIST = "/admin/cancelations/cancelation/"


def change_url(pk) -> str:
    return f"{LIST}{pk}/change/"


class _FormValues(HTMLParser):
    """The values a browser would submit from the page's main form."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "on")
            else:
                self.values[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.lstrip("\n") if not self.values[self._textarea] else data


def form_values(response) -> dict[str, str]:
    parser = _FormValues()
    parser.feed(response.content.decode())
    return parser.values


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_list_filters_and_search(admin_client, make_cancelation, other_reason):
    order = make_cancelation(cancelable_id=501, key="order-501")
    tour = make_cancelation(cancelable_type="Tour", cancelable_id=777, reason_slug=other_reason.slug)
    cancelation_update(cancelation=tour, data={"active": False}, actor=Actor(by="planox2", via="planox2"))

    def listed(query: str) -> set[int]:
        response = admin_client.get(LIST + query)
        assert response.status_code == 200
        return {obj.pk for obj in response.context["cl"].result_list}

    assert listed("") == {order.pk, tour.pk}
    assert listed("?cancelable_type=Tour") == {tour.pk}
    assert listed("?active__exact=1") == {order.pk}
    assert listed(f"?reason__id__exact={other_reason.pk}") == {tour.pk}
    assert listed("?q=order-501") == {order.pk}
    assert listed("?q=777") == {tour.pk}
    assert listed("?q=nothing-like-it") == set()
    assert listed("?reinstated_at__isnull=False") == {tour.pk}
    response = admin_client.get(LIST)
    assert "The client asked" in response.content.decode()  # the reason is shown


def test_edit_goes_through_the_service_and_shows_the_history(admin_client, make_cancelation, staff_user):
    cancelation = make_cancelation()
    page = admin_client.get(change_url(cancelation.pk))
    assert page.status_code == 200
    data = form_values(page)
    data["reason_note"] = "edited in the admin"
    response = admin_client.post(change_url(cancelation.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    cancelation.refresh_from_db()
    assert cancelation.reason_note == "edited in the admin"
    change = cancelation.changes.order_by("-id").first()
    assert (change.action, change.changed_by, change.changed_in) == ("update", str(staff_user.pk), "admin")
    assert change.changes == {"reason_note": ["", "edited in the admin"]}
    assert change.changed_by_user == staff_user

    content = admin_client.get(change_url(cancelation.pk)).content.decode()
    assert "edited in the admin" in content  # the history inline
    assert "<strong>reason_note</strong>" in content


def test_admin_edit_that_breaks_a_rule_shows_the_error_and_saves_nothing(admin_client, make_cancelation):
    cancelation = make_cancelation()
    data = form_values(admin_client.get(change_url(cancelation.pk)))
    data["reinstated_note"] = "but still active"
    response = admin_client.post(change_url(cancelation.pk), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "reinstated_note" in errors and "active=false" in errors["reinstated_note"][0]
    cancelation.refresh_from_db()
    assert cancelation.reinstated_note == "" and cancelation.changes.count() == 1


def test_unticking_active_in_the_admin_reinstates(admin_client, make_cancelation, staff_user):
    cancelation = make_cancelation()
    data = form_values(admin_client.get(change_url(cancelation.pk)))
    data.pop("active")
    data["reinstated_note"] = "by hand"
    response = admin_client.post(change_url(cancelation.pk), data)
    assert response.status_code == 302
    cancelation.refresh_from_db()
    assert cancelation.active is False and cancelation.reinstated_at is not None
    assert cancelation.reinstated_by == str(staff_user.pk)
    assert cancelation.changes.order_by("-id").first().action == "reinstate"


def test_add_in_the_admin(admin_client, reason, staff_user):
    data = form_values(admin_client.get(f"{LIST}add/"))
    data.update({"cancelable_type": "Tour", "cancelable_id": "64", "reason": str(reason.pk), "active": "on"})
    response = admin_client.post(f"{LIST}add/", data)
    assert response.status_code == 302
    cancelation = Cancelation.objects.get(cancelable_type="Tour", cancelable_id=64)
    assert cancelation.active and cancelation.canceled_in == "admin"
    assert cancelation.canceled_by == str(staff_user.pk) and cancelation.reason_text == reason.text
    assert cancelation.changes.get().action == "create"


def test_add_a_second_active_cancelation_is_refused(admin_client, make_cancelation, reason):
    make_cancelation(cancelable_type="Tour", cancelable_id=65)
    data = form_values(admin_client.get(f"{LIST}add/"))
    data.update({"cancelable_type": "Tour", "cancelable_id": "65", "reason": str(reason.pk), "active": "on"})
    response = admin_client.post(f"{LIST}add/", data)
    assert response.status_code == 200
    assert "already has an active cancelation" in str(response.context["adminform"].form.errors)
    assert Cancelation.objects.filter(cancelable_id=65).count() == 1


def test_reinstate_action_asks_for_a_note_then_reinstates(admin_client, make_cancelation, staff_user):
    active = make_cancelation(cancelable_id=1)
    other = make_cancelation(cancelable_id=2)
    selection = {"action": "reinstate_selected", helpers.ACTION_CHECKBOX_NAME: [active.pk, other.pk]}
    page = admin_client.post(LIST, selection)
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="note"' in content and "will be reinstated" in content
    assert Cancelation.objects.filter(active=True).count() == 2  # nothing done yet

    response = admin_client.post(LIST, {**selection, "apply": "1", "note": "client paid"}, follow=True)
    assert response.status_code == 200
    assert "2 cancelation(s) reinstated" in response.content.decode()
    for cancelation in (active, other):
        cancelation.refresh_from_db()
        assert (cancelation.active, cancelation.reinstated_note) == (False, "client paid")
        change = cancelation.changes.order_by("-id").first()
        assert (change.action, change.changed_in, change.changed_by) == (
            "reinstate",
            "admin",
            str(staff_user.pk),
        )


def test_cancel_action_cancels_again_with_the_note(admin_client, make_cancelation):
    cancelation = make_cancelation()
    cancelation_update(
        cancelation=cancelation, data={"active": False}, actor=Actor(by="planox2", via="planox2")
    )
    selection = {"action": "cancel_selected", helpers.ACTION_CHECKBOX_NAME: [cancelation.pk]}
    assert 'name="note"' in admin_client.post(LIST, selection).content.decode()
    admin_client.post(LIST, {**selection, "apply": "1", "note": "client changed their mind"})
    cancelation.refresh_from_db()
    assert cancelation.active is True and cancelation.reinstated_at is None
    assert cancelation.reason_note == "client changed their mind"
    assert cancelation.changes.order_by("-id").first().action == "cancel"


def test_actions_skip_cancelations_they_do_not_apply_to(admin_client, make_cancelation):
    cancelation = make_cancelation()
    response = admin_client.post(
        LIST, {"action": "cancel_selected", helpers.ACTION_CHECKBOX_NAME: [cancelation.pk]}, follow=True
    )
    assert "None of the selected cancelations can be canceled again" in response.content.decode()
    assert CancelationChange.objects.filter(cancelation=cancelation).count() == 1


def test_change_page_links_the_notices_sent(admin_client, reason, settings, make_cancelation):
    from glip.models import GlipTeam

    settings.CANCELATION_NOTICE_GLIP_TEAM = "Admin Notice Team"
    settings.CANCELATION_NOTICE_EMAILS = {"Order": "orders@example.com"}
    GlipTeam.objects.create(name="Admin Notice Team", chat_id="chat-admin-1")
    cancelation = make_cancelation()
    from notifications.models import Notification

    notices = list(Notification.objects.filter(notifyable_type="Cancelation", notifyable_id=cancelation.pk))
    assert len(notices) == 2
    content = admin_client.get(change_url(cancelation.pk)).content.decode()
    for notice in notices:
        assert f"/admin/notifications/notification/{notice.pk}/change/" in content
    assert f"notifyable_id={cancelation.pk}" in content
