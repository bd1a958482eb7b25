"""The outbox: every call PlanoCore makes to a provider is an ExternalRequest row."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Q

from planocore.delivery import NEEDS_SOMEONE, DeliveryState, Resolution, states_q


class Channel(models.TextChoices):
    GLIP = "glip", "Glip"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    MMS = "mms", "MMS"
    CONVERSATION = "conversation", "Sunshine Conversations"
    # Signed events POSTed to the calling applications' own URLs (planocore/providers/callback.py).
    CALLBACK = "callback", "Application callback"


# The channels a sandbox backend can stand in for: all but callbacks, which go to our own
# applications' URLs, with no provider and no credentials.
SANDBOXED_CHANNELS = [(c.value, c.label) for c in Channel if c is not Channel.CALLBACK]


class ExternalRequest(Resolution):
    """One call to a provider. Its `status` is the one delivery vocabulary (planocore/delivery.py).

    A failed or abandoned request is a problem until it is resolved (the `Resolution`
    fields): a later request of the same record was sent, or staff marked it handled.
    A resend supersedes the older requests of its record (`superseded_by`): acting on
    them never changes the record, whose state is its latest request's.
    """

    Status = DeliveryState

    channel = models.CharField(max_length=20, choices=Channel.choices)
    action = models.CharField(max_length=40, default="send")
    payload = models.JSONField(default=dict, help_text="What is sent, without secrets.")
    secret_payload = models.TextField(
        blank=True, editable=False, help_text="Secrets for the send, encrypted; wiped once sent."
    )
    priority = models.SmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set with each claim, shared by the rows of one claimed batch: a worker
    # records an outcome only WHERE lease_token is still its own, so a worker
    # whose lease ran out (and whose row was reclaimed) cannot overwrite it.
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    # A staff retry starts a fresh series: the attempt and age bounds count
    # from here (the attempt log keeps its numbering).
    staff_retried_at = models.DateTimeField(null=True, blank=True)
    attempts_before_staff_retry = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    recipient = models.CharField(
        max_length=255,
        blank=True,
        help_text="Who the request goes to (addresses, phone numbers, the Glip team or user).",
    )
    response = models.JSONField(
        default=dict, blank=True, help_text="The provider's answer with secrets removed: the proof."
    )
    delivery_status = models.CharField(
        max_length=30, blank=True, help_text="Latest delivery event reported by the provider."
    )
    delivery_status_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the provider's event that set `delivery_status` happened (older ones are ignored).",
    )
    # No index of its own: outbox_source_idx (content_type, object_id) serves it.
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    object_id = models.CharField(max_length=64, blank=True)
    source = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # outbox_superseded_idx serves it
        help_text="The later request of the same record that replaced this one (a resend).",
    )
    # True on a resend that superseded earlier requests: once sent, it resolves their problems.
    supersedes = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = "outgoing request"
        ordering = ["-created_at"]
        indexes = [
            # Claiming: due waiting rows (queued, retrying), highest priority first,
            # oldest first. Only waiting (and in-flight) rows have a next attempt
            # time, so these partial indexes stay small however many millions of
            # finished rows the table keeps; `next_attempt_at <= now` implies their
            # condition on SQLite and PostgreSQL alike.
            models.Index(
                fields=["-priority", "next_attempt_at", "id"],
                name="outbox_due_idx",
                condition=Q(next_attempt_at__isnull=False),
            ),
            # The same for `process_external_requests --channel`.
            models.Index(
                fields=["channel", "-priority", "next_attempt_at", "id"],
                name="outbox_due_channel_idx",
                condition=Q(next_attempt_at__isnull=False),
            ),
            # Anti-starvation: the longest-waiting due rows, whatever their priority.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_due_age_idx",
                condition=Q(next_attempt_at__isnull=False),
            ),
            # Reclaiming rows whose worker died.
            models.Index(fields=["leased_until"], name="outbox_lease_idx", condition=Q(status="sending")),
            models.Index(fields=["content_type", "object_id"], name="outbox_source_idx"),
            # Delivery webhooks find their request by the provider's message id, and the
            # admin's search by its start (LIKE 'abc%': the pattern operator class on PostgreSQL).
            # Partial: a new (pending) row has none, so enqueueing never writes it.
            models.Index(
                fields=["provider_message_id"],
                name="outbox_provider_prefix_idx",
                condition=~Q(provider_message_id=""),
                opclasses=["varchar_pattern_ops"],
            ),
            # The admin's dashboard counts and status filters on unfinished work.
            # Partial, so it never holds the millions of succeeded rows (and so
            # SQLite's planner does not pick it over outbox_due_idx for claims).
            models.Index(
                fields=["status", "channel"],
                name="outbox_open_status_idx",
                condition=~Q(status="sent"),
            ),
            # Problems that need someone (failed or abandoned, not resolved): the dashboard,
            # the "needs someone" filters and the production notifications screen read it.
            models.Index(
                fields=["content_type", "object_id"],
                name="outbox_problem_idx",
                condition=Q(resolved_at__isnull=True) & states_q(NEEDS_SOMEONE),
            ),
            models.Index(
                fields=["superseded_by"],
                name="outbox_superseded_idx",
                condition=Q(superseded_by__isnull=False),
            ),
            # The date drill-down, and the dashboard's charts: requests per day,
            # channel and status over the last 14 days, read from the index alone.
            models.Index(fields=["created_at", "channel", "status"], name="outbox_day_idx"),
            # On PostgreSQL, a trigram index on UPPER(recipient) serves the admin's
            # search by part of a recipient (migration 0005, not in the state).
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.action} #{self.pk} ({self.status})"


class ExternalRequestAttempt(models.Model):
    """One try at sending an ExternalRequest: when, how long, and what came of it."""

    class Outcome(models.TextChoices):
        """What one try came to (not a delivery state: the request's `status` is that)."""

        SENT = "sent", "Sent"
        RETRYABLE = "retryable", "Retryable failure"
        PERMANENT = "permanent", "Permanent failure"

    request = models.ForeignKey(ExternalRequest, on_delete=models.CASCADE, related_name="attempt_log")
    # The request's channel, copied so that /metrics counts recent attempts from one index alone.
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    error = models.TextField(blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    retry_after_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["request_id", "number"]
        indexes = [
            # /metrics: the attempts of the last few minutes by channel and outcome, index only.
            models.Index(fields=["started_at", "channel", "outcome"], name="attempt_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.request_id} attempt {self.number}: {self.outcome}"


class SandboxFailure(models.Model):
    """Staff's switch that makes the sandbox fail one channel's sends on purpose (docs/outbox.md).

    The sandbox backend reads the switches that are on through `switched_on()`:
    one cache entry (SWITCHES_CACHE_SECONDS), so a send costs no query, dropped by
    every save in the cache the save runs against. With a shared cache (CACHE_URL,
    Redis) every process sees a change at once; with the per-process default the
    other processes see it when their entry ages out (2 s). It does nothing to a channel
    served by a real provider.
    """

    SWITCHES_CACHE_KEY = "sandbox:failure-switches:v1"
    # Short: with the per-process default cache, another process (`make run`'s sweep) sees a
    # switch saved in the admin within this many seconds; one small query per process per period.
    SWITCHES_CACHE_SECONDS = 2

    class Mode(models.TextChoices):
        OFF = "off", "Off: sends succeed"
        RETRYABLE = "retryable", "Retryable failure (the outbox tries again, then abandons)"
        PERMANENT = "permanent", "Permanent failure (the request fails at once)"

    channel = models.CharField(max_length=20, choices=SANDBOXED_CHANNELS, unique=True)
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.OFF)
    retry_after_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For a retryable failure: the Retry-After the sandbox answers with, in seconds. "
        "Empty: the outbox's own backoff.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sandbox failure switch"
        verbose_name_plural = "sandbox failure switches"
        ordering = ["channel"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.mode}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self.forget_switches()
        transaction.on_commit(self.forget_switches)  # a send that read the old state meanwhile

    @classmethod
    def switched_on(cls) -> dict[str, tuple[str, int | None]]:
        """Channel → (mode, retry_after_seconds) of every switch that is on, from the cache."""
        state = cache.get(cls.SWITCHES_CACHE_KEY)
        if state is None:
            state = {
                row[0]: row[1:]
                for row in cls.objects.exclude(mode=cls.Mode.OFF).values_list(
                    "channel", "mode", "retry_after_seconds"
                )
            }
            cache.set(cls.SWITCHES_CACHE_KEY, state, cls.SWITCHES_CACHE_SECONDS)
        return state

    @classmethod
    def forget_switches(cls) -> None:
        """Drop the cached switches (every save does)."""
        cache.delete(cls.SWITCHES_CACHE_KEY)

    @classmethod
    def ensure_all(cls) -> None:
        """Make the switch (off) of every channel that has none yet; the admin list calls it."""
        wanted = {value for value, _ in SANDBOXED_CHANNELS}
        missing = wanted - set(cls.objects.values_list("channel", flat=True))
        if missing:
            cls.objects.bulk_create([cls(channel=c) for c in sorted(missing)], ignore_conflicts=True)


class SweepHeartbeat(models.Model):
    """The last sweep of due requests (`process_due`: the beat task, `process_external_requests`).

    One row, written at the end of every sweep, so the dashboard and /healthz can
    say when work is due and no sweep has run for OUTBOX_SWEEP_STALE_SECONDS.
    """

    name = models.CharField(max_length=20, unique=True, default="outbox")
    ran_at = models.DateTimeField(help_text="When the last sweep finished.")
    took_ms = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    retrying = models.PositiveIntegerField(default=0)
    abandoned = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"sweep at {self.ran_at:%Y-%m-%d %H:%M:%S}"
