"""Channel `callback`, action `post`: POST a signed JSON event to an application's callback URL.

Payload: `{"url": str, "event": {"id": str, "type": str, "created_at": str, "data": {...}}}`;
secrets: `{"secret": str}` (the application's signing secret, kept encrypted in the
outbox row and wiped once sent). The body is the event as compact JSON; the headers:

    X-PlanoCore-Event-Id:  the event's id (the same on every retry: receivers dedupe by it)
    X-PlanoCore-Timestamp: Unix seconds when this try was signed
    X-PlanoCore-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>

The URL goes through the fence (`planocore.providers.fetch.post_url`: https, the
allow-list, public addresses only, no redirect). A 2xx is success; 429 and 5xx and no
answer are retried by the outbox (priority >= 5); any other status, or a URL the fence
refuses, is permanent.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from planocore.providers import transport
from planocore.providers.base import ProviderBackend, ProviderError, ProviderResult
from planocore.providers.fetch import FetchRefused, NoAnswer, Posted, post_url


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-PlanoCore-Signature` value of a body signed at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


@dataclass
class _Post:
    url: str
    event_id: str
    body: bytes
    headers: dict[str, str]


class CallbackBackend(ProviderBackend):
    name = "callback"

    def build(self, *, channel, action, payload, secrets) -> _Post:
        event = payload["event"]
        body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
        timestamp = str(int(time.time()))
        return _Post(
            url=payload["url"],
            event_id=str(event["id"]),
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-PlanoCore-Event-Id": str(event["id"]),
                "X-PlanoCore-Timestamp": timestamp,
                "X-PlanoCore-Signature": signature(secrets.get("secret", ""), timestamp, body),
            },
        )

    def call(self, built: _Post, *, secrets: dict) -> tuple[_Post, Posted]:
        try:
            answer = post_url(built.url, body=built.body, headers=built.headers, timeout=transport.timeout())
        except NoAnswer:  # refused, reset or timed out: may heal
            raise ProviderError("The callback URL did not answer.", retryable=True) from None
        except FetchRefused:  # the fence: never allowed (why is in no message a caller sees)
            raise ProviderError(
                "The callback URL is not allowed (see MEDIA_URL_ALLOWED_HOSTS).", retryable=False
            ) from None
        return built, answer

    def parse(self, raw: tuple[_Post, Posted]) -> ProviderResult:
        built, answer = raw
        if 200 <= answer.status < 300:
            return ProviderResult(message_id=built.event_id, response={"http_status": answer.status})
        raise transport.http_error(
            answer.status,
            f"The callback URL answered HTTP {answer.status}.",
            headers=answer.headers,
            response={"http_status": answer.status},
        )
