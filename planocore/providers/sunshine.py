"""Sunshine Conversations through its official package (`sunshine-conversations-client`).

Two users: the `conversation` channel of the outbox (`ConversationBackend`, posting a
business text message to a conversation) and the messaging app, which creates, lists
and removes a user's clients inside an API request (`messaging.services`). Both go
through `call()`, which applies the request timeout, keeps every worker off the app
while a 429's Retry-After runs, and turns the package's exceptions into a
`ProviderError` whose message holds no secret (the package's `str(exc)` dumps the
response headers and body; we keep only the status and the error codes/titles).

Settings: SUNSHINE_CONVERSATIONS_HOST, _APP_ID, _KEY_ID, _SECRET (basic auth with an
API key id and secret), PROVIDER_TIMEOUT_SECONDS.
"""

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from django.conf import settings
from sunshine_conversations_client import (
    ApiClient,
    Client,
    ClientCreate,
    ClientListResponse,
    ClientsApi,
    Configuration,
    MessagePost,
    MessagesApi,
)
from sunshine_conversations_client.exceptions import ApiException, OpenApiException

from planocore.providers import ratelimit, transport
from planocore.providers.base import ProviderBackend, ProviderError, ProviderResult

logger = logging.getLogger("planocore.providers.sunshine")

T = TypeVar("T")


# --- the configured client ------------------------------------------------------
@lru_cache(maxsize=4)
def _api_client(host: str, key_id: str, secret: str) -> ApiClient:
    configuration = Configuration(host=host.rstrip("/"), username=key_id, password=secret)
    # No retries inside urllib3: a timeout or refused connection comes back at once
    # and the outbox decides about retrying (with backoff and Retry-After).
    configuration.retries = False
    client = ApiClient(configuration)
    # The seam: the generated client sends through `rest_client.pool_manager`; ours is the
    # transport's (pooled, no retries, certifi's roots, every call logged and masked).
    client.rest_client.pool_manager = transport.pool_manager("Sunshine Conversations")
    return client


def api_client() -> ApiClient:
    """Return the package's ApiClient for the configured host and API key (pooled, reused)."""
    return _api_client(
        settings.SUNSHINE_CONVERSATIONS_HOST,
        settings.SUNSHINE_CONVERSATIONS_KEY_ID,
        settings.SUNSHINE_CONVERSATIONS_SECRET,
    )


def app_id() -> str:
    return settings.SUNSHINE_CONVERSATIONS_APP_ID


def is_configured() -> bool:
    """Whether the app id and API key are all set."""
    return bool(
        settings.SUNSHINE_CONVERSATIONS_APP_ID
        and settings.SUNSHINE_CONVERSATIONS_KEY_ID
        and settings.SUNSHINE_CONVERSATIONS_SECRET
    )


def reset_clients() -> None:
    """Forget built clients (tests that change settings call this)."""
    _api_client.cache_clear()


def rate_limit_key() -> str:
    return f"sunshine-conversations:{app_id() or 'default'}"


# --- errors ---------------------------------------------------------------------
def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    return getter(name) or getter(name.lower())


def error_codes(exc: ApiException) -> list[dict[str, str]]:
    """The contract's `errors` list ({code, title}) from an error answer; [] when none."""
    body = transport.read_answer(exc.body)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    return [
        {"code": str(e.get("code", "")), "title": str(e.get("title", ""))[:200]}
        for e in errors
        if isinstance(e, dict)
    ]


def classify(exc: Exception) -> ProviderError:
    """Turn what the package raised into a ProviderError (retryable or permanent), without secrets."""
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        errors = error_codes(exc)
        detail = "; ".join(f"{e['code']}: {e['title']}" for e in errors) or (exc.reason or "")
        if not status:  # the package gave up before an answer
            return ProviderError(
                f"Sunshine Conversations answered no status: {detail}".strip(), retryable=True
            )
        return transport.http_error(
            status,
            f"Sunshine Conversations answered {status}: {detail}".strip(),
            headers={"Retry-After": _header(exc.headers, "Retry-After")},
            response={"status": status, "errors": errors},
        )
    error = transport.no_answer(exc, provider="Sunshine Conversations")
    if error is not None:
        return error
    if isinstance(exc, (OpenApiException, ValueError)):
        # The package refused to build the request or read the answer (a bad payload).
        return ProviderError(
            f"Invalid Sunshine Conversations request or answer: {exc}"[:500], retryable=False
        )
    raise exc


