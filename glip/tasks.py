"""Celery tasks of the glip app."""

from celery import shared_task


@shared_task(name="glip.tasks.import_default_extensions_glip_teams")
def import_default_extensions_glip_teams(dry_run: bool = False) -> dict[str, int]:
    """Import the default extensions' Glip teams (beat runs it daily); return the counts."""
    from glip.services import glip_teams_import

    return glip_teams_import(dry_run=dry_run).counts()
