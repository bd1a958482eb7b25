"""The operations dashboard at the top of the admin index: is work going out?

Everything here reads indexed aggregates only, so the page costs the same with
ten thousand or a million rows:

- per channel, the outgoing requests made today and on each of the last 14
  days, sent / failed / waiting: one GROUP BY over the (created_at, channel,
  status) index `outbox_day_idx`, read for those days alone; drawn with the
  chart.js that django-unfold bundles (`charts`): one chart per kind, the
  channels stacked on one scale, day labels, a legend, values on hover;
- the outbox now (`planocore.outbox.selectors.outbox_now`): partial indexes of
  unfinished rows;
- each provider account's budget (`planocore.providers.ratelimit.budgets`, no query);
- the failures that need someone (open problems, planocore/delivery.py): the
  outbox's failed and abandoned requests nobody has resolved (here), then what each
  feature app registers in `AppConfig.ready()` (`register_failures`), since the
  platform does not import the feature apps. Each source is a count and one query
  of a few rows, on a partial index of its open problems; each count links to
  exactly the rows it counts.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from planocore.delivery import DeliveryState
from planocore.outbox.models import Channel, ExternalRequest
from planocore.outbox.problems import open_problems
from planocore.outbox.selectors import outbox_now
from planocore.providers import ratelimit

DAYS = 14
FAILURES_SHOWN = 5

# How each delivery state counts on the charts.
BUCKETS = {
    DeliveryState.SENT: "sent",
    DeliveryState.FAILED: "failed",
    DeliveryState.ABANDONED: "failed",
    DeliveryState.QUEUED: "waiting",
    DeliveryState.RETRYING: "waiting",
    DeliveryState.SENDING: "waiting",
    DeliveryState.SUPPRESSED: "suppressed",
}
KINDS = ("sent", "failed", "waiting", "suppressed")

# Each channel's colour on the charts (the same on every chart, so the legend reads once).
CHANNEL_COLOURS = {
    "glip": "#f59e0b",
    "email": "#8b5cf6",
    "sms": "#3b82f6",
    "mms": "#06b6d4",
    "conversation": "#10b981",
    "callback": "#64748b",
}
# The charts drawn, by kind: (kind, title).
CHARTS = (
    ("sent", "Sent per day"),
    ("failed", "Failed or abandoned per day"),
)


@dataclass(frozen=True)
class Failure:
    """One failure that needs someone: what it is, when, why, and its admin page."""

    label: str
    when: datetime | None
    detail: str
    url: str


@dataclass(frozen=True)
class FailureSource:
    name: str
    title: str
    latest: Callable[[int], list[Failure]]
    list_url: Callable[[], str]
    count: Callable[[], int]


@dataclass
class FailureBlock:
    title: str
    list_url: str
    count: int = 0
    failures: list[Failure] = field(default_factory=list)


FAILURE_SOURCES: dict[str, FailureSource] = {}


def register_failures(
    name: str,
    title: str,
    latest: Callable[[int], list[Failure]],
    list_url: Callable[[], str],
    count: Callable[[], int],
) -> None:
    """Show the open problems of a source in the dashboard's failures block.

    `latest(n)`: the newest n, newest first; `count()`: how many are open;
    `list_url()`: the changelist filtered to exactly those rows. Call it from
    AppConfig.ready(); registering a name again replaces it.
    """
    FAILURE_SOURCES[name] = FailureSource(
        name=name, title=title, latest=latest, list_url=list_url, count=count
    )


def request_problems(limit: int) -> list[Failure]:
    """The latest failed or abandoned requests nobody has resolved, newest first."""
    rows = open_problems().order_by("-updated_at", "-id")[:limit]
    return [
        Failure(
            label=f"#{row.pk} {row.get_channel_display()} {row.action}: {row.status}",
            when=row.updated_at,
            detail=row.last_error[:140],
            url=reverse("admin:outbox_externalrequest_change", args=[row.pk]),
        )
        for row in rows.only("pk", "channel", "action", "status", "updated_at", "last_error")
    ]


def request_problems_url() -> str:
    return reverse("admin:outbox_externalrequest_changelist") + "?problem=open"


# The platform's own source comes first; the feature apps register theirs in ready().
register_failures(
    "request_problems",
    "Outgoing requests failed or abandoned",
    request_problems,
    request_problems_url,
    lambda: open_problems().count(),
)


def latest_failures(*, limit: int = FAILURES_SHOWN) -> list[FailureBlock]:
    """Each registered source's open count and latest problems (two queries each), in registration order."""
    return [
        FailureBlock(
            title=source.title,
            list_url=source.list_url(),
            count=source.count(),
            failures=source.latest(limit),
        )
        for source in FAILURE_SOURCES.values()
    ]


