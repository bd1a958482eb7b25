"""RingCentral backends (Glip team posts, SMS, MMS) and the team-listing client.

Everything goes through the official `ringcentral` package: its `Platform` builds
the URLs, logs in (JWT bearer grant for the default extension, password grant
for a given extension), keeps and refreshes the tokens and signs each call. Two
things are ours:

- the transport (`TimeoutClient`, the package's `Client` with a timeout on every
  call and a kept-alive session per thread): the package itself sets none;
- the error messages. The package's `ApiException` text holds the request's
  headers, Authorization included, so it is never stored or logged: errors are
  rebuilt from the HTTP status and the JSON error body (`provider_error`).

Tokens are cached per RingCentral user and credential, in-process (the
`Platform` object) and in the Django cache (encrypted), so every worker shares
one login instead of spending RingCentral's small Auth budget.

Every HTTP call, token requests included, is counted by the transport against
the user's budget for its API group (`api_group`: the token endpoint is "Auth",
SMS, MMS, Glip posts and the team list are "Medium", as the contract's
x-throttling-group says), settings.RINGCENTRAL_BUDGETS per rolling window,
shared by every worker through planocore.providers.ratelimit. A call the budget
or a penalty does not allow is not made: `ratelimit.BudgetExhausted` says how
long to wait. Each answer's X-Rate-Limit-Group/-Limit/-Remaining/-Window headers
are recorded for that user and group and can tighten the budget; a 429's
ProviderError names the budget (`budget`) so its caller (the outbox, the team
import) penalizes it until Retry-After.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from ringcentral.http.api_exception import ApiException
from ringcentral.http.api_response import ApiResponse
from ringcentral.http.client import Client
from ringcentral.http.multipart_builder import MultipartBuilder
from ringcentral.platform import Platform

from planocore.budgets import FailureBudget
from planocore.crypto import decrypt_json, encrypt_json
from planocore.providers import ratelimit, transport
from planocore.providers.base import ProviderBackend, ProviderError, ProviderResult, TeamsPage
from planocore.providers.fetch import FetchRefused, fetch_url

logger = logging.getLogger("planocore.providers.ringcentral")

# The package warns on every password login; the password grant is what the
# seed's rc_extension/rc_password contract needs, so the warning is noise here.
warnings.filterwarnings("ignore", message="username-password login", category=UserWarning)

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


# --- credentials ------------------------------------------------------------------
@dataclass(frozen=True)
class Credentials:
    """How to log in as one RingCentral user.

    `user_key` names the user (an extension record, or "default" for the
    settings' JWT) for the rate-limit budget; the token cache is keyed by the
    user and a keyed hash of the credential, so a different password never
    reuses another one's token.
    """

    user_key: str
    jwt: str = field(default="", repr=False)
    username: str = ""
    extension: str = ""
    password: str = field(default="", repr=False)
    # Set (to the extension's id) when the password came with the request
    # (`rc_password`): its refusals count against PASSWORD_FAILURES for the extension.
    password_budget: str = ""

    @property
    def grant(self) -> str:
        return "jwt" if self.jwt else "password"

    def fingerprint(self) -> str:
        material = "\x1f".join(
            [
                settings.RINGCENTRAL_SERVER_URL,
                settings.RINGCENTRAL_CLIENT_ID,
                settings.RINGCENTRAL_CLIENT_SECRET,
                self.user_key,
                self.jwt,
                self.username,
                self.extension,
                self.password,
            ]
        )
        return hmac.new(settings.SECRET_KEY.encode(), material.encode(), hashlib.sha256).hexdigest()[:32]


def _extension(extension_id: int | None):
    from glip.models import RingCentralExtension

    if extension_id is None:
        return RingCentralExtension.objects.filter(is_default=True, active=True).order_by("pk").first()
    try:
        return RingCentralExtension.objects.get(pk=extension_id)
    except RingCentralExtension.DoesNotExist:
        raise ProviderError(
            f"RingCentral extension #{extension_id} does not exist.", retryable=False
        ) from None


def user_key(extension_id: int | None) -> str:
    """The RingCentral user a send with this `extension_id` acts as (its rate-limit budget)."""
    if extension_id is not None:
        return f"ringcentral:ext:{extension_id}"
    ext = _extension(None)
    return f"ringcentral:ext:{ext.pk}" if ext is not None else "ringcentral:default"


def credentials_for(*, extension_id: int | None, password: str = "") -> Credentials:
    """Pick the login for a send.

    No extension: the first active default extension's own JWT, else
    settings.RINGCENTRAL_JWT, else that extension's stored password. A given
    extension: the password the caller gave (password grant with the
    extension's login phone number and number), else its stored JWT, else its
    stored password, else (a default extension) settings.RINGCENTRAL_JWT.
    Raise a permanent ProviderError when there is none.
    """
    ext = _extension(extension_id)
    if extension_id is None:
        key = f"ringcentral:ext:{ext.pk}" if ext is not None else "ringcentral:default"
        if ext is not None and ext.jwt:
            return Credentials(user_key=key, jwt=ext.jwt)
        if settings.RINGCENTRAL_JWT:
            return Credentials(user_key=key, jwt=settings.RINGCENTRAL_JWT)
        if ext is not None and ext.password:
            return Credentials(
                user_key=key,
                username=ext.login_phone_number,
                extension=ext.extension_number,
                password=ext.password,
            )
        raise ProviderError(
            "No RingCentral credentials for the default extension: set RINGCENTRAL_JWT or give a "
            "default extension a JWT in the admin.",
            retryable=False,
        )
    if not ext.active:
        raise ProviderError(f"RingCentral extension {ext.extension_number} is inactive.", retryable=False)
    key = f"ringcentral:ext:{ext.pk}"
    if password or (ext.password and not ext.jwt):
        if not ext.login_phone_number:
            raise ProviderError(
                f"RingCentral extension {ext.extension_number} has no login phone number for a password "
                "login: set it in the admin.",
                retryable=False,
            )
        return Credentials(
            user_key=key,
            username=ext.login_phone_number,
            extension=ext.extension_number,
            password=password or ext.password,
            password_budget=str(ext.pk) if password else "",
        )
    if ext.jwt:
        return Credentials(user_key=key, jwt=ext.jwt)
    if ext.is_default and settings.RINGCENTRAL_JWT:
        return Credentials(user_key=key, jwt=settings.RINGCENTRAL_JWT)
    raise ProviderError(
        f"RingCentral extension {ext.extension_number} has no credentials and no password was given.",
        retryable=False,
    )


# Refused password logins with a caller's password, per extension, across workers:
# past RINGCENTRAL_PASSWORD_FAILURE_RATE the API refuses rc_password for the
# extension (too-many-requests) and sends make no login, until the window ends.
PASSWORD_FAILURES = FailureBudget(
    "ringcentral:password-failures", rate=lambda: settings.RINGCENTRAL_PASSWORD_FAILURE_RATE
)


def password_logins_spent(extension_id: int | str) -> int | None:
    """Seconds until a caller's password may be tried again for the extension; None when it may now."""
    if PASSWORD_FAILURES.spent(str(extension_id)):
        return PASSWORD_FAILURES.retry_after()
    return None


# --- transport and errors -----------------------------------------------------------
def api_group(path: str) -> str:
    """RingCentral's throttling group of a call (the contract's x-throttling-group).

    The token endpoint is "Auth"; every other call we make (SMS, MMS, Glip
    posts, the team list) is "Medium".
    """
    return "Auth" if path.startswith("/restapi/oauth/") else "Medium"


def _header_int(headers, name: str) -> int | None:
    try:
        return int(headers.get(name, ""))
    except ValueError:
        return None


class TimeoutClient(Client):
    """The package's HTTP client: a timeout on every call, a kept-alive session per thread, the user's budget.

    Each call is first taken from `account`'s budget for its API group (none
    made when it is spent or a penalty runs: `ratelimit.BudgetExhausted`), then
    settled with the time its answer came and RingCentral's X-Rate-Limit-*
    headers.
    """

    def __init__(self, account: str = "ringcentral:default") -> None:
        super().__init__()
        self.account = account

    def load_response(self, request):
        group = api_group(urlsplit(request.url).path)
        wait, reserved = ratelimit.take(
            self.account,
            group,
            limit=settings.RINGCENTRAL_BUDGETS.get(group),
            hold=settings.PROVIDER_TIMEOUT_SECONDS,
        )
        if wait:
            raise ratelimit.BudgetExhausted(self.account, group, wait)
        response = None
        try:
            response = transport.session().send(request, timeout=transport.timeout())
        finally:
            self._settle(group, reserved, response)
        answer = ApiResponse(request, response)
        answer.budget = (self.account, group)
        return answer

    def _settle(self, group: str, reserved: float | None, response: requests.Response | None) -> None:
        finished = ratelimit.clock()
        headers = response.headers if response is not None else {}
        reported = (headers.get("X-Rate-Limit-Group") or "").strip().capitalize()
        figures = {
            "reported_limit": _header_int(headers, "X-Rate-Limit-Limit"),
            "reported_remaining": _header_int(headers, "X-Rate-Limit-Remaining"),
            "reported_window": _header_int(headers, "X-Rate-Limit-Window"),
        }
        if reported and reported != group:
            ratelimit.settle(self.account, reported, reserved=None, finished=finished, **figures)
            figures = {}
        ratelimit.settle(self.account, group, reserved=reserved, finished=finished, **figures)


def _error_detail(body: Any) -> str:
    """A short description from RingCentral's error body (its several shapes)."""
    if not isinstance(body, dict):
        return ""
    parts = []
    if body.get("errorCode") or body.get("message"):
        parts.append(" ".join(str(body[k]) for k in ("errorCode", "message") if body.get(k)))
    elif body.get("error"):  # OAuth errors
        parts.append(" ".join(str(body[k]) for k in ("error", "error_description") if body.get(k)))
    for item in body.get("errors") or []:
        if isinstance(item, dict):
            text = " ".join(str(item[k]) for k in ("errorCode", "message") if item.get(k))
            if text and text not in parts:
                parts.append(text)
    return "; ".join(parts)[:500]


def _safe_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"text": response.text[:500]} if response.text else None


def provider_error(exc: Exception, *, doing: str) -> ProviderError:
    """Turn what the package raised into a ProviderError that holds no secret.

    `doing` names the call ("the post in chat 123") for the message.

    Never uses str(exc): the package's ApiException text carries the request's
    Authorization header.
    """
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, ApiException) and isinstance(exc.__context__, ratelimit.BudgetExhausted):
        return exc.__context__  # no call was made
    api_response = exc.api_response() if isinstance(exc, ApiException) else None
    response = api_response.response() if api_response is not None else None
    if response is None:
        cause = exc.__context__ if isinstance(exc, ApiException) else exc
        return transport.no_answer(cause, provider="RingCentral", doing=doing) or ProviderError(
            f"RingCentral call for {doing} failed ({type(cause or exc).__name__}).", retryable=True
        )
    status = response.status_code
    body = _safe_body(response)
    detail = _error_detail(body)
    error = transport.http_error(
        status,
        f"RingCentral answered HTTP {status} to {doing}" + (f": {detail}" if detail else "."),
        headers=response.headers,
        response={
            "http_status": status,
            "error": body,
            "request_id": response.headers.get("RCRequestId", ""),
        },
    )
    error.budget = getattr(api_response, "budget", None)
    return error


