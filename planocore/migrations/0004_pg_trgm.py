"""PostgreSQL's pg_trgm extension, for the trigram indexes of the admin's searches (nothing on SQLite).

One migration enables it; the apps' index migrations depend on this one, so
unapplying them drops their indexes before the extension.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("planocore", "0003_client_details"),
    ]

    operations = [
        TrigramExtension(),  # does nothing off PostgreSQL
    ]
