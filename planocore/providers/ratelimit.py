"""Provider call budgets: an exact rolling window per account and API group, kept in the database.

A provider such as RingCentral allows each user (account) a number of calls per
API group in any rolling window (60 s) and answers 429 beyond it, with a penalty
that a call made during it restarts. So:

- `acquire(account, group, limit=)` takes one call if the calls of the last
  window leave room, else says how many seconds to wait (nothing is taken);
- `settle(...)` moves a taken call's time to when its answer came back and
  records the X-Rate-Limit-* figures the provider answered, which can only
  tighten the budget: the limit used is the smaller of the configured one and
  the reported one, the window the longer of PROVIDER_BUDGET_WINDOW_SECONDS and
  the reported one;
- `penalize(account, group, seconds)` records a 429's Retry-After: no call to
  that account and group is taken before it has passed;
- `budgets()` is the one selector staff views read (/metrics, the outbox admin).

Why it is exact: each (account, group) is one `ProviderBudget` row holding the
times of its calls of the last window. `acquire` reads and rewrites that row in
one transaction holding its lock (`SELECT ... FOR UPDATE` on PostgreSQL; on
SQLite every transaction is IMMEDIATE, settings.py, so it holds the database's
write lock), so two workers never both see room for the last call, whatever
process or host they run in: the database is shared by all of them on every
setup, the embedded SQLite default included, and no cache is involved (a cache
that fails soft would let the budget fail open). A call is counted when it is
taken, with a reservation time `hold` seconds ahead (the longest the call may
take); `settle` then moves it to when the answer arrived, which is after the
provider received the call. So the next call that this entry lets through
(`window` seconds after it) reaches the provider at least `window` seconds after
this one did: no span of `window` seconds at the provider ever holds more than
`limit` calls. A worker that dies mid-call leaves its reservation, which errs on
the safe side. The times are the workers' clocks (kept in sync by NTP).

What one call costs: two short write transactions on the budget's row (take,
settle), each a locked SELECT and an UPDATE; bench/budgets.py measures them
(figures in docs/outbox.md).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from planocore.providers.base import ProviderError
from planocore.providers.models import ProviderBudget

# The clock every budget reads (epoch seconds); tests may replace it.
clock = time.time


class BudgetExhausted(ProviderError):
    """Not now: the budget or a penalty of `budget` says wait `retry_after` seconds.

    Nothing was sent: the outbox puts the request back without counting an attempt.
    """

    def __init__(self, account: str, group: str, wait: float) -> None:
        what = f"{account} ({group})" if group else account
        super().__init__(
            f"The call budget of {what} is spent for now; trying again in {wait:.1f}s.",
            retryable=True,
            retry_after=wait,
        )
        self.budget = (account, group)


def _aware(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _window(row: ProviderBudget) -> float:
    return max(float(settings.PROVIDER_BUDGET_WINDOW_SECONDS), float(row.window_reported or 0))


def _limit(row: ProviderBudget, configured: int | None) -> int | None:
    limits = [n for n in (configured, row.limit_reported) if n is not None]
    return max(min(limits), 1) if limits else None


def _locked(account: str, group: str) -> ProviderBudget:
    """The budget's row, locked until the end of the current transaction (created when new)."""
    rows = ProviderBudget.objects.select_for_update()
    try:
        return rows.get(account=account, group=group)
    except ProviderBudget.DoesNotExist:
        ProviderBudget.objects.get_or_create(account=account, group=group)
        return rows.get(account=account, group=group)


def _penalty_left(row: ProviderBudget, now: float) -> float:
    return max(0.0, row.penalty_until.timestamp() - now) if row.penalty_until else 0.0


def acquire(account: str, group: str = "", *, limit: int | None) -> float:
    """Take one call if the budget allows: return 0.0, or the seconds to wait (nothing taken).

    `limit` is the configured calls per window (None: no counted budget, only
    penalties apply).
    """
    return take(account, group, limit=limit)[0]


