"""Create or renew the RingCentral webhook subscription of each default extension (idempotent)."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from inbound.subscriptions import ensure_subscriptions
from planocore.providers.base import ProviderError


class Command(BaseCommand):
    help = (
        "Subscribe PlanoCore's /webhooks/ringcentral to the default extensions' inbound SMS "
        "(creates, renews before expiry, or re-creates a lost or blacklisted subscription)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; only read.")

    def handle(self, *args, dry_run=False, **options):
        try:
            results = ensure_subscriptions(dry_run=dry_run)
        except (ImproperlyConfigured, ProviderError) as exc:
            raise CommandError(str(exc)) from None
        prefix = "would be " if dry_run else ""
        for result in results:
            tail = f" {result.subscription_id}" if result.subscription_id else ""
            expiry = f" (expires {result.expires_at})" if result.expires_at else ""
            self.stdout.write(f"{result.extension}: {prefix}{result.action}{tail}{expiry}")
