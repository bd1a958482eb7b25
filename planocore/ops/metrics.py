"""What /metrics reports, in the Prometheus text exposition format (version 0.0.4).

`prometheus-client` writes the text: `DatabaseCollector` is a custom collector whose
`collect()` reads every figure from the database at scrape time, so web, worker and
beat processes need no shared in-memory state, and a restart loses nothing. It reads
only open work and bounded windows, each through an index, never the history: a scrape
costs the same with ten thousand or a million rows (`bench/admin_scale.py` times it).

- planocore_outbox_requests{status,channel}: the work in flight (queued, sending,
  retrying) and the problems that need someone (failed, abandoned: not resolved), by
  delivery state (planocore/delivery.py) and channel; two GROUP BYs on the partial
  indexes of unfinished rows and of open problems. Every such pair is written, 0 when
  empty, so series never vanish.
- planocore_outbox_recent_requests{status,channel}: requests made in the last
  METRICS_WINDOW_SECONDS (300), by delivery state, every state and channel; a range of
  the (created_at, channel, status) index.
- planocore_outbox_oldest_due_seconds: how long the longest-waiting due
  queued or retrying request has been due (now - its next_attempt_at); 0 when none is
  due. A rising value means the workers are not keeping up or not running.
- planocore_provider_recent_attempts{channel,provider,outcome}: send attempts started in
  the window, by outcome (sent, retryable, permanent); a range of the (started_at,
  channel, outcome) index. `provider` is the name of the backend serving the channel now.
- planocore_provider_budget_calls, _limit, _remaining_reported and
  _penalty_until_seconds {account,group}: each provider account's budget per
  API group (planocore.providers.ratelimit.budgets()): calls in the rolling
  window, the limit applied, what the provider last reported as remaining
  (absent when it never did), and when its penalty ends (Unix time; 0 when none).
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Subquery
from django.utils import timezone
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from planocore.delivery import NEEDS_SOMEONE, OPEN, WAITING, DeliveryState
from planocore.outbox.models import Channel, ExternalRequest, ExternalRequestAttempt
from planocore.outbox.problems import open_problems
from planocore.providers import ratelimit

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

Sample = tuple[dict[str, str], float]


def _family(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> Metric:
    """One metric family; every sample of a family has the same label names."""
    samples = list(samples)
    names = list(samples[0][0]) if samples else []
    family_class = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
    family = family_class(name, help_text, labels=names)
    for labels, value in samples:
        family.add_metric([str(labels[key]) for key in names], value)
    return family


def provider_name(channel: str) -> str:
    """The name of the backend serving `channel` ("unknown" if it cannot be built)."""
    from planocore.providers.registry import get_backend

    try:
        return get_backend(channel).name
    except Exception:
        return "unknown"


def _oldest_due(now: datetime):
    """The next attempt time of the longest-due waiting request (one row: `outbox_due_age_idx` in order)."""
    return (
        ExternalRequest.objects.filter(status__in=WAITING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values("next_attempt_at")[:1]
    )


def _channels(*seen: str) -> list[str]:
    return [*Channel.values, *sorted(set(seen) - set(Channel.values))]


def outbox_depth_and_oldest_due(now=None) -> tuple[list[Sample], float]:
    """(open work and open problems by state and channel, `oldest_due_seconds`).

    The oldest due time is a scalar subquery on its own partial index, carried on
    the rows of the first GROUP BY (with no request in flight none is due).
    """
    now = now or timezone.now()
    in_flight = (
        ExternalRequest.objects.exclude(status=DeliveryState.SENT)
        .filter(status__in=OPEN)
        .order_by()
        .values("status", "channel")
        .annotate(n=Count("id"), oldest_due=Subquery(_oldest_due(now)))
    )
    problems = open_problems().order_by().values("status", "channel").annotate(n=Count("id"))
    counts, oldest = {}, None
    for rows in (in_flight, problems):
        for row in rows:
            counts[(row["status"], row["channel"])] = row["n"]
            oldest = row.get("oldest_due") or oldest
    samples = [
        ({"status": status, "channel": channel}, counts.get((status, channel), 0))
        for status in (*OPEN, *NEEDS_SOMEONE)
        for channel in _channels(*(channel for _, channel in counts))
    ]
    return samples, max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def recent_requests(now=None) -> list[Sample]:
    """Requests made in the last METRICS_WINDOW_SECONDS by state and channel (a range of outbox_day_idx)."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.METRICS_WINDOW_SECONDS)
    counts = {
        (row["status"], row["channel"]): row["n"]
        for row in ExternalRequest.objects.filter(created_at__gte=since)
        .order_by()
        .values("status", "channel")
        .annotate(n=Count("id"))
    }
    return [
        ({"status": status, "channel": channel}, counts.get((status, channel), 0))
        for status in DeliveryState.values
        for channel in _channels(*(channel for _, channel in counts))
    ]


