"""Messaging routes: a user's Sunshine Conversations clients, and SC's webhook."""

import hmac
import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging import services
from messaging.serializers import (
    ClientCreateParams,
    ClientListParams,
    ClientRemoveParams,
    MessagingClientOut,
)
from planocore.api import statuses
from planocore.api.endpoints import CLIENTS_OWN, Endpoint
from planocore.api.pagination import AFTER, BEFORE, SIZE, Page
from planocore.api.parsers import json_loads
from planocore.api.views import ApiView

logger = logging.getLogger("messaging")

SERVICE = "messaging"
SERVICE_NAME = "Messaging clients (Sunshine Conversations)"


class UserClientsView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    endpoints = {
        "POST": Endpoint(
            slug="messaging-clients-create",
            title="Sunshine Conversations Create Client API",
            purpose="Create a client for a user and link it to a channel (email, SMS, WhatsApp) specified "
            "by matchCriteria.type, attached to the target conversation. The client starts pending; it "
            "becomes active when Sunshine Conversations confirms the link.",
            params=ClientCreateParams,
            permission="messaging.add_messagingclient",
            clients=CLIENTS_OWN,
            responses=(statuses.PROVIDER_UNAVAILABLE,),
        ),
        "GET": Endpoint(
            slug="messaging-clients-list",
            title="Sunshine Conversations List Clients API",
            purpose="List a user's clients, linked and pending, as Sunshine Conversations holds them, "
            "with cursor pagination (page[after], page[before], page[size]).",
            params=ClientListParams,
            permission="messaging.view_messagingclient",
            clients=CLIENTS_OWN,
            responses=(statuses.PROVIDER_UNAVAILABLE,),
        ),
    }

    def post(self, request, **kwargs):
        params = request.params
        client = services.messaging_client_create(
            user=params["user"],
            match_criteria=params["matchCriteria"],
            confirmation=params["confirmation"],
            target=params["target"],
        )
        return self.respond(MessagingClientOut(client).data)

    def get(self, request, **kwargs):
        params = request.params
        listed = services.messaging_clients_list(
            user=params["user"],
            page_after=params.get(AFTER),
            page_before=params.get(BEFORE),
            page_size=params[SIZE],
        )
        page = Page(
            items=listed.clients,
            size=listed.size,
            has_more=listed.has_more,
            next_cursor=listed.after_cursor,
            prev_cursor=listed.before_cursor,
        )
        return self.respond_page(page, MessagingClientOut(page.items, many=True).data)


class UserClientView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    endpoints = {
        "DELETE": Endpoint(
            slug="messaging-clients-remove",
            title="Sunshine Conversations Remove Client API",
            purpose="Remove a user's client and unsubscribe it from all connected conversations.",
            params=ClientRemoveParams,
            permission="messaging.delete_messagingclient",
            clients=CLIENTS_OWN,
            responses=(statuses.PROVIDER_UNAVAILABLE,),
        ),
    }

    def delete(self, request, **kwargs):
        params = request.params
        client = services.messaging_client_remove(user=params["user"], client_id=params["client_id"])
        removed = {"id": params["client_id"], "client_id": params["client_id"]}  # not mirrored here
        data = MessagingClientOut(client).data if client is not None else removed
        return self.respond(data, message="The client was removed.")


def _webhook_reply(status: int, message: str, **data) -> JsonResponse:
    return JsonResponse({"message": message, **data}, status=status)


@csrf_exempt
@require_POST
def sunshine_conversations_webhook(request):
    """Receive SC's webhook calls ({"app", "webhook", "events": [...]}): client events, users' messages.

    Authenticated by the X-API-Key header (the webhook's secret) compared in
    constant time; with no secret configured every call is refused. A body that is
    not JSON, nests deeper than API_MAX_JSON_DEPTH, holds a NUL or an event of the
    wrong shape answers 400 and applies nothing. Answers 200 once the events are
    applied (duplicates, by event id, are skipped; an event older than the client's
    last applied one changes nothing).
    """
    secret = settings.SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET
    if not secret:
        logger.warning("Sunshine Conversations webhook call refused (403): no webhook secret is set.")
        return _webhook_reply(403, "This webhook is not configured (SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET).")
    given = request.headers.get("X-API-Key", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        logger.warning("Sunshine Conversations webhook call refused (401): wrong or missing X-API-Key.")
        return _webhook_reply(401, "Wrong or missing X-API-Key.")
    try:
        body = json_loads(request.body or b"null", refuse_nul=True)
    except ValueError as exc:
        return _webhook_reply(400, f"The body is not JSON PlanoCore takes: {exc}")
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        return _webhook_reply(400, "The body holds no `events` list.")
    app = body.get("app")
    if app is not None and (not isinstance(app, dict) or not isinstance(app.get("id", ""), str)):
        return _webhook_reply(400, "`app` must be an object whose `id` is a string.")
    for index, event in enumerate(body["events"]):
        fault = services.webhook_event_fault(index, event)
        if fault:
            return _webhook_reply(400, f"Nothing was applied: {fault}")
    app_id = (app or {}).get("id")
    if app_id and settings.SUNSHINE_CONVERSATIONS_APP_ID and app_id != settings.SUNSHINE_CONVERSATIONS_APP_ID:
        logger.warning("Webhook call for another app (%s) ignored.", app_id[:64])
        return _webhook_reply(
            200, "Not our app; ignored.", applied=0, duplicates=0, ignored=len(body["events"])
        )
    result = services.webhook_events_apply(events=body["events"])
    return _webhook_reply(
        200, "ok", applied=result.applied, duplicates=result.duplicates, ignored=result.ignored
    )
