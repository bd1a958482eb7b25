"""What /metrics reports, in the Prometheus text exposition format (version 0.0.4).

`prometheus-client` writes the text: `DatabaseCollector` is a custom collector whose
`collect()` reads every figure from the database at scrape time (three queries), so
web, worker and beat processes need no shared in-memory state, and a restart loses
nothing:

- planocore_outbox_requests{status,channel}: rows of the outbox by delivery state
  (planocore/delivery.py: the names the API, the admin and the docs use) and
  channel (a gauge; one GROUP BY on the (status, channel) index). Every known
  state x channel pair is written, 0 when empty, so series never vanish.
- planocore_outbox_oldest_due_seconds: how long the longest-waiting due
  queued or retrying request has been due (now - its next_attempt_at); 0 when none is due.
  A rising value means the workers are not keeping up or not running.
- planocore_provider_sends_total{channel,provider} and
  planocore_provider_failures_total{channel,provider,kind}: send attempts
  recorded in ExternalRequestAttempt (succeeded; retryable or permanent
  failures). `provider` is the name of the backend serving the channel now.
  They are counters as long as attempt rows are kept; deleting old rows shows
  as a counter reset, which Prometheus's rate() tolerates.
- planocore_provider_budget_calls, _limit, _remaining_reported and
  _penalty_until_seconds {account,group}: each provider account's budget per
  API group (planocore.providers.ratelimit.budgets()): calls in the rolling
  window, the limit applied, what the provider last reported as remaining
  (absent when it never did), and when its penalty ends (Unix time; 0 when none).
"""

from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import Count, Min, Subquery
from django.utils import timezone
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from planocore.delivery import WAITING
from planocore.outbox.models import Channel, ExternalRequest, ExternalRequestAttempt
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
    return (
        ExternalRequest.objects.order_by()
        .filter(status__in=WAITING, next_attempt_at__lte=now)
        .values("status")
        .annotate(oldest=Min("next_attempt_at"))
        .values("oldest")
    )


def outbox_depth_and_oldest_due(now=None) -> tuple[list[Sample], float]:
    """(rows by status and channel, `oldest_due_seconds`) in one query.

    The oldest due time is a scalar subquery on its own partial index, evaluated
    once and carried on every group row (an empty outbox has none due).
    """
    now = now or timezone.now()
    rows = (
        ExternalRequest.objects.order_by()
        .values("status", "channel")
        .annotate(n=Count("id"), oldest_due=Subquery(_oldest_due(now)))
    )
    counts, oldest = {}, None
    for row in rows:
        counts[(row["status"], row["channel"])] = row["n"]
        oldest = row["oldest_due"]
    channels = [value for value, _ in Channel.choices]
    channels += sorted({channel for _, channel in counts} - set(channels))
    samples = []
    for status, _ in ExternalRequest.Status.choices:
        for channel in channels:
            samples.append(({"status": status, "channel": channel}, counts.get((status, channel), 0)))
    return samples, max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


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


def attempt_counts() -> tuple[list[Sample], list[Sample]]:
    """(sends, failures) per channel and provider, from the attempt log."""
    counts = {
        (row["request__channel"], row["outcome"]): row["n"]
        for row in ExternalRequestAttempt.objects.order_by()
        .values("request__channel", "outcome")
        .annotate(n=Count("id"))
    }
    channels = [value for value, _ in Channel.choices]
    channels += sorted({channel for channel, _ in counts} - set(channels))
    outcome = ExternalRequestAttempt.Outcome
    sends, failures = [], []
    for channel in channels:
        labels = {"channel": channel, "provider": provider_name(channel)}
        sends.append((labels, counts.get((channel, outcome.SENT), 0)))
        for kind in (outcome.RETRYABLE, outcome.PERMANENT):
            failures.append(({**labels, "kind": kind.value}, counts.get((channel, kind), 0)))
    return sends, failures


class DatabaseCollector:
    """The custom collector: every family, read from the database at each scrape (three queries)."""

    def collect(self) -> Iterator[Metric]:
        depth, oldest_due = outbox_depth_and_oldest_due()
        sends, failures = attempt_counts()
        budgets = budget_samples()
        yield _family(
            "planocore_outbox_requests",
            "gauge",
            "Outgoing requests in the outbox, by delivery state (planocore/delivery.py) and channel.",
            depth,
        )
        yield _family(
            "planocore_outbox_oldest_due_seconds",
            "gauge",
            "Seconds the longest-waiting due queued or retrying request has been due (0 when none).",
            [({}, oldest_due)],
        )
        yield _family(
            "planocore_provider_sends_total",
            "counter",
            "Successful send attempts, by channel and provider.",
            sends,
        )
        yield _family(
            "planocore_provider_failures_total",
            "counter",
            "Failed send attempts, by channel, provider and kind (retryable or permanent).",
            failures,
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
    """The whole /metrics page (three queries)."""
    return generate_latest(DatabaseCollector()).decode()