def take(
    account: str, group: str = "", *, limit: int | None, hold: float = 0.0
) -> tuple[float, float | None]:
    """`acquire`, returning (wait, the time the call is logged at, for `settle`; None when not logged).

    The call is logged `hold` seconds ahead of now until `settle` gives its
    real time (see the module docstring).
    """
    with transaction.atomic():
        row = _locked(account, group)
        now = clock()  # once the row is ours: waiting for the lock must not age it
        wait = _penalty_left(row, now)
        if wait:
            return wait, None
        effective = _limit(row, limit)
        if effective is None:
            return 0.0, None
        window = _window(row)
        calls = sorted(t for t in row.calls if t > now - window)
        if len(calls) >= effective:
            # The call that must leave the window before there is room again.
            return max(calls[len(calls) - effective] + window - now, 0.01), None
        reserved = now + hold
        row.calls, row.limit = [*calls, reserved], limit
        row.save(update_fields=["calls", "limit", "updated_at"])
    return 0.0, reserved


def settle(
    account: str,
    group: str,
    *,
    reserved: float | None,
    finished: float,
    reported_limit: int | None = None,
    reported_remaining: int | None = None,
    reported_window: int | None = None,
) -> None:
    """Move a taken call (logged at `reserved`) to `finished`; record what the provider reported."""
    with transaction.atomic():
        row = _locked(account, group)
        fields = ["updated_at"]
        if reserved is not None and reserved in row.calls:
            row.calls = sorted([t for t in row.calls if t != reserved] + [finished])
            fields.append("calls")
        if reported_limit is not None or reported_remaining is not None:
            if reported_limit and reported_limit > 0:
                row.limit_reported = reported_limit
            row.remaining_reported = reported_remaining
            row.window_reported = reported_window if reported_window and reported_window > 0 else None
            row.reported_at = _aware(finished)
            fields += ["limit_reported", "remaining_reported", "window_reported", "reported_at"]
        row.save(update_fields=fields)


def penalize(account: str, seconds: float, group: str = "") -> None:
    """Stop every worker from calling this account and group for `seconds` (a 429's Retry-After).

    The penalty is kept in the budget's row, where `take` and `penalty_remaining` read it.
    """
    end = clock() + max(seconds, 1.0)
    with transaction.atomic():
        row = _locked(account, group)
        if row.penalty_until is None or _aware(end) > row.penalty_until:
            row.penalty_until = _aware(end)
            row.save(update_fields=["penalty_until", "updated_at"])


def penalty_remaining(account: str, group: str | None = None) -> float:
    """The seconds left in the account's penalty (0 when none runs), read from its budget rows.

    `group` None: any group of the account. One SELECT on the budget's unique
    (account, group) index, no lock: the outbox and the Sunshine client look
    before a call to spare one that a penalty would refuse, and a backend
    without a counted budget (Mandrill, Sunshine Conversations) relies on this
    look; `take` checks a counted budget's row itself, under its lock.
    """
    rows = ProviderBudget.objects.filter(account=account, penalty_until__isnull=False)
    if group is not None:
        rows = rows.filter(group=group)
    until = rows.aggregate(until=Max("penalty_until"))["until"]
    return max(0.0, until.timestamp() - clock()) if until else 0.0


def budgets() -> list[dict]:
    """Every account's budget per group, for staff: calls in the last window, limit, what the provider said.

    Keys: `account`, `group`, `calls_last_minute` (calls within the window,
    those still on their way included), `limit` (the one applied), `remaining_reported`
    (int or None), `penalty_until` (aware datetime, or None when no penalty runs).
    """
    now = clock()
    result = []
    for row in ProviderBudget.objects.order_by("account", "group"):
        window = _window(row)
        result.append(
            {
                "account": row.account,
                "group": row.group,
                "calls_last_minute": sum(1 for t in row.calls if t > now - window),
                "limit": _limit(row, row.limit),
                "remaining_reported": row.remaining_reported,
                "penalty_until": row.penalty_until if _penalty_left(row, now) else None,
            }
        )
    return result
