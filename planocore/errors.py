"""Domain errors services raise; the API's exception handler maps each to a status once.

Services never raise ApiError (an HTTP-level error). They raise:
- django.core.exceptions.ValidationError keyed by param ({"client_id": ["..."]}): a value
  the rules refuse → invalid-param (missing-param when its code is "required");
- ServiceUnavailable: something outside PlanoCore is down or refuses us and nothing was
  stored → provider-unavailable, with Retry-After when the outside told us when.
"""


class ServiceUnavailable(Exception):
    """The work could not be done now because a provider is unavailable; nothing was stored."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
