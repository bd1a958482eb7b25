"""RingCentral backends (Glip team posts, SMS, MMS) and the team-listing client.

Everything goes through the official `ringcentral` package: its `Platform` builds
the URLs, logs in (JWT bearer grant for the default extension, password grant
for a given extension), keeps and refreshes the tokens and signs each call
(`sessions`). Ours are the HTTP client (`client.TimeoutClient`: the transport's
session and timeout, planocore.providers.transport) and the error messages,
rebuilt from the HTTP status and the JSON error body (`client.provider_error`),
never from the package's exception text, which holds the Authorization header.

Every HTTP call, token requests included, is counted against the user's budget
for its API group (`client.api_group`: the token endpoint is "Auth"; SMS, MMS,
Glip posts and the team list are "Medium", as the contract's x-throttling-group
says), settings.RINGCENTRAL_BUDGETS per rolling window, shared by every worker
through planocore.providers.ratelimit. A call the budget or a penalty does not
allow is not made: `ratelimit.BudgetExhausted` says how long to wait. Each
answer's X-Rate-Limit-Group/-Limit/-Remaining/-Window headers are recorded for
that user and group and can tighten the budget; a 429's ProviderError names the
budget (`budget`) so its caller (the outbox, the team import) penalizes it until
Retry-After, through `transport.penalize`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from ringcentral.http.api_response import ApiResponse
from ringcentral.http.multipart_builder import MultipartBuilder

from planocore.providers import transport
from planocore.providers.base import ProviderBackend, ProviderError, ProviderResult, TeamsPage
from planocore.providers.fetch import FetchRefused, fetch_url
from planocore.providers.ringcentral.credentials import Credentials, credentials_for, user_key
from planocore.providers.ringcentral.sessions import session_for

logger = logging.getLogger("planocore.providers.ringcentral")

TEAMS_PATH = "/team-messaging/v1/teams"
POST_PATH = "/team-messaging/v1/chats/{chat_id}/posts"
SMS_PATH = "/restapi/v1.0/account/~/extension/~/sms"
MMS_PATH = "/restapi/v1.0/account/~/extension/~/mms"

GLIP_TEXT_MAX = 10_000  # TMCreatePostRequest.text: "Max 10000 symbols"
SMS_TEXT_MAX = 1_000  # CreateSMSMessage.text: "Max length is 1000 symbols"
# CreateSMSMessage/CreateMMSMessage: "up to 10 attachments in one MMS message; the
# size of all attachments linked is limited to 1500000 bytes".
MMS_MAX_BYTES = 1_500_000
# Media types RingCentral documents as MMS attachments (the 2022 excerpt names no
# list; these are the ones its MMS guide accepts). Anything else is refused
# before the call, as a permanent failure.
MMS_CONTENT_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/bmp",
        "image/tiff",
        "image/svg+xml",
        "video/3gpp",
        "video/mp4",
        "video/mpeg",
        "video/quicktime",
        "audio/mpeg",
        "audio/mp4",
        "audio/amr",
        "audio/wav",
        "text/vcard",
        "text/x-vcard",
        "text/calendar",
        "application/pdf",
        "application/rtf",
        "application/zip",
    }
)


def _json(response: ApiResponse) -> dict[str, Any]:
    """The answer's JSON object ({"body": ...} around any other answer)."""
    body = transport.read_answer(response.response().text)
    if body is None:
        return {}
    return body if isinstance(body, dict) else {"body": body}


# --- team listing (the import) ----------------------------------------------------------
class TeamsBackend:
    """Backend `glip_teams` (settings.PROVIDER_BACKENDS): the team list the Glip import reads.

    The sandbox's stand-in is `planocore.providers.sandbox.SandboxTeamsBackend`;
    both answer `list_teams_page` with the same TeamsPage.
    """

    name = "ringcentral-teams"

    def list_teams_page(
        self, *, extension_id: int | None, page_token: str | None = None, record_count: int = 100
    ) -> TeamsPage:
        """One page of GET /team-messaging/v1/teams as the extension sees it (ProviderError on failure)."""
        credentials = credentials_for(extension_id=extension_id)
        query: list[tuple[str, Any]] = [("recordCount", record_count)]
        if page_token:
            query.append(("pageToken", page_token))
        response = session_for(credentials).request(
            "GET", TEAMS_PATH, query_params=query, doing="the team list"
        )
        body = _json(response)
        navigation = body.get("navigation") or {}
        return TeamsPage(
            records=list(body.get("records") or []), next_page_token=navigation.get("nextPageToken")
        )


# --- the backends -------------------------------------------------------------------
@dataclass
class _Call:
    credentials: Credentials
    method: str
    path: str
    doing: str
    body: dict[str, Any] | None = None
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


