"""What /metrics reports, in the Prometheus text exposition format (version 0.0.4).

Every figure is read from the database at scrape time, so web, worker and beat
processes need no shared in-memory state, and a restart loses nothing:

- planocore_outbox_requests{status,channel}: rows of the outbox by status and
  channel (a gauge; one GROUP BY on the (status, channel) index). Every known
  status x channel pair is written, 0 when empty, so series never vanish.
- planocore_outbox_oldest_due_seconds: how long the longest-waiting due
  pending request has been due (now - its next_attempt_at); 0 when none is due.
  A rising value means the workers are not keeping up or not running.
- planocore_provider_sends_total{channel,provider} and
  planocore_provider_failures_total{channel,provider,kind}: send attempts
  recorded in ExternalRequestAttempt (succeeded; retryable or permanent
  failures). `provider` is the name of the backend serving the channel now.
  They are counters as long as attempt rows are kept; deleting old rows shows
  as a counter reset, which Prometheus's rate() tolerates.
"""

from collections.abc import Iterable

from django.db.models import Count, Min
from django.utils import timezone

from planocore.outbox.models import Channel, ExternalRequest, ExternalRequestAttempt

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Sample = tuple[dict[str, str], float]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _format_value(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _family(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        label_text = ",".join(f'{key}="{_escape(str(val))}"' for key, val in labels.items())
        lines.append(
            f"{name}{{{label_text}}} {_format_value(value)}" if labels else f"{name} {_format_value(value)}"
        )
    return lines


def provider_name(channel: str) -> str:
    """The name of the backend serving `channel` ("unknown" if it cannot be built)."""
    from planocore.providers.registry import get_backend

    try:
        return get_backend(channel).name
    except Exception:
        return "unknown"


def outbox_depth() -> list[Sample]:
    counts = {
        (row["status"], row["channel"]): row["n"]
        for row in ExternalRequest.objects.order_by().values("status", "channel").annotate(n=Count("id"))
    }
    channels = [value for value, _ in Channel.choices]
    channels += sorted({channel for _, channel in counts} - set(channels))
    samples = []
    for status, _ in ExternalRequest.Status.choices:
        for channel in channels:
            samples.append(({"status": status, "channel": channel}, counts.get((status, channel), 0)))
    return samples


def oldest_due_seconds(now=None) -> float:
    now = now or timezone.now()
    oldest = (
        ExternalRequest.objects.order_by()
        .filter(status=ExternalRequest.Status.PENDING, next_attempt_at__lte=now)
        .aggregate(oldest=Min("next_attempt_at"))["oldest"]
    )
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


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
        sends.append((labels, counts.get((channel, outcome.SUCCEEDED), 0)))
        for kind in (outcome.RETRYABLE, outcome.PERMANENT):
            failures.append(({**labels, "kind": kind.value}, counts.get((channel, kind), 0)))
    return sends, failures


def render() -> str:
    """The whole /metrics page (three queries)."""
    sends, failures = attempt_counts()
    lines = [
        *_family(
            "planocore_outbox_requests",
            "gauge",
            "Outgoing requests in the outbox, by status and channel.",
            outbox_depth(),
        ),
        *_family(
            "planocore_outbox_oldest_due_seconds",
            "gauge",
            "Seconds the longest-waiting due pending request has been due (0 when none).",
            [({}, oldest_due_seconds())],
        ),
        *_family(
            "planocore_provider_sends_total",
            "counter",
            "Successful send attempts, by channel and provider.",
            sends,
        ),
        *_family(
            "planocore_provider_failures_total",
            "counter",
            "Failed send attempts, by channel, provider and kind (retryable or permanent).",
            failures,
        ),
    ]
    return "\n".join(lines) + "\n"