# --- sessions: one logged-in Platform per user and credential ---------------------------
class RingCentralSession:
    """A logged-in `Platform` for one credential, shared by the threads of a process."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self.lock = threading.Lock()
        self.platform = Platform(
            TimeoutClient(credentials.user_key),
            settings.RINGCENTRAL_CLIENT_ID,
            settings.RINGCENTRAL_CLIENT_SECRET,
            settings.RINGCENTRAL_SERVER_URL.rstrip("/"),
            "PlanoCore",
            "1.0",
        )

    @property
    def cache_key(self) -> str:
        return f"ringcentral:token:{self.credentials.fingerprint()}"

    def _store(self) -> None:
        data = self.platform.auth().data()
        ttl = int(max(data.get("refresh_token_expire_time") or 0, data.get("expire_time") or 0) - time.time())
        if ttl > 0:
            cache.set(self.cache_key, encrypt_json(data), timeout=ttl)

    def _load(self) -> bool:
        stored = cache.get(self.cache_key)
        if not stored:
            return False
        try:
            self.platform.auth().set_data(decrypt_json(stored))
        except ValueError:
            return False
        return True

    def forget_access_token(self) -> None:
        """RingCentral refused the access token: drop it, keep the refresh token for a refresh."""
        auth = self.platform.auth()
        auth.set_data({**auth.data(), "expire_time": 0})
        self._store()

    def _login(self) -> None:
        creds = self.credentials
        if creds.password_budget and (wait := password_logins_spent(creds.password_budget)):
            raise ProviderError(
                f"Too many refused password logins of extension {creds.extension}: no login is "
                f"tried for {wait} s.",
                retryable=False,
            )
        try:
            if creds.jwt:
                self.platform.login(jwt=creds.jwt)
            else:
                self.platform.login(
                    username=creds.username, extension=creds.extension, password=creds.password
                )
        except Exception as exc:
            error = provider_error(exc, doing=f"the {creds.grant} login")
            if error.http_status in (400, 401, 403):
                detail = _error_detail(error.response.get("error")) or "no detail"
                whose = f" of extension {creds.extension}" if creds.extension else ""
                error.message = (
                    f"RingCentral refused the {creds.grant} login{whose} (HTTP {error.http_status}): {detail}"
                )
                if creds.password_budget:
                    PASSWORD_FAILURES.record(creds.password_budget)
            raise error from None
        logger.info("Logged in to RingCentral as %s (%s grant)", creds.user_key, creds.grant)
        self._store()

    def ensure_token(self) -> None:
        """Have a valid access token: this process's, the shared cache's, a refreshed one or a new login."""
        auth = self.platform.auth()
        if auth.access_token_valid():
            return
        if self._load() and auth.access_token_valid():
            return
        if auth.refresh_token() and auth.refresh_token_valid():
            try:
                self.platform.refresh()
            except Exception as exc:  # an expired or revoked refresh token: log in again
                logger.info("RingCentral token refresh failed (%s); logging in again", type(exc).__name__)
            else:
                self._store()
                return
        self._login()

    def request(self, method: str, path: str, *, doing: str, **kwargs) -> ApiResponse:
        """Make one authenticated call; log in again once if the token was refused."""
        for attempt in (1, 2):
            with self.lock:
                self.ensure_token()
            try:
                if method == "SEND":
                    return self.platform.send_request(kwargs["request"])
                return getattr(self.platform, method.lower())(path, **kwargs)
            except ApiException as exc:
                error = provider_error(exc, doing=doing)
                if error.http_status == 401 and attempt == 1:
                    # The token expired early or was revoked: refresh it, or log in again.
                    with self.lock:
                        self.forget_access_token()
                    continue
                raise error from None
            except requests.RequestException as exc:  # raised outside the package's wrapper
                raise provider_error(exc, doing=doing) from None
        raise AssertionError("unreachable")


# Process-local sessions, least recently used first. Bounded: every distinct
# password a caller sends gets its own login, and they must not pile up.
_sessions: OrderedDict[str, RingCentralSession] = OrderedDict()
_sessions_lock = threading.Lock()
MAX_SESSIONS = 64


def session_for(credentials: Credentials) -> RingCentralSession:
    """This process's session for the credential (tokens cached and refreshed)."""
    key = credentials.fingerprint()
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = RingCentralSession(credentials)
            while len(_sessions) > MAX_SESSIONS:
                _sessions.popitem(last=False)
        else:
            _sessions.move_to_end(key)
        return session


def reset_sessions() -> None:
    """Forget every process-local session (tests, or after changing settings)."""
    with _sessions_lock:
        _sessions.clear()


def _json(response: ApiResponse) -> dict[str, Any]:
    try:
        body = response.response().json()
    except ValueError:
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
