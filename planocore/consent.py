"""Consent: the registry the outbox asks "is this send's recipient suppressed?" before calling a provider.

A feature app that learns consent from the channels (replies of STOP, hard bounces)
registers one check in its `AppConfig.ready()`:

    register_suppression_check("inbound", check)

`check(sends=[(channel, payload), ...])` answers, for each send, a `Suppressed` (why,
since when) when it must not happen, else None. The outbox asks once per claimed
batch (once per request sent alone), with no lock held and no transaction open, so a
check should cost one indexed lookup for the whole list. A suppressed request gets no
provider call and is recorded `suppressed` (planocore/delivery.py).
The platform knows no feature app: the registry is filled from outside.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Suppressed:
    """Why a send is suppressed and since when."""

    reason: str
    since: datetime
    address: str = ""

    def describe(self) -> str:
        who = f"{self.address} " if self.address else ""
        since = self.since.isoformat(timespec="seconds")
        return f"Suppressed: {who}withdrew consent ({self.reason}) on {since}."


# check(sends=[(channel, payload), ...]) -> [Suppressed | None, ...], one answer per send.
SuppressionCheck = Callable[..., list[Suppressed | None]]
_checks: dict[str, SuppressionCheck] = {}


def register_suppression_check(name: str, check: SuppressionCheck) -> None:
    """Register (or replace, by `name`) a check the outbox runs before its provider calls."""
    _checks[name] = check


def suppressions_for(requests: list) -> dict[int, Suppressed]:
    """The suppressed ones among outgoing requests (rows with `pk`, `channel`, `payload`), by id.

    Each registered check answers for the whole list at once (a batch of the
    outbox costs one lookup, not one per request); the first that suppresses a
    request wins.
    """
    held: dict[int, Suppressed] = {}
    if not requests:
        return held
    sends = [(request.channel, request.payload) for request in requests]
    for check in _checks.values():
        for request, answer in zip(requests, check(sends=sends), strict=True):
            if answer is not None and request.pk not in held:
                held[request.pk] = answer
    return held
