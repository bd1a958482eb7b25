"""Celery tasks of the inbound app."""

from celery import shared_task


@shared_task(name="inbound.tasks.renew_ringcentral_subscriptions")
def renew_ringcentral_subscriptions() -> list[str]:
    """Create or renew the default extensions' webhook subscriptions before they expire (beat, daily)."""
    from django.conf import settings

    from inbound.subscriptions import ensure_subscriptions

    if not (settings.RINGCENTRAL_WEBHOOK_ADDRESS and settings.RINGCENTRAL_WEBHOOK_VERIFICATION_TOKEN):
        return []  # inbound SMS not configured: nothing to renew
    return [f"{r.extension}: {r.action} {r.subscription_id}" for r in ensure_subscriptions()]
