"""Inbound routes: RingCentral's webhook (outside /api/), inbound messages and suppressions (the API)."""

import hmac
import logging
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from inbound import selectors, services
from inbound.serializers import (
    CallbackSetParams,
    InboundMessageIdParams,
    InboundMessageListParams,
    InboundMessageOut,
    NotificationRepliesParams,
    SuppressionLiftParams,
    SuppressionListParams,
    SuppressionOut,
)
from notifications.selectors import notification_get, notification_queryset
from notifications.serializers import DEFAULT_VIEW
from planocore.api import statuses
from planocore.api.endpoints import CLIENTS_OWN, Endpoint
from planocore.api.exceptions import ApiError
from planocore.api.pagination import NEWEST_FIRST
from planocore.api.parsers import json_loads
from planocore.api.views import ApiView

logger = logging.getLogger("inbound")

# RingCentral's Validation-Token: echoed back as it came, so only plain token characters.
_VALIDATION_TOKEN = re.compile(r"[A-Za-z0-9_.:+/=-]{1,200}")


def _reply(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


@csrf_exempt
@require_POST
def ringcentral_webhook(request):
    """Receive RingCentral's webhook calls: the subscription handshake and instant-message events.

    The handshake (a `Validation-Token` header) is answered 200 with the same header and
    an empty body (RingCentral wants the whole answer under 1024 bytes). Events must carry
    `Verification-Token` equal to RINGCENTRAL_WEBHOOK_VERIFICATION_TOKEN (compared in
    constant time; with none configured every event is refused). A body that is not JSON
    or an event of the wrong shape answers 400 and stores nothing; a replay (same uuid)
    answers 200 and stores nothing.
    """
    validation = request.headers.get("Validation-Token")
    if validation is not None:
        if not _VALIDATION_TOKEN.fullmatch(validation):
            return _reply(400, "Validation-Token must be 1-200 token characters.")
        response = HttpResponse(status=200)
        response["Validation-Token"] = validation
        return response
    secret = settings.RINGCENTRAL_WEBHOOK_VERIFICATION_TOKEN
    if not secret:
        return _reply(403, "This webhook is not configured (RINGCENTRAL_WEBHOOK_VERIFICATION_TOKEN).")
    given = request.headers.get("Verification-Token", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        logger.warning("RingCentral webhook call with a wrong or missing Verification-Token refused.")
        return _reply(401, "Wrong or missing Verification-Token.")
    try:
        event = json_loads(request.body or b"null", refuse_nul=True)
    except ValueError as exc:
        return _reply(400, f"The body is not JSON PlanoCore takes: {exc}")
    fault = services.ringcentral_event_fault(event)
    if fault:
        return _reply(400, f"Nothing was stored: {fault}")
    message = services.ringcentral_event_apply(event=event)
    return _reply(200, "stored" if message is not None else "ignored (a replay or another event)")


SERVICE = "inbound"
SERVICE_NAME = "Inbound messages and consent"


class InboundMessagesView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    client_owner = "user_id"
    endpoints = {
        "GET": Endpoint(
            slug="inbound-messages-list",
            title="Inbound messages",
            purpose="List the messages people sent back (SMS replies, conversation messages, email replies), "
            "newest first, with filters and a cursor. Each names the notification it most likely answers.",
            params=InboundMessageListParams,
            permission="inbound.view_inboundmessage",
            clients=CLIENTS_OWN,
        ),
    }

    def get(self, request):
        queryset = self.scoped(selectors.inbound_message_list(filters=request.params))
        page = NEWEST_FIRST.page(queryset, request.params)
        return self.respond_page(page, InboundMessageOut(page.items, many=True).data)


class InboundMessageView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    client_owner = "user_id"
    endpoints = {
        "GET": Endpoint(
            slug="inbound-messages-read",
            title="Inbound message",
            purpose="Read one inbound message.",
            params=InboundMessageIdParams,
            permission="inbound.view_inboundmessage",
            clients=CLIENTS_OWN,
        ),
    }

    def get(self, request, id):  # noqa: A002 - the route's param name
        # A missing id raises DoesNotExist: invalid-param naming `id`, by the handler (as every route).
        message = self.scoped(selectors.inbound_message_list()).get(pk=request.params["id"])
        return self.respond(InboundMessageOut(message).data)


class NotificationRepliesView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    client_owner = "user_id"
    endpoints = {
        "GET": Endpoint(
            slug="notifications-replies",
            title="Notification replies",
            purpose="List the replies to one notification (the inbound messages answering it), newest first.",
            params=NotificationRepliesParams,
            permission="inbound.view_inboundmessage",
            clients=CLIENTS_OWN,
        ),
    }

    def get(self, request, id):  # noqa: A002 - the route's param name
        # A notification that does not exist, or that this caller may not see, is a missing id.
        visible = self.scoped(notification_queryset(view=DEFAULT_VIEW))
        notification_get(queryset=visible, notification_id=request.params["id"], view=DEFAULT_VIEW)
        queryset = self.scoped(
            selectors.inbound_message_list(filters={"notification_id": request.params["id"]})
        )
        page = NEWEST_FIRST.page(queryset, request.params)
        return self.respond_page(page, InboundMessageOut(page.items, many=True).data)


class SuppressionsView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    endpoints = {
        "GET": Endpoint(
            slug="suppressions-list",
            title="Suppressions",
            purpose="List the numbers and addresses PlanoCore does not send to (a STOP, a hard bounce, a "
            "complaint...), with since when, why and their history, newest first.",
            params=SuppressionListParams,
            permission="inbound.view_suppression",
        ),
    }

    def get(self, request):
        queryset = selectors.suppression_list(filters=request.params)
        page = NEWEST_FIRST.page(queryset, request.params)
        return self.respond_page(page, SuppressionOut(page.items, many=True).data)


class SuppressionView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    endpoints = {
        "DELETE": Endpoint(
            slug="suppressions-lift",
            title="Lift a suppression",
            purpose="Lift a suppression with a note: sends to the address go again. The suppression is kept, "
            "lifted, with the note in its history.",
            params=SuppressionLiftParams,
            permission="inbound.delete_suppression",
        ),
    }

    def delete(self, request, id):  # noqa: A002 - the route's param name
        suppression = selectors.suppression_list().get(pk=request.params["id"])
        user = getattr(request.auth, "user", None) or (
            request.user if request.user.is_authenticated else None
        )
        suppression = services.suppression_lift(suppression=suppression, note=request.params["note"], by=user)
        suppression = selectors.suppression_list().get(pk=suppression.pk)
        return self.respond(SuppressionOut(suppression).data, message="The suppression was lifted.")


class ApplicationCallbackView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    endpoints = {
        "POST": Endpoint(
            slug="applications-callback-set",
            title="Set the application's callback URL",
            purpose="Set where PlanoCore POSTs the calling application's events: replies to its notifications"
            " (inbound_message.received) and their delivery states (notification.delivery), as JSON signed "
            "with HMAC-SHA256 (X-PlanoCore-Signature: v1=hex of '<timestamp>.<body>'), with "
            "X-PlanoCore-Timestamp and X-PlanoCore-Event-Id. Answers a new signing secret, shown this "
            "once; setting the URL again makes a new secret.",
            params=CallbackSetParams,
            permission="inbound.add_applicationcallback",
        ),
    }

    def post(self, request):
        application = request.auth.application if request.auth is not None else None
        if application is None:
            raise ApiError(
                statuses.PERMISSION_DENIED, "Call this route with an application's token or session."
            )
        callback, secret = services.application_callback_set(
            application=application, url=request.params["url"]
        )
        return self.respond(
            {"application": application.slug, "url": callback.url, "secret": secret},
            message="The callback URL is set. Keep the secret: it is not shown again.",
        )
