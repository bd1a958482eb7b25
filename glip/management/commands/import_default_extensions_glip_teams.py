"""manage.py import_default_extensions_glip_teams [--dry-run]"""

import time

from django.core.management.base import BaseCommand, CommandError

from glip.services import ImportFailed, ImportReport, glip_teams_import


class Command(BaseCommand):
    help = (
        "Import the Glip teams of every default RingCentral extension (GET /team-messaging/v1/teams, "
        "all pages): create or update GlipTeam records by chat id; archived teams become inactive. "
        "Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        interactive = self.stdout.isatty()
        verbose = options.get("verbosity", 1) >= 2

        def progress(report: ImportReport, records: int) -> None:
            """Each page as it comes: one line rewritten on a terminal, a line per page with -v 2."""
            if not (interactive or verbose):
                return
            line = (
                f"extension {report.extensions}, page {report.pages}: {report.created} created, "
                f"{report.updated} updated, {report.unchanged} unchanged, "
                f"{report.deactivated} deactivated (this page: {records} teams)"
            )
            if interactive:
                self.stdout.write(f"\r{line}\033[K", ending="")
            else:
                self.stdout.write(line)
            self.stdout.flush()

        def sleep(seconds: float) -> None:
            if interactive:
                self.stdout.write(f"\rRingCentral rate limit: waiting {seconds:.0f}s…", ending="")
                self.stdout.flush()

            time.sleep(seconds)

        try:
            report = glip_teams_import(dry_run=dry_run, progress=progress, sleep=sleep)
        except ImportFailed as exc:
            raise CommandError(f"Glip team import failed: {exc}") from None
        if interactive:
            self.stdout.write("")
        prefix = "Dry run, nothing written. Would have: " if dry_run else ""
        self.stdout.write(
            f"{prefix}created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
            f"deactivated {report.deactivated}, skipped {len(report.skipped)} "
            f"({report.pages} page(s) from {report.extensions} extension(s))."
        )
        for line in report.skipped:
            self.stdout.write(f"  skipped {line}")
