"""Trigram indexes for the admin's search by part of a subject or Glip team name (PostgreSQL only).

Django's icontains is UPPER(column) LIKE UPPER('%term%'), so each index is on
UPPER(column). Not in the model's state: see planocore/db_operations.py.
"""

from django.db import migrations

from planocore.db_operations import trigram_index


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_mandrillevent"),
        ("planocore", "0004_pg_trgm"),
    ]

    operations = [
        trigram_index("notifications_notification", "email_subject", "notif_subject_trgm_idx"),
        trigram_index("notifications_notification", "team_name", "notif_team_trgm_idx"),
    ]
