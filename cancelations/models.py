"""Cancelations of orders, tours and other records of the internal applications.

What is canceled lives in another application (PlanoOrder's orders, tours...):
a cancelation points at it by type name and id (`cancelable_type`,
`cancelable_id`), a polymorphic reference without a foreign key. The allowed
types are `settings.CANCELABLE_TYPES`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from planocore.delivery import Resolution


class CancelationReason(models.Model):
    """Why something was canceled; callers pass its id (`reason_id`) or slug (`reason_slug`)."""

    slug = models.SlugField(max_length=100, unique=True)
    text = models.CharField(max_length=255, help_text="The reason as people read it.")
    active = models.BooleanField(default=True, help_text="Untick to stop offering this reason.")
    order = models.PositiveIntegerField(default=0, help_text="Its place in lists, lowest first.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.text or self.slug


class Cancelation(models.Model):
    """One cancelation of one record; at most one is active per record (a database constraint).

    Active: the record is canceled (`canceled_*` say when, by whom, through which
    application). Inactive: it was reinstated (`reinstated_*`). Every change is
    kept in CancelationChange by the services.
    """

    cancelable_type = models.CharField(
        max_length=50, help_text="Type of the canceled record (one of settings.CANCELABLE_TYPES)."
    )
    cancelable_id = models.PositiveBigIntegerField(help_text="Id of the canceled record.")
    key = models.CharField(max_length=100, blank=True, help_text="Caller's identifier, typically a slug.")
    reason = models.ForeignKey(
        CancelationReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cancelations",
    )
    reason_text = models.CharField(
        max_length=255, blank=True, help_text="The reason as given; copied from the reason unless given."
    )
    reason_note = models.TextField(blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    canceled_by = models.CharField(
        max_length=150, blank=True, help_text="Who canceled: a user id or an application slug."
    )
    canceled_in = models.CharField(
        max_length=100, blank=True, help_text="Application (slug) or 'admin' the cancelation came through."
    )
    reinstated_at = models.DateTimeField(null=True, blank=True)
    reinstated_by = models.CharField(
        max_length=150, blank=True, help_text="Who reinstated: a user id or an application slug."
    )
    reinstated_note = models.TextField(blank=True)
    active = models.BooleanField(default=True, help_text="True while the record stays canceled.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # The guarantee that two concurrent cancels cannot both win.
            models.UniqueConstraint(
                fields=["cancelable_type", "cancelable_id"],
                condition=Q(active=True),
                name="cancelation_one_active_per_cancelable",
                violation_error_message="This record already has an active cancelation.",
            ),
            models.CheckConstraint(
                condition=Q(active=False) | Q(reinstated_at__isnull=True),
                name="cancelation_active_not_reinstated",
                violation_error_message="An active cancelation cannot have a reinstated time.",
            ),
            models.CheckConstraint(
                condition=Q(active=True) | Q(reinstated_at__isnull=False),
                name="cancelation_inactive_has_reinstated_at",
                violation_error_message="A reinstated cancelation needs its reinstated time.",
            ),
        ]
        indexes = [
            models.Index(fields=["cancelable_type", "cancelable_id"], name="cancelation_cancelable_idx"),
            models.Index(fields=["canceled_at"], name="cancelation_canceled_at_idx"),
            models.Index(fields=["reinstated_at"], name="cancelation_reinstated_at_idx"),
            models.Index(fields=["active", "-id"], name="cancelation_active_idx"),
            # On PostgreSQL, trigram indexes on UPPER(key), UPPER(reason_note) and
            # UPPER(reinstated_note) serve the admin's search (migration 0003, not in the state).
        ]

    def __str__(self) -> str:
        state = "active" if self.active else "reinstated"
        return f"{self.cancelable_type} #{self.cancelable_id} ({state})"

    @property
    def reason_slug(self) -> str | None:
        return self.reason.slug if self.reason_id else None


class CancelationChange(models.Model):
    """One change to a cancelation: what changed field by field, who, through what, when."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        CANCEL = "cancel", "Canceled again"
        REINSTATE = "reinstate", "Reinstated"

    cancelation = models.ForeignKey(Cancelation, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=20, choices=Action.choices)
    changes = models.JSONField(
        default=dict, help_text="Each changed field's old and new value, as the API shows them."
    )
    changed_by = models.CharField(
        max_length=150, help_text="Who made the change: a user id or an application slug."
    )
    changed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_in = models.CharField(
        max_length=100, blank=True, help_text="The application (slug) or 'admin' the change came through."
    )
    changed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["cancelation_id", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.changed_by} at {self.changed_at:%Y-%m-%d %H:%M}"


class CancelationNoticeProblem(Resolution):
    """A notice of a cancelation that could not be made: kept for staff, shown on its page and listed.

    Written with the cancelation's change (same transaction), by `send_notices`. A
    problem until staff mark it handled (the `Resolution` fields); kept afterwards.
    """

    cancelation = models.ForeignKey(Cancelation, on_delete=models.CASCADE, related_name="notice_problems")
    transition = models.CharField(
        max_length=20, help_text="What the notice announced: canceled or reinstated."
    )
    notification_type = models.CharField(
        max_length=20,
        blank=True,
        help_text="The notice's channel (glip, email); empty when none is configured.",
    )
    problem = models.TextField(help_text="Why the notice was not made, and what to fix.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        what = f"{self.notification_type} notice" if self.notification_type else "notice"
        return f"Cancelation #{self.cancelation_id}: {what} ({self.transition}) not made"