def call(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call a package method with the timeout; raise ProviderError on any failure.

    While a 429's penalty of this app runs, the call fails at once (retryable,
    with the time left). Applying a 429's penalty is its caller's business: the
    outbox's for the conversation channel, `ClientsBackend`'s for the messaging
    app's in-request calls (`planocore.providers.transport.penalize`).
    """
    wait = ratelimit.penalty_remaining(rate_limit_key())
    if wait:
        raise ProviderError(
            f"Sunshine Conversations asked us to wait; {wait:.0f} seconds left.",
            retryable=True,
            retry_after=wait,
            http_status=429,
        )
    try:
        return func(*args, _request_timeout=transport.timeout(), **kwargs)
    except ProviderError:
        raise
    except Exception as exc:
        error = classify(exc)
        logger.warning("Sunshine Conversations call %s failed: %s", getattr(func, "__name__", "?"), error)
        raise error from None


# --- the outbox backend ---------------------------------------------------------
class ConversationBackend(ProviderBackend):
    """Channel `conversation`, action `post_message`: a business text message to a conversation.

    Payload: {"user_id": str, "conversation_id": str, "text": str}.
    """

    name = "sunshine"

    def build(self, *, channel: str, action: str, payload: dict, secrets: dict) -> dict:
        if channel != "conversation" or action != "post_message":
            raise ProviderError(f"{self.name} cannot {action!r} on channel {channel!r}.", retryable=False)
        conversation_id = str(payload.get("conversation_id") or "").strip()
        text = str(payload.get("text") or "")
        if not conversation_id or not text.strip():
            raise ProviderError("The payload needs a conversation_id and a text.", retryable=False)
        if not app_id():
            raise ProviderError("SUNSHINE_CONVERSATIONS_APP_ID is not set.", retryable=False)
        try:
            message = MessagePost.from_dict(
                {"author": {"type": "business"}, "content": {"type": "text", "text": text}}
            )
        except ValueError as exc:  # e.g. text longer than the contract's 4096 characters
            raise ProviderError(f"Invalid message: {exc}"[:500], retryable=False) from None
        return {"conversation_id": conversation_id, "message": message}

    def call(self, built: dict, *, secrets: dict) -> Any:
        api = MessagesApi(api_client())
        return call(api.post_message, app_id(), built["conversation_id"], built["message"])

    def parse(self, raw: Any) -> ProviderResult:
        response = raw.to_dict() if hasattr(raw, "to_dict") else {}
        messages = response.get("messages") or []
        message_id = str(messages[0].get("id") or "") if messages else ""
        return ProviderResult(message_id=message_id, response=response)

    def rate_limit_key(self, *, payload: dict) -> str | None:
        return rate_limit_key()


# --- a user's clients (the messaging app, inside API requests) -----------------------
CLIENTS_PATH = "/v2/apps/{appId}/users/{userIdOrExternalId}/clients"


class ClientsBackend:
    """Backend `messaging_clients`: create, list (cursor pages) and remove a user's clients.

    Each method calls SC at once and raises ProviderError on failure; answers are
    the package's models (Client, ClientListResponse), as the sandbox's are.
    """

    name = "sunshine-clients"

    def is_configured(self) -> bool:
        return is_configured()

    @staticmethod
    def _call(func: Callable[..., T], /, *args: Any) -> T:
        """`call`; these calls are no outbox job, so a 429's penalty is applied here."""
        try:
            return call(func, *args)
        except ProviderError as error:
            transport.penalize(error, key=rate_limit_key())
            raise

    def create_client(self, *, external_id: str, client: ClientCreate) -> Client:
        api = ClientsApi(api_client())
        return self._call(api.create_client, app_id(), external_id, client).client

    def list_clients(
        self, *, external_id: str, after: str | None, before: str | None, size: int
    ) -> ClientListResponse:
        """GET the clients with page[after]/page[before]/page[size] in the query.

        The package's own `list_clients(page=Page(...))` sends `page={"after": ...}` (JSON
        in one param), which SC does not read; so this builds the same request through the
        package's helpers with the deepObject names SC expects.
        """
        api = api_client()
        query: list[tuple[str, str]] = []
        if after:
            query.append(("page[after]", after))
        if before:
            query.append(("page[before]", before))
        query.append(("page[size]", str(size)))

        def list_clients(*, _request_timeout):
            method, url, headers, body, post_params = api.param_serialize(
                method="GET",
                resource_path=CLIENTS_PATH,
                path_params={"appId": app_id(), "userIdOrExternalId": external_id},
                query_params=query,
                header_params={"Accept": "application/json"},
                auth_settings=["basicAuth", "bearerAuth"],
            )
            response = api.call_api(
                method, url, headers, body, post_params, _request_timeout=_request_timeout
            )
            response.read()
            return api.response_deserialize(
                response_data=response, response_types_map={"200": "ClientListResponse"}
            ).data

        return self._call(list_clients)

    def remove_client(self, *, external_id: str, client_id: str) -> None:
        api = ClientsApi(api_client())
        self._call(api.remove_client, app_id(), external_id, client_id)