class RingCentralBackend(ProviderBackend):
    """Shared hooks: log in as the payload's extension, call, parse the JSON answer."""

    name = "ringcentral"

    # The transport counts every call in its API group (TimeoutClient); the
    # outbox only keeps off the user while a penalty runs.
    requests_per_minute = None

    def rate_limit_key(self, *, payload: dict) -> str | None:
        # The RingCentral user the send acts as: its budgets and penalties.
        return user_key(payload.get("extension_id"))

    def call(self, built: _Call, *, secrets: dict) -> ApiResponse:
        session = session_for(built.credentials)
        if built.attachments:
            builder = MultipartBuilder(session.platform)
            builder.set_body(built.body)
            for filename, content, content_type in built.attachments:
                builder.add((filename, content, content_type))
            return session.request("SEND", built.path, doing=built.doing, request=builder.request(built.path))
        return session.request(built.method, built.path, body=built.body, doing=built.doing)

    def parse(self, raw: ApiResponse) -> ProviderResult:
        body = _json(raw)
        message_id = body.get("id")
        if message_id in (None, ""):
            raise ProviderError(
                "RingCentral's answer holds no id.",
                retryable=False,
                http_status=raw.response().status_code,
                response=body,
            )
        request_id = raw.response().headers.get("RCRequestId")
        response = {**body, "rc_request_id": request_id} if request_id else body
        return ProviderResult(message_id=str(message_id), response=response)

    def _credentials(self, payload: dict, secrets: dict) -> Credentials:
        return credentials_for(extension_id=payload.get("extension_id"), password=secrets.get("password", ""))


class GlipBackend(RingCentralBackend):
    """Channel `glip`, action `post`: POST /team-messaging/v1/chats/{chatId}/posts."""

    name = "ringcentral-glip"

    def build(self, *, channel, action, payload, secrets) -> _Call:
        if action != "post":
            raise ProviderError(f"The glip channel has no action {action!r}.", retryable=False)
        chat_id, text = str(payload.get("chat_id") or ""), payload.get("text") or ""
        if not chat_id or not text:
            raise ProviderError("A Glip post needs a chat_id and a text.", retryable=False)
        if len(text) > GLIP_TEXT_MAX:
            raise ProviderError(f"A Glip post is at most {GLIP_TEXT_MAX} characters.", retryable=False)
        return _Call(
            credentials=self._credentials(payload, secrets),
            method="POST",
            path=POST_PATH.format(chat_id=quote(chat_id, safe="")),
            doing=f"the post in chat {chat_id}",
            body={"text": text},
        )


def _sms_body(payload: dict) -> dict[str, Any]:
    sender, recipients, text = payload.get("from"), payload.get("to") or [], payload.get("text") or ""
    if isinstance(recipients, str):
        recipients = [recipients]
    if not sender or not recipients:
        raise ProviderError("An SMS needs a `from` number and at least one `to` number.", retryable=False)
    if len(text) > SMS_TEXT_MAX:
        raise ProviderError(f"An SMS text is at most {SMS_TEXT_MAX} characters.", retryable=False)
    body: dict[str, Any] = {"from": {"phoneNumber": sender}, "to": [{"phoneNumber": n} for n in recipients]}
    if text:
        body["text"] = text
    return body


class SmsBackend(RingCentralBackend):
    """Channel `sms`, action `send`: POST /restapi/v1.0/account/~/extension/~/sms."""

    name = "ringcentral-sms"

    def build(self, *, channel, action, payload, secrets) -> _Call:
        body = _sms_body(payload)
        if not body.get("text"):
            raise ProviderError("An SMS needs a text.", retryable=False)
        return _Call(
            credentials=self._credentials(payload, secrets),
            method="POST",
            path=SMS_PATH,
            doing="the SMS",
            body=body,
        )


MEDIA_FETCH_FAILED = (
    f"The media_url could not be fetched as a public https file of a type RingCentral takes "
    f"for MMS, of at most {MMS_MAX_BYTES} bytes."
)


def fetch_media(url: str) -> tuple[str, bytes, str]:
    """Download an MMS attachment through the fence: (filename, bytes, content type).

    `planocore.providers.fetch` refuses internal addresses, more than 3 redirects,
    a type RingCentral does not take for MMS and more than MMS_MAX_BYTES. Any
    failure is permanent and says only MEDIA_FETCH_FAILED: the caller chose the
    URL, so the message must not tell what answered or how. The reason is logged.
    """
    try:
        fetched = fetch_url(
            url,
            content_types=MMS_CONTENT_TYPES,
            max_bytes=MMS_MAX_BYTES,
            timeout=settings.PROVIDER_TIMEOUT_SECONDS,
        )
    except FetchRefused as exc:
        logger.warning("MMS media not fetched: %s", exc)
        raise ProviderError(MEDIA_FETCH_FAILED, retryable=False) from None
    filename = urlsplit(url).path.rsplit("/", 1)[-1] or "attachment"
    return filename, fetched.content, fetched.content_type


class MmsBackend(RingCentralBackend):
    """Channel `mms`, action `send`: POST .../extension/~/mms, multipart with the fetched media."""

    name = "ringcentral-mms"

    def build(self, *, channel, action, payload, secrets) -> _Call:
        body = _sms_body(payload)
        media_url = payload.get("media_url") or ""
        if not media_url:
            raise ProviderError("An MMS needs a media_url.", retryable=False)
        credentials = self._credentials(payload, secrets)
        return _Call(
            credentials=credentials,
            method="POST",
            path=MMS_PATH,
            doing="the MMS",
            body=body,
            attachments=[fetch_media(media_url)],
        )
