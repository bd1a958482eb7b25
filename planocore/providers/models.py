"""The provider budgets' rolling logs (planocore.providers.ratelimit reads and writes them)."""

from django.db import models


class ProviderBudget(models.Model):
    """One provider account's budget for one API group: recent calls, what the provider said, penalty."""

    account = models.CharField(max_length=200)
    group = models.CharField(max_length=40, blank=True)
    # Epoch seconds of the calls of the last window, oldest first; a call still
    # on its way holds a reservation a little in the future (see ratelimit).
    calls = models.JSONField(default=list)
    limit = models.PositiveIntegerField(null=True, blank=True, help_text="The configured budget last used.")
    limit_reported = models.PositiveIntegerField(null=True, blank=True)
    remaining_reported = models.IntegerField(null=True, blank=True)
    window_reported = models.PositiveIntegerField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    penalty_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "group"], name="provider_budget_unique")]
        ordering = ["account", "group"]

    def __str__(self) -> str:
        return f"{self.account} {self.group}".strip()
