"""manage.py sync_routes: create or update the ApiService and Route records from the code."""

from django.core.management.base import BaseCommand

from planocore.routes.registry import sync_routes


class Command(BaseCommand):
    help = (
        "Sync the route registry (ApiService, Route) with the API views in the URL conf. "
        "Runs on every migrate too; staff's deployed toggles are kept."
    )

    def handle(self, *args, **options):
        counts = sync_routes()
        self.stdout.write(
            f"Routes synced: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['retired']} no longer in the code."
        )
