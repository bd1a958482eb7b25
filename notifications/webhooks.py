"""Mandrill's tracking webhook, through django-anymail.

anymail checks the X-Mandrill-Signature (HMAC-SHA1 of the webhook URL and the
sorted POST params with MANDRILL_WEBHOOK_KEY) and sends its `tracking` signal,
which notifications.receivers.mandrill_tracking records (each event once, and
never over a newer status).

Before anymail reads the events, PlanoCore reads `mandrill_events` itself: JSON
nested deeper than API_MAX_JSON_DEPTH, a NUL, or an event whose fields have the
wrong type answers 400 and applies nothing of the batch.
"""

import logging
import re
import time

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.mandrill import MandrillCombinedWebhookView
from django.http import HttpResponseBadRequest, JsonResponse

from planocore.api.parsers import json_loads

logger = logging.getLogger("notifications")

MAX_TS = 253402300799  # 9999-12-31T23:59:59Z: the last second a datetime holds
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,200}")
# (where, key, type) of the optional fields anymail reads from each event.
_FIELDS = (
    ("", "url", str),
    ("", "user_agent", str),
    ("", "msg", dict),
    ("", "reject", dict),
    ("msg", "email", str),
    ("msg", "metadata", dict),
    ("msg", "tags", list),
    ("msg", "diag", str),
    ("reject", "email", str),
)


class MandrillEventsRefused(ValueError):
    """The `mandrill_events` param cannot be applied; the message says why."""


def mandrill_events_fault(events) -> str | None:
    """What is wrong with the decoded `mandrill_events` list, or None."""
    if not isinstance(events, list):
        return "mandrill_events must be a JSON array of events."
    kinds = set()
    for index, event in enumerate(events):
        where = f"mandrill_events[{index}]"
        if not isinstance(event, dict):
            return f"{where} is not an object."
        kind = event.get("event", event.get("type"))
        if not isinstance(kind, str):
            return f"{where}.event must be a string."
        kinds.add(kind == "inbound")
        if "_id" in event and (not isinstance(event["_id"], str) or not _MESSAGE_ID.fullmatch(event["_id"])):
            return f"{where}._id must be a message id."
        ts = event.get("ts")
        # Not after now plus a day: a future event would make every later one look older.
        latest = min(MAX_TS, int(time.time()) + 86400)
        if not isinstance(ts, int) or isinstance(ts, bool) or not 0 <= ts <= latest:
            return f"{where}.ts must be a Unix time in seconds, not in the future."
        for parent, key, kind_of in _FIELDS:
            holder = event.get(parent) if parent else event
            value = holder.get(key) if isinstance(holder, dict) else None
            if value is not None and not isinstance(value, kind_of):
                return f"{where}.{parent + '.' if parent else ''}{key} has the wrong type."
        if kind == "inbound" and not isinstance((event.get("msg") or {}).get("raw_msg"), str):
            return f"{where}.msg.raw_msg must be the message's MIME text."
    if len(kinds) > 1:
        return "mandrill_events mixes inbound and tracking events."
    return None


class WebhookNotConfigured(AnymailWebhookValidationFailure):
    """No MANDRILL_WEBHOOK_KEY: every call is refused (403)."""


class MandrillTrackingWebhookView(MandrillCombinedWebhookView):
    """anymail's Mandrill view that refuses every POST while no webhook key is set.

    With an empty key anyone could compute a valid signature, so no key means
    no events are accepted (403), rather than all of them. A missing or wrong
    signature answers 401; each refusal is a JSON answer and one WARNING line.
    """

    def validate_request(self, request):
        if not self.webhook_key:  # what anymail read from ANYMAIL / MANDRILL_WEBHOOK_KEY
            raise WebhookNotConfigured("MANDRILL_WEBHOOK_KEY is not set; Mandrill events are refused.")
        super().validate_request(request)

    def parse_events(self, request):
        try:
            events = json_loads(request.POST.get("mandrill_events", ""), refuse_nul=True)
        except ValueError as exc:
            raise MandrillEventsRefused(f"mandrill_events is not JSON PlanoCore takes: {exc}") from None
        fault = mandrill_events_fault(events)
        if fault:
            raise MandrillEventsRefused(fault)
        return [self.esp_to_anymail_event(event) for event in events]

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except AnymailWebhookValidationFailure as exc:
            # anymail lets it become Django's HTML 400 page with an ERROR and a traceback.
            status = 403 if isinstance(exc, WebhookNotConfigured) else 401
            logger.warning("Mandrill webhook call refused (%s): %s", status, exc)
            message = (
                str(exc) if status == 403 else "Missing or wrong X-Mandrill-Signature; nothing was applied."
            )
            return JsonResponse({"message": message}, status=status)
        except MandrillEventsRefused as exc:
            logger.warning("Mandrill webhook call refused: %s", exc)
            return HttpResponseBadRequest(
                f"Nothing was applied: {exc}", content_type="text/plain; charset=utf-8"
            )
