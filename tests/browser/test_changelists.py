"""Every changelist fits a 1366 x 768 window: no horizontal scroll, with long real-looking values."""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from cancelations.models import Cancelation, CancelationReason
from glip.models import GlipMessage, GlipTeam
from messaging.models import MessagingClient, ProcessedWebhookEvent
from notifications.models import Notification
from planocore.accounts.models import Application
from planocore.accounts.services import api_session_create, application_token_create
from planocore.outbox.models import ExternalRequest
from planocore.providers.ringcentral.models import RingCentralExtension

CHANGELISTS = [
    "auth/group",
    "auth/user",
    "cancelations/cancelationreason",
    "cancelations/cancelation",
    "glip/glipmessage",
    "glip/glipteam",
    "ringcentral/ringcentralextension",
    "messaging/messagingclient",
    "messaging/processedwebhookevent",
    "notifications/notification",
    "notifications/productionnotification",
    "outbox/externalrequest",
    "planocore/apiservice",
    "planocore/apisession",
    "planocore/applicationtoken",
    "planocore/application",
    "planocore/route",
]

LONG_EMAILS = "first.client.with.a.long.name@photography-studio.example, office@photography-studio.example"
LONG_ERROR = (
    "RingCentral answered 400 Bad Request: CMN-101 Parameter [to.phoneNumber] value '+1555012' is invalid; "
    "check the number and send again"
)


def _rows(staff_user):
    """A few rows in every list, with the longest values they hold in production."""
    now = timezone.now()
    call_command("sync_routes", verbosity=0)
    app = Application.objects.get_or_create(slug="planox2", defaults={"name": "PlanoX2", "role": "client"})[0]
    application_token_create(application=app, name="integration for the photographers' portal")
    api_session_create(user=staff_user, application=app, ip_address="203.0.113.7", user_agent="Mozilla/5.0")
    Group.objects.create(name="API clients of the photography studio")
    extension = RingCentralExtension.objects.create(
        extension_number="101", login_phone_number="+16505550100", display_name="Operations desk (main line)"
    )
    team = GlipTeam.objects.create(
        name="Editors of the northern region and their leads",
        chat_id="1623987437570",
        source_extension=extension,
        last_imported_at=now,
    )
    GlipMessage.objects.bulk_create(
        [
            GlipMessage(
                team=team,
                text="The tour 8812 of 12 Long Street is ready for review; the client asked for twilight. "
                * 2,
                status="failed",
                extension=extension,
                post_id="6417825632774",
                last_error=LONG_ERROR,
            )
        ]
    )
    reason = CancelationReason.objects.create(
        slug="client-asked", text="The client asked to cancel the order"
    )
    Cancelation.objects.bulk_create(
        [
            Cancelation(
                cancelable_type="Order",
                cancelable_id=9_000_000_123,
                key="order-9000000123-photography-studio",
                reason=reason,
                reason_text=reason.text,
                reason_note="Called on Monday; asked to move the shoot to next month instead.",
                canceled_at=now,
                canceled_by="ops.manager@photography-studio.example",
                canceled_in="planox2",
                active=False,
                reinstated_at=now,
                reinstated_by="ops.manager@photography-studio.example",
            )
        ]
    )
    [notification] = Notification.objects.bulk_create(
        [
            Notification(
                notification_type="email",
                key="tour-ready-for-review-northern-region",
                status="rejected",
                email_to=LONG_EMAILS,
                email_subject="Your tour of 12 Long Street, Springfield, is ready for review and download",
                user_id="user-4b1d9c0e-2f6a-4d4e-9a55-7b0c1e5d3f21",
                olio_id="OL-88123456",
                provider_failed_at=now - timedelta(hours=1),
            )
        ]
    )
    ExternalRequest.objects.create(
        channel="email",
        action="send",
        status="failed",
        attempts=7,
        payload={"to": LONG_EMAILS.split(", "), "subject": notification.email_subject},
        provider_message_id="a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
        recipient=LONG_EMAILS,
        last_error=LONG_ERROR,
        content_type=ContentType.objects.get_for_model(Notification),
        object_id=str(notification.pk),
        next_attempt_at=now,
    )
    MessagingClient.objects.create(
        user=staff_user,
        external_user_id="user-4b1d9c0e-2f6a-4d4e-9a55-7b0c1e5d3f21",
        client_id="5e6f7a8b9c0d1e2f3a4b5c6d",
        type="twilio",
        status="active",
        phone_number="+12125550000",
        conversation_id="c0d1e2f3a4b5c6d7e8f9a0b1",
        linked_at=now,
        last_synced_at=now,
    )
    ProcessedWebhookEvent.objects.create(
        event_id="5f0e1d2c3b4a59687766554433221100", event_type="client:update"
    )


def test_every_changelist_fits_1366_wide(page, live_server, admin_login, staff_user, shot):
    """No changelist scrolls sideways at 1366 x 768, and every row is one line (no cell wraps)."""
    _rows(staff_user)
    page.set_viewport_size({"width": 1366, "height": 768})
    admin_login()
    overflowing, wrapping = {}, {}
    for changelist in CHANGELISTS:
        page.goto(f"{live_server.url}/admin/{changelist}/")
        assert page.locator("#result_list tr.data-row").count() >= 1, changelist
        widths = page.evaluate(
            """() => {
                const doc = document.documentElement;
                const table = document.querySelector('#result_list');
                const box = table.closest('[data-simplebar]') || table.parentElement;
                const list = Math.ceil(table.getBoundingClientRect().width);
                return [doc.scrollWidth, doc.clientWidth, list, Math.ceil(box.getBoundingClientRect().width)];
            }"""
        )
        if widths[0] > widths[1] or widths[2] > widths[3]:
            overflowing[changelist] = widths
        # One line per row: no cell's content is taller than one line of text.
        tall = page.evaluate(
            """() => [...document.querySelectorAll('#result_list tr.data-row > :is(td, th)')]
                // (list-editable inputs are taller than a line of text, not wrapped)
                .filter(cell => !cell.classList.contains('field-actions_holder'))
                .filter(cell => !cell.querySelector('input:not([type=checkbox]), select, textarea'))
                .map(cell => {
                    const range = document.createRange();
                    range.selectNodeContents(cell);
                    return [cell.className.split(' ')[0], Math.round(range.getBoundingClientRect().height)];
                })
                .filter(([, height]) => height > 30)"""
        )
        if tall:
            wrapping[changelist] = tall
        shot(changelist.replace("/", "-"))
    assert overflowing == {}, f"page and list widths [page scroll, page, list, list box]: {overflowing}"
    assert wrapping == {}, f"cells on more than one line: {wrapping}"


def test_outbox_list_is_usable_on_a_phone(page, live_server, admin_login, staff_user, shot):
    """At 390 x 844 the outbox list does not scroll sideways; each request shows its state and actions."""
    _rows(staff_user)
    page.set_viewport_size({"width": 390, "height": 844})
    admin_login()
    page.goto(f"{live_server.url}/admin/outbox/externalrequest/")
    doc = "document.documentElement"
    widths = page.evaluate(f"() => [{doc}.scrollWidth, {doc}.clientWidth]")
    assert widths[0] <= widths[1], widths
    request = page.locator("#result_list tr.data-row").first
    status = request.locator("td.field-status_tries .state-badge")
    assert status.is_visible() and status.text_content().strip() == "Failed"
    box = status.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert request.locator("td.field-actions_holder").is_visible()  # retry / abandon on the row
    shot("outbox-390")