def _today_urls(channel: str, since: datetime) -> dict[str, str]:
    """Per chart bucket, the outbox list of exactly the channel's requests it counts today."""
    base = reverse("admin:outbox_externalrequest_changelist")
    urls = {}
    for kind in KINDS:
        states = ",".join(state for state, bucket in BUCKETS.items() if bucket == kind)
        query = {"channel__exact": channel, "status__in": states, "created_at__gte": since.isoformat()}
        urls[kind] = f"{base}?{urlencode(query)}"
    return urls


def channel_days(*, now: datetime, days: int = DAYS) -> list[dict]:
    """Per channel: sent / failed / waiting today and on each of the last `days` days.

    Days are the current time zone's; a request counts on the day it was made.
    """
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tzinfo=timezone.get_current_timezone())
    rows = (
        ExternalRequest.objects.filter(created_at__gte=start)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "channel", "status")
        .annotate(n=Count("*"))
    )
    counts: dict[tuple[date, str], dict[str, int]] = {}
    for day, channel, status, n in rows:
        bucket = counts.setdefault((day, channel), dict.fromkeys(KINDS, 0))
        bucket[BUCKETS.get(status, "waiting")] += n
    dates = [first + timedelta(days=offset) for offset in range(days)]
    today_start = datetime.combine(today, time.min, tzinfo=timezone.get_current_timezone())
    channels = []
    for channel in Channel:
        series = []
        for day in dates:
            values = counts.get((day, channel.value), dict.fromkeys(KINDS, 0))
            series.append({"date": day, **values, "total": sum(values.values())})
        channels.append(
            {
                "channel": channel.value,
                "label": channel.label,
                "today": series[-1],
                "today_urls": _today_urls(channel.value, today_start),
                "days": series,
                "total": sum(day["total"] for day in series),
            }
        )
    return channels


# chart.js options (unfold's own defaults hide the y axis and the legend): both axes titled,
# the channels stacked on one scale from zero, whole numbers, a legend, every channel on hover.
CHART_OPTIONS = {
    "responsive": True,
    "maintainAspectRatio": False,
    "animation": False,
    "interaction": {"mode": "index", "intersect": False},
    "plugins": {
        "legend": {"display": True, "position": "top", "align": "end"},
        "tooltip": {"enabled": True},
    },
    "scales": {
        "x": {"stacked": True, "title": {"display": True, "text": "Day the request was made"}, "grid": {}},
        "y": {
            "stacked": True,
            "beginAtZero": True,
            "suggestedMax": 5,
            "ticks": {"precision": 0},
            "title": {"display": True, "text": "Requests"},
            "grid": {},
        },
    },
}


def charts(channels: list[dict]) -> list[dict]:
    """chart.js data for each chart in CHARTS: a bar per day labelled "Mon 7 Dec", a dataset per channel.

    A chart with no requests yet still draws its axes and day labels (a scale of 0 to 5).
    """
    if not channels:
        return []
    labels = [day["date"].strftime("%a %-d %b") for day in channels[0]["days"]]
    drawn = []
    for kind, title in CHARTS:
        datasets = [
            {
                "label": channel["label"],
                "data": [day[kind] for day in channel["days"]],
                "backgroundColor": CHANNEL_COLOURS.get(channel["channel"], "#9ca3af"),
                "borderRadius": 2,
                "maxBarThickness": 28,
            }
            for channel in channels
        ]
        drawn.append(
            {
                "kind": kind,
                "title": title,
                "total": sum(sum(dataset["data"]) for dataset in datasets),
                "data": json.dumps({"labels": labels, "datasets": datasets}),
                "options": json.dumps(CHART_OPTIONS),
            }
        )
    return drawn


def _budget(row: dict) -> dict:
    """A provider account's budget, with the calls left this minute (the provider's own figure if given)."""
    left = row.get("remaining_reported")
    if left is None and row.get("limit") is not None:
        left = max(row["limit"] - (row.get("calls_last_minute") or 0), 0)
    return {**row, "left": left}


def dashboard(*, now: datetime | None = None) -> dict:
    """The dashboard's context: channels, outbox, budgets, failures."""
    now = now or timezone.now()
    channels = channel_days(now=now)
    return {
        "now": now,
        "days": DAYS,
        "channels": channels,
        "charts": charts(channels),
        "outbox": outbox_now(now=now),
        "budgets": [_budget(row) for row in ratelimit.budgets()],
        "failures": latest_failures(),
    }
