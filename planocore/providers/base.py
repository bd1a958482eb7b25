"""The provider backend base class: build → call → parse → result or ProviderError.

Each channel of the outbox is served by one backend, chosen by dotted path in
settings.PROVIDER_BACKENDS and resolved in `planocore.providers.registry`.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

# A time a provider gives (an event's, a client's) is taken between these: a time past them
# (9999-12-31T23:59:59-05:00 is year 10000 in UTC) breaks pages that show it, and an event
# dated in the future would make every later event look older, so change nothing.
EARLIEST_PROVIDER_TIME = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


def provider_time(value) -> datetime | None:
    """A provider's ISO-8601 time in UTC (one without an offset is UTC); None when absent, not
    a time, or outside 2000-01-01 .. now plus a day (a webhook's value is the caller's)."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # impossible (month 13), or out of range once in UTC
        return None
    if not EARLIEST_PROVIDER_TIME <= parsed <= timezone.now() + FUTURE_SLACK:
        return None
    return parsed


class ProviderError(Exception):
    """A send failed. `retryable` says whether trying again may help.

    Retryable: network errors, timeouts, 5xx, 429 (with `retry_after` seconds when
    the provider said so). Permanent: other 4xx and bad payloads. `message` must
    hold no secret (no Authorization header, no password). `budget` names the
    (account, API group) the failed call counted against, when the backend knows
    it: the outbox penalizes that budget after a 429.
    """

    budget: tuple[str, str] | None = None

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        http_status: int | None = None,
        response: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.http_status = http_status
        self.response = response or {}


@dataclass
class ProviderResult:
    """A successful send: the provider's id for it and its answer, without secrets."""

    message_id: str
    response: dict[str, Any] = field(default_factory=dict)


class ProviderBackend:
    """Send one outbox request to a provider.

    Subclasses fill in the hooks; `send` fixes their order. `payload` is the
    request's payload and `secrets` its decrypted secrets (e.g. a password).
    """

    name = "base"
    # What people call it in messages ("Mandrill", "the sandbox"); by default `name`.
    label = ""
    # The provider's budget of calls per window for one rate_limit_key (one
    # account), shared by every worker through planocore.providers.ratelimit.
    # None: no budget counted by the outbox (a 429's Retry-After is still
    # honoured for the key); a backend may count its calls itself, per API
    # group, and raise ratelimit.BudgetExhausted (the RingCentral transport).
    requests_per_minute: int | None = None

    def send(self, *, channel: str, action: str, payload: dict, secrets: dict) -> ProviderResult:
        """Send the request and return the provider's result, or raise ProviderError."""
        built = self.build(channel=channel, action=action, payload=payload, secrets=secrets)
        raw = self.call(built, secrets=secrets)
        return self.parse(raw)

    def build(self, *, channel: str, action: str, payload: dict, secrets: dict) -> Any:
        """Return what the provider call needs, from the outbox payload."""
        raise NotImplementedError

    def call(self, built: Any, *, secrets: dict) -> Any:
        """Make the provider call; raise ProviderError on failure."""
        raise NotImplementedError

    def parse(self, raw: Any) -> ProviderResult:
        """Turn the provider's answer into a ProviderResult."""
        raise NotImplementedError

    def rate_limit_key(self, *, payload: dict) -> str | None:
        """Name the shared budget this send counts against (a provider account), or None.

        The outbox asks for it before each call: with a key, the call counts
        against `requests_per_minute` for that key (when set), no call is made
        while a penalty of the key runs, and a 429 with Retry-After stops every
        worker from calling that key (or the error's `budget`) until it has passed.
        """
        return None


@dataclass
class TeamsPage:
    """One page of a Glip team list: RingCentral's team records and the next page's token."""

    records: list[dict[str, Any]]
    next_page_token: str | None