def budget_samples() -> dict[str, list[Sample]]:
    """The budget families' samples, from `ratelimit.budgets()` (one query)."""
    families: dict[str, list[Sample]] = {"calls": [], "limit": [], "remaining_reported": [], "penalty": []}
    for budget in ratelimit.budgets():
        labels = {"account": budget["account"], "group": budget["group"]}
        families["calls"].append((labels, budget["calls_last_minute"]))
        if budget["limit"] is not None:
            families["limit"].append((labels, budget["limit"]))
        if budget["remaining_reported"] is not None:
            families["remaining_reported"].append((labels, budget["remaining_reported"]))
        until = budget["penalty_until"]
        families["penalty"].append((labels, until.timestamp() if until else 0))
    return families


def recent_attempts(now=None) -> list[Sample]:
    """Send attempts started in the last METRICS_WINDOW_SECONDS, by channel, provider and outcome."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.METRICS_WINDOW_SECONDS)
    counts = {
        (row["channel"], row["outcome"]): row["n"]
        for row in ExternalRequestAttempt.objects.filter(started_at__gte=since)
        .order_by()
        .values("channel", "outcome")
        .annotate(n=Count("id"))
    }
    return [
        (
            {"channel": channel, "provider": provider_name(channel), "outcome": outcome},
            counts.get((channel, outcome), 0),
        )
        for channel in _channels(*(channel for channel, _ in counts))
        for outcome in ExternalRequestAttempt.Outcome.values
    ]


class DatabaseCollector:
    """The custom collector: every family, read from the database at each scrape (five queries)."""

    def collect(self) -> Iterator[Metric]:
        depth, oldest_due = outbox_depth_and_oldest_due()
        budgets = budget_samples()
        window = settings.METRICS_WINDOW_SECONDS
        yield _family(
            "planocore_outbox_requests",
            "gauge",
            "Outgoing requests in flight (queued, sending, retrying) and open problems (failed, "
            "abandoned, not resolved), by delivery state (planocore/delivery.py) and channel.",
            depth,
        )
        yield _family(
            "planocore_outbox_recent_requests",
            "gauge",
            f"Outgoing requests made in the last {window} s, by delivery state and channel.",
            recent_requests(),
        )
        yield _family(
            "planocore_outbox_oldest_due_seconds",
            "gauge",
            "Seconds the longest-waiting due queued or retrying request has been due (0 when none).",
            [({}, oldest_due)],
        )
        yield _family(
            "planocore_provider_recent_attempts",
            "gauge",
            f"Send attempts started in the last {window} s, by channel, provider and outcome.",
            recent_attempts(),
        )
        yield _family(
            "planocore_provider_budget_calls",
            "gauge",
            "Calls in the rolling window (60 s), by provider account and API group.",
            budgets["calls"],
        )
        yield _family(
            "planocore_provider_budget_limit",
            "gauge",
            "The calls per window applied, by provider account and API group.",
            budgets["limit"],
        )
        yield _family(
            "planocore_provider_budget_remaining_reported",
            "gauge",
            "Calls left according to the provider's last X-Rate-Limit-Remaining.",
            budgets["remaining_reported"],
        )
        yield _family(
            "planocore_provider_budget_penalty_until_seconds",
            "gauge",
            "Unix time the account and group's 429 penalty ends (0 when none runs).",
            budgets["penalty"],
        )


def render() -> str:
    """The whole /metrics page (five queries)."""
    return generate_latest(DatabaseCollector()).decode()
