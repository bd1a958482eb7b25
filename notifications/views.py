"""The notifications routes: create, list and read, in three views."""

from functools import partial
from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError

from notifications.models import Notification, NotificationType
from notifications.selectors import (
    decode_cursor,
    notification_get,
    notification_page,
    notification_queryset,
)
from notifications.serializers import (
    NotificationCreateParams,
    NotificationDetailParams,
    NotificationListParams,
    notification_out,
)
from notifications.services import notification_create
from planocore.api import statuses
from planocore.api.endpoints import CLIENTS_OWN, Endpoint
from planocore.api.exceptions import ApiError, invalid_param
from planocore.api.views import ApiView
from planocore.outbox.services import send_now


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
        create = partial(notification_create, data=params, principal=request.auth, validated=True)
        try:
            if params.get("notification_type") == NotificationType.EMAIL:
                # The seed's mandrill-email-failed needs the email sent inside the request.
                notification, outcome = send_now(create)
            else:
                notification, outcome = create(), None
        except DjangoValidationError as exc:  # a team or client gone since validation
            field, messages = next(iter(exc.message_dict.items()))
            raise invalid_param(field, messages[0]) from None
        data = notification_out(notification, params["view"])
        if outcome is not None and not outcome.succeeded and not outcome.skipped:
            raise ApiError(
                statuses.MANDRILL_EMAIL_FAILED,
                f"Mandrill did not take the email: {outcome.error} Notification {notification.pk} is kept"
                + (
                    " and will be retried."
                    if outcome.request.status == "pending"
                    else "; staff can resend it."
                ),
                data=data,
            )
        return self.respond(data)

    def get(self, request):
        params = request.params
        after = before = None
        for name in ("page[after]", "page[before]"):
            if params.get(name):
                value = decode_cursor(params[name])
                if value is None:
                    raise invalid_param(name, "not a cursor from this list's links.")
                after, before = (value, None) if name == "page[after]" else (None, value)
        size = params["page[size]"]
        page = notification_page(
            queryset=self.scoped(notification_queryset(view=params["view"])),
            filters=params,
            view=params["view"],
            size=size,
            after=after,
            before=before,
        )
        query = {k: v for k, v in request.query_params.items() if not k.startswith("page[") and k != "token"}

        def link(name, cursor):
            return (
                f"{request.path}?{urlencode({**query, name: cursor, 'page[size]': size})}" if cursor else None
            )

        return self.respond(
            [notification_out(n, params["view"]) for n in page.items],
            links={
                "next": link("page[after]", page.next_cursor),
                "prev": link("page[before]", page.prev_cursor),
            },
            meta={"page_size": size},
        )


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
        try:
            notification = notification_get(
                queryset=self.scoped(notification_queryset(view=params["view"])),
                notification_id=params["id"],
                view=params["view"],
            )
        except Notification.DoesNotExist:
            raise invalid_param("id", f"no notification with id {params['id']}.") from None
        return self.respond(notification_out(notification, params["view"]))
