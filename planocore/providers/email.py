"""The email backend: Django's mail API, with django-anymail's Mandrill backend in production.

The message goes out through `settings.EMAIL_BACKEND` (`MandrillBackend`, anymail's
Mandrill backend on the transport's session, when MANDRILL_API_KEY is set; its API URL
is ANYMAIL["MANDRILL_API_URL"] and its timeout ANYMAIL["REQUESTS_TIMEOUT"], both from
settings). The result is read from
the message's `anymail_status`; anymail's exceptions are turned into
ProviderError:

- no answer (connection refused, timeout), 429 (with its Retry-After) and 5xx → retryable;
- every recipient rejected or invalid (AnymailRecipientsRefused), other 4xx, and the
  5xx answers in which Mandrill names an error that cannot heal by itself
  (`Invalid_Key`, `ValidationError`, …: Mandrill answers every API error with a 500)
  → permanent.

Neither the stored response (the proof) nor an error message ever holds the API key:
the proof is Mandrill's per-recipient answer, and messages are built from the HTTP
status and Mandrill's error name, never from `str(exc)` (whose payload holds the key).
"""

from email.utils import make_msgid
from typing import Any

from anymail.backends.base import AnymailBaseBackend
from anymail.backends.mandrill import EmailBackend as MandrillEmailBackend
from anymail.exceptions import AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string

from planocore.providers import transport
from planocore.providers.base import ProviderBackend, ProviderError, ProviderResult

# Mandrill error names (in its 500 answers) that retrying cannot fix.
PERMANENT_MANDRILL_ERRORS = frozenset(
    {
        "Invalid_Key",
        "ValidationError",
        "PaymentRequired",
        "Unknown_Subaccount",
        "Unknown_Template",
        "Unknown_Message",
        "Invalid_Template",
        "Invalid_Reject",
    }
)
SECRET_KEYS = frozenset({"key", "api_key", "authorization", "password"})


def _without_secrets(value: Any) -> Any:
    """Return `value` with every secret-looking key dropped, at any depth."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if str(k).lower() not in SECRET_KEYS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


class MandrillBackend(MandrillEmailBackend):
    """anymail's Mandrill backend on the transport's kept-alive session (settings.EMAIL_BACKEND).

    anymail opens a `requests.Session` per connection and closes it after each
    batch of messages: a new TLS connection to Mandrill for every email. Through
    its `create_session` hook it gets this thread's session from
    `planocore.providers.transport` instead (pooled, kept alive, each call logged
    and masked), and `close` leaves that session open for the next email.
    """

    def create_session(self):
        return transport.session("Mandrill")

    def close(self):
        self.session = None  # the thread's session stays open: transport.session() owns it


def uses_mandrill() -> bool:
    """Whether settings.EMAIL_BACKEND sends through anymail (Mandrill), not a plain Django backend."""
    return issubclass(import_string(settings.EMAIL_BACKEND), AnymailBaseBackend)


class EmailBackend(ProviderBackend):
    """Send the `email` channel's payload through Django's mail API."""

    name = "email"

    @property
    def label(self) -> str:
        return "Mandrill" if settings.EMAIL_BACKEND.startswith("anymail.") else "the email backend"

    def rate_limit_key(self, *, payload: dict) -> str | None:
        # No counted budget, but a Mandrill 429 keeps every worker (and the API's
        # in-request sends) off the account until its Retry-After has passed.
        return "mandrill" if uses_mandrill() else None

    def build(self, *, channel: str, action: str, payload: dict, secrets: dict) -> EmailMessage:
        message = EmailMessage(
            subject=payload.get("subject") or "",
            body=payload.get("body") or "",
            from_email=payload.get("from_email") or settings.DEFAULT_FROM_EMAIL,
            to=list(payload.get("to") or []),
            cc=list(payload.get("cc") or []),
            bcc=list(payload.get("bcc") or []),
            connection=get_connection(settings.EMAIL_BACKEND),
        )
        # anymail sends `metadata` to Mandrill, which echoes it in tracking events.
        message.metadata = {str(k): str(v) for k, v in (payload.get("metadata") or {}).items()}
        if not uses_mandrill():
            # A plain Django backend gives no provider id: use our own Message-ID.
            message.extra_headers["Message-ID"] = make_msgid(domain="planocore.local")
        if not message.recipients():
            raise ProviderError("The email has no recipient.", retryable=False)
        return message

    def call(self, built: EmailMessage, *, secrets: dict) -> EmailMessage:
        try:
            built.send(fail_silently=False)
        except AnymailRecipientsRefused as exc:
            raise ProviderError(
                "Mandrill refused every recipient (rejected or invalid).",
                retryable=False,
                http_status=200,
                response=self._recipients_proof(built, exc),
            ) from None
        except AnymailRequestsAPIError as exc:
            raise self._api_error(exc) from None
        except AnymailError as exc:
            # Bad addresses, unsupported features, serialization: our data, not theirs.
            raise ProviderError(
                f"The email could not be sent: {type(exc).__name__}.", retryable=False
            ) from None
        return built

    def parse(self, raw: EmailMessage) -> ProviderResult:
        status = getattr(raw, "anymail_status", None)
        if status is None:  # a non-anymail backend (locmem in development)
            return ProviderResult(
                message_id=raw.extra_headers.get("Message-ID", ""),
                response={"backend": settings.EMAIL_BACKEND, "recipients": raw.recipients()},
            )
        recipients = status.recipients or {}
        # Mandrill gives each recipient its own id; the first "to" stands for the request
        # (tracking events are matched by any of them through the stored recipients).
        ids = [r.message_id for r in recipients.values() if r.message_id]
        return ProviderResult(message_id=ids[0] if ids else "", response=self._recipients_proof(raw))

    # --- helpers --------------------------------------------------------------
    @staticmethod
    def _recipients_proof(message: EmailMessage, exc: AnymailError | None = None) -> dict:
        status = getattr(message, "anymail_status", None)
        esp_response = getattr(status, "esp_response", None) or getattr(exc, "response", None)
        proof: dict[str, Any] = {"provider": "mandrill"}
        if esp_response is not None:
            proof["http_status"] = esp_response.status_code
            proof["body"] = _without_secrets(transport.read_answer(esp_response.text))
        if status is not None and status.recipients:
            proof["recipients"] = {
                email: {"status": r.status, "message_id": r.message_id}
                for email, r in status.recipients.items()
            }
        return proof

    @staticmethod
    def _api_error(exc: AnymailRequestsAPIError) -> ProviderError:
        response = exc.response
        if response is None:  # no answer: refused connection, DNS, timeout
            return transport.no_answer(exc.__cause__, provider="Mandrill") or ProviderError(
                "Mandrill did not answer.", retryable=True
            )
        code = response.status_code
        body = _without_secrets(transport.read_answer(response.text))
        name = body.get("name", "") if isinstance(body, dict) else ""
        detail = body.get("message", "") if isinstance(body, dict) else ""
        message = f"Mandrill answered HTTP {code}" + (f" {name}: {detail}" if name else ".")
        return transport.http_error(
            code,
            message[:1000],
            headers=response.headers,
            response={"provider": "mandrill", "http_status": code, "body": body},
            retryable=False if name in PERMANENT_MANDRILL_ERRORS else None,
        )
