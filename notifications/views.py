"""The notifications routes: create, list and read, in three views."""

from functools import partial

from django.conf import settings

from notifications.models import NotificationType
from notifications.selectors import notification_get, notification_list, notification_queryset
from notifications.serializers import (
    NotificationCreateParams,
    NotificationDetailParams,
    NotificationListParams,
    notification_out,
)
from notifications.services import notification_create
from planocore.api import statuses
from planocore.api.endpoints import CLIENTS_OWN, Endpoint
from planocore.api.exceptions import ApiError, too_many_requests
from planocore.api.pagination import NEWEST_FIRST
from planocore.api.permissions import client_user_id
from planocore.api.views import ApiView
from planocore.budgets import CallerLimit
from planocore.delivery import DeliveryState
from planocore.outbox.models import Channel
from planocore.outbox.services import send_now
from planocore.providers.registry import provider_label

# Notifications each client (a customer's session) may create: the one caller limit.
CLIENT_SENDS = CallerLimit("api:client-sends", rate=lambda: settings.API_CLIENT_SEND_RATE)


class NotificationsView(ApiView):
    service = "notifications"
    service_name = "Notifications"
    client_owner = "user_id"
    endpoints = {
        "POST": Endpoint(
            slug="notifications-create",
            title="Notifications Create API",
            purpose=(
                "Create a notification and send it by its notification_type (email, sms, mms, glip, "
                "conversation). Email is sent inside the request: if Mandrill refuses it the answer is "
                "mandrill-email-failed (the notification is kept, retried and listed in the production "
                "notifications screen). Other types are queued and sent right after."
            ),
            params=NotificationCreateParams,
            permission="notifications.add_notification",
            clients=CLIENTS_OWN,
            responses=(statuses.MANDRILL_EMAIL_FAILED,),
        ),
        "GET": Endpoint(
            slug="notifications-list",
            title="Notifications List API",
            purpose="List notifications, newest first, with filters and cursor pagination.",
            params=NotificationListParams,
            permission="notifications.view_notification",
            clients=CLIENTS_OWN,
        ),
    }

    def post(self, request):
        params = request.params
        client = client_user_id(request)
        if client is not None and (wait := CLIENT_SENDS.take(str(client))):
            raise too_many_requests(
                f"A client may create {settings.API_CLIENT_SEND_RATE} notifications", wait
            )
        # A team or client gone since validation raises ValidationError: invalid-param, by the handler.
        create = partial(notification_create, data=params, principal=request.auth, validated=True)
        if params.get("notification_type") == NotificationType.EMAIL:
            # The seed's mandrill-email-failed needs the email sent inside the request.
            notification, outcome = send_now(create)
        else:
            notification, outcome = create(), None
        data = notification_out(notification, params["view"])
        if outcome is not None and outcome.kind == DeliveryState.SUPPRESSED:
            # No provider was called: a recipient withdrew consent (docs/inbound.md).
            return self.respond(data, message=f"Not sent. {outcome.request.last_error}")
        if outcome is not None and not outcome.succeeded and not outcome.skipped:
            raise ApiError(
                statuses.MANDRILL_EMAIL_FAILED,
                f"{provider_label(Channel.EMAIL)} did not take the email: {outcome.error} "
                f"Notification {notification.pk} is kept"
                + (
                    " and will be retried."
                    if outcome.request.status == DeliveryState.RETRYING
                    else "; staff can resend it."
                ),
                data=data,
            )
        return self.respond(data)

    def get(self, request):
        params = request.params
        view = params["view"]
        queryset = notification_list(
            filters=params, view=view, queryset=self.scoped(notification_queryset(view=view))
        )
        page = NEWEST_FIRST.page(queryset, params)
        return self.respond_page(page, [notification_out(n, view) for n in page.items])


class NotificationDetailView(ApiView):
    service = "notifications"
    service_name = "Notifications"
    client_owner = "user_id"
    endpoints = {
        "GET": Endpoint(
            slug="notifications-read",
            title="Notification API",
            purpose="Read one notification in the chosen view.",
            params=NotificationDetailParams,
            permission="notifications.view_notification",
            clients=CLIENTS_OWN,
        ),
    }

    def get(self, request, id):  # noqa: A002 - the route's param name
        params = request.params
        # A missing id raises Notification.DoesNotExist: invalid-param naming `id`, by the handler.
        notification = notification_get(
            queryset=self.scoped(notification_queryset(view=params["view"])),
            notification_id=params["id"],
            view=params["view"],
        )
        return self.respond(notification_out(notification, params["view"]))
